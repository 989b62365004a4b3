"""``self-test``: check this installation end to end on a throwaway store
(see app/cli/selftest.py)."""

from __future__ import annotations

import argparse

from app.cli.selftest import run_self_test


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "self-test",
        help="check this installation: keyring, store, concern, search, pack, verify",
        description="Creates a throwaway store in a temporary directory with one invented "
                    "pupil, records a concern, renders and encrypts a pack, verifies the store, "
                    "then removes it and its keyring entries. Never touches your own store. "
                    "Exit status 0 when every step passed, 1 otherwise.")
    p.set_defaults(handler=cmd_self_test)


def cmd_self_test(args: argparse.Namespace) -> int:
    return 0 if run_self_test(lambda line: print(line, flush=True)) else 1
