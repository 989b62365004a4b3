"""Failed unlocks: a growing delay per account, remembered across runs.

The encrypted store cannot be written before it is unlocked, so failures wait in
``unlock-state.json`` (usernames and times only) and enter the audit trail at the next
successful unlock on this PC.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.atomic import write_json_atomically
from app.clock import Clock, iso, parse_iso

STATE_FILE = "unlock-state.json"
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

    def record_failure(self, username: str, reason: str) -> None:
        now = iso(self._clock.now())
        entry = self._data["failures"].setdefault(username, {"count": 0, "last": now})
        entry["count"] += 1
        entry["last"] = now
        self._data["pending_audit"].append({"user": username, "at": now, "reason": reason})
        self._save()

    def record_success(self, username: str) -> list[dict[str, str]]:
        """Clears the account's count; returns the failures still to be audited."""
        pending = list(self._data["pending_audit"])
        self._data["failures"].pop(username, None)
        self._data["pending_audit"] = []
        self._save()
        return pending

    def clear(self, username: str) -> None:
        """Ends an account's delay (an admin reset its passphrase); pending audits stay."""
        if self._data["failures"].pop(username, None) is not None:
            self._save()

    def _save(self) -> None:
        write_json_atomically(self._path, self._data)


