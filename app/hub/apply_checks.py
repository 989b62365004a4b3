"""Checking what arrives in a payload before anything is written: the shape of each field
(specific reasons, never a traceback), and the refusals every apply step shares."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from app.clock import parse_iso
from app.protocol.envelope import EnvelopeError
from app.store.db import Connection
from app.store.roles import ROLES


@dataclass
class Applied:
    """What one payload added (zero everywhere when it was already here)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


class BadPayload(EnvelopeError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"payload: {problem}")


class NotAllowed(EnvelopeError):
    """Well formed, but more than its sender's purpose allows it to send."""

    def __init__(self, sender: str, what: str) -> None:
        article = "an" if sender[:1] in "aeiou" else "a"
        super().__init__(f"{article} {sender} PC may not send {what}")


class NotKnownYet(EnvelopeError):
    """Names an account or child this PC does not know yet, from a PC that may not add them:
    the admin's update may still be on its way, so the caller keeps it to try again."""


LIMITED = ("staff", "office")  # senders whose payloads may add no account, child or row
REFUSED_DESTROYED = "destroyed at review, not brought back"


# -- checking ------------------------------------------------------------------------------

def as_object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{where} must be an object")
    return value


def as_list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(f"{where} must be a list")
    return value


def text_field(obj: dict[str, Any], key: str, where: str, *, optional: bool = False,
          limit: int = 40_000) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional) or len(value) > limit:
        raise BadPayload(f"{where} {key} must be text")
    return value


@overload
def id_field(obj: dict[str, Any], key: str, where: str, *,
             optional: Literal[False] = False) -> str: ...
@overload
def id_field(obj: dict[str, Any], key: str, where: str, *, optional: bool) -> str | None: ...
def id_field(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = text_field(obj, key, where, optional=optional, limit=64)
    if value is None:
        return None
    try:
        if str(uuid.UUID(value)) != value:
            raise ValueError
    except ValueError:
        raise BadPayload(f"{where} {key} must be a lower-case UUID") from None
    return value


def time_field(obj: dict[str, Any], key: str, where: str) -> str:
    value = text_field(obj, key, where, limit=40)
    try:
        parse_iso(value or "")
    except ValueError:
        raise BadPayload(f"{where} {key} must be a time") from None
    return value or ""


def parse_payload(raw: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadPayload("not JSON") from None
    obj = as_object(obj, "payload")
    if obj.get("v") != 1:
        raise BadPayload("unknown version")
    return obj


def known_user(conn: Connection, user_id: str | None, where: str) -> str:
    if user_id is None or conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)
                                       ).fetchone() is None:
        raise BadPayload(f"{where} names an account it does not carry")
    return user_id


def apply_users(conn: Connection, users: list[Any], applied: Applied, *,
                known_only: bool = False) -> None:
    """Adds accounts this PC lacks (``known_only``: refuses them instead)."""
    for i, raw in enumerate(users):
        u = as_object(raw, f"user {i + 1}")
        where = f"user {i + 1}"
        uid, username = id_field(u, "id", where), text_field(u, "username", where, limit=200)
        display = text_field(u, "display_name", where, limit=200)
        roles = as_list(u.get("roles"), f"{where} roles")
        if not roles or not all(r in ROLES for r in roles):
            raise BadPayload(f"{where} roles must be from {', '.join(ROLES)}")
        created = time_field(u, "created_at", where)
        row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        if row is not None:
            if row[0] != uid:
                raise BadPayload(f"{where}: the account '{username}' is another person's here")
            continue
        if conn.execute("SELECT 1 FROM users WHERE id = ?", (uid,)).fetchone():
            raise BadPayload(f"{where}: that account has another username here")
        if known_only:
            raise NotKnownYet(f"{where} is an account this PC does not know yet")
        conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) "
                     "VALUES (?,?,?,?,?)", (uid, username, display, ",".join(roles), created))
        applied.add("users")


# -- writing -------------------------------------------------------------------------------

def child_of(conn: Connection, upn: object, where: str) -> str:
    """The id of this PC's child with that UPN (the payload carried the roster row)."""
    row = conn.execute("SELECT id FROM children WHERE upn = ?", (upn,)).fetchone()
    if row is None:
        raise BadPayload(f"{where} names a child it does not carry")
    return str(row[0])


def insert_if_absent(conn: Connection, table: str, row: dict[str, Any]) -> int:
    """Inserts the row unless its key is here already; returns how many were added."""
    cur = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                       f"({', '.join('?' for _ in row)}) ON CONFLICT DO NOTHING",
                       tuple(row.values()))
    return int(cur.rowcount or 0)
