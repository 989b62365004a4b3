"""Writing a pack to disk all or nothing: a temporary file beside the target, then a rename."""

from __future__ import annotations

from pathlib import Path

from app.atomic import write_user_file


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that it either holds all of it or is left as it was; on
    failure a ConcernDeskError says what went wrong in plain words."""
    write_user_file(path, data, "the pack")
