"""export and import-export: the school's data in the open format of docs/export.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.common import (
    PASSPHRASE_ENV,
    add_data,
    add_json,
    add_user,
    data_dir,
    emit,
    new_secret,
    open_as_user,
    secret_from,
)
from app.errors import InputError
from app.export.container import check_out, is_encrypted
from app.export.dump import SCHOOL_ONLY, SCHOOL_ONLY_WORDS, export_store
from app.export.load import import_export
from app.store.passphrase import check_passphrase_strength
from app.store.roles import Perm

EXPORT_PASSPHRASE_ENV = "CONCERNDESK_EXPORT_PASSPHRASE"
CONFIRM_WORD = "PLAIN"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="an admin or DSL: everything the store holds, in the "
                       "documented open format (docs/export.md), encrypted with a passphrase")
    add_data(p)
    add_user(p)
    add_json(p)
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--unencrypted", action="store_true",
                   help="write the files in the clear (confirm with "
                        "--i-understand-this-is-plain, or at the prompt)")
    p.add_argument("--i-understand-this-is-plain", dest="plain_confirmed",
                   action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-export", help="build a new store from an export (a school "
                       "moving in, or checking an export reads back whole)")
    add_data(p)
    add_json(p)
    p.add_argument("--from", dest="source", required=True, metavar="DIR",
                   help="the export's folder")
    p.add_argument("--admin", required=True, metavar="NAME",
                   help="a new account (admin and DSL) to run the imported store; its "
                        f"passphrase comes from {PASSPHRASE_ENV} or a prompt")
    p.add_argument("--admin-name", metavar="DISPLAY", help="that account's full name")
    p.set_defaults(handler=cmd_import_export)


def _confirm_plain(args: argparse.Namespace) -> None:
    if args.plain_confirmed:
        return
    if not sys.stdin.isatty():
        raise InputError("unencrypted", "an unencrypted export holds every child's record in "
                         "the clear: confirm with --i-understand-this-is-plain")
    answer = input("An unencrypted export holds every child's record in the clear, readable "
                   f"by anyone who gets the files. Type {CONFIRM_WORD} to go on: ")
    if answer.strip() != CONFIRM_WORD:
        raise InputError("unencrypted", "not confirmed; nothing was written")


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser()
    check_out(out)
    with open_as_user(args) as session:
        session.require(Perm.EXPORT)  # refused before anyone is asked for a passphrase
        if args.unencrypted:
            _confirm_plain(args)
            secret = None
        else:
            secret = new_secret(EXPORT_PASSPHRASE_ENV, "export passphrase")
            check_passphrase_strength(secret, "export passphrase")
        done = export_store(session, out, passphrase=secret)
    total = sum(done.counts.values())
    how = ("encrypted: it opens with its passphrase (docs/export.md says how, without "
           "ConcernDesk)" if done.encrypted else "UNENCRYPTED: keep it as safe as the "
           "records themselves, and delete it when it is no longer needed")
    text = [f"Exported {total} rows ({', '.join(f'{n} {k}' for k, n in done.counts.items())})"
            f" to {out}; {how}."]
    if done.scope == SCHOOL_ONLY:
        text.append(SCHOOL_ONLY_WORDS)
    emit(args, {"out": str(out), "scope": done.scope, "encrypted": done.encrypted,
                "counts": done.counts}, "\n".join(text))
    return 0


def cmd_import_export(args: argparse.Namespace) -> int:
    source = Path(args.source).expanduser()
    if not source.is_dir():
        raise InputError("from", f"{source} is not a folder holding an export")
    export_secret = (secret_from(EXPORT_PASSPHRASE_ENV, "Export passphrase: ",
                                 "export passphrase") if is_encrypted(source) else None)
    secret = new_secret(PASSPHRASE_ENV, "passphrase")
    done = import_export(source, data_dir(args), admin_username=args.admin,
                         admin_display_name=args.admin_name or args.admin, passphrase=secret,
                         export_passphrase=export_secret)
    text = [f"Imported {done.school} into {data_dir(args)}: "
            + ", ".join(f"{n} {k}" for k, n in done.counts.items()) + ".",
            f"Only '{args.admin}' can sign in: the exported accounts are kept as the authors "
            "of what they wrote, disabled (no keys were exported); add the staff afresh.",
            "RECOVERY KEY (shown only this once; keep it locked away):",
            f"  {done.recovery_key}"]
    if done.scope == SCHOOL_ONLY:
        text.insert(1, "The export held only the school store: no safeguarding records.")
    emit(args, {"school": done.school, "scope": done.scope, "counts": done.counts,
                "recovery_key": done.recovery_key}, "\n".join(text))
    return 0
