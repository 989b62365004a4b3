"""concern add, concern amend, chronology, search."""

from __future__ import annotations

import argparse

from app.cli.common import add_data, add_json, add_user, emit, open_as_user
from app.cli.text_input import add_text_option, marks_from, text_from
from app.clock import iso
from app.domain.chronology import ChronologyItem, chronology
from app.domain.concerns import ConcernDraft, amend_concern, concern_time, record_concern
from app.domain.pupils import child_by_upn
from app.domain.search import RANK_WINDOW, search


def register(sub: argparse._SubParsersAction) -> None:
    concern = sub.add_parser("concern", help="record or amend a concern").add_subparsers(
        dest="action", required=True)
    p = concern.add_parser("add", help="record a concern; prints its id on the last line")
    add_data(p)
    add_user(p)
    p.add_argument("--child", required=True, action="append", metavar="UPN",
                   help="the child's UPN (repeat for several children)")
    p.add_argument("--role", action="append", metavar="ROLE",
                   help="each child's role, in the same order as --child (default subject)")
    p.add_argument("--category", required=True, action="append", metavar="CAT",
                   help="category code or name (up to three)")
    add_text_option(p, "text", "what you saw or heard", required=True)
    add_text_option(p, "child-words", "the child's own words, verbatim")
    p.add_argument("--mark", action="append", metavar="SIDE:REGION:NOTE",
                   help="a body-map mark, e.g. \"front:left arm:bruise 3 cm\" (repeatable); "
                        "sides front and back, regions as on the app's body map")
    p.add_argument("--action-taken", help="what you did at once")
    p.add_argument("--location", help="where it happened")
    p.add_argument("--witnesses", help="who else was there")
    p.add_argument("--occurred", metavar="ISO-DATETIME",
                   help="when it happened (default: now); local time unless a zone is given")
    p.set_defaults(handler=cmd_concern_add)

    p = concern.add_parser("amend", help="correct a concern: a new version with a reason")
    add_data(p)
    add_user(p)
    p.add_argument("--id", required=True, help="the concern's id (or any of its versions)")
    p.add_argument("--reason", required=True, help="why it is being corrected")
    add_text_option(p, "text", "the corrected account")
    add_text_option(p, "child-words", "the child's own words, corrected")
    p.add_argument("--action-taken", help="what was done at once, corrected")
    p.add_argument("--location", help="where it happened, corrected")
    p.add_argument("--category", action="append", metavar="CAT",
                   help="the categories, replacing the old ones (repeat for several)")
    p.add_argument("--occurred", metavar="ISO-DATETIME", help="when it happened, corrected")
    p.add_argument("--mark", action="append", metavar="SIDE:REGION:NOTE",
                   help="the body map's marks, replacing the old ones (repeatable)")
    p.set_defaults(handler=cmd_concern_amend)

    p = sub.add_parser("chronology", help="a child's chronology in the order things happened")
    add_data(p)
    add_user(p)
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--significant", action="store_true", help="significant entries only")
    add_json(p)
    p.set_defaults(handler=cmd_chronology)

    p = sub.add_parser("search", help="full-text search over what you may see")
    add_data(p)
    add_user(p)
    p.add_argument("query", help="words to find (each word matches as a prefix)")
    add_json(p)
    p.set_defaults(handler=cmd_search)


def cmd_concern_add(args: argparse.Namespace) -> int:
    roles = args.role or []
    text, words = text_from(args, "text"), text_from(args, "child-words")
    marks = marks_from(args.mark)
    with open_as_user(args) as session:
        occurred = concern_time(args.occurred) if args.occurred else session.clock.now()
        children = [(child_by_upn(session, upn).id,
                     roles[i] if i < len(roles) else "subject")
                    for i, upn in enumerate(args.child)]
        view = record_concern(session, ConcernDraft(
            children=children, categories=args.category, text=text or "",
            occurred_at=occurred, location=args.location, child_words=words,
            action_taken=args.action_taken, witnesses=args.witnesses, body_marks=marks))
    print("Concern recorded.")
    print(view.id)
    return 0


