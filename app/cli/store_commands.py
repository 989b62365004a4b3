"""init, demo, verify, backup, restore, recover, split-store, identity."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from app.cli.common import (
    PASSPHRASE_ENV,
    RECOVERY_ENV,
    add_data,
    add_json,
    add_user,
    data_dir,
    emit,
    new_secret,
    open_as_user,
    passphrase,
    secret_from,
)
from app.delivery.identity import store_identity
from app.errors import ConcernDeskError
from app.store.access import create_store, load_user, recover, unlock_any
from app.store.backup import backup, read_manifest, restore
from app.store.keyfile import KeyFile
from app.store.session import Session
from app.store.verify import verify_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new, empty store and print its recovery key once")
    add_data(p)
    p.add_argument("--school", required=True, help="the school's name")
    p.add_argument("--admin", required=True, metavar="NAME", help="the first admin's username")
    p.add_argument("--admin-name", metavar="DISPLAY", help="the admin's full name")
    p.add_argument("--single-key", action="store_true",
                   help="no longer needed, and ignored: every store is keyed, a school that "
                   "syncs through a hub's too (docs/keys.md)")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="create the demo school (synthetic data, marked DEMO)")
    add_data(p)
    p.add_argument("--pupils", type=int, default=300, help="how many pupils (default 300)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("verify", help="check the store's integrity and its audit chain")
    add_data(p)
    add_user(p, required=False)
    add_json(p)
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("backup", help="write an encrypted backup of the store")
    add_data(p)
    add_user(p)
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="restore a store from an encrypted backup")
    add_data(p)
    p.add_argument("--from", dest="source", required=True, metavar="FILE")
    p.add_argument("--replace", action="store_true",
                   help="keep an existing store aside (renamed) and restore in its place")
    p.add_argument("--recovery", action="store_true",
                   help=f"open the backup with the recovery key ({RECOVERY_ENV} or a prompt), "
                        "as on a replacement PC")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("recover", help="re-open the store with the recovery key (e.g. on a "
                       "replacement PC) and optionally set a user's new passphrase")
    add_data(p)
    p.add_argument("--reset-user", metavar="NAME",
                   help="set a new passphrase for this account (from "
                        "CONCERNDESK_NEW_PASSPHRASE or a prompt)")
    p.set_defaults(handler=cmd_recover)

    p = sub.add_parser("split-store", help="a DSL, with the recovery key: move the DSL team's "
                       "records into a DSL store only DSL accounts can open (docs/keys.md)")
    add_data(p)
    add_user(p)
    p.set_defaults(handler=cmd_split_store)

    p = sub.add_parser("identity", help="print the fingerprint a hub or front door enrols")
    add_data(p)
    add_json(p)
    p.set_defaults(handler=cmd_identity)


def cmd_init(args: argparse.Namespace) -> int:
    directory = data_dir(args)
    secret = new_secret(PASSPHRASE_ENV, "passphrase")
    made = create_store(directory, school_name=args.school, admin_username=args.admin,
                        admin_display_name=args.admin_name or args.admin, passphrase=secret)
    made.session.close()
    if args.single_key:  # accepted so older scripts still run; a hub carries the DSL key now
        print("Note: --single-key is no longer needed and was ignored: the store is keyed, "
              "and a school hub works with it (docs/keys.md).")
    print(f"Created the store for {args.school} in {directory}.")
    print("RECOVERY KEY (shown only this once; print it or write it down and keep it locked "
          "away — it re-opens the store if every passphrase or this PC is lost):")
    print(f"  {made.recovery_key}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo.school import build_demo

    directory = data_dir(args)
    secret = os.environ.get(PASSPHRASE_ENV) or "demo"
    summary = build_demo(directory, pupils=args.pupils, seed=args.seed, passphrase=secret)
    print(f"Demo school '{summary.school}' created in {directory} (DEMO: synthetic data).")
    print(f"{summary.pupils} pupils, {summary.concerns} concerns, {summary.entries} chronology "
          f"entries. Users: {', '.join(summary.users)}; passphrase "
          f"{'from ' + PASSPHRASE_ENV if PASSPHRASE_ENV in os.environ else 'demo'}.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    session = open_as_user(args) if args.user else unlock_any(data_dir(args), passphrase())
    with session:
        report = verify_store(session)
    emit(args, {"ok": report.ok, "events_checked": report.events_checked,
                "problems": report.problems, "warnings": report.warnings},
         "ok" if report.ok else "\n".join(["FAILED: " + p for p in report.problems]))
    if not args.json:
        for warning in report.warnings:
            print(f"note: {warning}")
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        info = backup(session, Path(args.out).expanduser())
    print(f"Backup written to {args.out} ({info.created_at}). It is encrypted: it opens only "
          "with a user's passphrase on this PC, or with the recovery key.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    source = Path(args.source).expanduser()
    info = read_manifest(source)

    def open_session(scratch: Path) -> Session:
        if args.recovery:
            return recover(scratch, secret_from(RECOVERY_ENV, "Recovery key: ", "recovery key"))
        return unlock_any(scratch, passphrase())

    restore(source, data_dir(args), open_session, replace=args.replace)
    print(f"Restored the store from the backup made {info.created_at}; integrity and audit "
          "chain checked.")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from app.store.users import reset_passphrase

    key = secret_from(RECOVERY_ENV, "Recovery key: ", "recovery key")
    with recover(data_dir(args), key) as session:
        if args.reset_user:
            if load_user(session.conn, args.reset_user) is None:
                raise ConcernDeskError(f"There is no account '{args.reset_user}'.")
            reset_passphrase(session, args.reset_user,
                             new_secret("CONCERNDESK_NEW_PASSPHRASE", "passphrase"))
            print(f"New passphrase set for {args.reset_user}.")
        print("The store opens on this PC again.")
    return 0


def cmd_split_store(args: argparse.Namespace) -> int:
    from app.delivery.team_keys import move_private_halves
    from app.store.upgrade import split_store

    session = open_as_user(args)
    try:
        key = secret_from(RECOVERY_ENV, "Recovery key: ", "recovery key")
        waiting = split_store(session, key, keep_team_keys=move_private_halves)
    finally:
        session.close()
    print("The DSL team's records are now in a DSL store only DSL accounts and the recovery "
          "key can open.")
    if waiting:
        print("These DSL accounts get its key at a DSL's sign-in after their own next sign-in: "
              + ", ".join(waiting))
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    directory = data_dir(args)
    keyfile = KeyFile.load(directory) if directory.is_dir() else None
    if keyfile is None:
        raise ConcernDeskError(f"There is no store at {directory}.")
    ident = store_identity(keyfile.store_id)
    emit(args, {"store_id": keyfile.store_id, "fingerprint": ident.fingerprint,
                "signing_public_key": ident.signing_public_b64,
                "hpke_public_key": ident.hpke_public_b64}, ident.fingerprint)
    return 0
