"""``concerndesk-frontdoor`` commands for the LA's side (issue #18): ``inbox watch`` (the watched
folder), ``inbox acknowledge`` and ``inbox decide`` (answers to the school), and ``staff add |
list | disable`` (accounts for the staff page). Registered by ``frontdoor.cli``."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from app.clock import SystemClock
from app.errors import InputError
from app.protocol.answer import OUTCOMES
from frontdoor import keys
from frontdoor.answers import answer_referral
from frontdoor.inbox import Inbox
from frontdoor.staff_auth import MIN_PASSWORD, check_staff_name, hash_password
from frontdoor.storage import Storage
from frontdoor.watch import describe, watch

STAFF_PASSWORD_ENV = "CONCERNDESK_STAFF_PASSWORD"
Opener = Callable[[argparse.Namespace, str | None], Inbox]
StoreOpener = Callable[[argparse.Namespace], tuple[keys.ServiceInfo, Storage]]


def register(inbox_sub: argparse._SubParsersAction, sub: argparse._SubParsersAction,
             database: Callable[[argparse.ArgumentParser], None], open_inbox: Opener,
             open_store: StoreOpener) -> None:
    def inbox_command(name: str, help: str) -> argparse.ArgumentParser:
        p = inbox_sub.add_parser(name, help=help, description=help)
        p.add_argument("--store", required=True, metavar="DIR")
        database(p)
        p.set_defaults(open_inbox=open_inbox)
        return p

    p = inbox_command("watch", "export each new referral once to a folder the LA's case "
                      "system imports (PDF, JSON twin, one-line contact record)")
    p.add_argument("--out", required=True, metavar="DIR", help="the watched folder")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS",
                   help="how often to look for new referrals (default 5)")
    p.add_argument("--once", action="store_true", help="export what is waiting, then stop")
    p.set_defaults(func=cmd_watch)

    for name, help in (("acknowledge", "tell the school its referral was received and is "
                                       "being looked at (signed, sealed to its DSL team)"),
                       ("decide", "tell the school what the LA decided (signed, sealed to its "
                                  "DSL team)")):
        p = inbox_command(name, help)
        p.add_argument("referral", nargs="?", help="the referral's id from 'inbox list'")
        p.add_argument("--id", dest="referral_id", help="the same, as an option")
        p.add_argument("--by", help="who at the LA answers (default: this login's name)")
        p.add_argument("--reference", help="the LA's own case reference for this referral, "
                       "which the school records as the LA's reference")
        if name == "decide":
            p.add_argument("--outcome", required=True, metavar="OUTCOME",
                           help="one of: " + ", ".join(f'"{o}"' for o in OUTCOMES))
        p.add_argument("--note", default="", help="a note to the school's DSL (avoid a "
                       "child's details here: arguments show in the process list)")
        p.add_argument("--note-file", metavar="F", help="the note from a file, or - for "
                       "standard input")
        p.set_defaults(func=cmd_answer, answer="acknowledged" if name == "acknowledge"
                       else "decided")

    staff = sub.add_parser("staff", help="LA staff accounts for the staff page",
                           description="LA staff accounts for the staff page (passwords come "
                                       f"from {STAFF_PASSWORD_ENV} or a hidden prompt)")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    staff.set_defaults(open_store=open_store)
    p = staff_sub.add_parser("add", help="make an account (or, with --reset, a new password)")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--name", required=True, help="the sign-in name")
    p.add_argument("--display-name", help="the name shown to the school (default: --name)")
    p.add_argument("--reset", action="store_true", help="set a new password for an account "
                   "that exists (and enable it again)")
    database(p)
    p.set_defaults(func=cmd_staff_add)
    p = staff_sub.add_parser("list", help="the accounts")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON")
    database(p)
    p.set_defaults(func=cmd_staff_list)
    p = staff_sub.add_parser("disable", help="stop an account signing in")
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--name", required=True)
    database(p)
    p.set_defaults(func=cmd_staff_disable)


def cmd_watch(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        raise InputError("--interval", "must be more than 0 seconds")
    inbox = args.open_inbox(args, None)
    clock = SystemClock()
    count = watch(inbox, Path(args.out).expanduser(), clock, interval=args.interval,
                  once=args.once, on_export=lambda r: print(describe(r, clock), flush=True))
    if args.once:
        print(f"{count} referral(s) exported by this run.")
    return 0


def _note(args: argparse.Namespace) -> str:
    if args.note_file is None:
        return str(args.note)
    if args.note:
        raise InputError("--note-file", "give --note or --note-file, not both")
    if args.note_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.note_file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--note-file", f"cannot read it ({type(exc).__name__})") from None


def cmd_answer(args: argparse.Namespace) -> int:
    referral = (args.referral or args.referral_id or "").strip().lower()
    if not referral or (args.referral and args.referral_id
                        and args.referral.strip().lower() != args.referral_id.strip().lower()):
        raise InputError("referral", "give the referral's id once (from 'inbox list')")
    note = _note(args)
    passphrase = keys.get_passphrase()  # asked once: it unseals both keys
    inbox = args.open_inbox(args, passphrase)
    signing = keys.load_signing_key(Path(args.store).expanduser(), inbox.info, passphrase)
    sent = answer_referral(inbox, signing, SystemClock(), referral, args.answer,
                           outcome=getattr(args, "outcome", None), note=note,
                           reference=args.reference, by=args.by or getpass.getuser())
    what = "acknowledgement" if args.answer == "acknowledged" else \
        f"decision ({sent.answer.outcome})"
    print(f"Sent the {what} to {sent.school} as envelope {sent.envelope_id}; their DSL PC "
          "receives it at its next sync.")
    return 0


def _password() -> str:
    value = os.environ.get(STAFF_PASSWORD_ENV)
    if value is None:
        if not sys.stdin.isatty():
            raise InputError("password", f"set {STAFF_PASSWORD_ENV} or run from a terminal")
        value = getpass.getpass("Password for the staff page: ")
        if getpass.getpass("Again: ") != value:
            raise InputError("password", "the two entries differ")
    if len(value) < MIN_PASSWORD:
        raise InputError("password", f"must be at least {MIN_PASSWORD} characters")
    return value


def cmd_staff_add(args: argparse.Namespace) -> int:
    name = check_staff_name(args.name)
    display = " ".join((args.display_name or name).split())[:100]
    password = _password()
    info, storage = args.open_store(args)
    if info.mode != "la":
        raise InputError("store", "staff accounts are for an LA front door")
    try:
        storage.add_staff(name, display, hash_password(password), SystemClock().now(),
                          replace=args.reset)
    finally:
        storage.close()
    print(f"{'Reset' if args.reset else 'Added'} staff account '{name}' for the staff page.")
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    _, storage = args.open_store(args)
    try:
        accounts = storage.list_staff()
    finally:
        storage.close()
    if args.json:
        print(json.dumps([{"name": a.name, "display_name": a.display_name,
                           "disabled": a.disabled} for a in accounts], indent=2))
        return 0
    for a in accounts:
        print(f"{a.name:<20} {a.display_name}{'  (disabled)' if a.disabled else ''}")
    if not accounts:
        print("No staff accounts yet (concerndesk-frontdoor staff add).")
    return 0


def cmd_staff_disable(args: argparse.Namespace) -> int:
    _, storage = args.open_store(args)
    try:
        changed = storage.disable_staff(check_staff_name(args.name), SystemClock().now())
    finally:
        storage.close()
    if not changed:
        raise InputError("--name", "no enabled staff account of that name")
    print(f"Disabled '{args.name}': it cannot sign in from now on (a page open now is refused "
          "at its next request).")
    return 0

