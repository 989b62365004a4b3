"""``concerndesk-frontdoor peers add | list | remove``: the LA front doors this one trusts
(issue #19), so that schools enrolled at either can send each other CP files. Registered by
``frontdoor.cli``. Each side's operator adds the other, by its URL and the fingerprint of its
service key, read out by the other LA (its ``show``): trust works only when both have."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.clock import SystemClock, iso
from app.errors import InputError, NotFound
from app.protocol.client import FrontDoorClient
from app.protocol.enrolment import check_name
from app.protocol.fingerprint import normalise_fingerprint
from frontdoor import keys
from frontdoor.storage import Storage

StoreOpener = Callable[[argparse.Namespace], tuple[keys.ServiceInfo, Storage]]


def register(sub: argparse._SubParsersAction,
             database: Callable[[argparse.ArgumentParser], None],
             open_store: StoreOpener) -> None:
    peers = sub.add_parser("peers", help="LA mode: the LA front doors this one trusts",
                           description="LA mode: the LA front doors this one trusts, so that "
                                       "schools at either can send each other CP files")
    peers_sub = peers.add_subparsers(dest="peers_command", required=True, metavar="COMMAND")
    peers.set_defaults(open_store=open_store)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = peers_sub.add_parser(name, help=help, description=help)
        p.add_argument("--store", required=True, metavar="DIR")
        database(p)
        return p

    p = command("add", "trust another LA's front door: its URL and the fingerprint of its "
                "service key, read out by that LA (it must add this one too)")
    p.add_argument("--url", required=True, help="its address, https://…")
    p.add_argument("--fingerprint", required=True, help="as its 'show' prints")
    p.add_argument("--name", required=True, help="the LA, as this LA's schools see it")
    p.add_argument("--ca-file", metavar="PEM", help="the CA that signed its TLS certificate, "
                   "when the system's CAs do not (e.g. the other LA's own CA)")
    p.set_defaults(func=cmd_peers_add)
    p = command("list", "the front doors trusted, and those removed")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_peers_list)
    p = command("remove", "stop trusting a front door, at once")
    p.add_argument("--fingerprint", required=True)
    p.set_defaults(func=cmd_peers_remove)


def _la(args: argparse.Namespace) -> tuple[keys.ServiceInfo, Storage]:
    info, storage = args.open_store(args)
    if info.mode != "la":
        raise InputError("store", "only an LA front door trusts other front doors")
    return info, storage


def _administrator(args: argparse.Namespace, info: keys.ServiceInfo) -> Ed25519PrivateKey:
    """The service's signing key: only who holds the passphrase changes whom it trusts."""
    return keys.load_signing_key(Path(args.store).expanduser(), info, keys.get_passphrase())


def cmd_peers_add(args: argparse.Namespace) -> int:
    fp = normalise_fingerprint(args.fingerprint)
    name = check_name(args.name)
    url = args.url.strip()
    if not url.startswith(("https://", "http://")):
        raise InputError("--url", "must start with https:// (or http:// on a private network)")
    info, storage = _la(args)
    if fp == info.fingerprint:
        raise InputError("--fingerprint", "that is this front door's own key")
    ca_file = str(Path(args.ca_file).expanduser().resolve()) if args.ca_file else ""
    signing = _administrator(args, info)
    with FrontDoorClient(url, signing, info.fingerprint, name=name,
                         verify=ca_file or True) as client:
        found = client.check_service(fp)  # FingerprintMismatch: nothing is saved
    if found.mode != "la":
        raise InputError("--url", "that is a school hub, not an LA front door")
    storage.set_peer(found.bundle, name, url, "trusted", SystemClock().now(), ca_file)
    print(f"Trusted {name} ({found.name}) at {url}: {fp}")
    print("Its schools are in this front door's directory once it trusts this one too "
          f"(its operator adds {info.fingerprint}).")
    return 0


def cmd_peers_list(args: argparse.Namespace) -> int:
    _, storage = args.open_store(args)
    peers = storage.list_peers()
    if args.json:
        print(json.dumps([{"fingerprint": p.fingerprint, "name": p.name, "url": p.url,
                           "status": p.status, "updated": iso(p.updated_at),
                           "ca_file": p.ca_file or None} for p in peers],
                         indent=2, ensure_ascii=False))
        return 0
    for p in peers:
        print(f"{p.status:<8} {p.fingerprint}  {p.name}  {p.url}")
    if not peers:
        print("No peer front doors: this front door's schools send only to each other.")
    return 0


def cmd_peers_remove(args: argparse.Namespace) -> int:
    fp = normalise_fingerprint(args.fingerprint)
    info, storage = _la(args)
    peer = storage.get_peer(fp)
    if peer is None:
        raise NotFound(f"fingerprint: {fp} is not a peer front door of this one")
    _administrator(args, info)
    storage.set_peer(peer.bundle, peer.name, peer.url, "removed", SystemClock().now(),
                     peer.ca_file)
    print(f"Removed {peer.name}: {fp} (it is no longer trusted; what it sends is refused)")
    return 0
