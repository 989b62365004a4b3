"""Failed unlocks: a growing delay per account, remembered across runs.

The encrypted store cannot be written before it is unlocked, so failures wait in
``unlock-state.json`` (usernames and times only) and enter the audit trail at the next
successful unlock on this PC.

Guessing in parallel must fare no better than guessing in turn, so every attempt holds an OS
lock on the store's ``unlock.lock`` from the delay check to the verdict, reads the state inside
it, and counts itself as a failure *before* the key derivation runs: an attempt killed during
the derivation stays counted, and only a success takes it back.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.atomic import plain_reason, write_json_atomically
from app.clock import Clock, iso, parse_iso
from app.errors import ConcernDeskError, UnlockError

STATE_FILE = "unlock-state.json"
LOCK_FILE = "unlock.lock"
LOCK_WAIT_SECONDS = 30.0
INTERRUPTED = "the attempt did not finish (the program was stopped during the check)"
FREE_ATTEMPTS = 3
MAX_DELAY_SECONDS = 15 * 60


def delay_after(failures: int) -> int:
    """Seconds to wait after ``failures`` wrong passphrases in a row: 0,0,0,1,2,4,…,900."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_SECONDS)


class UnlockState:
    def __init__(self, directory: Path, clock: Clock) -> None:
        self._path = directory / STATE_FILE
        self._clock = clock
        try:
            self._data: dict[str, Any] = json.loads(self._path.read_text("utf-8"))
        except (OSError, ValueError):
            self._data = {}
        self._data.setdefault("failures", {})
        self._data.setdefault("pending_audit", [])

    def seconds_to_wait(self, username: str) -> int:
        entry = self._data["failures"].get(username)
        if not entry:
            return 0
        ready = parse_iso(entry["last"]) + timedelta(seconds=delay_after(entry["count"]))
        remaining = (ready - self._clock.now()).total_seconds()
        return max(0, int(remaining + 0.999))

    def failures(self, username: str) -> int:
        return int(self._data["failures"].get(username, {}).get("count", 0))

    def record_failure(self, username: str, reason: str) -> dict[str, str]:
        """Counts a failed attempt (durably) and returns its pending audit entry."""
        now = iso(self._clock.now())
        entry = self._data["failures"].setdefault(username, {"count": 0, "last": now})
        entry["count"] += 1
        entry["last"] = now
        audit = {"user": username, "at": now, "reason": reason}
        self._data["pending_audit"].append(audit)
        self._save()
        return audit

    def begin_attempt(self, username: str) -> dict[str, str]:
        """Counts an attempt as failed before its check runs; see ``attempt_failed`` and
        ``record_success``."""
        return self.record_failure(username, INTERRUPTED)

    def take_back(self, username: str, attempt: dict[str, str]) -> None:
        """The key was right but the store could not open (damaged, say): not a guess."""
        self._data["pending_audit"] = [p for p in self._data["pending_audit"]
                                       if p is not attempt]
        entry = self._data["failures"].get(username)
        if entry and entry["count"] > 0:
            entry["count"] -= 1
        self._save()

    def attempt_failed(self, attempt: dict[str, str], reason: str) -> None:
        attempt["reason"] = reason
        self._save()

    def record_success(self, username: str, attempt: dict[str, str] | None = None
                       ) -> list[dict[str, str]]:
        """Clears the account's count and takes back ``attempt``; returns the failures still
        to be audited."""
        pending = [p for p in self._data["pending_audit"] if p is not attempt]
        self._data["failures"].pop(username, None)
        self._data["pending_audit"] = []
        self._save()
        return pending

    def clear(self, username: str) -> None:
        """Ends an account's delay (an admin reset its passphrase); pending audits stay."""
        if self._data["failures"].pop(username, None) is not None:
            self._save()

    def _save(self) -> None:
        try:
            write_json_atomically(self._path, self._data)
        except OSError as error:  # fail closed: no attempt runs uncounted
            raise ConcernDeskError(f"This sign-in attempt could not be recorded "
                                   f"({plain_reason(error)}), so it was not tried. Free some "
                                   "space (or ask IT to check the disk) and try again.") from None




@contextmanager
def attempt_lock(directory: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Holds this store's unlock lock (one attempt at a time on this PC, across processes).
    The OS releases it when the holder dies, so a killed attempt never blocks the next."""
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise ConcernDeskError(f"Cannot sign in to this store: {plain_reason(error)} "
                               f"({LOCK_FILE}).") from None
    try:
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise UnlockError("Another sign-in to this store is still running on this PC; "
                                  "try again in a moment.")
            time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - Windows (the checker reads sys.platform)
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
