"""frontdoor set, hub set, hub approve-device, join, sync."""

from __future__ import annotations

import argparse

from app.cli.common import add_data, add_user, data_dir, open_as_user
from app.delivery.la_answers import dsl_team_keys
from app.delivery.outbox import Delivery, items
from app.delivery.services import find_service, set_service
from app.hub.devices import set_hub
from app.hub.join import join_school, provision_from_hub
from app.hub.provision import PURPOSES, approve_device, remove_pc
from app.hub.sync import sync_round
from app.protocol.fingerprint import normalise_fingerprint
from app.store.joinfile import awaiting_provisioning
from app.store.roles import Perm


def register(sub: argparse._SubParsersAction) -> None:
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
        if role == "hub":
            p = group.add_parser("approve-device", help="send a joined PC (enrolled with the "
                                 "hub) the accounts and roster it may hold, and the team key "
                                 "if it is a DSL PC")
            add_data(p)
            add_user(p)
            p.add_argument("--fingerprint", required=True,
                           help="the device's fingerprint, as its 'identity' prints it")
            p.add_argument("--for", dest="purpose", required=True, choices=PURPOSES,
                           help="who uses the PC: the DSL team, staff, or the office")
            p.set_defaults(handler=cmd_approve_device)
            p = group.add_parser("remove-device", help="stop every PC of the school trusting "
                                 "a PC approved before (lost, stolen or replaced)")
            add_data(p)
            add_user(p)
            p.add_argument("--fingerprint", required=True, help="the device's fingerprint")
            p.set_defaults(handler=cmd_remove_device)
    p = sub.add_parser("join", help="make a store on this PC for a school, through its hub")
    add_data(p)
    p.add_argument("--url", required=True)
    p.add_argument("--fingerprint", required=True, help="the hub's fingerprint, checked out "
                   "of band")
    p.add_argument("--admin-fingerprint",
                   help="required: the school's admin PC's fingerprint (its 'identity'), "
                        "read out by the school's admin: this PC takes its accounts and the "
                        "list of PCs it trusts only from that PC")
    p.add_argument("--name", help="a name for this PC, shown to the hub's administrator")
    p.set_defaults(handler=cmd_join)
    p = sub.add_parser("sync", help="deliver the outbox and fetch the inbox once; exit 0 when "
                       "everything queued was receipted, 1 when something is still waiting")
    add_data(p)
    add_user(p)
    p.set_defaults(handler=cmd_sync)


def cmd_set(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        if args.role == "hub":  # the same steps as Admin → Services in the app
            hub = set_hub(session, args.url, args.fingerprint)
            service, made, queued = hub.service, hub.made_team_keys, hub.queued
        else:
            service, made, queued = set_service(session, args.role, args.url,
                                                args.fingerprint), False, 0
    print(f"Saved: {service.url} (fingerprint {service.fingerprint}). This PC asked to be "
          "enrolled; the service's administrator approves it by the fingerprint that "
          "'concerndesk-cli identity' prints.")
    if made:
        print(f"Made the DSL team and office keys (kept inside this store); {queued} "
              "envelope(s) of existing records queued for the DSL team.")
    elif queued:  # a keyed store: its DSL store made the team keys at its first sign-in
        print(f"{queued} envelope(s) of existing records queued for the DSL team.")
    return 0


def cmd_approve_device(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        envelope_id = approve_device(session, args.fingerprint, args.purpose)
    print(f"Queued the {args.purpose} PC's accounts and roster ({envelope_id}); the next "
          "'sync' here delivers them, then that PC's first 'sync' sets it up.")
    return 0


def cmd_remove_device(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        queued, key = remove_pc(session, args.fingerprint)
    print(f"Removed: no PC of the school trusts what that PC sends from now on once it has "
          f"the new list ({queued} queued; the next 'sync' here delivers them). Ask the hub's "
          "administrator to unenrol it too.")
    if key:
        print(key)
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    joined = join_school(data_dir(args), args.url, args.fingerprint,
                         admin_fingerprint=args.admin_fingerprint, require_admin=True,
                         name=args.name)
    print(f"Created a store for this PC in {data_dir(args)}; it asked the hub to enrol it "
          f"({joined.enrolment}). It will be set up only by the admin PC "
          f"{normalise_fingerprint(args.admin_fingerprint)}.")
    print("This PC's fingerprint (read it to the hub's administrator, who enrols it, then to "
          "the school's admin, who approves it with 'hub approve-device'):")
    print(f"  {joined.fingerprint}")
    print("RECOVERY KEY (shown only this once; print it or write it down and keep it locked "
          "away):")
    print(f"  {joined.recovery_key}")
    return 0


def _line(result: Delivery) -> str:
    label = {"receipted": "sent", "waiting": "waiting", "failed": "refused"}[result.outcome]
    return f"{label:<8} {result.item.kind:<8} {result.item.id}: {result.detail}"


def cmd_sync(args: argparse.Namespace) -> int:
    directory = data_dir(args)
    if awaiting_provisioning(directory):
        outcome = provision_from_hub(directory)
        print(("set up   " if outcome.done else "waiting  ") + outcome.detail)
        if not outcome.done:
            return 1
    lines: list[str] = []
    ok = True
    with open_as_user(args) as session:
        session.require(Perm.SYNC)
        frontdoor, hub = find_service(session, "frontdoor"), find_service(session, "hub")
        answers_due = frontdoor is not None and bool(dsl_team_keys(session))
        if hub is None and not answers_due and not items(session, pending_only=True):
            print("Nothing waiting to be sent.")
            return 0
        if frontdoor is None and hub is None:
            for item in items(session, pending_only=True):
                print(f"waiting  {item.kind:<8} {item.id}: No LA front door is set up yet "
                      "(concerndesk-cli frontdoor set).")
            return 1
        report = sync_round(session)
        if report.rolled_back:  # audited by the check; said plainly, not as "waiting"
            print(report.waiting)
            return 1
        results = report.sent
        for received in report.received:
            label = {"applied": "received", "already": "have", "refused": "refused"}[
                received.outcome]
            if received.outcome != "already":
                lines.append(f"{label:<8} {received.kind:<8} {received.envelope_id}: "
                             f"{received.detail}")
        for answer in report.answers:  # the LA's acknowledgements and decisions
            if answer.outcome != "already":
                label = {"applied": "received", "waiting": "later"}.get(answer.outcome,
                                                                         "refused")
                lines.append(f"{label:<8} {answer.kind:<8} {answer.envelope_id}: "
                             f"{answer.detail}")
        if report.answers_waiting:  # nothing of ours waits on it: not a failure of the round
            lines.append(f"later    LA answers: {report.answers_waiting}")
        if report.waiting:
            ok = False
            lines.append(f"waiting  hub: {report.waiting}")
        session.audited("sync", "outbox", None,
                        receipted=sum(r.outcome == "receipted" for r in results),
                        waiting=sum(r.outcome != "receipted" for r in results))
    for result in results:
        print(_line(result))
    for line in lines:
        print(line)
    if not results and not lines:
        print("Up to date.")
    return 0 if ok and all(r.outcome == "receipted" for r in results) else 1
