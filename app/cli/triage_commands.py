"""concern status, concern assign, concern history, entry add: the DSL team's screens, headless.

Each calls the core function its screen calls (inbox: set_status, assign; child page:
add_entry, history), so the roles and rules are the core's, whichever front end is used."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user, subcommands
from app.cli.text_input import add_text_option, text_from
from app.clock import iso
from app.domain.categories import load_categories
from app.domain.chronology import add_entry
from app.domain.concern_views import concern_views
from app.domain.concerns import (
    StatusEvent,
    assign,
    concern_history,
    concern_time,
    set_status,
    status_trail,
)
from app.domain.pupils import child_by_upn
from app.domain.records import ENTRY_KINDS, Version, resolve_for
from app.errors import InputError
from app.store.roles import Perm

TO = ("acknowledged", "actioned", "closed")
ENTRY_CHOICES = tuple(k for k in ENTRY_KINDS if k != "concern")


def register(sub: argparse._SubParsersAction) -> None:
    concern = subcommands(sub, "concern")
    p = concern.add_parser(
        "status", help="triage (DSL): acknowledge, mark actioned, close or reopen a concern",
        description="Closing needs the outcome (--outcome or --outcome-file). The concern's "
                    "status note is then the outcome, followed after a blank line by the "
                    "--note if one is given; for the other statuses the note is the --note.")
    _common(p)
    p.add_argument("--id", required=True, help="the concern's id (or any of its versions)")
    p.add_argument("--to", required=True, choices=TO, help="the new status (a closed concern "
                   "can be reopened as acknowledged)")
    add_text_option(p, "note", "a note kept with the status change")
    add_text_option(p, "outcome", "what the outcome was (needed to close)")
    p.set_defaults(handler=cmd_status)

    p = concern.add_parser("assign", help="assign a concern to a member of the DSL team (DSL)")
    _common(p)
    p.add_argument("--id", required=True, help="the concern's id (or any of its versions)")
    p.add_argument("--to", required=True, metavar="USER", help="the DSL's username")
    p.set_defaults(handler=cmd_assign)

    p = concern.add_parser("history", help="every version of a concern or chronology entry: "
                           "who, when, why and what it said; the current one marked")
    _common(p)
    p.add_argument("--id", required=True, help="the record's id (or any of its versions)")
    p.set_defaults(handler=cmd_history)

    entry = sub.add_parser("entry", help="the DSL team's chronology entries").add_subparsers(
        dest="action", required=True)
    p = entry.add_parser("add", help="add an action, contact, meeting, outcome, referral or "
                         "note to a child's chronology (DSL); prints its id on the last line")
    add_data(p)
    add_user(p)
    p.add_argument("--child", required=True, action="append", metavar="UPN",
                   help="the child's UPN (repeat for several children)")
    p.add_argument("--kind", required=True, choices=ENTRY_CHOICES)
    add_text_option(p, "text", "what happened", required=True)
    p.add_argument("--significant", action="store_true",
                   help="show it in the significant-events view")
    p.add_argument("--occurred", metavar="ISO-DATETIME",
                   help="when it happened (default: now); local time unless a zone is given")
    p.set_defaults(handler=cmd_entry_add)


def _common(p: argparse.ArgumentParser) -> None:
    add_data(p)
    add_user(p)
    add_json(p)


def _status_note(args: argparse.Namespace) -> str | None:
    """The note saved with the status: for 'closed', the outcome then the note."""
    note, outcome = text_from(args, "note"), text_from(args, "outcome")
    if args.to != "closed":
        if outcome is not None:
            raise InputError("outcome", "only closing a concern records an outcome; use "
                             "--note for a note with this status")
        return note
    if outcome is None or not outcome.strip():
        raise InputError("outcome", "say what the outcome was before closing the concern "
                         "(--outcome TEXT or --outcome-file F)")
    parts = [outcome.strip(), (note or "").strip()]
    return "\n\n".join(part for part in parts if part)


def cmd_status(args: argparse.Namespace) -> int:
    note = _status_note(args)
    with open_as_user(args) as session:
        set_status(session, args.id, args.to, note)
        view = concern_views(session, [resolve_for(session, args.id)])[0]
    emit(args, {"id": view.id, "status": view.status, "assigned_to": view.assigned_to,
                "note": note},
         f"Concern {view.id} is now {view.status}"
         f"{' (outcome recorded)' if view.status == 'closed' else ''}.")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        assign(session, args.id, args.to)
        view = concern_views(session, [resolve_for(session, args.id)])[0]
    emit(args, {"id": view.id, "status": view.status, "assigned_to": view.assigned_to},
         f"Concern {view.id} assigned to {view.assigned_to} (status: {view.status}).")
    return 0


def cmd_entry_add(args: argparse.Namespace) -> int:
    text = text_from(args, "text")
    occurred = concern_time(args.occurred) if args.occurred else None
    with open_as_user(args) as session:
        children = [child_by_upn(session, upn).id for upn in args.child]
        version = add_entry(session, children, args.kind, text or "",
                            occurred or session.clock.now(), significant=args.significant)
    print(f"Added a{'n' if args.kind[0] in 'aeiou' else ''} {args.kind} to the chronology"
          f"{' (significant)' if args.significant else ''}.")
    print(version.record_id)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        versions = concern_history(session, args.id)
        record_id = versions[0].record_id
        is_concern = versions[-1].fields.entry_kind == "concern"
        view = concern_views(session, [record_id])[0] if is_concern else None
        trail = status_trail(session, record_id) if is_concern and \
            session.can(Perm.READ_ALL_RECORDS) else []
    labels = {c.code: c.label for c in load_categories()}
    data: dict[str, Any] = {
        "record_id": record_id, "kind": versions[-1].fields.entry_kind,
        "status": view.status if view else None,
        "assigned_to": view.assigned_to if view else None,
        "versions": [_version_data(v, v is versions[-1]) for v in versions],
        "status_events": [{"status": e.status, "by": e.actor, "at": iso(e.at),
                           "note": e.note} for e in trail]}
    emit(args, data, _history_text(versions, data, trail, labels))
    return 0


def _version_data(version: Version, current: bool) -> dict[str, Any]:
    f = version.fields
    return {"version_id": version.id, "version": version.version, "current": current,
            "supersedes": version.supersedes, "author": version.author,
            "written_at": iso(version.written_at), "reason": version.reason,
            "occurred_at": iso(f.occurred_at), "kind": f.entry_kind, "text": f.summary,
            "categories": list(f.categories), "location": f.location,
            "child_words": f.child_words, "action_taken": f.action_taken,
            "witnesses": f.witnesses, "significant": f.significant,
            "body_marks": [{"side": m.side, "region": m.with_region().region, "place": m.place,
                            "x": m.x, "y": m.y, "note": m.note} for m in f.body_marks]}


def _local(when: datetime) -> str:
    return f"{when.astimezone():%Y-%m-%d %H:%M}"


def _history_text(versions: list[Version], data: dict[str, Any], trail: list[StatusEvent],
                  labels: dict[str, str]) -> str:
    count = len(versions)
    head = f"{data['kind'].title()} {data['record_id']}: {count} version{'s' * (count != 1)}"
    if data["status"]:
        head += f"; status {data['status']}"
    if data["assigned_to"]:
        head += f", assigned to {data['assigned_to']}"
    lines = [head + ". Nothing is overwritten: each correction is kept with its reason."]
    numbers = [v.version for v in versions]
    for v in versions:
        f = v.fields
        label = f"Version {v.version}"
        if numbers.count(v.version) > 1:
            label += " (amended apart on another PC at the same time; both are kept)"
        if v is versions[-1]:
            label += " [current: what the chronology shows]"
        lines += ["", f"{label} — {v.author}, {_local(v.written_at)}"]
        if v.reason:
            lines.append(f"  reason:        {v.reason}")
        rows = [("when", _local(f.occurred_at)),
                ("categories", ", ".join(labels.get(c, c) for c in f.categories)),
                ("text", f.summary), ("child's words", f.child_words),
                ("action taken", f.action_taken), ("where", f.location),
                ("witnesses", f.witnesses), ("significant", "yes" if f.significant else None)]
        rows += [("body map", f"{m.place}{' — ' + m.note if m.note else ''}")
                 for m in f.body_marks]
        for name, value in rows:
            if value:
                body = str(value).replace("\n", "\n" + " " * 17)
                lines.append(f"  {name + ':':<14} {body}")
    if trail:
        lines += ["", "Triage:"]
        for e in trail:
            what = f"assigned to {e.note}" if e.status == "assigned" else \
                "recorded (new)" if e.status == "new" else e.status
            lines.append(f"  {_local(e.at)}  {what} — {e.actor}")
            if e.note and e.status != "assigned":
                lines += [("      " + line).rstrip() for line in e.note.splitlines()]
    return "\n".join(lines)
