"""Removing or disabling any account re-keys the school store (issue #15, docs/keys.md,
"Rotation"), attacked from a shell as in tests/test_roles_by_key.py.

The attacker is a teacher (or the office) who copied keys.json while still an account, and
keeps their passphrase and this PC's keyring. After they go, others write; the old key file
must open nothing of it — in fact the current store.db not at all — while everyone who stayed,
and the recovery key, still open everything. A crash at each step of the re-key loses nothing
committed and leaves a key that opens the store.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sqlcipher3
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.domain.concerns import inbox, my_concerns
from app.domain.pupils import apply_roster
from app.errors import StoreRekeyed, UnlockError
from app.store import rekey
from app.store.access import recover, unlock
from app.store.audit import events
from app.store.device import load_device_keys
from app.store.keyfile import KeyFile, holder
from app.store.keys import TEST_KDF, PersonalKeys, b64e, passphrase_kek, wrap
from app.store.users import change_role, disable_user, list_users, remove_user, reset_passphrase
from tests.conftest import PUPILS, STAFF_PASS, SmallSchool
from tests.test_roles_by_key import _concern, _everything_readable, _keys_the_attacker_holds

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
AFTER = ("AFTERCONCERNMARKER", "Quillonmarker")  # a concern, and a roster change


def _old_school_key(old_keyfile: Path, username: str) -> bytes:
    """By hand, as the attacker: the school key their copy of keys.json still gives them."""
    old = KeyFile(**{k: v for k, v in json.loads(old_keyfile.read_text()).items()
                     if k in ("store_id", "users", "recovery", "grants")})
    device = load_device_keys(old.store_id)
    assert device is not None
    personal = old.unlock_user(username, STAFF_PASS, device.secret).personal
    assert personal is not None
    key = old.open("school", holder(username), personal.hpke)
    assert key is not None
    return key


def _opens(path: Path, key: bytes) -> bool:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.dbapi2.DatabaseError:
        return False
    finally:
        conn.close()


def _write_after(school: SmallSchool) -> None:
    with school.open("teacher2") as teacher2:
        _concern(teacher2, f"Written after {AFTER[0]}")
    with school.open("admin") as admin:
        apply_roster(admin, [replace(PUPILS[1], preferred_forename=AFTER[1])])


def _recovery_opens_by_the_document(school: SmallSchool) -> set[str]:
    """docs/keys.md alone, as tests/test_keys_document.py: the recovery key's grant of the
    school store's key opens store.db; returns the preferred forenames of the roster."""
    keys = json.loads((school.directory / "keys.json").read_text())
    store_id = keys["store_id"]
    cleaned = school.recovery_key.replace("-", "")
    number = 0
    for ch in cleaned:
        number = number * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    recovery = X25519PrivateKey.from_private_bytes(HKDF(
        hashes.SHA256(), 32, salt=store_id.encode(),
        info=b"concerndesk/recovery-x25519/v1").derive(number.to_bytes(32, "big")))
    key = SUITE.decrypt(base64.b64decode(keys["grants"]["school"]["recovery"]), recovery,
                        f"concerndesk/grant/v1|{store_id}|school|recovery".encode())
    conn = sqlcipher3.connect(str(school.directory / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    names = {str(r[0]) for r in conn.execute("SELECT preferred_forename FROM children")}
    conn.close()
    return names


@pytest.mark.parametrize("how", ["removed", "disabled"])
@pytest.mark.parametrize("who", ["teacher", "office"])
def test_a_removed_account_with_an_old_key_file_opens_nothing_written_after(
        keyed_school: SmallSchool, tmp_path: Path, who: str, how: str) -> None:
    school = keyed_school
    with school.open("teacher2") as teacher2:
        _concern(teacher2, "Before the removal BEFOREMARKER")
    with school.open("dsl"):
        pass  # the DSL team opens it: both copies now exist
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(school.directory / "keys.json", old_keyfile)
    old_key = _old_school_key(old_keyfile, who)
    assert "Larkfield" in _everything_readable(school.directory, [old_key])  # the test can fail
    with school.open("dsl") as dsl:
        dsl_key = dsl.held.dsl_key

    with school.open("admin") as admin:
        said = (remove_user if how == "removed" else disable_user)(admin, who)
        assert "re-keyed" in said
    _write_after(school)

    assert not _opens(school.directory / "store.db", old_key)
    text = _everything_readable(school.directory, [old_key, *_device_secret(school)])
    assert "Larkfield" not in text and not [m for m in AFTER if m in text]
    with pytest.raises(UnlockError):
        school.open(who)
    # Everyone who stayed signs in and sees what they saw, and what came after.
    with school.open("teacher2") as teacher2:
        mine = " ".join(c.latest.fields.summary for c in my_concerns(teacher2))
        assert "BEFOREMARKER" in mine and AFTER[0] in mine
    with school.open("dsl") as dsl:
        assert dsl.held.dsl_key == dsl_key  # the DSL store keeps its own key
        texts = " ".join(c.latest.fields.summary for c in inbox(dsl))
        assert "BEFOREMARKER" in texts and AFTER[0] in texts
        assert [e for e in events(dsl.conn) if e.detail.get("rekeyed")]
    with school.open("admin"):
        pass
    assert AFTER[1] in _recovery_opens_by_the_document(school)
    with recover(school.directory, school.recovery_key, clock=school.clock) as recovered:
        assert recovered.held.dsl_store_open


def _device_secret(school: SmallSchool) -> list[bytes]:
    device = load_device_keys(KeyFile.load(school.directory).store_id)
    assert device is not None
    return [device.secret]


@pytest.mark.parametrize("step", ["before-commit", "before-rekey", "before-promote",
                                  "before-audit"])
def test_a_crash_at_each_step_of_the_re_key_loses_nothing(
        keyed_school: SmallSchool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        step: str) -> None:
    school = keyed_school
    with school.open("teacher2") as teacher2:
        _concern(teacher2, "Committed before COMMITTEDMARKER")
    with school.open("dsl"):
        pass
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(school.directory / "keys.json", old_keyfile)
    old_key = _old_school_key(old_keyfile, "teacher")

    class Crash(Exception):
        pass

    def crash(*_args: object) -> None:
        raise Crash

    real_promote = rekey._promote

    def promote_then_crash(directory: Path, key: bytes) -> None:
        real_promote(directory, key)
        raise Crash

    target = {"before-commit": (KeyFile, "save", crash), "before-rekey": (rekey, "_rekey", crash),
              "before-promote": (rekey, "_promote", crash),
              "before-audit": (rekey, "_promote", promote_then_crash)}
    owner, name, fault = target[step]
    admin = school.open("admin")
    monkeypatch.setattr(owner, name, fault)
    with pytest.raises(Crash):
        remove_user(admin, "teacher")
    monkeypatch.undo()
    admin.close()  # the process dies here: nothing more of it reaches the disk

    # Whatever the step, keys.json holds a key that opens store.db for those who stayed...
    with school.open("teacher2") as teacher2:
        assert "COMMITTEDMARKER" in " ".join(c.latest.fields.summary
                                             for c in my_concerns(teacher2))
        _concern(teacher2, f"After the crash {AFTER[0]}")
    with school.open("dsl") as dsl:
        texts = " ".join(c.latest.fields.summary for c in inbox(dsl))
        assert "COMMITTEDMARKER" in texts and AFTER[0] in texts
    with recover(school.directory, school.recovery_key, clock=school.clock):
        pass
    keyfile = KeyFile.load(school.directory)
    assert rekey.STAGED not in keyfile.grants  # nothing left half-done
    if step == "before-commit":  # the removal never happened: the teacher is still here
        with school.open("teacher"):
            pass
        assert _opens(school.directory / "store.db", old_key)
        return
    # ...and once the removal committed, its re-key is finished by the next sign-in.
    assert not _opens(school.directory / "store.db", old_key)
    with pytest.raises(UnlockError):
        school.open("teacher")


def test_a_session_open_elsewhere_is_told_to_sign_in_again(keyed_school: SmallSchool) -> None:
    school = keyed_school
    with school.open("teacher2") as elsewhere, school.open("admin") as admin:
        remove_user(admin, "teacher")
        with pytest.raises(StoreRekeyed, match="sign in again"):
            my_concerns(elsewhere)
        assert "teacher2" in {u.username for u in list_users(admin)}  # it goes on
        with admin.clone() as twin:  # and so do its clones (the sync worker's)
            twin.conn.execute("SELECT count(*) FROM users").fetchone()


def test_a_removed_account_that_edits_keys_json_gets_nothing_at_the_next_re_key(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    """Once removed, the attacker holds no current key, so cannot touch the pins inside the
    store; they can still edit keys.json, naming their own key as teacher2's and the recovery
    key's. The next removal grants by the pins and gives them nothing."""
    school = keyed_school
    for name in ("teacher2", "office"):
        with school.open(name):
            pass
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(school.directory / "keys.json", old_keyfile)
    with school.open("admin") as admin:
        remove_user(admin, "teacher")
    mine = PersonalKeys.generate()
    data = json.loads((school.directory / "keys.json").read_text())
    data["users"]["teacher2"]["public"] = b64e(mine.public())
    data["recovery"]["public"] = b64e(mine.public())
    (school.directory / "keys.json").write_text(json.dumps(data))
    with school.open("admin") as admin:
        remove_user(admin, "office")
        audited = [e.detail for e in events(admin.conn) if e.detail.get("rekey") == "staged"]
        assert audited[0]["key_file_overridden"] == 2  # (newest first)
    keyfile = KeyFile.load(school.directory)
    for to in ("user:teacher2", "recovery"):
        with pytest.raises(Exception):  # noqa: B017 - sealed to another key: no key for them
            keyfile.open("school", to, mine.hpke)
    with school.open("teacher2"):
        pass  # the real teacher2 still opens it


def test_a_hub_school_is_not_re_keyed_and_says_so(single_key_school: SmallSchool,
                                                  tmp_path: Path) -> None:
    school = single_key_school
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(school.directory / "keys.json", old_keyfile)
    old_key = _old_school_key(old_keyfile, "teacher")
    with school.open("admin") as admin:
        with admin.tx() as conn:
            conn.execute("INSERT INTO services (role, url, fingerprint, key_bundle, set_by, "
                         "set_at) VALUES ('hub', 'https://hub.invalid', 'x', '{}', ?, ?)",
                         (admin.user.id, "2026-01-05T10:00:00Z"))
        said = remove_user(admin, "teacher")
    assert "not re-keyed" in said and "hub" in said
    assert _opens(school.directory / "store.db", old_key)  # SECURITY.md says: not yet


def test_a_single_key_store_without_a_hub_is_re_keyed(single_key_school: SmallSchool,
                                                      tmp_path: Path) -> None:
    school = single_key_school
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(school.directory / "keys.json", old_keyfile)
    old_key = _old_school_key(old_keyfile, "teacher")
    with school.open("admin") as admin:
        assert "re-keyed" in remove_user(admin, "teacher")
    _write_after(school)
    assert not _opens(school.directory / "store.db", old_key)
    for name in ("dsl", "deputy", "teacher2", "office", "admin"):
        with school.open(name):
            pass


def test_an_account_not_yet_on_personal_keys_is_told_to_have_its_passphrase_reset(
        single_key_school: SmallSchool) -> None:
    """A key file entry still in format 1 (an older store) wraps the key a re-key retires,
    and only its owner could make it personal keys: it is marked, the admin is told, and the
    account is told at sign-in, until an admin resets its passphrase."""
    school = single_key_school
    keyfile = KeyFile.load(school.directory)
    with school.open("teacher2") as teacher2:
        data_key, device = teacher2.data_key, teacher2.device
    salt = b"0123456789abcdef"
    aad = f"{keyfile.store_id}|user|teacher2".encode()
    kek = passphrase_kek(STAFF_PASS, salt, device.secret, TEST_KDF, aad)
    keyfile.users["teacher2"] = {"kdf": "argon2id", "params": TEST_KDF.to_json(),
                                 "salt": b64e(salt), **wrap(kek, data_key, aad)}
    keyfile.revoke("school", holder("teacher2"))
    keyfile.save(school.directory)
    with school.open("admin") as admin:
        said = remove_user(admin, "teacher")
    assert "teacher2" in said and "reset" in said
    with pytest.raises(UnlockError, match="passphrase reset by an admin"):
        school.open("teacher2")
    with school.open("admin") as admin:
        reset_passphrase(admin, "teacher2", STAFF_PASS + " again")
    from app.store.access import unlock

    with unlock(school.directory, "teacher2", STAFF_PASS + " again", clock=school.clock):
        pass


def test_what_a_removal_costs(keyed_school: SmallSchool) -> None:
    """Six accounts stay: the re-key is a few HPKE seals and one rewrite of a small file."""
    with keyed_school.open("admin") as admin:
        started = time.perf_counter()
        remove_user(admin, "teacher")
        took = time.perf_counter() - started
    assert took < 5.0, took


def test_a_reset_passphrase_with_an_old_key_file_opens_nothing_written_after(
        keyed_school: SmallSchool) -> None:
    """Someone who learnt a DSL's old passphrase and kept a copy of keys.json: after an admin
    resets it, both stores are re-keyed and that pair opens neither."""
    with keyed_school.open("dsl"):
        pass  # the maker's setup key goes at the first DSL sign-in
    old_keys = _keys_the_attacker_holds(keyed_school.directory, "deputy", STAFF_PASS)
    assert any(_opens(keyed_school.directory / "dsl.db", k) for k in old_keys)  # can fail
    with keyed_school.open("admin") as admin:
        reset_passphrase(admin, "deputy", "a brand new passphrase for the deputy")
    with keyed_school.open("dsl") as dsl:  # honours the deputy's request, then re-keys
        trail = [e.detail for e in events(dsl.conn, schema="dsl")
                 if e.detail.get("rekeyed")]
        assert any(t["member_key_reset"] for t in trail)
    for name in ("store.db", "dsl.db"):
        assert not any(_opens(keyed_school.directory / name, k) for k in old_keys), name
    session = unlock(keyed_school.directory, "deputy", "a brand new passphrase for the deputy",
                     clock=keyed_school.clock)
    with session:
        assert "dsl" in session.user.roles
        assert inbox(session) == []


def test_a_dsl_session_open_while_the_dsl_store_is_re_keyed_is_told_to_sign_in_again(
        keyed_school: SmallSchool) -> None:
    school = keyed_school
    with school.open("dsl"):
        pass  # the maker's setup key goes (and the DSL store's first re-key with it)
    with school.open("admin") as admin:
        remove_user(admin, "teacher")  # the school store's re-key: before "elsewhere" opens
    with school.open("dsl") as elsewhere:
        with school.open("admin") as admin:
            change_role(admin, "deputy", "staff")  # a DSL leaves the team
        with school.open("deputy"):
            pass
        unlock(school.directory, "dsl", STAFF_PASS, clock=school.clock).close()  # re-keys
        with pytest.raises(StoreRekeyed, match="sign in again"):
            inbox(elsewhere)
