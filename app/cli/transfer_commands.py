"""leaver mark|return|list, terms set|show and transfer
pack|sent|confirm|list|receive|keep|send|schools|accept|reject:
children who leave and their CP files (issue #19, docs/transfer.md). A child is named by UPN;
the password of a pack is printed once and kept nowhere."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user, read_file
from app.delivery.cp_decide import accept_file, reject_file, waiting_files
from app.delivery.cp_send import choose, school_directory, send_file
from app.domain.leavers import leavers, school_calendar, set_term_dates
from app.domain.pupils import child_by_id, child_by_upn
from app.domain.roster_csv import parse_date
from app.domain.schooldays import cp_file_due
from app.errors import InputError
from app.store.settings import TERM_DATES, get
from app.transfer.incoming import receive_file
from app.transfer.leaving import back_on_roll, leaver_cards, mark_left
from app.transfer.model import Transfer, load, transfers
from app.transfer.outgoing import OPTIONAL, confirm_receipt, make_pack, mark_sent
from app.transfer.retention import decide
from app.wording import date_text


def _command(commands: argparse._SubParsersAction, name: str, text: str, *,
             json: bool = False) -> argparse.ArgumentParser:
    p = commands.add_parser(name, help=text)
    add_data(p)
    add_user(p)
    if json:
        add_json(p)
    return p


def _date(text: str, field: str) -> Any:
    try:
        return parse_date(text)
    except InputError as error:
        raise InputError(field, error.problem) from None


def register(sub: argparse._SubParsersAction) -> None:
    leaver = sub.add_parser("leaver", help="children who left (DSL)").add_subparsers(
        dest="action", required=True)
    p = _command(leaver, "mark", "the child has left: their file is read-only until review "
                 "and is due at the next school within 5 school days")
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--left", required=True, metavar="DATE", help="their last day "
                   "(YYYY-MM-DD or DD/MM/YYYY)")
    p.add_argument("--to", dest="destination", metavar="SCHOOL", help="the next school")
    p.set_defaults(handler=cmd_leaver_mark)
    p = _command(leaver, "return", "the child is back on roll")
    p.add_argument("--child", required=True, metavar="UPN")
    p.set_defaults(handler=cmd_leaver_return)
    p = _command(leaver, "list", "leavers, and what is due for each file", json=True)
    p.set_defaults(handler=cmd_leaver_list)

    terms = sub.add_parser("terms", help="the school's term dates (admin)").add_subparsers(
        dest="action", required=True)
    p = _command(terms, "set", "set the term dates: one term or half term a line "
                 "('2026-09-03 to 2026-10-23'), 'closed DATE' for a training day")
    p.add_argument("--file", required=True, metavar="FILE|-")
    p.set_defaults(handler=cmd_terms_set)
    p = _command(terms, "show", "print the term dates")
    p.set_defaults(handler=cmd_terms_show)

    transfer = sub.add_parser("transfer", help="a child's CP file to or from another school "
                              "(DSL)").add_subparsers(dest="action", required=True)
    p = _command(transfer, "pack", "write the CP file as an AES-256 encrypted PDF for a "
                 "school on another product; prints the transfer id, the receipt code on its "
                 "slip and the password, once")
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--to-school", required=True, metavar="NAME")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--without", action="append", default=[], choices=OPTIONAL,
                   help="leave a part out (repeat for more); everything goes by default")
    p.set_defaults(handler=cmd_pack)
    p = _command(transfer, "sent", "the pack has gone and its password was phoned through")
    p.add_argument("--id", required=True)
    p.add_argument("--how", metavar="TEXT", help="how it went, e.g. 'secure email'")
    p.set_defaults(handler=cmd_sent)
    p = _command(transfer, "confirm", "record the receipt code the receiving DSL read back")
    p.add_argument("--id", required=True)
    p.add_argument("--code", required=True)
    p.add_argument("--by", required=True, metavar="NAME")
    p.set_defaults(handler=cmd_confirm)
    p = _command(transfer, "list", "transfers: id, child, school, due date, status", json=True)
    p.add_argument("--child", metavar="UPN")
    p.set_defaults(handler=cmd_list)
    p = _command(transfer, "receive", "attach a CP file from another product (a PDF) to a "
                 "'CP file received' entry")
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--from-school", required=True, metavar="NAME")
    p.add_argument("--received", required=True, metavar="DATE")
    p.add_argument("--file", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=cmd_receive)
    p = _command(transfer, "keep", "record what this school keeps of a file it sent")
    p.add_argument("--child", required=True, metavar="UPN")
    keep = p.add_mutually_exclusive_group(required=True)
    keep.add_argument("--archive", action="store_true", help="a read-only archive")
    keep.add_argument("--until", metavar="DATE", help="kept until this date, then reviewed")
    p.add_argument("--reason", metavar="TEXT")
    p.set_defaults(handler=cmd_keep)
    p = _command(transfer, "send", "send the CP file to a ConcernDesk school enrolled at the "
                 "same LA front door (sealed to its DSL team key, delivered at the next sync); "
                 "prints the transfer id")
    p.add_argument("--child", required=True, metavar="UPN")
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--to-school", metavar="NAME", help="as the front door's directory names it")
    to.add_argument("--to-fingerprint", metavar="FP", help="the fingerprint the receiving DSL "
                    "read out (their school's or their DSL team key's)")
    p.add_argument("--without", action="append", default=[], choices=OPTIONAL,
                   help="leave a part out (repeat for more); everything goes by default")
    p.set_defaults(handler=cmd_send)
    p = _command(transfer, "schools", "the schools at the LA front door that can receive a CP "
                 "file", json=True)
    p.set_defaults(handler=cmd_schools)
    p = _command(transfer, "accept", "accept a CP file from another ConcernDesk school into "
                 "the child with its UPN (or a new child made from it)")
    p.add_argument("--id", required=True, help="as transfer list shows it")
    p.add_argument("--child", metavar="UPN", help="the child it is for (must have the file's "
                   "UPN)")
    p.set_defaults(handler=cmd_accept)
    p = _command(transfer, "reject", "reject a CP file from another ConcernDesk school; the "
                 "reason goes back to it")
    p.add_argument("--id", required=True)
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.set_defaults(handler=cmd_reject)


def cmd_leaver_mark(args: argparse.Namespace) -> int:
    left = _date(args.left, "left")
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        leaving = mark_left(session, child.id, left, args.destination)
        due = cp_file_due(school_calendar(session), leaving.left_on)
    print(f"{leaving.words}. CP file due by {date_text(due.day)} ({due.rule}).")
    return 0


def cmd_leaver_return(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        back_on_roll(session, child_by_upn(session, args.child).id)
    print("Back on roll.")
    return 0


def cmd_leaver_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        cards = {c.child_id: c for c in leaver_cards(session)}
        found = [(leaving, child_by_id(session, leaving.child_id))
                 for leaving in leavers(session)]
    data, lines = [], []
    for leaving, child in found:
        card = cards.get(child.id)
        data.append({"upn": child.upn, "name": child.display_name,
                     "left_on": leaving.left_on.isoformat(), "destination": leaving.destination,
                     "source": leaving.source, "due": card.title if card else None,
                     "state": card.words if card else None,
                     "level": card.level if card else None})
        line = f"{child.upn}  {child.display_name}  {leaving.words}"
        if card:
            line += f"\n    {card.title}: {card.words}"
        lines.append(line)
    emit(args, data, "\n".join(lines) or "No child has left.")
    return 0


def cmd_terms_set(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read() if args.file == "-" else read_file(Path(args.file), "file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text") from None
    with open_as_user(args) as session:
        count = set_term_dates(session, text)
    print(f"Term dates saved: {count} term{'s' * (count != 1)}.")
    return 0


def cmd_terms_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        text = get(session, TERM_DATES)
    print(text or "No term dates are set: deadlines count weekdays less bank holidays.")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        made = make_pack(session, child.id, args.to_school, Path(args.out).expanduser(),
                         tuple(args.without))
    print(f"Transfer {made.transfer_id}: the pack is written.")
    print(f"Receipt code (on its first page): {made.receipt_code}")
    print(f"Password, shown once: {made.password}")
    print("Phone the password through to the receiving DSL; never send it by email with the "
          "file. Then: transfer sent --id ID.")
    return 0


def cmd_sent(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        print(f"Transfer {args.id}: {mark_sent(session, args.id, args.how).status_words}.")
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        done = confirm_receipt(session, args.id, args.code, args.by)
    print(f"Transfer {args.id}: {done.status_words}.")
    return 0


def _transfer_json(transfer: Transfer, upn: str) -> dict[str, Any]:
    return {"id": transfer.id, "child": upn, "direction": transfer.direction,
            "route": transfer.route, "school": transfer.school, "status": transfer.status,
            "status_words": transfer.status_words, "contents": list(transfer.contents),
            "steps": [{"status": s.status, "at": s.at.isoformat(), "by": s.actor,
                       "note": s.note} for s in transfer.steps]}


def cmd_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child_id = child_by_upn(session, args.child).id if args.child else None
        found = transfers(session, child_id)
        upns = {t.child_id: child_by_id(session, t.child_id).upn for t in found}
        due = {c.transfer_id: c.title for c in leaver_cards(session) if c.transfer_id}
        waiting = waiting_files(session) if not args.child else []
    lines = [f"{w.id}  {w.child_upn}  WAITING: {w.title} (received "
             f"{date_text(w.received_at.date())}): transfer accept --id ID, or transfer reject"
             for w in waiting]
    lines += [f"{t.id}  {upns[t.child_id]}  {'to' if t.direction == 'out' else 'from'} "
              f"{t.school}  {t.status_words}" + (f"  ({due[t.id]})" if t.id in due else "")
              for t in found]
    emit(args, [{"id": w.id, "child": w.child_upn, "direction": "in", "route": "concerndesk",
                 "school": w.school, "status": "waiting", "status_words": w.title}
                for w in waiting] + [_transfer_json(t, upns[t.child_id]) for t in found],
         "\n".join(lines) or "No transfers.")
    return 0


def cmd_receive(args: argparse.Namespace) -> int:
    received = _date(args.received, "received")
    path = Path(args.file).expanduser()
    data = read_file(path, "file")
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        done = receive_file(session, child.id, args.from_school, received, path.name, data)
    print(f"Transfer {done.id}: CP file {done.status_words}, attached to the child's "
          "chronology.")
    return 0


def cmd_keep(args: argparse.Namespace) -> int:
    until = _date(args.until, "until") if args.until else None
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        kept = decide(session, child.id, "archive" if args.archive else "period", until,
                      args.reason)
    print(f"Recorded: this school's copy is {kept.words}.")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        to = choose(school_directory(session), name=args.to_school,
                    fingerprint=args.to_fingerprint)
        transfer_id = send_file(session, child.id, to, tuple(args.without))
    print(f"Transfer {transfer_id}: the CP file for {to.name} is sealed to their DSL team's "
          "key and queued; it goes at the next sync (concerndesk-cli sync).")
    print(transfer_id)
    return 0


def cmd_schools(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        schools = school_directory(session)
    emit(args, [{"name": s.name, "fingerprint": s.fingerprint,
                 "dsl_team_key": s.team.fingerprint, "la": s.at or None} for s in schools],
         "\n".join(f"{s.label}  {s.fingerprint}  (DSL team key {s.team.fingerprint})"
                   for s in schools) or "No other school at this LA front door can receive a "
         "CP file yet.")
    return 0


def cmd_accept(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child_id = child_by_upn(session, args.child).id if args.child else None
        transfer_id = accept_file(session, args.id, child_id)
        done = load(session, transfer_id)
    print(f"Transfer {transfer_id}: CP file from {done.school} accepted into the child's "
          "chronology; the sending school is told at the next sync.")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        reject_file(session, args.id, args.reason)
    print("Rejected; the sending school is told why at the next sync.")
    return 0
