"""frontdoor set, hub set, join, sync."""

from __future__ import annotations

import argparse

from app.cli.common import add_data, add_user, open_as_user
from app.errors import ConcernDeskError, NotYet
from app.outbox import drain, items
from app.roles import Perm
from app.services import get_service, make_client, set_service


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for role, what in (("frontdoor", "the LA front door referrals go to"),
                       ("hub", "the school hub that relays concerns between this school's PCs")):
        group = sub.add_parser(role, help=what).add_subparsers(dest="action", required=True)
        p = group.add_parser("set", help="set its URL; the service's key is fetched and must "
                             "match the fingerprint, or nothing is saved")
        add_data(p)
        add_user(p)
        p.add_argument("--url", required=True)
        p.add_argument("--fingerprint", required=True,
                       help="the service's fingerprint, checked out of band (read aloud or "
                            "printed)")
        p.set_defaults(handler=cmd_set, role=role)
    p = sub.add_parser("join", help="make a store on this PC for a school, through its hub")
    add_data(p)
    p.add_argument("--url", required=True)
    p.add_argument("--fingerprint", required=True)
    p.set_defaults(handler=cmd_join)
    p = sub.add_parser("sync", help="deliver the outbox and fetch the inbox once; exit 0 when "
                       "everything queued was receipted, 1 when something is still waiting")
    add_data(p)
    add_user(p)
    p.set_defaults(handler=cmd_sync)


def cmd_set(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        service = set_service(session, args.role, args.url, args.fingerprint)
    print(f"Saved: {service.url} (fingerprint {service.fingerprint}). This PC asked to be "
          "enrolled; the service's administrator approves it by the fingerprint that "
          "'concerndesk-cli identity' prints.")
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    raise NotYet("Joining a school through its hub is not built yet in this version.")


def cmd_sync(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        session.require(Perm.SYNC)
        if not items(session, pending_only=True):
            print("Nothing waiting to be sent.")
            return 0
        try:
            service = get_service(session, "frontdoor")
        except ConcernDeskError as exc:
            for item in items(session, pending_only=True):
                print(f"waiting  {item.kind:<8} {item.id}: {exc}")
            return 1
        with make_client(service.url, session, service.bundle) as client:
            results = drain(session, client)
        session.audited("sync", "outbox", None,
                        receipted=sum(r.outcome == "receipted" for r in results),
                        waiting=sum(r.outcome != "receipted" for r in results))
    for result in results:
        label = {"receipted": "sent", "waiting": "waiting", "failed": "refused"}[result.outcome]
        print(f"{label:<8} {result.item.kind:<8} {result.item.id}: {result.detail}")
    return 0 if all(r.outcome == "receipted" for r in results) else 1
