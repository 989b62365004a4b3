"""The account directory, signed by an admin's key (docs/keys.md, "The account directory").

Every account holds the school store's key, so anyone with a shell can edit its ``users`` table.
The DSL and office roles are already bound to keys (``held.effective_roles``); the admin role is
bound here: it counts only when the account's row is vouched for by an entry signed by a trusted
signer. The trusted signers start from the roots pinned when the store was made (its maker and
the recovery key) and grow only through entries those signers made admin. An entry says what the
row must say — name, roles, state, signing key — so a row edited afterwards no longer matches.

In force on a store with a DSL store of its own. A store from before this (schema 19) gets its
roots at the first sign-in of an admin with personal keys, who signs the directory as it stands:
trust on first use, said so in the audit trail and in SECURITY.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.store.audit import Signer
from app.store.db import Connection, has_dsl_store
from app.store.keyfile import KeyFile
from app.store.keys import b64d, b64e

PREFIX = "concerndesk/directory/v1|"
ROOTS = "directory_roots"  # meta: {"<signer>": "<b64 Ed25519 public>"}


@dataclass(frozen=True)
class Entry:
    username: str
    display_name: str
    roles: tuple[str, ...]
    state: str  # active | disabled | removed
    signing_public: str | None
    public: str | None = None  # its X25519 key: what a key is granted to, never keys.json's

    def canonical(self) -> str:
        return json.dumps({"username": self.username, "display_name": self.display_name,
                           "roles": list(self.roles), "state": self.state,
                           "signing_public": self.signing_public, "public": self.public},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def message(store_id: str, signer: str, canonical: str) -> bytes:
    return f"{PREFIX}{store_id}|{signer}|{canonical}".encode()


def in_force(conn: Connection) -> bool:
    return has_dsl_store(conn) and _roots(conn) != {}


def _roots(conn: Connection, schema: str = "main") -> dict[str, str]:
    try:
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", (ROOTS,)
                           ).fetchone()
    except Exception:  # no DSL store attached (a workspace has no meta)
        return {}
    return dict(json.loads(row[0])) if row else {}


def _write_roots(conn: Connection, schema: str, roots: dict[str, str]) -> None:
    conn.execute(f"INSERT INTO {schema}.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                 "UPDATE SET value = excluded.value", (ROOTS, json.dumps(roots, sort_keys=True)))


def roots_tampered(conn: Connection) -> bool:
    """A DSL session's check: the school store's roots are not the copy the DSL store keeps
    (out of reach of anyone without the DSL store's key). Adopts the school store's roots
    when the DSL store has none yet (a store signed before its DSL store kept a copy)."""
    pinned = _roots(conn, "dsl")
    if not pinned:
        school = _roots(conn)
        if school:
            _write_roots(conn, "dsl", school)
        return False
    return pinned != _roots(conn)


def _row_entry(conn: Connection, username: str, signing_public: str | None,
               public: str | None = None) -> Entry | None:
    row = conn.execute("SELECT display_name, roles, removed_at, disabled_at FROM users WHERE "
                       "username = ?", (username,)).fetchone()
    if row is None:
        return None
    state = "disabled" if row[3] else "removed" if row[2] else "active"
    return Entry(username, row[0], tuple(row[1].split(",")), state, signing_public, public)


def _stored(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT username, entry, signer, signature FROM directory").fetchall()
    return {r[0]: {"entry": r[1], "signer": r[2], "signature": r[3]} for r in rows}


def _verifies(store_id: str, public: str, signer: str, canonical: str, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(b64d(public)).verify(
            b64d(signature), message(store_id, signer, canonical))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def valid_entries(conn: Connection, store_id: str,
                  roots: dict[str, str] | None = None) -> dict[str, Entry]:
    """username → the entry a trusted signer vouched for, whether or not the row still
    matches it. Trust grows from the roots through active admin entries, to a fixed point."""
    trusted = dict(_roots(conn) if roots is None else roots)
    stored = _stored(conn)
    valid: dict[str, Entry] = {}
    grew = True
    while grew:
        grew = False
        for username, item in stored.items():
            if username in valid or item["signer"] not in trusted:
                continue
            if not _verifies(store_id, trusted[item["signer"]], item["signer"], item["entry"],
                             item["signature"]):
                continue
            fields = json.loads(item["entry"])
            if fields.get("username") != username:
                continue  # an entry moved to another row vouches for nobody
            entry = Entry(username, fields["display_name"], tuple(fields["roles"]),
                          fields["state"], fields.get("signing_public"), fields.get("public"))
            valid[username] = entry
            if "admin" in entry.roles and entry.state == "active" and entry.signing_public:
                trusted.setdefault(username, entry.signing_public)
                grew = True
    return valid


def vouched_roles(conn: Connection, store_id: str, username: str,
                  roots: dict[str, str] | None = None) -> tuple[str, ...] | None:
    """The roles the directory vouches for this account (None: the directory is not in force
    on this store). A row whose roles, name or state differ from its signed entry gets only
    the roles both agree on. ``roots``: a DSL session's own copy, not the school store's."""
    if not in_force(conn):
        return None
    entry = valid_entries(conn, store_id, roots).get(username)
    if entry is None or entry.state != "active":
        return ()
    row = _row_entry(conn, username, entry.signing_public)
    if row is None or row.state != "active":
        return ()
    return tuple(r for r in row.roles if r in entry.roles)


def sign(conn: Connection, store_id: str, signer: Signer | None, username: str,
         keyfile: KeyFile, now: str) -> bool:
    """Signs ``username``'s row as it now stands (inside the caller's transaction). False when
    the session cannot sign (a system session): the entry is left as it was."""
    if signer is None or not has_dsl_store(conn):
        return False
    listed = keyfile.users.get(username) or keyfile.retired.get(username, {})
    entry = _row_entry(conn, username, listed.get("signing_public"), listed.get("public"))
    if entry is None:
        return False
    canonical = entry.canonical()
    signature = b64e(signer.key.sign(message(store_id, signer.name, canonical)))
    conn.execute("INSERT INTO directory (username, entry, signer, signature, signed_at) VALUES "
                 "(?,?,?,?,?) ON CONFLICT (username) DO UPDATE SET entry = excluded.entry, "
                 "signer = excluded.signer, signature = excluded.signature, "
                 "signed_at = excluded.signed_at", (username, canonical, signer.name, signature,
                                                    now))
    return True


def vouched_public(conn: Connection, store_id: str, username: str) -> bytes | None:
    """The X25519 key the directory vouches for an active account (None: not in force, or
    nothing vouched): what a DSL admin grants a key to, rather than whatever keys.json says."""
    if not in_force(conn):
        return None
    entry = valid_entries(conn, store_id).get(username)
    if entry is None or entry.state != "active" or not entry.public:
        return None
    return b64d(entry.public)


def add_root(conn: Connection, signer: Signer, *, dsl_store_open: bool = False) -> None:
    """Trusts ``signer`` as a root, in the school store and, when the session holds it, in
    the DSL store's copy."""
    for schema in ("main", "dsl") if dsl_store_open else ("main",):
        roots = _roots(conn, schema)
        if roots.get(signer.name) != signer.public:
            roots[signer.name] = signer.public
            _write_roots(conn, schema, roots)


