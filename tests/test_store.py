"""Creating, unlocking, rate-limiting, recovering and damaging a real SQLCipher store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.errors import InputError, StoreDamaged, UnlockError
from app.store.access import recover, unlock
from app.store.db import DB_FILE
from app.store.keyfile import KEYFILE
from app.store.keys import parse_recovery_key
from app.store.users import reset_passphrase
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool


def test_store_file_is_encrypted_sqlcipher_not_plain_sqlite(school: SmallSchool) -> None:
    raw = (school.directory / DB_FILE).read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(school.directory / DB_FILE).execute("SELECT * FROM sqlite_master")


def test_store_files_are_for_their_owner_only(school: SmallSchool) -> None:
    with school.open("dsl"):
        modes = {p.name: p.stat().st_mode & 0o777 for p in school.directory.iterdir()}
    assert modes["store.db"] == 0o600 and modes["keys.json"] == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes
    assert school.directory.stat().st_mode & 0o777 == 0o700


def test_store_uses_wal_full_sync_and_latest_schema(school: SmallSchool) -> None:
    with school.open("dsl") as session:
        conn = session.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 2


def test_each_user_unlocks_with_their_own_passphrase_only(school: SmallSchool) -> None:
    with school.open("teacher") as session:
        assert session.user.roles == ("staff",)
    with pytest.raises(UnlockError, match="passphrase for 'teacher' is wrong"):
        unlock(school.directory, "teacher", ADMIN_PASS, clock=school.clock)
    with pytest.raises(UnlockError, match="no account 'nobody'"):
        unlock(school.directory, "nobody", STAFF_PASS, clock=school.clock)


def test_wrong_passphrases_bring_a_growing_delay_and_are_audited(school: SmallSchool) -> None:
    for _ in range(2):
        with pytest.raises(UnlockError) as error:
            unlock(school.directory, "teacher", "not the passphrase", clock=school.clock)
        assert "Wait" not in str(error.value)
    with pytest.raises(UnlockError, match="Wait 1 second before"):
        unlock(school.directory, "teacher", "not the passphrase", clock=school.clock)
    # Even the right passphrase waits out the delay...
    with pytest.raises(UnlockError, match="try again in 1 second"):
        unlock(school.directory, "teacher", STAFF_PASS, clock=school.clock)
    school.clock.advance(1)
    with pytest.raises(UnlockError, match="Wait 2 seconds"):
        unlock(school.directory, "teacher", "wrong again", clock=school.clock)
    school.clock.advance(2)
    with school.open("teacher"):
        pass
    with school.open("dsl") as session:
        failed = session.conn.execute("SELECT count(*) FROM audit WHERE action = "
                                      "'failed-login'").fetchone()[0]
    assert failed == 4


def test_a_copied_store_does_not_open_without_this_pcs_device_secret(
        school: SmallSchool) -> None:
    from app.store.device import forget_device_keys, load_device_keys

    store_id = json.loads((school.directory / KEYFILE).read_text())["store_id"]
    keys = load_device_keys(store_id)
    assert keys is not None
    forget_device_keys(store_id)  # as on another PC: the file, but not this keyring
    with pytest.raises(Exception, match="does not hold the device keys"):
        school.open("teacher")
    # The recovery key re-opens it, re-creating the device keys from the recovered secret...
    with recover(school.directory, school.recovery_key, clock=school.clock) as session:
        assert session.user.username == "admin"
    # ...after which everyone's own passphrase works again on this PC.
    with school.open("teacher"):
        pass


def test_a_store_recovered_onto_a_new_pc_verifies_with_the_same_pinned_head_key(
        school: SmallSchool) -> None:
    """The audit head's key comes from the device secret, which the recovery key brings back:
    the new PC trusts the old trail without re-signing it blindly, though its own device
    signing key (for sync) is new."""
    from app.store.audit import trusted_head_keys
    from app.store.device import forget_device_keys, load_device_keys
    from app.store.verify import verify_store

    store_id = json.loads((school.directory / KEYFILE).read_text())["store_id"]
    old = load_device_keys(store_id)
    assert old is not None
    forget_device_keys(store_id)
    with recover(school.directory, school.recovery_key, clock=school.clock) as session:
        assert session.device.signing_public() != old.signing_public()
        shared = trusted_head_keys(session.device, store_id) & trusted_head_keys(old, store_id)
        assert len(shared) == 1  # the derived audit key, and only it
        report = verify_store(session)
    assert report.ok and not report.warnings, report.problems
    with school.open("dsl") as session:
        assert verify_store(session).ok


def test_wrong_recovery_key_is_refused_and_malformed_one_explained(school: SmallSchool
                                                                   ) -> None:
    other = "0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000"
    with pytest.raises(UnlockError, match="does not open this store"):
        recover(school.directory, other, clock=school.clock)
    with pytest.raises(InputError, match="needs 52"):
        parse_recovery_key("1234-5678")


def test_admin_resets_a_forgotten_passphrase(school: SmallSchool) -> None:
    with school.open("admin") as admin:
        reset_passphrase(admin, "teacher", "a brand new passphrase")
    with pytest.raises(UnlockError):
        school.open("teacher")
    unlock(school.directory, "teacher", "a brand new passphrase", clock=school.clock).close()


def test_damaged_store_file_gets_a_restore_message_not_a_crash(school: SmallSchool) -> None:
    path = school.directory / DB_FILE
    data = bytearray(path.read_bytes())
    for offset in range(0, len(data), 4096):  # flip a byte in every page, header included
        data[offset + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    for leftover in ("-wal", "-shm"):
        Path(str(path) + leftover).unlink(missing_ok=True)
    with pytest.raises(StoreDamaged, match="damaged"):
        school.open("dsl")


def test_missing_key_file_is_named(school: SmallSchool) -> None:
    (school.directory / KEYFILE).unlink()
    with pytest.raises(StoreDamaged, match=r"key file keys\.json is missing"):
        school.open("dsl")


def test_no_store_at_all_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="there is no store"):
        unlock(tmp_path / "nothing", "dsl", STAFF_PASS)


def test_weak_passphrase_is_refused_when_creating_a_store(tmp_path: Path) -> None:
    from app.store.access import create_store

    with pytest.raises(InputError, match="at least 10 characters"):
        create_store(tmp_path / "s", school_name="X", admin_username="a",
                     admin_display_name="A", passphrase="short")
    assert not (tmp_path / "s").exists()
