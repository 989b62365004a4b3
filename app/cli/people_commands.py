"""user add, user role, user disable, pupils import, pupils list."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import (
    add_data,
    add_json,
    add_user,
    emit,
    new_secret,
    open_as_user,
    read_file,
)
from app.domain.leavers import leavers
from app.domain.pupils import Child, import_roster, list_pupils
from app.store.requests import awaiting_words
from app.store.users import add_user as add_account
from app.store.users import change_role, disable_user


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="action",
                                                                         required=True)
    p = user.add_parser("add", help="add a staff account (admin only); its first passphrase "
                        "comes from CONCERNDESK_NEW_PASSPHRASE or a prompt")
    add_data(p)
    add_user(p)
    p.add_argument("--name", required=True, help="the new account's username")
    p.add_argument("--display-name", help="the person's full name (default: the username)")
    p.add_argument("--role", required=True, action="append",
                   help="staff, dsl, office or admin (repeat or comma-separate for several)")
    p.set_defaults(handler=cmd_user_add)

    p = user.add_parser("role", help="give an account other roles (admin only); the last "
                        "admin keeps the admin role")
    add_data(p)
    add_user(p)
    p.add_argument("--name", required=True, help="the account's username")
    p.add_argument("--role", required=True, action="append",
                   help="staff, dsl, office or admin (repeat or comma-separate for several): "
                        "the account's roles from now on")
    p.set_defaults(handler=cmd_user_role)

    p = user.add_parser("disable", help="stop an account signing in on every PC (admin only); "
                        "it stays on the record, listed as disabled")
    add_data(p)
    add_user(p)
    p.add_argument("--name", required=True, help="the account's username")
    p.set_defaults(handler=cmd_user_disable)

    pupils = sub.add_parser("pupils", help="the pupil roster").add_subparsers(
        dest="action", required=True)
    p = pupils.add_parser("import", help="import a roster CSV (canonical, SIMS or Arbor "
                          "headings); nothing is imported if any row is bad")
    add_data(p)
    add_user(p)
    p.add_argument("--csv", required=True, metavar="FILE")
    p.set_defaults(handler=cmd_pupils_import)

    p = pupils.add_parser("list", help="list the roster")
    add_data(p)
    add_user(p)
    add_json(p)
    p.set_defaults(handler=cmd_pupils_list)


def cmd_user_add(args: argparse.Namespace) -> int:
    roles = [r for item in args.role for r in item.split(",")]
    with open_as_user(args) as session:
        secret = new_secret("CONCERNDESK_NEW_PASSPHRASE", "passphrase")
        user = add_account(session, args.name, args.display_name or args.name, roles, secret)
        more = awaiting_words(session, user.username)
    print(f"Added {user.username} ({', '.join(user.roles)}).{more}")
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    roles = [r for item in args.role for r in item.split(",")]
    with open_as_user(args) as session:
        user = change_role(session, args.name, roles)
        more = awaiting_words(session, user.username)
    print(f"{user.username} now has the role{'s' * (len(user.roles) > 1)} "
          f"{', '.join(user.roles)}.{more}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        rekeyed = disable_user(session, args.name)
    print(f"Disabled {args.name}: it can no longer sign in; its records keep its name."
          f"{rekeyed}")
    return 0


def cmd_pupils_import(args: argparse.Namespace) -> int:
    data = read_file(Path(args.csv), "csv")
    with open_as_user(args) as session:
        result = import_roster(session, data)
    print(f"Roster imported: {result.added} added, {result.updated} updated, "
          f"{result.unchanged} unchanged.")
    print(result.encoding_note())
    if result.left:
        print(result.leavers_note())
    return 0


def cmd_pupils_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        pupils = list_pupils(session)
        left = {leaving.child_id: leaving for leaving in leavers(session)}

    def line(c: Child) -> str:
        return (f"{c.upn}  {c.legal_surname}, {c.legal_forename}"
                + (f" ({c.preferred_forename})" if c.preferred_forename else "")
                + f"  {c.date_of_birth.isoformat()}  {c.year_group}")

    # Leavers apart from the children on roll: their files are read-only until review.
    lines = [line(c) for c in pupils if c.id not in left]
    gone = [f"{line(c)}  {left[c.id].words}" for c in pupils if c.id in left]
    if gone:
        lines += ["", "Leavers (files read-only until review):", *gone]
    data = [{**c.to_json(), "on_roll": c.id not in left,
             "left_on": left[c.id].left_on.isoformat() if c.id in left else None,
             "destination": left[c.id].destination if c.id in left else None}
            for c in pupils]
    emit(args, data, "\n".join(lines) or "The roster is empty.")
    return 0