def dsl_roots(conn: Connection) -> dict[str, str]:
    return _roots(conn, "dsl")


def school_roots(conn: Connection) -> dict[str, str]:
    return _roots(conn)


def sign_everyone(conn: Connection, store_id: str, signer: Signer, keyfile: KeyFile,
                  now: str, *, dsl_store_open: bool = False) -> int:
    """The first signing of a store made before the directory: ``signer`` becomes its root and
    vouches for every row as it stands. Returns how many entries were signed."""
    add_root(conn, signer, dsl_store_open=dsl_store_open)
    names = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY created_at")]
    return sum(sign(conn, store_id, signer, name, keyfile, now) for name in names)


def unvouched(conn: Connection, store_id: str,
              roots: dict[str, str] | None = None) -> list[str]:
    """Accounts whose row claims the admin role the directory does not vouch for (``verify``
    names them)."""
    if not in_force(conn):
        return []
    valid = valid_entries(conn, store_id, roots)
    named = []
    for username, roles, removed in conn.execute("SELECT username, roles, removed_at FROM "
                                                 "users ORDER BY username"):
        if removed is None and "admin" in roles.split(","):
            entry = valid.get(username)
            if entry is None or "admin" not in entry.roles or entry.state != "active":
                named.append(username)
    return named


__all__ = ["Entry", "add_root", "dsl_roots", "in_force", "roots_tampered", "school_roots",
           "sign", "sign_everyone", "unvouched", "valid_entries", "vouched_public",
           "vouched_roles"]
