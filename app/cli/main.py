"""Entry point: parse, dispatch, and turn every expected error into a message and exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from app import __version__
from app.cli import people_commands, record_commands, store_commands
from app.errors import ConcernDeskError
from app.paths import default_data_dir
from app.store.db import DatabaseError, storage_error

log = logging.getLogger("concerndesk")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concerndesk-cli",
        description="ConcernDesk headless commands. Passphrases come from "
                    "CONCERNDESK_PASSPHRASE or a hidden prompt, never an argument. Exit status: "
                    "0 done, 1 failed, 2 bad input, 3 access denied, 4 wrong passphrase. "
                    "Arguments are visible to other users of this PC (the process list) and "
                    "kept in the shell's history: give what a child said or what happened "
                    "with the --…-file options (a file, or '-' for standard input).")
    parser.add_argument("--version", action="version", version=f"ConcernDesk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    store_commands.register(sub)
    people_commands.register(sub)
    record_commands.register(sub)
    from app.cli import (
        encompass_commands,
        export_commands,
        la_commands,
        profile_commands,
        referral_commands,
        retention_commands,
        sar_commands,
        selftest_command,
        sync_commands,
        transfer_commands,
        triage_commands,
    )

    profile_commands.register(sub)
    referral_commands.register(sub)
    la_commands.register(sub)  # la …, and referral route|reference|outcome
    triage_commands.register(sub)
    encompass_commands.register(sub)
    export_commands.register(sub)
    sar_commands.register(sub)
    retention_commands.register(sub)
    transfer_commands.register(sub)
    sync_commands.register(sub)
    selftest_command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.hub.reactions import install

    install()  # on a PC that joined a hub, every change replicates (app/hub/reactions.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConcernDeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except DatabaseError as exc:  # a read that met a damaged page, or a full disk
        problem = storage_error(exc, _store_dir(args))
        if problem is None:
            return _unexpected(exc)
        print(f"error: {problem}", file=sys.stderr)
        return problem.exit_code
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped reading; what it asked for was done.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted: nothing more was changed", file=sys.stderr)
        return 1
    except Exception as exc:
        return _unexpected(exc)


def _unexpected(exc: Exception) -> int:
    """A bug: say so without echoing data that might be a child's."""
    log.debug("unexpected error", exc_info=True)
    print(f"error: an unexpected problem ({type(exc).__name__}) stopped the command; what was "
          "saved before it is intact. Please report this.", file=sys.stderr)
    return 1


def _store_dir(args: argparse.Namespace) -> Path:
    data = getattr(args, "data", None)
    return Path(data).expanduser() if data else default_data_dir()


if __name__ == "__main__":
    sys.exit(main())
