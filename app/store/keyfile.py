"""``keys.json``: the wrapped keys beside the encrypted stores (docs/keys.md gives every field).

It holds no secret in the clear. Per account: a personal seed wrapped under Argon2id(passphrase)
and the device secret, with the public halves of the keys made from it. Per store key
("school", "dsl") and team key ("office"): *grants*, each the key HPKE-sealed to one holder's
public key — an account, or the recovery key. What an account can open is what it was granted;
its role in the users table decides nothing on its own. Staff usernames are visible here;
nothing about any child is.

Format 1 (before the key hierarchy) wrapped the one data key straight under each passphrase; an
account still in that form is upgraded at its next sign-in (``access.unlock``).
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
    PersonalKeys,
    UnwrapFailed,
    b64d,
    b64e,
    grant_info,
    key_id,
    open_grant,
    passphrase_kek,
    raw_public,
    recovery_hpke_key,
    recovery_kek,
    seal_grant,
    unwrap,
    wrap,
)

KEYFILE = "keys.json"
FORMAT = 2
SCOPES = ("school", "dsl", "office")
RECOVERY = "recovery"


def _final(scope: str) -> str:
    """A grant staged for a re-key ("dsl-next") is sealed as the scope it becomes."""
    return scope.removesuffix("-next")


def holder(username: str) -> str:
    """The grant holder name of an account (never clashes with ``recovery``)."""
    return "user:" + username


@dataclass(frozen=True)
class Unlocked:
    """What a passphrase opened: the account's personal keys, or (an account not yet upgraded
    from format 1) the store's one data key."""

    personal: PersonalKeys | None
    legacy_data_key: bytes | None = None


@dataclass(frozen=True)
class Recovered:
    device_secret: bytes
    private: Any  # X25519PrivateKey: opens the grants sealed to the recovery key
    legacy_data_key: bytes | None  # format 1's recovery wrap of the one data key


