"""Small files written so that a crash leaves either the old or the new version, never half."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """A private (0600) temporary file beside ``path``, flushed to the disk, then renamed over
    it; the rename is made durable too. On failure the temporary file is removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_json_atomically(path: Path, data: Any) -> None:
    write_bytes_atomically(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    """Makes a rename durable where the system allows it (not on Windows)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
