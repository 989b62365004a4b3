"""referral create/update/list/show/approve/release/queue, and pack."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import add_data, add_json, add_user, emit, new_secret, open_as_user
from app.clock import iso
from app.delivery.outcomes import LaAnswerEvent, la_answers
from app.domain.pupils import child_by_id, child_by_upn
from app.domain.referral_form import parse_assignment
from app.domain.referrals import (
    Referral,
    approve_referral,
    create_referral,
    get_referral,
    list_referrals,
    update_referral,
)
from app.errors import AccessDenied
from app.pack import write_atomically
from app.pack.assembly import (
    child_pack_data,
    latest_released_pack_id,
    referral_pack_data,
    release_referral,
    released_pack_pdf,
    write_pack,
)
from app.store.roles import Perm


def register(sub: argparse._SubParsersAction) -> None:
    referral = sub.add_parser("referral", help="referrals to the LA front door").add_subparsers(
        dest="action", required=True)
    p = referral.add_parser("create", help="a draft referral prefilled from the child's record "
                            "and chronology; prints its id")
    _common(p)
    p.add_argument("--child", required=True, metavar="UPN")
    _fields(p)
    p.set_defaults(handler=cmd_create)

    p = referral.add_parser("update", help="change fields of a referral (a new version)")
    _common(p)
    p.add_argument("--id", required=True)
    _fields(p)
    p.set_defaults(handler=cmd_update)

    p = referral.add_parser("list", help="every referral, newest first: id, child, status, "
                            "when it was created and by whom")
    _common(p)
    p.add_argument("--child", metavar="UPN", help="only this child's referrals")
    p.set_defaults(handler=cmd_list)

    p = referral.add_parser("show", help="a referral's status and form")
    _common(p)
    p.add_argument("--id", required=True)
    p.set_defaults(handler=cmd_show)

    for name, what in (("approve", "approve a draft (DSL); lists anything still missing"),
                       ("release", "release the approved pack to the office print queue"),
                       ("queue", "queue the approved referral for the LA front door")):
        p = referral.add_parser(name, help=what)
        _common(p)
        p.add_argument("--id", required=True)
        p.set_defaults(handler={"approve": cmd_approve, "release": cmd_release,
                                "queue": cmd_queue}[name])

    p = sub.add_parser("pack", help="write a referral pack PDF (and its JSON twin beside it)")
    add_data(p)
    add_user(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--child", metavar="UPN", help="a chronology pack for this child (DSL)")
    which.add_argument("--referral", metavar="ID", help="the referral's pack (office: the "
                       "released pack)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt the PDF (AES-256) with a password from "
                        "CONCERNDESK_PACK_PASSWORD or a prompt; no JSON twin is written")
    p.set_defaults(handler=cmd_pack)


def _common(p: argparse.ArgumentParser) -> None:
    add_data(p)
    add_user(p)
    add_json(p)


def _fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                   help="a form field, e.g. kind=safeguarding, immediate_risk=no, "
                        "risk_view=high, worries=…; household and professional repeat as "
                        "'name; relationship; YYYY-MM-DD; yes'")


def _show(args: argparse.Namespace, referral: Referral, headline: str,
          answers: list[LaAnswerEvent] | None = None) -> None:
    data: dict[str, object] = {"id": referral.id, "status": referral.status,
                               "version": referral.version, "form": referral.form,
                               "entry_ids": referral.entry_ids}
    text = (f"{headline}\nstatus: {referral.status} (version {referral.version}, "
            f"{len(referral.entry_ids)} chronology entries)")
    if answers is not None:  # the LA's acknowledgement and decision (issue #18)
        data["la_answers"] = [{"answer": a.answer, "arrived": iso(a.at), "text": a.text}
                              for a in answers]
        text += "".join(f"\nLA {a.answer}: {a.text}" for a in answers)
    emit(args, data, f"{text}\n{referral.id}")


def cmd_create(args: argparse.Namespace) -> int:
    fields = [parse_assignment(f) for f in args.field]
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        referral = create_referral(session, child.id, fields)
    _show(args, referral, "Draft referral created.")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    fields = [parse_assignment(f) for f in args.field]
    with open_as_user(args) as session:
        referral = update_referral(session, args.id, fields)
    _show(args, referral, "Referral updated.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        only = child_by_upn(session, args.child).id if args.child else None
        referrals = list_referrals(session, only)
        children = {r.child_id: child_by_id(session, r.child_id) for r in referrals}
    data = [{"id": r.id, "child": {"upn": children[r.child_id].upn,
                                   "name": children[r.child_id].display_name},
             "status": r.status, "version": r.version,
             "created_at": iso(r.created_at) if r.created_at else None,
             "created_by": r.created_by, "updated_at": iso(r.updated_at)} for r in referrals]
    lines = [f"{(r.created_at or r.updated_at).astimezone():%Y-%m-%d %H:%M}  {r.status:<9} "
             f"{children[r.child_id].display_name} ({children[r.child_id].upn}), by "
             f"{r.created_by}  {r.id}" for r in referrals]
    emit(args, data, "\n".join(lines) or "No referrals yet.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        referral = get_referral(session, args.id)
        answers = la_answers(session, referral.id)
    _show(args, referral, "Referral", answers)
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        referral = approve_referral(session, args.id)
    _show(args, referral, "Referral approved.")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        pack_id = release_referral(session, args.id)
    print(f"Released to the office print queue as pack {pack_id}.")
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    from app.delivery.referral import queue_referral

    with open_as_user(args) as session:
        ids = queue_referral(session, args.id)
    print(f"Queued for the LA front door as {len(ids)} envelope(s); 'concerndesk-cli sync' "
          "delivers them (the app does it by itself when online).")
    print(ids[-1])
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser()
    password = new_secret("CONCERNDESK_PACK_PASSWORD", "pack password") if args.encrypt \
        else None
    with open_as_user(args) as session:
        if args.child:
            data = child_pack_data(session, child_by_upn(session, args.child))
            pack_id = write_pack(session, data, out, password)
        elif session.can(Perm.MANAGE_REFERRALS):
            data = referral_pack_data(session, get_referral(session, args.referral))
            pack_id = write_pack(session, data, out, password)
        elif session.can(Perm.PRINT_RELEASED_PACKS):
            if password:
                raise AccessDenied("The office saves released packs as released.")
            pack_id = latest_released_pack_id(session, args.referral)
            write_atomically(out, released_pack_pdf(session, pack_id, "export"))
        else:
            session.require(Perm.MANAGE_REFERRALS)
            return 3
    print(f"Pack {pack_id} written to {out}.")
    return 0