def cmd_concern_amend(args: argparse.Namespace) -> int:
    text, words = text_from(args, "text"), text_from(args, "child-words")
    occurred = concern_time(args.occurred) if args.occurred else None
    marks = marks_from(args.mark) if args.mark else None
    with open_as_user(args) as session:
        version = amend_concern(session, args.id, args.reason, text=text, child_words=words,
                                action_taken=args.action_taken, location=args.location,
                                categories=args.category, occurred_at=occurred,
                                body_marks=marks)
    print(f"Amended (version {version.version}).")
    print(version.id)
    return 0


def cmd_chronology(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        items = chronology(session, child.id, significant_only=args.significant)
    data = [{"record_id": i.record_id, "version_id": i.version_id, "kind": i.kind,
             "occurred_at": iso(i.occurred_at), "recorded_at": iso(i.recorded_at),
             "summary": i.summary, "child_words": i.child_words,
             "categories": list(i.categories), "author": i.author, "amended": i.amended,
             "significant": i.significant, "child_role": i.child_role,
             "location": i.location, "action_taken": i.action_taken,
             "witnesses": i.witnesses,
             "body_marks": [{"side": m.side, "x": m.x, "y": m.y, "region": m.region,
                             "place": m.place, "note": m.note} for m in i.body_marks],
             "status": i.status, "note": i.note} for i in items]
    lines = [f"Chronology: {child.display_name} ({child.upn}), "
             f"{len(items)} {'entry' if len(items) == 1 else 'entries'}"]
    for i in items:
        flags = "".join([" [significant]" if i.significant else "",
                         " [amended]" if i.amended else "",
                         f" (recorded {i.recorded_at:%Y-%m-%d})" if i.recorded_late else ""])
        text = i.summary.splitlines() or [""]
        lines.append(f"{i.occurred_at.astimezone():%Y-%m-%d %H:%M}  {i.kind:<8} "
                     f"{text[0][:90]}  — {i.author}{flags}")
        lines += _detail_lines(i, text)
    emit(args, data, "\n".join(lines))
    return 0


def _detail_lines(item: ChronologyItem, text: list[str]) -> list[str]:
    """Everything the entry says beyond its first line, indented under it: nothing a person
    wrote is left out of the text form."""
    rest = [text[0][90:]] if len(text[0]) > 90 else []
    rest += text[1:]
    out = [f"{_INDENT}{line}" for line in rest if line.strip()]
    for label, value in (("Child's words", f"“{item.child_words}”" if item.child_words
                          else None), ("Where", item.location),
                         ("Action taken", item.action_taken), ("Witnesses", item.witnesses)):
        if value:
            out.append(f"{_INDENT}{label}: " + value.replace("\n", "\n" + _INDENT + "  "))
    for n, mark in enumerate(item.body_marks, start=1):
        note = f" — {mark.note}" if mark.note else ""
        out.append(f"{_INDENT}Body map {n}: {mark.place}{note}")
    return out


_INDENT = " " * 18


def cmd_search(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        hits = search(session, args.query)
    data = [{"record_id": h.record_id, "kind": h.kind, "occurred_at": iso(h.occurred_at),
             "snippet": h.snippet, "children": h.children} for h in hits]
    lines = [f"{h.occurred_at.astimezone():%Y-%m-%d}  {h.kind:<7} {', '.join(h.children)}: "
             f"{h.snippet}  ({h.record_id})" for h in hits]
    if hits.newest_only:
        lines.append(f"(Over {RANK_WINDOW:,} entries match: these are the best among the newest "
                     f"{RANK_WINDOW:,}. Add another word to narrow the search.)")
    emit(args, data, "\n".join(lines) or "Nothing found.")
    return 0
