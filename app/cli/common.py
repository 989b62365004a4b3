"""What every command shares: the store directory, the passphrase, output and errors."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.errors import InputError
from app.hub.provisional import sign_in
from app.paths import default_data_dir
from app.store.session import Session

PASSPHRASE_ENV = "CONCERNDESK_PASSPHRASE"
RECOVERY_ENV = "CONCERNDESK_RECOVERY_KEY"

Handler = Callable[[argparse.Namespace], int]


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data).expanduser() if args.data else default_data_dir()


def secret_from(env: str, prompt: str, field: str) -> str:
    """From the environment when set, else a hidden prompt; never from an argument."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise InputError(field, f"set {env} or run the command in a terminal to be asked")
    return getpass.getpass(prompt)


def passphrase(prompt: str = "Passphrase: ") -> str:
    return secret_from(PASSPHRASE_ENV, prompt, "passphrase")


def new_secret(env: str, what: str) -> str:
    """A new passphrase: from ``env``, or typed twice at a hidden prompt."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise InputError(what, f"set {env} or run the command in a terminal to be asked")
    first = getpass.getpass(f"New {what}: ")
    if getpass.getpass(f"New {what} again: ") != first:
        raise InputError(what, "the two entries differ")
    return first


def open_as_user(args: argparse.Namespace) -> Session:
    if not args.user:
        raise InputError("user", "name the account acting, with --user NAME")
    return sign_in(data_dir(args), args.user, passphrase(f"Passphrase for {args.user}: "))


def read_file(path: Path, field: str, limit: int = -1) -> bytes:
    """The file's bytes (at most ``limit``), or an InputError that says why not."""
    try:
        with path.expanduser().open("rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise InputError(field, f"cannot read '{path}': there is no such file") from None
    except IsADirectoryError:
        raise InputError(field, f"cannot read '{path}': it is a folder, not a file") from None
    except PermissionError:
        raise InputError(field, f"cannot read '{path}': permission denied") from None
    except OSError as exc:
        raise InputError(field, f"cannot read '{path}': {exc.strerror or 'read failed'}"
                         ) from None


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Prints JSON with --json, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="the store directory (default: the "
                        "platform's user data directory)")


def add_user(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--user", metavar="NAME", required=required,
                        help="the staff account acting; its passphrase comes from "
                             f"{PASSPHRASE_ENV} or a hidden prompt")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def subcommands(sub: argparse._SubParsersAction, name: str
                ) -> argparse._SubParsersAction:
    """The sub-commands of a command another module registered (e.g. ``concern``), so a
    module can add ``concern status`` beside ``concern add``."""
    parser = sub.choices[name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError(name)
