"""encompass add / amend / list / show / fill: Operation Encompass police notifications, headless.

The same core calls as the child page's "Police notification…" dialog. Long or sensitive text
comes from files (``--field-file NAME=F``, ``--from-email-file F``), never only from the
command line, which other users of the PC can see. What a pasted email filled is printed,
marked, and kept only with ``--accept-filled``: the DSL confirms it, as in the dialog."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user
from app.cli.text_input import add_text_option, file_text, text_from
from app.clock import iso
from app.domain.concerns import concern_time
from app.domain.encompass import (
    CHILD_PRESENT,
    HOW_RECEIVED,
    LABELS,
    Notification,
    NotificationView,
    add_notification,
    amend_notification,
    get_notification,
    notifications,
)
from app.domain.encompass_paste import parse_email, read_date, read_time
from app.domain.pupils import child_by_upn
from app.domain.records import CHILD_ROLES
from app.errors import InputError
from app.uktime import london_to_utc, uk_time

# The names --field takes: the notification's fields, with the incident's date and time apart
# (as a police email gives them; UK time) or together as incident_at.
NAMES = ("received_at", "received_how", "officer", "force", "police_reference",
         "incident_date", "incident_time", "incident_at", "incident_place", "child_present",
         "child_where", "child_words", "circumstances", "welfare_check", "welfare_by",
         "welfare_at", "told")
_TIMES = ("received_at", "incident_at", "welfare_at")
FILLED_MARK = "filled from the pasted email, check"


def register(sub: argparse._SubParsersAction) -> None:
    encompass = sub.add_parser(
        "encompass", help="Operation Encompass: police notifications of domestic abuse "
        "incidents (DSL)").add_subparsers(dest="action", required=True)
    p = encompass.add_parser(
        "add", help="record a police notification once for one or more children; prints its "
        "id on the last line",
        description="Fields: " + ", ".join(NAMES) + ". received_how is one of "
        + ", ".join(HOW_RECEIVED) + "; child_present one of " + ", ".join(CHILD_PRESENT)
        + ". Times are YYYY-MM-DD HH:MM (local time unless a zone is given); incident_date "
        "and incident_time are UK time. 'told' (who in school was told, and why) is required.")
    add_data(p)
    add_user(p)
    p.add_argument("--child", required=True, action="append", metavar="UPN[:ROLE]",
                   help="a child it concerns (repeat for siblings); the first is the subject, "
                        "the others siblings unless a role is given (" +
                        ", ".join(CHILD_ROLES) + ")")
    _field_options(p)
    p.add_argument("--not-significant", action="store_true",
                   help="leave it out of the significant-events view (it is in by default)")
    p.set_defaults(handler=cmd_add)

    p = encompass.add_parser("amend", help="correct a police notification: a new version with "
                             "the fields given changed and a reason; the original is kept")
    add_data(p)
    add_user(p)
    p.add_argument("--id", required=True, help="the notification's id")
    add_text_option(p, "reason", "why it is being corrected", required=True)
    _field_options(p)
    p.set_defaults(handler=cmd_amend)

    p = encompass.add_parser("list", help="police notifications, by when the incident happened")
    add_data(p)
    add_user(p)
    p.add_argument("--child", metavar="UPN", help="only this child's")
    add_json(p)
    p.set_defaults(handler=cmd_list)

    p = encompass.add_parser("show", help="one police notification, every field")
    add_data(p)
    add_user(p)
    p.add_argument("--id", required=True, help="the notification's id")
    add_json(p)
    p.set_defaults(handler=cmd_show)

    p = encompass.add_parser("fill", help="what a police email fills, without saving anything "
                             "(only clearly labelled lines are read)")
    p.add_argument("--from-email-file", required=True, metavar="F|-",
                   help="the email's text, from a UTF-8 file or '-' for standard input")
    add_json(p)
    p.set_defaults(handler=cmd_fill)


def _field_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                   help="a field's value; visible to other users of this PC while the command "
                        "runs: give the child's words, circumstances and the like with "
                        "--field-file")
    p.add_argument("--field-file", action="append", default=[], metavar="NAME=F",
                   help="a field's value from a UTF-8 file ('-' for standard input)")
    p.add_argument("--from-email-file", metavar="F|-",
                   help="fill fields from the police email's text (clearly labelled lines "
                        "only); --field and --field-file win over it")
    p.add_argument("--accept-filled", action="store_true",
                   help="keep what the email filled (without it the command lists what it "
                        "would fill and saves nothing)")


def _pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or name not in NAMES:
            raise InputError(option, f"write NAME=VALUE with NAME one of {', '.join(NAMES)} "
                             f"(got '{name or item}')")
        out.append((name, value))
    return out


def field_values(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """(the fields given, the fields the email filled that were not given). Read before the
    store is opened, so bad input writes nothing."""
    given = dict(_pairs(args.field, "--field"))
    for name, path in _pairs(args.field_file, "--field-file"):
        given[name] = file_text(path, f"--field-file {name}")
    filled: dict[str, str] = {}
    if args.from_email_file:
        pasted = parse_email(file_text(args.from_email_file, "--from-email-file"))
        filled = {k: v for k, v in pasted.values.items() if k not in given}
        if "incident_at" in given:
            filled.pop("incident_date", None)
            filled.pop("incident_time", None)
        if filled and not args.accept_filled:
            raise InputError("--from-email-file", "the email fills these fields; check them, "
                             "then run again with --accept-filled (or give a field with "
                             "--field to change it):\n" + _filled_text(filled))
    return given, filled


def _filled_text(filled: dict[str, str]) -> str:
    return "\n".join(f"  {_label(k)}: {v}  [{FILLED_MARK}]" for k, v in filled.items())


def _label(name: str) -> str:
    return {"incident_date": "Date of the incident", "incident_time": "Time of the incident"
            }.get(name, LABELS.get(name, name))


def _moment(name: str, text: str) -> datetime:
    try:
        return concern_time(text.strip())
    except InputError:
        raise InputError(name, "write the time as YYYY-MM-DD HH:MM (e.g. 2026-03-04 "
                         "10:30)") from None


def build(values: dict[str, str], now: datetime, base: Notification | None = None
          ) -> Notification:
    """A notification from text values over ``base`` (for an amendment) or defaults."""
    fields: dict[str, Any] = dict(base.__dict__) if base else {
        "received_at": now, "received_how": "", "incident_at": None, "told": ""}
    for name, value in values.items():
        if name in _TIMES:
            fields[name] = _moment(name, value) if value.strip() else None
        elif name in ("incident_date", "incident_time"):
            continue
        elif name in ("received_how", "child_present"):
            fields[name] = value.strip().lower().replace(" ", "-")
        else:
            fields[name] = value
    if "incident_date" in values or "incident_time" in values:
        fields["incident_at"] = _incident(values, fields.get("incident_at"))
    if fields.get("incident_at") is None:
        raise InputError("incident_date", "give the date and time of the incident "
                         "(incident_date=YYYY-MM-DD and incident_time=HH:MM, UK time)")
    if not fields.get("received_how"):
        raise InputError("received_how", "say how the notification came: " +
                         ", ".join(HOW_RECEIVED))
    if fields.get("received_at") is None:
        fields["received_at"] = now
    return Notification(**fields)


def _incident(values: dict[str, str], before: datetime | None) -> datetime:
    old = uk_time(before)[0] if before else None
    day: date | None = read_date(values["incident_date"]) if "incident_date" in values else \
        (old.date() if old else None)
    at: time | None = read_time(values["incident_time"]) if "incident_time" in values else \
        (old.time() if old else None)
    if day is None:
        raise InputError("incident_date", "write the date as YYYY-MM-DD (or 03/03/2026)")
    if at is None:
        raise InputError("incident_time", "write the time as HH:MM, 24-hour (UK time)")
    return london_to_utc(day, at.hour * 60 + at.minute)


def _children(session: Any, specs: list[str]) -> list[tuple[str, str]]:
    out = []
    for index, spec in enumerate(specs):
        upn, _, role = spec.partition(":")
        role = role.strip().lower() or ("subject" if index == 0 else "sibling")
        out.append((child_by_upn(session, upn.strip()).id, role))
    return out


def cmd_add(args: argparse.Namespace) -> int:
    given, filled = field_values(args)
    with open_as_user(args) as session:
        notification = build({**filled, **given}, session.clock.now())
        version = add_notification(session, _children(session, args.child), notification,
                                   significant=not args.not_significant)
    if filled:
        print("Kept from the pasted email (you accepted them with --accept-filled):")
        print(_filled_text(filled))
    print(f"Recorded the police notification for {len(args.child)} "
          f"child{'ren' if len(args.child) != 1 else ''}.")
    print(version.record_id)
    return 0


def cmd_amend(args: argparse.Namespace) -> int:
    reason = text_from(args, "reason") or ""
    given, filled = field_values(args)
    if not given and not filled:
        raise InputError("--field", "give at least one field to change")
    with open_as_user(args) as session:
        current = get_notification(session, args.id)
        notification = build({**filled, **given}, session.clock.now(), current.notification)
        version = amend_notification(session, current.record_id, reason, notification)
    print(f"Amended: version {version.version}; the earlier version is kept.")
    print(version.record_id)
    return 0


def _data(view: NotificationView) -> dict[str, Any]:
    n = view.notification
    return {"id": view.record_id, "version": view.version.version,
            "author": view.version.author, "written_at": iso(view.version.written_at),
            "significant": view.version.fields.significant,
            "children": [{"upn": c.upn, "name": c.display_name, "role": role}
                         for c, role in view.children],
            **{name: (iso(v) if isinstance(v, datetime) else v)
               for name, v in n.__dict__.items()}}


def _text(view: NotificationView) -> str:
    n = view.notification
    names = ", ".join(f"{c.display_name} ({c.upn}, {role})" for c, role in view.children)
    lines = [f"Police notification {view.record_id} (version {view.version.version}) — "
             f"{names}"]
    rows: list[tuple[str, str]] = []
    for name in LABELS:
        value = getattr(n, name)
        if isinstance(value, datetime):
            local, zone = uk_time(value)
            value = f"{local:%Y-%m-%d %H:%M} {zone}"
        elif name == "received_how":
            value = HOW_RECEIVED.get(value, value)
        elif name == "child_present":
            value = CHILD_PRESENT.get(value, value)
        if value:
            rows.append((LABELS[name], str(value)))
    width = max(len(label) for label, _ in rows) + 1
    lines += [f"  {label + ':':<{width}} " + value.replace("\n", "\n" + " " * (width + 3))
              for label, value in rows]
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child).id if args.child else None
        views = notifications(session, child)
    text = "\n\n".join(_text(v) for v in views) or "No police notifications."
    emit(args, [_data(v) for v in views], text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        view = get_notification(session, args.id)
    emit(args, _data(view), _text(view))
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    pasted = parse_email(file_text(args.from_email_file, "--from-email-file"))
    text = ("The email fills:\n" + _filled_text(pasted.values)) if pasted.values else \
        "The email has no clearly labelled lines this reads: nothing is filled."
    emit(args, {"values": pasted.values, "labels": pasted.labels}, text)
    return 0

