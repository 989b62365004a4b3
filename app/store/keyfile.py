"""``keys.json``: the wrapped copies of the data key, beside the encrypted store.

It holds no secret in the clear: per-user wraps (passphrase + device secret), the recovery wraps
and the store id. Staff usernames are visible in it; nothing about any child is.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.atomic import write_json_atomically
from app.errors import StoreDamaged
from app.store.keys import (
    KdfParams,
    UnwrapFailed,
    b64d,
    b64e,
    passphrase_kek,
    recovery_kek,
    unwrap,
    wrap,
)

KEYFILE = "keys.json"
FORMAT = 1


@dataclass
class KeyFile:
    store_id: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery: dict[str, Any] = field(default_factory=dict)

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path) -> KeyFile:
        path = directory / KEYFILE
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") != FORMAT:
                raise StoreDamaged(f"{KEYFILE} has an unknown format; this store was made by a "
                                   "newer ConcernDesk or is damaged.")
            return cls(str(data["store_id"]), dict(data["users"]), dict(data["recovery"]))
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreDamaged(f"The key file {KEYFILE} is damaged or unreadable: restore the "
                               "store from a backup.") from exc

    def save(self, directory: Path) -> None:
        write_json_atomically(directory / KEYFILE, {"format": FORMAT, "store_id": self.store_id,
                                                   "users": self.users,
                                                   "recovery": self.recovery})

    # -- user wraps ----------------------------------------------------------------------------
    def _aad(self, username: str) -> bytes:
        return f"{self.store_id}|user|{username}".encode()

    def add_user(self, username: str, passphrase: str, data_key: bytes, device_secret: bytes,
                 params: KdfParams) -> None:
        salt = secrets.token_bytes(16)
        kek = passphrase_kek(passphrase, salt, device_secret, params, self._aad(username))
        self.users[username] = {"kdf": "argon2id", "params": params.to_json(), "salt": b64e(salt),
                                **wrap(kek, data_key, self._aad(username))}

    def unwrap_user(self, username: str, passphrase: str, device_secret: bytes) -> bytes:
        entry = self.users[username]
        try:
            salt, params = b64d(entry["salt"]), KdfParams.from_json(entry["params"])
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise StoreDamaged(f"The key file {KEYFILE} is damaged (the entry for "
                               f"'{username}'): restore the store from a backup, or an admin "
                               "can reset that passphrase with the recovery key.") from exc
        kek = passphrase_kek(passphrase, salt, device_secret, params, self._aad(username))
        return unwrap(kek, entry, self._aad(username))

    def remove_user(self, username: str) -> None:
        self.users.pop(username, None)

    # -- recovery ------------------------------------------------------------------------------
    def set_recovery(self, recovery_key: bytes, data_key: bytes, device_secret: bytes) -> None:
        salt = secrets.token_bytes(16)
        kek = recovery_kek(recovery_key, salt, self.store_id.encode())
        self.recovery = {"salt": b64e(salt),
                         "data_key": wrap(kek, data_key, self._recovery_aad("data-key")),
                         "device_secret": wrap(kek, device_secret,
                                               self._recovery_aad("device-secret"))}

    def _recovery_aad(self, what: str) -> bytes:
        return f"{self.store_id}|recovery|{what}".encode()

    def unwrap_recovery(self, recovery_key: bytes) -> tuple[bytes, bytes]:
        """(data key, device secret), or UnwrapFailed for a wrong recovery key."""
        if not self.recovery:
            raise UnwrapFailed
        kek = recovery_kek(recovery_key, b64d(self.recovery["salt"]), self.store_id.encode())
        return (unwrap(kek, self.recovery["data_key"], self._recovery_aad("data-key")),
                unwrap(kek, self.recovery["device_secret"], self._recovery_aad("device-secret")))
