"""Tampering with the audit trail by someone holding the raw database key (but not this PC's
keyring): ``verify`` — through the CLI, as an admin would run it — names what was done."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.store.audit import HEAD_KEY, _head_message, canonical, chain_hash
from app.store.db import Connection
from app.store.highwater import MARK_FILE
from app.store.keys import b64e
from tests.reliability.conftest import LiveSchool


@pytest.fixture
def busy(live_school: LiveSchool) -> LiveSchool:
    for n in range(3):
        live_school.record("teacher", f"Tamper probe {n}")
    return live_school


def _as_before_signed_audit(conn: Connection) -> None:
    """What schema step 17 leaves of a trail written before audit events were signed by their
    authors: nothing signed, signatures required from the next event on."""
    conn.execute("UPDATE audit SET signer = NULL, signature = NULL")
    conn.execute("UPDATE meta SET value = (SELECT max(seq) + 1 FROM audit) "
                 "WHERE key = 'audit_signed_from'")


@pytest.fixture
def old_trail(busy: LiveSchool) -> LiveSchool:
    """A trail from before personal signatures: only the signed head guards its events, as it
    did then (tests/test_signed_audit.py covers the events signed since)."""
    _tamper(busy, _as_before_signed_audit)
    return busy


def _tamper(school: LiveSchool, change: Callable[[Connection], None]) -> None:
    """Edits the store with the raw data key only, as a forensic editor would: no session,
    no audit, no device key."""
    from app.store.db import DB_FILE, connect
    from app.store.keyfile import KeyFile

    with school.open("admin") as session:  # only to learn the data key
        key = session.data_key
    assert KeyFile.load(school.directory).store_id
    conn = connect(school.directory / DB_FILE, key)
    try:
        conn.execute("BEGIN")
        change(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _verify(school: LiveSchool) -> tuple[int, str]:
    result = school.cli("verify", user="admin", in_process=True)
    return result.returncode, result.stdout + result.stderr


def _rechain_from(conn: Connection, start: int) -> tuple[int, str]:
    """Recomputes every hash from event ``start`` on, as a careful forger would."""
    rows = conn.execute("SELECT seq, id, at, actor, action, object_type, object_id, detail "
                        "FROM audit WHERE seq >= ? ORDER BY seq", (start,)).fetchall()
    prev = conn.execute("SELECT hash FROM audit WHERE seq = ?", (start - 1,)).fetchone()[0]
    for seq, eid, at, actor, action, otype, oid, detail in rows:
        digest = chain_hash(prev, canonical(eid, at, actor, action, otype, oid,
                                            json.loads(detail), prev))
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                     (prev, digest, seq))
        prev = digest
    return rows[-1][0], prev


def test_an_untouched_trail_verifies_through_the_cli(busy: LiveSchool) -> None:
    code, out = _verify(busy)
    assert code == 0 and out.startswith("ok"), out


def test_a_changed_event_is_named_through_the_cli(busy: LiveSchool) -> None:
    _tamper(busy, lambda c: c.execute("UPDATE audit SET actor = 'dsl' WHERE seq = 6"))
    code, out = _verify(busy)
    assert code == 1 and "FAILED: audit event #6" in out and "altered" in out


def test_a_deleted_event_is_named_through_the_cli(busy: LiveSchool) -> None:
    _tamper(busy, lambda c: c.execute("DELETE FROM audit WHERE seq = 9"))
    code, out = _verify(busy)
    assert code == 1 and "#9" in out and "missing" in out


def test_reordered_events_are_named_through_the_cli(busy: LiveSchool) -> None:
    def swap(conn: Connection) -> None:
        conn.execute("UPDATE audit SET seq = -1 WHERE seq = 7")
        conn.execute("UPDATE audit SET seq = 7 WHERE seq = 8")
        conn.execute("UPDATE audit SET seq = 8 WHERE seq = -1")

    _tamper(busy, swap)
    code, out = _verify(busy)
    assert code == 1 and "audit event #7" in out


def test_a_rewritten_and_rechained_trail_is_caught_by_the_head_signature(old_trail: LiveSchool
                                                                         ) -> None:
    busy = old_trail

    def rewrite(conn: Connection) -> None:
        conn.execute("UPDATE audit SET actor = 'dsl' WHERE seq = 6")
        seq, digest = _rechain_from(conn, 6)
        head = json.loads(conn.execute("SELECT value FROM meta WHERE key = ?",
                                       (HEAD_KEY,)).fetchone()[0])
        head.update(seq=seq, hash=digest)  # the old signature no longer matches
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(head), HEAD_KEY))

    _tamper(busy, rewrite)
    code, out = _verify(busy)
    assert code == 1 and "signature is not valid" in out


def test_a_removed_head_is_named(busy: LiveSchool) -> None:
    _tamper(busy, lambda c: c.execute("DELETE FROM meta WHERE key = ?", (HEAD_KEY,)))
    code, out = _verify(busy)
    assert code == 1 and "head is missing" in out


def test_an_event_appended_without_the_device_key_is_named(busy: LiveSchool) -> None:
    def append(conn: Connection) -> None:
        seq, prev = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()
        body = canonical("forged", "2026-01-01T00:00:00.000000Z", "dsl", "view", None, None,
                         {}, prev)
        conn.execute("INSERT INTO audit (seq, id, at, actor, action, object_type, object_id, "
                     "detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (seq + 1, "forged", "2026-01-01T00:00:00.000000Z", "dsl", "view", None,
                      None, "{}", prev, chain_hash(prev, body)))

    _tamper(busy, append)
    code, out = _verify(busy)
    # Its actor's personal signature is what it lacks first (the head is not signed over it).
    assert code == 1 and "not signed with the personal key of 'dsl'" in out, out


def test_an_event_appended_to_an_old_trail_without_the_device_key_is_named(
        old_trail: LiveSchool) -> None:
    def append(conn: Connection) -> None:
        # Signatures are due only from the next event: one inserted as old is the head's.
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                     "WHERE key = 'audit_signed_from'")
        seq, prev = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()
        body = canonical("forged", "2026-01-01T00:00:00.000000Z", "dsl", "view", None, None,
                         {}, prev)
        conn.execute("INSERT INTO audit (seq, id, at, actor, action, object_type, object_id, "
                     "detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (seq + 1, "forged", "2026-01-01T00:00:00.000000Z", "dsl", "view", None,
                      None, "{}", prev, chain_hash(prev, body)))

    _tamper(old_trail, append)
    code, out = _verify(old_trail)
    assert code == 1 and "without the device key" in out


def _rewrite_and_resign(conn: Connection) -> None:
    """Alters event #6, re-chains the rest and signs the new head with a key of the forger's
    own, naming it in the head as ConcernDesk names its own."""
    conn.execute("UPDATE audit SET actor = 'dsl' WHERE seq = 6")
    seq, digest = _rechain_from(conn, 6)
    forger = Ed25519PrivateKey.generate()
    head = {"seq": seq, "hash": digest, "breaks": [],
            "public_key": b64e(forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
            "signature": b64e(forger.sign(_head_message(seq, digest, [])))}
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(head), HEAD_KEY))


def test_a_trail_resigned_with_another_key_is_refused(old_trail: LiveSchool) -> None:
    busy = old_trail
    _tamper(busy, _rewrite_and_resign)
    code, out = _verify(busy)
    assert code == 1 and "key this store does not trust" in out, out
    assert "FAILED: audit event #" in out  # the mark still knows the hash it recorded


def _rewrite_with_a_broken_signature(conn: Connection) -> None:
    conn.execute("UPDATE audit SET actor = 'dsl' WHERE seq = 6")
    seq, digest = _rechain_from(conn, 6)
    head = json.loads(conn.execute("SELECT value FROM meta WHERE key = ?",
                                   (HEAD_KEY,)).fetchone()[0])
    head.update(seq=seq, hash=digest)
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(head), HEAD_KEY))


@pytest.mark.parametrize("forgery", ["re-signed with another key", "broken signature",
                                     "head removed"])
def test_a_forged_head_is_not_signed_over_by_the_next_audited_action(old_trail: LiveSchool,
                                                                      forgery: str) -> None:
    """ConcernDesk re-signs the head at every audited action; it must not sign over a head it
    cannot trust, or the forgery would pass verify after the next view. (The new event's
    personal signature covers the forged trail before it: it vouches only for what it saw.)"""
    busy = old_trail
    change = {"re-signed with another key": _rewrite_and_resign,
              "broken signature": _rewrite_with_a_broken_signature,
              "head removed": lambda c: c.execute("DELETE FROM meta WHERE key = ?",
                                                  (HEAD_KEY,))}[forgery]
    _tamper(busy, change)
    found = int(_max_seq(busy))
    busy.record("teacher", "Recorded after the forgery")
    (busy.directory / MARK_FILE).unlink()  # the mark would tell too: here only the head may
    code, out = _verify(busy)
    assert code == 1, out
    assert f"when event #{found + 1} was added" in out, out
    assert f"events up to #{found}" in out and "outside ConcernDesk" in out, out
    assert _verify(busy)[0] == 1  # and it stays named, however many actions follow


def _max_seq(school: LiveSchool) -> int:
    from app.store.db import DB_FILE, connect

    with school.open("admin") as session:
        key = session.data_key
    conn = connect(school.directory / DB_FILE, key)
    try:
        return int(conn.execute("SELECT max(seq) FROM audit").fetchone()[0])
    finally:
        conn.close()


def test_the_head_is_signed_with_a_key_derived_from_the_device_secret(busy: LiveSchool
                                                                      ) -> None:
    """Not the device's random signing key: the recovery key brings the device secret, hence
    this key, back onto a replacement PC, so a recovered trail still verifies."""
    from app.store.audit import audit_signing_key
    from app.store.device import load_device_keys
    from app.store.keyfile import KeyFile

    store_id = KeyFile.load(busy.directory).store_id
    device = load_device_keys(store_id)
    assert device is not None
    with busy.open("admin") as session:
        head = json.loads(session.meta(HEAD_KEY) or "{}")
    expected = audit_signing_key(device.secret, store_id).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    assert head["public_key"] == b64e(expected) != b64e(device.signing_public())
