"""profile import, profile show, profile set, profile history (the child's profile, DSL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user, read_file
from app.domain.pupils import child_by_upn
from app.errors import InputError
from app.profile.imports import import_profile_file
from app.profile.model import FACT_NAMES, to_json
from app.profile.profiles import Profile, profile, profile_history, set_fact
from app.wording import date_time_text


def register(sub: argparse._SubParsersAction) -> None:
    commands = sub.add_parser("profile", help="a child's profile: contacts, household, GP … "
                              "(DSL)").add_subparsers(dest="action", required=True)
    p = commands.add_parser("import", help="import the MIS's contact export (CSV: SIMS, Arbor "
                            "or Bromcom) or a Common Transfer File (XML); nothing is imported "
                            "if anything in it is wrong")
    add_data(p)
    add_user(p)
    p.add_argument("--file", required=True, metavar="FILE")
    p.set_defaults(handler=cmd_import)

    p = commands.add_parser("show", help="a child's profile, each item with where it came "
                            "from (the view is audited)")
    add_data(p)
    add_user(p)
    add_json(p)
    p.add_argument("--child", required=True, metavar="UPN")
    p.set_defaults(handler=cmd_show)

    p = commands.add_parser("set", help="set one or more facts; an empty value clears one. "
                            "Fields: " + ", ".join(FACT_NAMES))
    add_data(p)
    add_user(p)
    p.add_argument("--child", required=True, metavar="UPN")
    p.add_argument("--field", required=True, action="append", metavar="NAME=VALUE")
    p.set_defaults(handler=cmd_set)

    p = commands.add_parser("history", help="every change to a child's profile, oldest first")
    add_data(p)
    add_user(p)
    add_json(p)
    p.add_argument("--child", required=True, metavar="UPN")
    p.set_defaults(handler=cmd_history)


def cmd_import(args: argparse.Namespace) -> int:
    data = read_file(Path(args.file), "file")
    with open_as_user(args) as session:
        result = import_profile_file(session, data)
    print(result.summary.strip())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        known = profile(session, child_by_upn(session, args.child).id)
    emit(args, profile_json(known), profile_text(known))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    pairs = []
    for text in args.field:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise InputError("field", "write each field as NAME=VALUE")
        pairs.append((name, value))
    with open_as_user(args) as session:
        child = child_by_upn(session, args.child)
        for name, value in pairs:
            set_fact(session, child.id, name, value)
    print(f"Saved {len(pairs)} field{'s' * (len(pairs) != 1)} of the child's profile.")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        changes = profile_history(session, child_by_upn(session, args.child).id)
    lines = [f"{date_time_text(c.at)}  {c.kind} {c.key}: "
             + ("removed" if c.value is None else _short(c.value))
             + f"  [{c.source}{', ' + c.note if c.note else ''}; {c.author}]" for c in changes]
    emit(args, [{"at": c.at.isoformat(), "kind": c.kind, "key": c.key, "value": c.value,
                 "source": c.source, "note": c.note, "author": c.author} for c in changes],
         "\n".join(lines) or "Nothing is recorded in this child's profile yet.")
    return 0


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("name") or ", ".join(value.get("lines") or [])
    return str(value)


def profile_json(known: Profile) -> dict[str, Any]:
    def src(kind: str, key: str) -> str | None:
        found = known.source_of(kind, key)
        return found.text if found else None

    return {
        "facts": {k: to_json(getattr(known.facts, k)) for k in FACT_NAMES},
        "home": to_json(known.home),
        "addresses": [to_json(a) for _, a in known.other_addresses],
        "contacts": [{**to_json(c), "source": src("contact", k)} for k, c in known.contacts],
        "household": [to_json(m) for _, m in known.household],
        "professionals": [to_json(p) for _, p in known.professionals],
        "previous_names": [n for _, n in known.previous_names],
    }


def profile_text(known: Profile) -> str:
    if known.is_empty:
        return ("Nothing is recorded in this child's profile yet: import the MIS's contact "
                "export or a Common Transfer File (profile import), or set fields "
                "(profile set).")
    lines = []
    for name in FACT_NAMES:
        value = getattr(known.facts, name)
        if value not in (None, ()):
            shown = ", ".join(value) if isinstance(value, tuple) else (
                ("yes" if value else "no") if isinstance(value, bool) else value)
            lines.append(f"{name.replace('_', ' ')}: {shown}")
    if known.home:
        lines.append(f"home address: {known.home.text}")
    for _, contact in known.contacts:
        flags = [w for w, on in (("parental responsibility", contact.parental_responsibility),
                                 ("lives with the child", contact.lives_with_child)) if on]
        if contact.do_not_contact:
            flags.append(f"DO NOT CONTACT: {contact.do_not_contact_reason}")
        phones = ", ".join(p.number for p in contact.phones)
        lines.append(f"contact {contact.priority or '-'}: {contact.name} "
                     f"({contact.relationship or 'relationship not recorded'})"
                     + (f"; {'; '.join(flags)}" if flags else "")
                     + (f"; {phones}" if phones else ""))
    lines += [f"household: {m.name} ({m.relationship or '-'})" for _, m in known.household]
    lines += [f"professional: {p.name}, {p.role}" + (f", {p.organisation}" if p.organisation
                                                     else "") for _, p in known.professionals]
    lines += [f"previous name: {n}" for _, n in known.previous_names]
    return "\n".join(lines)
