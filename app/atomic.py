"""Small files written so that a crash leaves either the old or the new version, never half."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app.errors import ConcernDeskError, InputError

_PLAIN = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.EIO: "the disk reported an input/output error",
}


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


def write_user_file(path: Path, data: bytes, what: str = "the file") -> None:
    """A file the user asked for (a pack, an attachment): all or nothing, with a plain message
    (ConcernDeskError, or InputError("out") for a bad place) instead of an OSError."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise InputError("out", f"{path} is a folder: give a file name")
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise InputError("out", f"the folder {folder} {problem}")
    try:
        write_bytes_atomically(path, data)
    except OSError as error:
        raise ConcernDeskError(f"cannot write {what} to {folder}: {plain_reason(error)}"
                               ) from error


def plain_reason(error: OSError) -> str:
    """An OSError in a person's words ("no space left on the disk"), with no path in it."""
    return _PLAIN.get(error.errno or 0) or (error.strerror or str(error)).lower()
