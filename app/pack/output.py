"""Writing a pack to disk all or nothing: a temporary file beside the target, then a rename."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from app.errors import ConcernDeskError, InputError

_PLAIN = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.EIO: "the disk reported an input/output error",
}


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that it either holds all of it or is left as it was.

    The temporary file is private (mode 0600), flushed to the disk and renamed over ``path``;
    on any failure it is removed and a ConcernDeskError says what went wrong in plain words.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise InputError("out", f"{path} is a folder: give a file name")
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise InputError("out", f"the folder {folder} {problem}")
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        temp = None
        _sync_folder(folder)
    except OSError as error:
        reason = _PLAIN.get(error.errno or 0) or (error.strerror or str(error)).lower()
        raise ConcernDeskError(f"cannot write the pack to {folder}: {reason}") from error
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable where the system allows it (not on Windows)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
