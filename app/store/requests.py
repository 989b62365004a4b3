"""Key requests: how an admin who does not hold the DSL store's key still gives someone the DSL
(or office) role, without any account being able to do the same by editing a file.

The admin's session signs a request with the admin's personal Ed25519 key and leaves it in
``keys.json``. The next sign-in of a DSL honours it only if the signature is by an admin the DSL
store trusts — a list kept *inside* the DSL store, which starts with the account that made the
store and grows only by requests those admins signed. It then grants the key to the public key
named in the signed request (not whatever the key file says by then), pins the new member in the
DSL store and audits it in the DSL team's trail. A role written into the users table, or a
request without a trusted signature, gives nothing (docs/keys.md, "Key requests").
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.clock import iso
from app.store.db import Connection
from app.store.keyfile import KeyFile, holder
from app.store.keys import b64d, b64e
from app.store.session import Session

PREFIX = b"concerndesk/request/v1|"
TRUSTED = "trusted_admins"
BOOTSTRAP = "bootstrap_holder"
SCOPES = ("dsl", "office", "admin")  # "admin": trust this account's signature on requests


def _body(request: dict[str, Any]) -> bytes:
    fields = {k: request[k] for k in ("scope", "username", "public", "signing_public", "by",
                                      "at")}
    return PREFIX + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign_request(session: Session, keyfile: KeyFile, scope: str, username: str) -> bool:
    """Leaves a request signed by the acting admin; False when they cannot sign one (no
    personal keys, or ``username`` has none yet)."""
    personal = session.held.personal
    entry = keyfile.users.get(username, {})
    if personal is None or "public" not in entry:
        return False
    request = {"scope": scope, "username": username, "public": entry["public"],
               "signing_public": entry["signing_public"], "by": session.user.username,
               "at": iso(session.clock.now())}
    request["signature"] = b64e(personal.signing.sign(_body(request)))
    keyfile.requests = [r for r in keyfile.requests
                        if (r.get("scope"), r.get("username")) != (scope, username)]
    keyfile.requests.append(request)
    return True


REKEY_OWED = "rekey_owed"  # dsl.meta: a member's keys changed (a passphrase reset)


def pin_dsl_member(conn: Connection, username: str, public: bytes, now: str) -> None:
    """Pins a DSL member's public key inside the DSL store. A member whose key changes (an
    admin reset their passphrase) owes the DSL store a re-key: whoever knew the old passphrase
    must open nothing the team writes from now on (``hub.sealing.rotate_if_member_left``)."""
    row = conn.execute("SELECT public FROM dsl.dsl_members WHERE username = ?", (username,)
                       ).fetchone()
    if row is not None and row[0] != b64e(public):
        conn.execute("INSERT INTO dsl.meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO "
                     "UPDATE SET value = '1'", (REKEY_OWED,))
    conn.execute("INSERT INTO dsl.dsl_members (username, public, added_at) VALUES (?,?,?) ON "
                 "CONFLICT (username) DO UPDATE SET public = excluded.public",
                 (username, b64e(public), now))


def trusted_admins(session: Session) -> dict[str, str]:
    row = session.conn.execute("SELECT value FROM dsl.meta WHERE key = ?", (TRUSTED,)
                               ).fetchone()
    return dict(json.loads(row[0])) if row else {}


def trust_admin(session: Session, username: str, signing_public: str) -> None:
    trusted = trusted_admins(session)
    trusted[username] = signing_public
    session.conn.execute("INSERT INTO dsl.meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (TRUSTED, json.dumps(trusted)))


def _signed_by_trusted(request: dict[str, Any], trusted: dict[str, str]) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(b64d(trusted[request["by"]])).verify(
            b64d(request["signature"]), _body(request))
    except (KeyError, ValueError, TypeError, InvalidSignature):
        return False
    return request.get("scope") in SCOPES


def honour_requests(session: Session, office_private: bytes | None) -> int:
    """A DSL's sign-in: grants what trusted admins asked for; drops (and audits) the rest.
    Returns how many were honoured."""
    dsl_key = session.held.dsl_key
    if dsl_key is None:
        return 0
    keyfile = KeyFile.load(session.directory)
    if not keyfile.requests:
        return 0
    trusted = trusted_admins(session)
    honoured = 0
    with session.tx():
        # Admin trust first: a request signed by a newly trusted admin counts in this pass.
        for request in sorted(keyfile.requests, key=lambda r: r.get("scope") != "admin"):
            username = str(request.get("username"))
            if not _signed_by_trusted(request, trusted):
                session.audit("user", "key-request", None, username=username,
                              outcome="refused", reason="not signed by a trusted admin")
                continue
            public, scope = b64d(str(request["public"])), str(request["scope"])
            if scope == "admin":
                trust_admin(session, username, str(request["signing_public"]))
                trusted[username] = str(request["signing_public"])
            else:
                if scope == "dsl":
                    keyfile.grant("dsl", holder(username), dsl_key, public)
                    pin_dsl_member(session.conn, username, public, iso(session.clock.now()))
                if office_private is not None:
                    keyfile.grant("office", holder(username), office_private, public)
            session.audit("user", "key-request", None, username=username, scope=scope,
                          outcome="granted", requested_by=request.get("by"))
            honoured += 1
        keyfile.requests = []
        keyfile.save(session.directory)
    return honoured


def end_bootstrap(session: Session) -> str | None:
    """The account that made the store held the DSL store's key only until a DSL signs in;
    returns it (its grant now withdrawn) so the caller re-keys, or None."""
    row = session.conn.execute("SELECT value FROM dsl.meta WHERE key = ?", (BOOTSTRAP,)
                               ).fetchone()
    if row is None or not session.user.has_role("dsl"):
        return None
    maker = str(row[0])
    member = session.conn.execute("SELECT 1 FROM dsl.dsl_members WHERE username = ?",
                                  (maker,)).fetchone()
    with session.tx():
        session.conn.execute("DELETE FROM dsl.meta WHERE key = ?", (BOOTSTRAP,))
        session.audit("settings", "dsl-store", None, setup_key_withdrawn_from=maker)
    if member:  # the maker is a DSL themselves: nothing to withdraw
        return None
    keyfile = KeyFile.load(session.directory)
    keyfile.revoke("dsl", holder(maker))
    keyfile.revoke("office", holder(maker))
    keyfile.save(session.directory)
    return maker



def grant_awaiting(session: Session, office_private: bytes | None) -> int:
    """After a split (app/store/upgrade.py): the DSL accounts that had no personal keys then
    get the DSL store's key once they have signed in and made some."""
    row = session.conn.execute("SELECT value FROM dsl.meta WHERE key = 'awaiting_members'"
                               ).fetchone()
    dsl_key = session.held.dsl_key
    waiting = list(json.loads(row[0])) if row else []
    if not waiting or dsl_key is None:
        return 0
    keyfile = KeyFile.load(session.directory)
    ready = [u for u in waiting if "public" in keyfile.users.get(u, {})]
    if not ready:
        return 0
    with session.tx():
        for username in ready:
            public = b64d(keyfile.users[username]["public"])
            keyfile.grant("dsl", holder(username), dsl_key, public)
            if office_private is not None:
                keyfile.grant("office", holder(username), office_private, public)
            session.conn.execute("INSERT OR REPLACE INTO dsl.dsl_members (username, public, "
                                 "added_at) VALUES (?,?,?)", (username, b64e(public),
                                                              iso(session.clock.now())))
            session.audit("user", "key-request", None, username=username, scope="dsl",
                          outcome="granted", requested_by="split-store")
        session.conn.execute("UPDATE dsl.meta SET value = ? WHERE key = 'awaiting_members'",
                             (json.dumps([u for u in waiting if u not in ready]),))
        keyfile.save(session.directory)
    return len(ready)


def awaiting_keys(session: Session) -> dict[str, list[str]]:
    """username → the keys (``dsl``, ``office``) an admin asked for and no DSL has handed
    over yet: what the admin's screens and commands say is still to come."""
    waiting: dict[str, list[str]] = {}
    for request in KeyFile.load(session.directory).requests:
        if request.get("scope") in ("dsl", "office"):
            waiting.setdefault(str(request.get("username")), []).append(str(request["scope"]))
    return waiting


def awaiting_words(session: Session, username: str) -> str:
    """" They get the DSL store's key at the next sign-in of a DSL." or ""."""
    scopes = awaiting_keys(session).get(username)
    if not scopes:
        return ""
    # A DSL's request brings the office key with it: name only the DSL store's.
    what = "the DSL store's key" if "dsl" in scopes else "the office key"
    return f" {username} gets {what} at the next sign-in of a DSL on this PC."
