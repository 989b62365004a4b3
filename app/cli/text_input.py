"""Long text for a command from a file or standard input, and body-map marks as words.

A concern typed as ``--text "…"`` sits in the process list and the shell's history while the
command runs and after; ``--text-file F`` (or ``-`` for standard input) keeps it out of both.
Everything here runs before the store is opened, so bad input writes nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.body_regions import region_point, side_of
from app.cli.common import read_file
from app.domain.records import MAX_TEXT, BodyMark
from app.errors import InputError

STDIN = "-"
# The most a field may hold is MAX_TEXT characters, at most four bytes each in UTF-8; a file
# longer than that is refused without reading all of it.
_MAX_BYTES = MAX_TEXT * 4


def add_text_option(parser: argparse.ArgumentParser, name: str, what: str, *,
                    required: bool = False) -> None:
    """``--NAME TEXT`` and ``--NAME-file F|-``, one or the other."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(f"--{name}", metavar="TEXT",
                       help=f"{what}; other users of this PC can see it while the command runs, "
                            f"and the shell keeps it: prefer --{name}-file")
    group.add_argument(f"--{name}-file", metavar="F|-",
                       help=f"read {what.split(' (')[0].split(',')[0]} from a UTF-8 file, or "
                            "'-' for standard input (it then never appears in the process "
                            "list or the shell's history)")


def text_from(args: argparse.Namespace, name: str) -> str | None:
    """The value of ``--NAME`` or the contents of ``--NAME-file``; None when neither is given.
    At most one option of a command may read standard input."""
    attr = name.replace("-", "_")
    path = getattr(args, f"{attr}_file", None)
    if path is None:
        return getattr(args, attr, None)
    if path == STDIN:
        readers = [n for n, v in vars(args).items() if n.endswith("_file") and v == STDIN]
        if len(readers) > 1:
            raise InputError(f"{name}-file", "only one option can read standard input ('-'); "
                             "give the others as files")
        return _decode(_read_stdin(f"{name}-file"), f"{name}-file", "standard input")
    return _decode(_read_file(Path(path).expanduser(), f"{name}-file"), f"{name}-file",
                   repr(path))


def _read_stdin(field: str) -> bytes:
    if sys.stdin is None:
        raise InputError(field, "there is no standard input to read")
    if sys.stdin.isatty():
        print("Type the text, then Ctrl-D on a line of its own (Ctrl-Z then Enter on "
              "Windows):", file=sys.stderr)
    return sys.stdin.buffer.read(_MAX_BYTES + 1)


def _read_file(path: Path, field: str) -> bytes:
    return read_file(path, field, _MAX_BYTES + 1)


def _decode(data: bytes, field: str, where: str) -> str:
    if len(data) > _MAX_BYTES:
        raise InputError(field, f"{where} is longer than the most a field holds "
                         f"({MAX_TEXT:,} characters)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(field, f"{where} is not UTF-8 text (byte {exc.start + 1} is not "
                         "valid); save it as UTF-8 and try again") from None


def file_text(path: str, field: str) -> str:
    """The UTF-8 text of the file ``path`` (or standard input for '-'), for an option that
    names its file itself (``--field-file NAME=F``, ``--from-email-file F``)."""
    if path == STDIN:
        return _decode(_read_stdin(field), field, "standard input")
    return _decode(_read_file(Path(path).expanduser(), field), field, repr(path))


def marks_from(texts: list[str] | None) -> tuple[BodyMark, ...]:
    """``SIDE:REGION:NOTE`` → body-map marks at the named region's point (the note may hold
    colons; it may be left out)."""
    marks = []
    for index, text in enumerate(texts or [], start=1):
        field = f"mark {index}" if len(texts or []) > 1 else "mark"
        parts = text.split(":", 2)
        if len(parts) < 2 or not parts[1].strip():
            raise InputError(field, "write it as SIDE:REGION:NOTE, e.g. "
                             "\"front:left arm:bruise 3 cm\"")
        try:
            side = side_of(parts[0])
            region, x, y = region_point(side, parts[1])
        except InputError as exc:
            raise InputError(field, exc.problem) from None
        note = parts[2].strip() if len(parts) == 3 else ""
        marks.append(BodyMark(side, x, y, note, region))
    return tuple(marks)
