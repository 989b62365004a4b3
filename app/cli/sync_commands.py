"""frontdoor set, hub set, join, sync."""

from __future__ import annotations

import argparse

from app.cli.common import add_data, add_user
from app.errors import NotYet


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for role in ("frontdoor", "hub"):
        group = sub.add_parser(role, help=f"the {role} this school uses").add_subparsers(
            dest="action", required=True)
        p = group.add_parser("set", help=f"set the {role} URL, checked against its fingerprint")
        add_data(p)
        add_user(p)
        p.add_argument("--url", required=True)
        p.add_argument("--fingerprint", required=True)
        p.set_defaults(handler=not_yet)
    p = sub.add_parser("join", help="make a store on this PC for a school, through its hub")
    add_data(p)
    p.add_argument("--url", required=True)
    p.add_argument("--fingerprint", required=True)
    p.set_defaults(handler=not_yet)
    p = sub.add_parser("sync", help="deliver the outbox and fetch the inbox once")
    add_data(p)
    add_user(p)
    p.set_defaults(handler=not_yet)


def not_yet(args: argparse.Namespace) -> int:
    raise NotYet("Sync is not built yet in this version: records stay safely on this PC.")
