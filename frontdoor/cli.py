"""``concerndesk-frontdoor``: set up, run and administer a school hub or an LA front door.

Exit status per CONTRACT.md: 0 success, 1 failed, 2 bad usage or input, 4 wrong passphrase.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from app.clock import SystemClock, iso
from app.errors import ConcernDeskError, InputError, NotFound
from app.protocol.enrolment import check_name
from app.protocol.envelope import MAX_ENVELOPE_LEN
from app.protocol.fingerprint import KeyBundle, normalise_fingerprint
from frontdoor import keys, la_cli, peer_cli
from frontdoor.inbox import Inbox
from frontdoor.limits import ENROLMENT_RATE, ENROLMENT_RATE_TOTAL
from frontdoor.storage import (
    MAX_PENDING,
    MAX_PENDING_PER_SOURCE,
    PENDING_DAYS,
    Storage,
    open_storage,
)

DATABASE_ENV = "CONCERNDESK_FRONTDOOR_DATABASE"


def _store(args: argparse.Namespace) -> Path:
    return Path(args.store).expanduser()


def _open(args: argparse.Namespace) -> tuple[keys.ServiceInfo, Storage]:
    info = keys.load_info(_store(args))
    return info, open_storage(_store(args), args.database or os.environ.get(DATABASE_ENV))


def cmd_init(args: argparse.Namespace) -> int:
    name = check_name(args.name)
    info = keys.init_store(_store(args), args.mode, name, keys.get_passphrase(confirm=True))
    kind = "LA front door" if info.mode == "la" else "school hub"
    print(f"Created the {kind} '{info.name}' in {_store(args)}.")
    print("Give this fingerprint to those who connect to it (they check it when they set it up):")
    print(info.fingerprint)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    info = keys.load_info(_store(args))
    if args.json:
        print(json.dumps(info.to_json(), indent=2))
    else:
        print(f"{info.name} ({info.mode} mode)\n{info.fingerprint}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from frontdoor.app import ServiceConfig, create_app

    if bool(args.certfile) != bool(args.keyfile):
        raise InputError("--certfile/--keyfile", "give both for TLS, or neither")
    if args.max_body < 1024:
        raise InputError("--max-body", "must be at least 1024 bytes")
    for option in ("enrolment_rate", "enrolment_rate_total", "max_pending",
                    "max_pending_per_source"):
        if getattr(args, option) < 1:
            raise InputError("--" + option.replace("_", "-"), "must be at least 1")
    info, storage = _open(args)
    if args.staff_page and info.mode != "la":
        raise InputError("--staff-page", "the staff page is for an LA front door")
    passphrase = keys.get_passphrase()
    # Only the signing key (for receipts) is unsealed, so nothing here can open a payload;
    # unless the LA asks for its staff page, which must read referrals to show them.
    signing = keys.load_signing_key(_store(args), info, passphrase)
    hpke = keys.load_hpke_key(_store(args), info, passphrase) if args.staff_page else None
    app = create_app(ServiceConfig(
        info=info, signing_key=signing, max_body=args.max_body,
        enrolment_rate=args.enrolment_rate, enrolment_rate_total=args.enrolment_rate_total,
        max_pending=args.max_pending, max_pending_per_source=args.max_pending_per_source,
        hpke_key=hpke, secure_cookies=bool(args.certfile) or args.behind_tls),
        storage)
    print(f"Serving {info.name} ({info.mode} mode, {storage.engine}) as {info.fingerprint}",
          flush=True)
    # X-Forwarded-For is believed only from these addresses (the proxy in front, if any):
    # the enrolment limits count by the client's address, which is otherwise the proxy's.
    uvicorn.run(app, host=args.host, port=args.port, ssl_certfile=args.certfile,
                ssl_keyfile=args.keyfile, log_level=args.log_level, server_header=False,
                timeout_graceful_shutdown=5, proxy_headers=True,
                forwarded_allow_ips=args.trusted_proxies)
    storage.close()
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    if args.remove:
        return cmd_unenrol(args)
    if not args.name:
        raise InputError("--name", "is required to enrol (the school or device it belongs to)")
    fp = normalise_fingerprint(args.fingerprint)
    name = check_name(args.name)
    info, storage = _open(args)
    keys.load_signing_key(_store(args), info, keys.get_passphrase())  # administrators only
    if args.bundle:
        bundle = KeyBundle.from_text(args.bundle)
        if bundle.fingerprint != fp:
            raise InputError("--bundle", f"its fingerprint is {bundle.fingerprint}, not {fp}")
    else:
        record = storage.get_key(fp)
        if record is None:
            raise NotFound(f"fingerprint: no enrolment request for {fp}. The device or school "
                           "registers its key when it first connects (its 'frontdoor set', "
                           "'hub set' or 'join'); or pass its key with --bundle")
        bundle = record.bundle
    if fp == info.fingerprint:
        raise InputError("fingerprint", "that is this service's own key")
    storage.set_key(bundle, name, "enrolled", SystemClock().now())
    print(f"Enrolled {name}: {fp}")
    return 0


def cmd_unenrol(args: argparse.Namespace) -> int:
    fp = normalise_fingerprint(args.fingerprint)
    info, storage = _open(args)
    keys.load_signing_key(_store(args), info, keys.get_passphrase())
    record = storage.get_key(fp)
    if record is None:
        raise NotFound(f"fingerprint: {fp} is not known to this service")
    storage.set_key(record.bundle, record.name, "removed", SystemClock().now())
    print(f"Removed {record.name}: {fp} (its requests are refused from now on)")
    return 0


def cmd_acknowledge_restore(args: argparse.Namespace) -> int:
    fp = normalise_fingerprint(args.fingerprint)
    info, storage = _open(args)
    if info.mode != "school":
        raise InputError("store", "only a school hub keeps its PCs' audit heads")
    keys.load_signing_key(_store(args), info, keys.get_passphrase())  # administrators only
    record = storage.get_key(fp)
    if record is None or record.status != "enrolled":
        raise NotFound(f"fingerprint: {fp} is not an enrolled device of this hub")
    count = storage.forget_heads(fp)
    print(f"{record.name} ({fp}): the hub forgot the {count} audit head(s) it kept; the next "
          "sync from that PC is taken as its new starting point. Do this only for a PC whose "
          "store its school's admin restored from a backup on purpose.")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    _, storage = _open(args)
    records = storage.list_keys()
    if args.json:
        print(json.dumps([{"fingerprint": r.fingerprint, "name": r.name, "status": r.status,
                           "updated": iso(r.updated_at), "bundle": r.bundle.to_text()}
                          for r in records], indent=2))
    else:
        for r in records:
            print(f"{r.status:<9} {r.fingerprint}  {r.name}")
        if not records:
            print("No keys: nothing has asked to enrol yet.")
    return 0


def cmd_requests_list(args: argparse.Namespace) -> int:
    _, storage = _open(args)
    pending = storage.list_requests()
    if args.json:
        print(json.dumps([{"fingerprint": r.fingerprint, "name": r.name, "source": r.source,
                           "requested": iso(r.requested_at)} for r in pending], indent=2,
                         ensure_ascii=False))
        return 0
    for r in pending:
        print(f"{iso(r.requested_at)}  {r.fingerprint}  from {r.source or 'unknown'}  {r.name}")
    print(f"{len(pending)} enrolment request(s) waiting; they expire after {PENDING_DAYS} days.")
    return 0


def cmd_requests_purge(args: argparse.Namespace) -> int:
    if args.older_than is not None and args.older_than < 0:
        raise InputError("--older-than", "must be 0 days or more")
    fp = normalise_fingerprint(args.fingerprint) if args.fingerprint else None
    info, storage = _open(args)
    keys.load_signing_key(_store(args), info, keys.get_passphrase())  # administrators only
    before = (SystemClock().now() - timedelta(days=args.older_than)
              if args.older_than is not None else None)
    count = storage.purge_requests(before=before, fingerprint=fp)
    if fp and not count:
        raise NotFound(f"fingerprint: no enrolment request waits for {fp}")
    print(f"Purged {count} enrolment request(s); enrolled and removed keys are unchanged.")
    return 0


def _inbox(args: argparse.Namespace, passphrase: str | None = None) -> Inbox:
    info, storage = _open(args)
    if info.mode != "la":
        raise InputError("store", "a school hub holds no key to read what it relays")
    hpke = keys.load_hpke_key(_store(args), info, passphrase or keys.get_passphrase())
    return Inbox(storage, info, hpke)


def cmd_inbox_list(args: argparse.Namespace) -> int:
    entries = _inbox(args).entries()
    if args.json:
        print(json.dumps([e.to_json() for e in entries], indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        print(f"{e.received}  {e.id}  {e.kind:<9} from {e.sender_name} ({e.sender})  "
              f"{len(e.files)} file(s)  {e.status}")
    if not entries:
        print("Nothing has arrived.")
    return 0


def cmd_inbox_export(args: argparse.Namespace) -> int:
    written = _inbox(args).export(args.id.strip().lower(), Path(args.out).expanduser())
    for path in written:
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concerndesk-frontdoor",
        description="ConcernDesk front door: a school hub or a local authority front door that "
                    "relays end-to-end encrypted envelopes. The passphrase comes from "
                    f"{keys.PASSPHRASE_ENV} or a hidden prompt.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--store", required=True, metavar="DIR",
                       help="the service's store directory (keys, and the SQLite database)")
        return p

    def database(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database", metavar="URL",
                       help=f"postgresql://… (default: SQLite in the store; or {DATABASE_ENV})")

    p = command("init", "create the service's keys and print its fingerprint")
    p.add_argument("--mode", required=True, choices=keys.MODES,
                   help="'la': a local authority front door; 'school': a school hub")
    p.add_argument("--name", required=True, help="the name shown to those who connect")
    p.set_defaults(func=cmd_init)

    p = command("show", "print the service's name, mode and fingerprint")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_show)

    p = command("serve", "run the HTTP service")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8800, help="port (default 8800)")
    database(p)
    p.add_argument("--certfile", help="TLS certificate (PEM)")
    p.add_argument("--keyfile", help="TLS private key (PEM)")
    p.add_argument("--max-body", type=int, default=MAX_ENVELOPE_LEN, metavar="BYTES",
                   help=f"largest request body accepted (default {MAX_ENVELOPE_LEN})")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--enrolment-rate", type=int, default=ENROLMENT_RATE, metavar="N",
                   help="enrolment requests a minute from one source address "
                        f"(default {ENROLMENT_RATE}); more get 429")
    p.add_argument("--enrolment-rate-total", type=int, default=ENROLMENT_RATE_TOTAL,
                   metavar="N", help="enrolment requests a minute from all sources "
                                     f"(default {ENROLMENT_RATE_TOTAL})")
    p.add_argument("--max-pending", type=int, default=MAX_PENDING, metavar="N",
                   help=f"enrolment requests that may wait in all (default {MAX_PENDING})")
    p.add_argument("--max-pending-per-source", type=int, default=MAX_PENDING_PER_SOURCE,
                   metavar="N", help="... and from one source address "
                                     f"(default {MAX_PENDING_PER_SOURCE})")
    p.add_argument("--trusted-proxies", default="127.0.0.1,::1", metavar="IPS",
                   help="addresses of reverse proxies whose X-Forwarded-For names the client "
                        "(default 127.0.0.1,::1; not '*', which lets a client name itself). "
                        "Behind a proxy not listed, every client counts as the proxy")
    p.add_argument("--staff-page", action="store_true",
                   help="LA mode: serve the staff page at /staff (sign in, read referrals, "
                        "acknowledge and decide); this process then holds the key that opens "
                        "referrals. Put it behind TLS (docs/frontdoor-la.md)")
    p.add_argument("--behind-tls", action="store_true",
                   help="a TLS proxy in front answers the browser: mark the staff page's "
                        "cookies Secure (automatic with --certfile)")
    p.set_defaults(func=cmd_serve)

    p = command("enrol", "trust a school (LA mode) or a device (school mode) by its fingerprint")
    p.add_argument("--fingerprint", required=True, help="as printed by its 'identity'")
    p.add_argument("--name", help="who it is (required unless --remove)")
    p.add_argument("--bundle", help="its public key bundle (base64), when it has not connected")
    p.add_argument("--remove", action="store_true", help="remove it instead (same as unenrol)")
    database(p)
    p.set_defaults(func=cmd_enrol)

    p = command("unenrol", "remove a school or device: its requests are refused from now on")
    p.add_argument("--fingerprint", required=True)
    database(p)
    p.set_defaults(func=cmd_unenrol)

    p = command("acknowledge-restore", "school hub: accept a PC's older audit trail once, "
                "after its store was restored from a backup on purpose")
    p.add_argument("--fingerprint", required=True, help="the PC's, as its 'identity' prints")
    database(p)
    p.set_defaults(func=cmd_acknowledge_restore)

    p = command("keys", "list enrolment requests, enrolled and removed keys")
    p.add_argument("--json", action="store_true", help="print JSON")
    database(p)
    p.set_defaults(func=cmd_keys)

    requests = sub.add_parser("requests", help="list or purge enrolment requests that wait",
                              description="list or purge enrolment requests that wait for an "
                                          f"administrator (they expire after {PENDING_DAYS} "
                                          "days)")
    requests_sub = requests.add_subparsers(dest="requests_command", required=True,
                                           metavar="COMMAND")
    p = requests_sub.add_parser("list", help="the requests waiting, with the address of each",
                                description="the requests waiting, with the address of each")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON")
    database(p)
    p.set_defaults(func=cmd_requests_list)
    p = requests_sub.add_parser("purge", help="delete waiting requests (not enrolled keys)",
                                description="delete waiting requests (not enrolled keys)")
    p.add_argument("--store", required=True, metavar="DIR")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--older-than", type=int, metavar="DAYS",
                       help="those made more than DAYS days ago")
    which.add_argument("--fingerprint", help="the one for this fingerprint")
    which.add_argument("--all", action="store_true", help="all of them")
    database(p)
    p.set_defaults(func=cmd_requests_purge)

    inbox = sub.add_parser("inbox", help="LA mode: read what arrived",
                           description="LA mode: decrypt and read what arrived")
    inbox_sub = inbox.add_subparsers(dest="inbox_command", required=True, metavar="COMMAND")
    p = inbox_sub.add_parser("list", help="list what arrived", description="list what arrived")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON")
    database(p)
    p.set_defaults(func=cmd_inbox_list)
    p = inbox_sub.add_parser("export", help="write a referral's PDF, JSON and attachments",
                             description="write a referral's PDF, JSON and attachments")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--id", required=True, help="the envelope id from 'inbox list'")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    database(p)
    p.set_defaults(func=cmd_inbox_export)
    la_cli.register(inbox_sub, sub, database, _inbox, _open)
    peer_cli.register(sub, database, _open)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConcernDeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: say so plainly, never a traceback
        print(f"internal error ({type(exc).__name__}); please report it", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
