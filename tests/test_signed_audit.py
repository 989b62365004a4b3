"""Audit events are signed by the acting account's personal key (docs/keys.md, "The audit
trails"): an account with a shell, the store keys and this PC's keyring (the device secret, so
it can re-sign the head) still cannot rewrite what someone else did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.domain.concerns import ConcernDraft, get_concern, record_concern
from app.store import dsl_store, highwater
from app.store.access import recover
from app.store.audit import (
    HEAD_KEY,
    RECOVERY_SIGNER,
    SIGNED_FROM_KEY,
    _head_message,
    _raw_public,
    audit_signing_key,
    canonical,
    chain_hash,
    event_message,
)
from app.store.db import DB_FILE, Connection, connect
from app.store.device import load_device_keys
from app.store.keyfile import KeyFile
from app.store.keys import b64e
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS, SmallSchool


def _busy(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
        view = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text="Signed probe",
            occurred_at=school.clock.now() - timedelta(hours=1)))
    for dsl in ("dsl", "deputy"):
        with school.open(dsl) as session:
            get_concern(session, view.id)


def _verify(school: SmallSchool, user: str = "dsl") -> tuple[bool, list[str], list[str]]:
    with school.open(user) as session:
        report = verify_store(session)
    return report.ok, report.problems, report.warnings


@contextmanager
def _shell(school: SmallSchool) -> Iterator[tuple[Connection, str, bytes]]:
    """The forger's tools: both stores opened with their raw keys (here a DSL's), the store id
    and the device secret read from the keyring. No session, no audit."""
    with school.open("dsl") as session:
        data_key, dsl_key = session.data_key, session.held.dsl_key
    assert dsl_key is not None
    store_id = KeyFile.load(school.directory).store_id
    device = load_device_keys(store_id)
    assert device is not None
    conn = connect(school.directory / DB_FILE, data_key)
    dsl_store.attach_store(conn, school.directory, dsl_key)
    try:
        conn.execute("BEGIN")
        yield conn, store_id, device.secret
        conn.execute("COMMIT")
        mark = highwater.pending(conn)  # the forger re-records the mark too
        highwater.record(school.directory, data_key, mark)
    finally:
        conn.close()


def _first_by(conn: Connection, schema: str, actor: str) -> int:
    """The first event ``actor`` did that has an event before it."""
    return int(conn.execute(f"SELECT min(seq) FROM {schema}.audit WHERE actor = ? AND seq > 1",
                            (actor,)).fetchone()[0])


def _rewrite(conn: Connection, store_id: str, device_secret: bytes, schema: str, seq: int, *,
             signer: tuple[str, Ed25519PrivateKey] | None = None, strip: bool = False) -> None:
    """Changes event ``seq``, re-chains everything after it and re-signs the head with this
    PC's device-derived key. ``signer``: also re-sign each event from ``seq`` on with that
    (name, key); ``strip``: drop their signatures instead."""
    conn.execute(f"UPDATE {schema}.audit SET detail = ? WHERE seq = ?",
                 (json.dumps({"forged": True}), seq))
    prev = conn.execute(f"SELECT hash FROM {schema}.audit WHERE seq = ?",
                        (seq - 1,)).fetchone()[0]
    rows = conn.execute(f"SELECT seq, id, at, actor, action, object_type, object_id, detail "
                        f"FROM {schema}.audit WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
    for n, eid, at, actor, action, otype, oid, detail in rows:
        digest = chain_hash(prev, canonical(eid, at, actor, action, otype, oid,
                                            json.loads(detail), prev))
        conn.execute(f"UPDATE {schema}.audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                     (prev, digest, n))
        if signer is not None:
            name, key = signer
            conn.execute(f"UPDATE {schema}.audit SET signer = ?, signature = ? WHERE seq = ?",
                         (name, b64e(key.sign(event_message(store_id, schema, n, digest, name))),
                          n))
        elif strip:
            conn.execute(f"UPDATE {schema}.audit SET signer = NULL, signature = NULL "
                         "WHERE seq = ?", (n,))
        prev = digest
    head_key = audit_signing_key(device_secret, store_id)
    last = rows[-1][0]
    head = {"seq": last, "hash": prev, "breaks": [],
            "public_key": b64e(_raw_public(head_key)),
            "signature": b64e(head_key.sign(_head_message(last, prev, [])))}
    conn.execute(f"UPDATE {schema}.meta SET value = ? WHERE key = ?",
                 (json.dumps(head), HEAD_KEY))


def test_untouched_stores_verify_with_every_event_signed(school: SmallSchool) -> None:
    _busy(school)
    assert _verify(school) == (True, [], [])
    assert _verify(school, "teacher") == (True, [], [])
    with school.open("dsl") as session:
        for schema in ("main", "dsl"):
            unsigned = session.conn.execute(
                f"SELECT count(*) FROM {schema}.audit WHERE signature IS NULL").fetchone()[0]
            assert unsigned == 0
        # The DSL team's events are the DSLs' own, in their own store's chain.
        signers = {r[0] for r in session.conn.execute("SELECT signer FROM dsl.audit")}
    assert {"dsl", "deputy"} <= signers


@pytest.mark.parametrize("schema", ["main", "dsl"])
def test_a_rewritten_trail_resigned_with_the_device_key_is_named(school: SmallSchool,
                                                                 schema: str) -> None:
    _busy(school)
    with _shell(school) as (conn, store_id, secret):
        seq = _first_by(conn, schema, "deputy" if schema == "dsl" else "teacher")
        _rewrite(conn, store_id, secret, schema, seq)
    ok, problems, _ = _verify(school)
    assert not ok
    assert f"audit event #{seq} " in problems[0], problems
    assert "signature by" in problems[0] and "does not hold" in problems[0], problems
    if schema == "dsl":
        assert problems[0].startswith("the DSL team's audit trail: ")


@pytest.mark.parametrize("schema", ["main", "dsl"])
def test_a_trail_resigned_with_another_accounts_key_is_named(school: SmallSchool,
                                                             schema: str) -> None:
    """The forger signs with their own personal key (the only one they have), as themselves
    and then in the name of the account that acted: both are named."""
    _busy(school)
    victim = "deputy" if schema == "dsl" else "admin"
    keyfile = KeyFile.load(school.directory)
    store_id = keyfile.store_id
    device = load_device_keys(store_id)
    assert device is not None
    forger = keyfile.unlock_user("dsl", STAFF_PASS, device.secret).personal
    assert forger is not None
    with _shell(school) as (conn, store_id, secret):
        seq = _first_by(conn, schema, victim)
        _rewrite(conn, store_id, secret, schema, seq, signer=("dsl", forger.signing))
    ok, problems, _ = _verify(school)
    assert not ok and f"audit event #{seq} " in problems[0], problems
    assert f"is signed by 'dsl', not by '{victim}'" in problems[0], problems

    with _shell(school) as (conn, store_id, secret):
        _rewrite(conn, store_id, secret, schema, seq, signer=(victim, forger.signing))
    ok, problems, _ = _verify(school)
    assert not ok and f"audit event #{seq} " in problems[0], problems
    assert f"signature by '{victim}' that does not hold" in problems[0], problems


@pytest.mark.parametrize("schema", ["main", "dsl"])
def test_a_rewritten_trail_with_its_signatures_dropped_is_named(school: SmallSchool,
                                                                schema: str) -> None:
    _busy(school)
    with _shell(school) as (conn, store_id, secret):
        seq = _first_by(conn, schema, "deputy" if schema == "dsl" else "teacher")
        _rewrite(conn, store_id, secret, schema, seq, strip=True)
    ok, problems, _ = _verify(school)
    assert not ok and f"audit event #{seq} " in problems[0], problems
    assert "is not signed with the personal key of" in problems[0], problems


def test_moving_the_start_of_signing_does_not_excuse_a_broken_signature(
        school: SmallSchool) -> None:
    _busy(school)
    with _shell(school) as (conn, store_id, secret):
        seq = _first_by(conn, "main", "teacher")
        _rewrite(conn, store_id, secret, "main", seq)
        conn.execute("UPDATE meta SET value = '1000000' WHERE key = ?", (SIGNED_FROM_KEY,))
    ok, problems, _ = _verify(school)
    assert not ok and f"audit event #{seq} " in problems[0], problems


def _as_before_signed_audit(conn: Connection) -> dict[str, int]:
    """What the migrations (school 17, DSL 4) leave of trails written before them."""
    starts = {}
    for schema in ("main", "dsl"):
        conn.execute(f"UPDATE {schema}.audit SET signer = NULL, signature = NULL")
        starts[schema] = int(conn.execute(f"SELECT max(seq) + 1 FROM {schema}.audit"
                                          ).fetchone()[0])
        conn.execute(f"UPDATE {schema}.meta SET value = ? WHERE key = ?",
                     (str(starts[schema]), SIGNED_FROM_KEY))
    return starts


def test_an_old_format_trail_verifies_and_is_signed_from_the_next_event(
        school: SmallSchool) -> None:
    _busy(school)
    with _shell(school) as (conn, _store_id, _secret):
        starts = _as_before_signed_audit(conn)
    _busy(school)  # written by this version: signed
    ok, problems, warnings = _verify(school)
    assert ok, problems
    assert f"audit events #1–#{starts['main'] - 1} were written before" in warnings[0]
    with school.open("dsl") as session:
        first_signed = session.conn.execute(
            "SELECT min(seq) FROM main.audit WHERE signature IS NOT NULL").fetchone()[0]
    assert first_signed == starts["main"]
    # The old part is still guarded by the hash chain and the head, the new by signatures.
    with _shell(school) as (conn, store_id, secret):
        _rewrite(conn, store_id, secret, "main", starts["main"] - 2)
    ok, problems, _ = _verify(school)
    assert not ok and f"audit event #{starts['main']} " in problems[0], problems


def test_a_recovery_session_signs_with_the_recovery_key(school: SmallSchool) -> None:
    with recover(school.directory, school.recovery_key, clock=school.clock) as session:
        signer = session.conn.execute("SELECT signer FROM main.audit WHERE action = 'recovery'"
                                      ).fetchone()[0]
    assert signer == RECOVERY_SIGNER
    assert _verify(school)[:2] == (True, [])


def test_a_session_writing_as_another_account_without_its_keys_is_named(
        school: SmallSchool) -> None:
    """``Session.as_user`` (demo and bulk loads) signs only with the keys it is given."""
    with school.open("admin") as admin:
        teacher = admin.conn.execute("SELECT id, username, display_name FROM users "
                                     "WHERE username = 'teacher'").fetchone()
        from app.store.access import load_user
        user = load_user(admin.conn, teacher[1])
        assert user is not None
        admin.as_user(user).audited("view", "store", None)
    ok, problems, _ = _verify(school)
    assert not ok and "not signed with the personal key of 'teacher'" in problems[0]


def test_step_17_requires_signatures_only_after_the_events_already_there(tmp_path: Path
                                                                       ) -> None:
    import os

    from app.store.db import migrate

    conn = connect(tmp_path / DB_FILE, os.urandom(32), create=True)
    migrate(conn, target=16)
    for seq in (1, 2):  # as the code before step 17 wrote them
        conn.execute("INSERT INTO audit (seq, id, at, actor, action, object_type, object_id, "
                     "detail, prev_hash, hash) VALUES (?, ?, 'at', 'admin', 'view', NULL, NULL,"
                     " '{}', 'p', 'h')", (seq, f"e{seq}"))
    migrate(conn)
    assert conn.execute("SELECT value FROM meta WHERE key = ?", (SIGNED_FROM_KEY,)
                        ).fetchone()[0] == "3"
    assert conn.execute("SELECT count(*) FROM audit WHERE signer IS NULL").fetchone()[0] == 2
    conn.close()
