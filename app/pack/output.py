"""Writing a pack to disk all or nothing: a temporary file beside the target, then a rename."""

from __future__ import annotations

import errno
from pathlib import Path

from app.atomic import write_bytes_atomically
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

    On any failure the temporary file is removed and a ConcernDeskError says what went wrong
    in plain words.
    """
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
        reason = _PLAIN.get(error.errno or 0) or (error.strerror or str(error)).lower()
        raise ConcernDeskError(f"cannot write the pack to {folder}: {reason}") from error