@dataclass
class KeyFile:
    store_id: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery: dict[str, Any] = field(default_factory=dict)
    grants: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # app/store/requests.py
    retired: dict[str, dict[str, str]] = field(default_factory=dict)  # removed accounts
    key_ids: dict[str, str] = field(default_factory=dict)  # scope -> keys.key_id of its key

    def signing_public_of(self, username: str) -> str | None:
        """The account's Ed25519 public key (base64), removed accounts' included."""
        entry = self.users.get(username) or self.retired.get(username) or {}
        return entry.get("signing_public")

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path) -> KeyFile:
        path = directory / KEYFILE
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") not in (1, FORMAT):
                raise StoreDamaged(f"{KEYFILE} has an unknown format; this store was made by a "
                                   "newer ConcernDesk or is damaged.")
            grants = {str(k): dict(v) for k, v in dict(data.get("grants", {})).items()}
            return cls(str(data["store_id"]), dict(data["users"]), dict(data["recovery"]),
                       grants, [dict(r) for r in data.get("requests", [])],
                       {str(k): dict(v) for k, v in dict(data.get("retired", {})).items()},
                       {str(k): str(v) for k, v in dict(data.get("key_ids", {})).items()})
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreDamaged(f"The key file {KEYFILE} is damaged or unreadable: restore the "
                               "store from a backup.") from exc

    def save(self, directory: Path) -> None:
        write_json_atomically(directory / KEYFILE, {"format": FORMAT, "store_id": self.store_id,
                                                   "users": self.users,
                                                   "recovery": self.recovery,
                                                   "grants": self.grants,
                                                   "requests": self.requests,
                                                   "retired": self.retired,
                                                   "key_ids": self.key_ids})

    # -- accounts ------------------------------------------------------------------------------
    def _aad(self, username: str) -> bytes:
        return f"{self.store_id}|user|{username}".encode()

    def add_user(self, username: str, passphrase: str, device_secret: bytes,
                 params: KdfParams, personal: PersonalKeys | None = None) -> PersonalKeys:
        """Wraps the account's personal seed (a new one unless given) under its passphrase;
        any format-1 wrap it had goes."""
        personal = personal or PersonalKeys.generate()
        salt = secrets.token_bytes(16)
        aad = self._aad(username) + b"|personal"
        kek = passphrase_kek(passphrase, salt, device_secret, params, self._aad(username))
        before = self.users.get(username, {})
        entry = {"kdf": "argon2id", "params": params.to_json(), "salt": b64e(salt),
                 "personal": wrap(kek, personal.seed, aad), "public": b64e(personal.public()),
                 "signing_public": b64e(personal.signing_public())}
        if before.get("signing_public") == entry["signing_public"] and "author_cert" in before:
            # The same personal keys under a new passphrase: their author certificate
            # (app/store/authorship.py) still names them.
            entry["author_cert"] = before["author_cert"]
        self.users[username] = entry
        return personal

    def unlock_user(self, username: str, passphrase: str, device_secret: bytes) -> Unlocked:
        entry = self.users[username]
        try:
            salt, params = b64d(entry["salt"]), KdfParams.from_json(entry["params"])
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise StoreDamaged(f"The key file {KEYFILE} is damaged (the entry for "
                               f"'{username}'): restore the store from a backup, or an admin "
                               "can reset that passphrase with the recovery key.") from exc
        kek = passphrase_kek(passphrase, salt, device_secret, params, self._aad(username))
        if "personal" in entry:
            return Unlocked(PersonalKeys(unwrap(kek, entry["personal"],
                                                self._aad(username) + b"|personal")))
        return Unlocked(None, unwrap(kek, entry, self._aad(username)))

    def public_of(self, username: str) -> bytes | None:
        entry = self.users.get(username, {})
        return b64d(entry["public"]) if "public" in entry else None

    def remove_user(self, username: str) -> None:
        """No passphrase opens the account any more, and it holds no grant; its public keys
        stay (``retired``), so what it sealed before it went can still be checked."""
        entry = self.users.pop(username, None) or {}
        if "signing_public" in entry:
            self.retired[username] = {k: entry[k] for k in ("public", "signing_public")}
        for grants in self.grants.values():
            grants.pop(holder(username), None)

    # -- grants --------------------------------------------------------------------------------
    def grant(self, scope: str, to: str, secret: bytes, public: bytes) -> None:
        """Seals ``secret`` (a store key or a team private key) to ``to``'s public key."""
        self.grants.setdefault(scope, {})[to] = seal_grant(
            secret, public, grant_info(self.store_id, _final(scope), to))

    def revoke(self, scope: str, to: str) -> None:
        self.grants.get(scope, {}).pop(to, None)

    def promote(self, staged: str, scope: str, key: bytes | None = None) -> None:
        """The grants staged under ``staged`` replace those of ``scope`` (after a re-key);
        ``key``, the new key, is named in ``key_ids``."""
        if staged in self.grants:
            self.grants[scope] = self.grants.pop(staged)
        if key is not None:
            self.key_ids[scope] = key_id(key)

    def holders(self, scope: str) -> set[str]:
        return set(self.grants.get(scope, {}))

    def open(self, scope: str, to: str, private: Any) -> bytes | None:
        """The secret granted to ``to`` in ``scope``, or None when it holds no grant there."""
        sealed = self.grants.get(scope, {}).get(to)
        if sealed is None:
            return None
        try:
            return open_grant(sealed, private, grant_info(self.store_id, _final(scope), to))
        except UnwrapFailed:
            raise StoreDamaged(f"The key file {KEYFILE} has been altered (the {scope} grant "
                               f"of {to}): restore the store from a backup.") from None

    # -- recovery ------------------------------------------------------------------------------
    def set_recovery(self, recovery_key: bytes, device_secret: bytes) -> bytes:
        """Wraps the device secret under the recovery key; returns the recovery public key,
        to which the store keys are then granted."""
        salt = secrets.token_bytes(16)
        kek = recovery_kek(recovery_key, salt, self.store_id.encode())
        public = raw_public(recovery_hpke_key(recovery_key, self.store_id))
        self.recovery = {"salt": b64e(salt),
                         "device_secret": wrap(kek, device_secret,
                                               self._recovery_aad("device-secret")),
                         "public": b64e(public)}
        return public

    def _recovery_aad(self, what: str) -> bytes:
        return f"{self.store_id}|recovery|{what}".encode()

    def unwrap_recovery(self, recovery_key: bytes) -> Recovered:
        """UnwrapFailed for a wrong recovery key."""
        if not self.recovery:
            raise UnwrapFailed
        kek = recovery_kek(recovery_key, b64d(self.recovery["salt"]), self.store_id.encode())
        secret = unwrap(kek, self.recovery["device_secret"], self._recovery_aad("device-secret"))
        legacy = (unwrap(kek, self.recovery["data_key"], self._recovery_aad("data-key"))
                  if "data_key" in self.recovery else None)
        return Recovered(secret, recovery_hpke_key(recovery_key, self.store_id), legacy)

    def recovery_public(self) -> bytes | None:
        return b64d(self.recovery["public"]) if "public" in self.recovery else None
