"""The account directory, signed by an admin's key (issue #15, app/store/directory.py).

The attacker is a colleague with a shell, their own passphrase, the PC's keyring and the
source code: they can write anything in store.db and sign with their own personal key. A role
they write for themselves, with or without a signature of their own, is not honoured; going as
far as replacing the directory's trusted signers is caught at the next DSL sign-in, which keeps
its own copy of them inside the DSL store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlcipher3

from app.domain.concerns import inbox
from app.errors import AccessDenied, StoreDamaged
from app.store import directory
from app.store.audit import Signer, events
from app.store.device import load_device_keys
from app.store.keyfile import KeyFile, holder
from app.store.users import add_user, change_role, list_users
from app.store.verify import verify_store
from tests.conftest import ADMIN_PASS, STAFF_PASS, TEST_KDF, SmallSchool


def _shell(school: SmallSchool, username: str) -> tuple[sqlcipher3.Connection, Signer]:
    return shell(school.directory, username, ADMIN_PASS if username == "admin" else STAFF_PASS)


def shell(store: Path, username: str, secret: str) -> tuple[sqlcipher3.Connection, Signer]:
    """What a colleague opens by hand: store.db with the school key their grant gives, and
    their own personal signing key."""
    keyfile = KeyFile.load(store)
    device = load_device_keys(keyfile.store_id)
    assert device is not None
    personal = keyfile.unlock_user(username, secret, device.secret).personal
    assert personal is not None
    key = keyfile.open("school", holder(username), personal.hpke)
    assert key is not None
    conn = sqlcipher3.connect(str(store / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn, Signer.of(username, personal.signing)


def _self_signed_admin(conn: sqlcipher3.Connection, store_id: str, me: Signer) -> None:
    conn.execute("UPDATE users SET roles = 'admin,staff' WHERE username = ?", (me.name,))
    entry = directory.Entry(me.name, "Terry Teach", ("admin", "staff"), "active", me.public)
    canonical = entry.canonical()
    signature = me.key.sign(directory.message(store_id, me.name, canonical))
    import base64

    conn.execute("UPDATE directory SET entry = ?, signer = ?, signature = ? WHERE username = ?",
                 (canonical, me.name, base64.b64encode(signature).decode(), me.name))


def test_every_account_an_admin_made_is_signed_and_honoured(keyed_school: SmallSchool) -> None:
    with keyed_school.open("admin") as admin:
        valid = directory.valid_entries(admin.conn, admin.store_id)
        assert set(valid) == {"admin", "dsl", "deputy", "teacher", "teacher2", "office"}
        assert valid["teacher"].roles == ("staff",)
        add_user(admin, "second", "Sam Second", "admin", STAFF_PASS, kdf=TEST_KDF)
    with keyed_school.open("second") as second:  # an admin made by an admin is one
        assert "admin" in second.user.roles
        assert len(list_users(second)) == 7
    with keyed_school.open("admin") as admin:
        change_role(admin, "second", "staff")
    conn, _ = _shell(keyed_school, "teacher")  # and the row written back by hand
    conn.execute("UPDATE users SET roles = 'admin' WHERE username = 'second'")
    conn.commit()
    conn.close()
    with keyed_school.open("second") as second:
        assert "admin" not in second.user.roles


def test_a_self_signed_admin_entry_is_not_honoured(keyed_school: SmallSchool) -> None:
    conn, me = _shell(keyed_school, "teacher")
    store_id = KeyFile.load(keyed_school.directory).store_id
    _self_signed_admin(conn, store_id, me)
    conn.commit()
    conn.close()
    with keyed_school.open("teacher") as teacher:
        assert teacher.user.roles == ("staff",)
        with pytest.raises(AccessDenied):
            list_users(teacher)
    with keyed_school.open("dsl") as dsl:
        report = verify_store(dsl)
        assert not report.ok
        assert any("'teacher' is marked admin" in p for p in report.problems)


def test_replacing_the_trusted_signers_is_caught_by_the_next_dsl_sign_in(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl"):
        pass  # the DSL store has its copy of the roots, and the maker's setup key is gone
    conn, me = _shell(keyed_school, "teacher")
    store_id = KeyFile.load(keyed_school.directory).store_id
    _self_signed_admin(conn, store_id, me)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'directory_roots'",
                 (json.dumps({me.name: me.public}),))
    conn.commit()
    conn.close()
    # Their own copy of the app now calls them admin: it holds no key they did not hold.
    with keyed_school.open("teacher") as teacher:
        assert "admin" in teacher.user.roles
        with pytest.raises(AccessDenied):
            inbox(teacher)
        change_role(teacher, "teacher", "staff,dsl")  # a key request, signed by the teacher
    with keyed_school.open("dsl") as dsl:
        assert dsl.directory_tampered
        trail = [e for e in events(dsl.conn, schema="dsl") if e.object_type in
                 ("directory", "key-request")]
        assert {e.detail.get("change") or e.detail.get("outcome") for e in trail} == {
            "roots edited outside the app", "refused"}
        report = verify_store(dsl)
        assert any("trusted signers" in p for p in report.problems)
        mine = directory.valid_entries(dsl.conn, dsl.store_id, directory.dsl_roots(dsl.conn))
        assert "teacher" not in mine and "admin" in mine  # what the DSL store's copy trusts
    with keyed_school.open("teacher") as teacher:
        assert "dsl" not in teacher.user.roles


def test_a_store_signed_before_the_directory_is_signed_at_its_admins_first_sign_in(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    conn, _ = _shell(keyed_school, "admin")  # as a store at schema 18 had it: no directory
    conn.execute("DELETE FROM directory")
    conn.execute("DELETE FROM meta WHERE key = 'directory_roots'")
    conn.commit()
    conn.close()
    with keyed_school.open("teacher") as teacher:
        assert not directory.in_force(teacher.conn)
    with keyed_school.open("admin") as admin:
        assert "admin" in admin.user.roles
        assert directory.in_force(admin.conn)
        signed = [e for e in events(admin.conn) if e.object_type == "directory"]
        assert signed[-1].detail == {"change": "signed as it stood", "accounts": 6}
    conn, _ = _shell(keyed_school, "teacher")
    conn.execute("UPDATE users SET roles = 'admin,staff' WHERE username = 'teacher'")
    conn.commit()
    conn.close()
    with keyed_school.open("teacher") as teacher:
        assert "admin" not in teacher.user.roles


def test_a_key_planted_in_keys_json_for_another_account_is_not_granted_to(
        keyed_school: SmallSchool) -> None:
    """A teacher writes their own public key as teacher2's in keys.json; the admin (still
    holding the DSL store's key) then gives teacher2 the DSL role. The grant is sealed to the
    key the signed directory vouches for: the teacher's key opens nothing."""
    keyfile = KeyFile.load(keyed_school.directory)
    device = load_device_keys(keyfile.store_id)
    assert device is not None
    mine = keyfile.unlock_user("teacher", STAFF_PASS, device.secret).personal
    assert mine is not None
    keyfile.users["teacher2"]["public"] = keyfile.users["teacher"]["public"]
    keyfile.save(keyed_school.directory)
    with keyed_school.open("admin") as admin:
        change_role(admin, "teacher2", "staff,dsl")
    granted = KeyFile.load(keyed_school.directory)
    try:
        opened = granted.open("dsl", holder("teacher2"), mine.hpke)
    except StoreDamaged:  # sealed to another key: it does not open with the teacher's
        opened = None
    assert opened is None
    with keyed_school.open("teacher2") as teacher2:
        assert "dsl" in teacher2.user.roles
