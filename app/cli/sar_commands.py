"""sar draft|list|show|redact|keep|withhold|include|render: answering a subject access request
for a child's records (DSL; docs/sar.md). Drafts live in the DSL store, named by their id: no
child's data in the arguments beyond the UPN."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user
from app.domain.pupils import child_by_upn
from app.errors import InputError
from app.sar.drafts import (
    draft_sar,
    drafts_for,
    include,
    keep_in_text,
    load_draft,
    redact_span,
    withhold,
)
from app.sar.model import GROUNDS, OTHER, THIRD_PARTY, SarDraft
from app.sar.respond import produce_response


def register(sub: argparse._SubParsersAction) -> None:
    commands = sub.add_parser("sar", help="answer a subject access request for a child's "
                              "records (DSL)").add_subparsers(dest="action", required=True)

    def command(name: str, text: str, *, draft: bool = True, entry: bool = False,
                json: bool = False) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=text)
        add_data(p)
        add_user(p)
        if json:
            add_json(p)
        if draft:
            p.add_argument("--draft", required=True, metavar="ID", help="the draft's id, as "
                           "sar draft printed it")
        if entry:
            p.add_argument("--entry", required=True, type=int, metavar="N",
                           help="the entry's number, as sar show lists it")
        return p

    p = command("draft", "draft a response: the child's records from --from to --to, with "
                "every other child's and every other adult's name and contact details "
                "redacted; prints the draft's id on its last line", draft=False, json=True)
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--requester", required=True, metavar="child|N|NAME",
                   help="who asked: 'child', or a contact's number as 'profile show' prints "
                        "it ('contact 2'), or their name")
    p.add_argument("--from", dest="since", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="until", required=True, metavar="YYYY-MM-DD")
    p.set_defaults(handler=cmd_draft)

    p = command("list", "the child's drafts on this PC, newest first", draft=False, json=True)
    p.add_argument("--child", required=True, metavar="UPN")
    p.set_defaults(handler=cmd_list)

    p = command("show", "a draft for review: each entry's fields as recorded, as the response "
                "will show them, and each redaction with its reason (the view is audited)",
                json=True)
    p.set_defaults(handler=cmd_show)

    p = command("redact", "redact more: characters START to END of one field of an entry",
                entry=True)
    p.add_argument("--field", type=int, default=1, metavar="K",
                   help="the field's number within the entry, as sar show lists it (default 1)")
    p.add_argument("--span", required=True, metavar="START:END",
                   help="character offsets within the field, as sar show counts them")
    p.add_argument("--reason", required=True, help="why (kept in the log, not shown)")
    p.add_argument("--ground", choices=("third-party", "other"), default="third-party",
                   help="what the response says in its place: '[redacted: third party]' "
                        "(default) or '[redacted]' (e.g. a risk of serious harm)")
    p.set_defaults(handler=cmd_redact)

    p = command("keep", "keep an automatic match in the text (the DSL decided the requester "
                "may see it), with a reason", entry=True)
    p.add_argument("--redaction", required=True, type=int, metavar="K",
                   help="the redaction's number within the entry, as sar show lists it")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_keep)

    p = command("withhold", "leave a whole entry out of the response, with a reason",
                entry=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_withhold)

    p = command("include", "put a withheld entry back", entry=True)
    p.set_defaults(handler=cmd_include)

    p = command("render", "make the response PDF (redacted words removed, withheld entries "
                "left out) and record its log of what was withheld and why in the child's "
                "chronology")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=cmd_render)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(field, "give a date as YYYY-MM-DD") from None


def cmd_draft(args: argparse.Namespace) -> int:
    since, until = _day(args.since, "from"), _day(args.until, "to")
    with open_as_user(args) as session:
        draft = draft_sar(session, child_by_upn(session, args.child).id, args.requester,
                          since, until)
    redactions = sum(len(e.redactions) for e in draft.entries)
    caution = (f"CAUTION: {draft.requester.name} is {draft.requester.caution}. Check that "
               "they may have this child's data before you send anything.\n"
               if draft.requester.caution else "")
    emit(args, draft_json(draft),
         f"{caution}Drafted a response for {draft.requester.text}: {len(draft.entries)} entries, "
         f"{redactions} names or details redacted. Review it with sar show.\n{draft.id}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        drafts = drafts_for(session, child_by_upn(session, args.child).id)
    emit(args, [{"id": d.id, "requester": d.requester.text, "from": d.since.isoformat(),
                 "to": d.until.isoformat(), "created_at": d.created_at,
                 "produced_at": d.produced_at} for d in drafts],
         "\n".join(f"{d.id}  {d.since} to {d.until}  for {d.requester.text}  "
                   + ("produced " + d.produced_at if d.produced_at else "draft")
                   for d in drafts) or "No subject access drafts for this child on this PC.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        draft = load_draft(session, args.draft)
    emit(args, draft_json(draft), draft_text(draft))
    return 0


def _span(text: str) -> tuple[int, int]:
    start, sep, end = text.partition(":")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise InputError("span", "write it as START:END, character offsets (e.g. 10:24)")
    return int(start), int(end)


def cmd_redact(args: argparse.Namespace) -> int:
    start, end = _span(args.span)
    ground = THIRD_PARTY if args.ground == "third-party" else OTHER
    assert ground in GROUNDS
    with open_as_user(args) as session:
        draft = redact_span(session, args.draft, args.entry, start, end, args.reason,
                            segment=args.field - 1, ground=ground)
    print(f"Redacted: entry {args.entry} now reads\n"
          + _indent(draft.entry(args.entry).redacted(args.field - 1)))
    return 0


def cmd_keep(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        keep_in_text(session, args.draft, args.entry, args.redaction, args.reason)
    print(f"Kept in the text: redaction {args.redaction} of entry {args.entry}.")
    return 0


def cmd_withhold(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        withhold(session, args.draft, args.entry, args.reason)
    print(f"Entry {args.entry} will be left out of the response.")
    return 0


def cmd_include(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        include(session, args.draft, args.entry)
    print(f"Entry {args.entry} is back in the response.")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        produced = produce_response(session, args.draft, Path(args.out).expanduser())
    print(f"Wrote the response to {args.out}; its log of what was withheld and why is in the "
          "child's chronology.")
    print(produced.entry_id)
    return 0


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def draft_json(draft: SarDraft) -> dict[str, Any]:
    data = draft.to_json()
    for entry, out in zip(draft.entries, data["entries"], strict=True):
        out["shown"] = [entry.redacted(i) for i in range(len(entry.segments))]
    return data


def draft_text(draft: SarDraft) -> str:
    lines = [f"Draft {draft.id} for {draft.requester.text}: {draft.child_name} (UPN "
             f"{draft.child_upn}), {draft.since} to {draft.until}"
             + (f"; response produced {draft.produced_at}" if draft.produced_at else "")]
    for e in draft.entries:
        lines.append(f"\nEntry {e.number}  {e.occurred_at[:16].replace('T', ' ')} UTC  "
                     f"{e.kind}  by {e.author}"
                     + (f"  WITHHELD: {e.withheld}" if e.withheld else ""))
        for i, segment in enumerate(e.segments):
            lines.append(f"  field {i + 1}: {segment.label} ({len(segment.text)} characters)")
            lines.append("    as recorded:")
            lines.append(_indent(segment.text))
            lines.append("    as the response shows it:")
            lines.append(_indent(e.redacted(i)))
        for k, r in enumerate(e.redactions, start=1):
            words = e.segments[r.segment].text[r.start:r.end]
            why = r.reason + (f" ({'; '.join(r.who)})" if r.who else "")
            state = f"kept in the text: {r.lifted}" if r.lifted else f"[{r.ground}]"
            lines.append(f"  redaction {k}: field {r.segment + 1} {r.start}:{r.end} “{words}” "
                         f"{r.by}: {why} {state}")
    return "\n".join(lines)
