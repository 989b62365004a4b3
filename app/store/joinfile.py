"""``join.json`` beside a store made by ``join`` (app/hub/join.py): read before anyone signs in
(the sign-in list, the first-run page), so this module stays light — no HTTP client, no
crypto — and the app starts without loading them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.atomic import write_json_atomically
from app.errors import ConcernDeskError

JOIN_FILE = "join.json"


def load(directory: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((directory / JOIN_FILE).read_text("utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConcernDeskError(f"{JOIN_FILE} is damaged: join again in a new directory") from exc


def save(directory: Path, data: dict[str, Any]) -> None:
    write_json_atomically(directory / JOIN_FILE, data)


def awaiting_provisioning(directory: Path) -> bool:
    data = load(directory)
    return bool(data and data.get("device_wrap"))


def provisional_accounts(directory: Path) -> list[str]:
    """Accounts provisioned here that have not signed in on this PC yet."""
    data = load(directory)
    return sorted(data.get("pending", {})) if data else []


def has_provisional_wrap(directory: Path, username: str) -> bool:
    data = load(directory)
    return bool(data and username in data.get("pending", {}))
