"""Roles enforced by who holds which key (issue #15, docs/keys.md), attacked from a shell.

The attacker is a colleague on the same PC: their own passphrase, this PC's keyring, the
source code, and every file under the store directory. They open each file with each key they
can unwrap, read everything they can, and edit the users table. Nothing of another person's
concern, no chronology entry, referral or flag may turn up, and no role they give themselves may
be honoured. Markers are unique words written by the other accounts.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlcipher3

from app.delivery.team_keys import team_bundle
from app.domain.child_flags import set_flag
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, inbox, my_concerns, record_concern
from app.domain.referrals import approve_referral, create_referral
from app.domain.referrals import update_referral as update
from app.errors import AccessDenied, UnlockError
from app.hub.replicate import Snapshot, canonical
from app.hub.sealing import INFO, team_recipient
from app.pack.assembly import release_referral, released_packs
from app.profile.model import Contact
from app.profile.profiles import put_item, set_fact
from app.store.audit import events
from app.store.device import load_device_keys
from app.store.drafts import load_draft, save_draft
from app.store.keyfile import RECOVERY, KeyFile, holder
from app.store.keys import GRANT_SUITE, b64e, parse_recovery_key
from app.store.users import list_users, remove_user
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool
from tests.sqlcipher_scan import opened_files

UPN = "B801200005001"
OTHERS = {"TEACHER2MARKER", "DSLENTRYMARKER", "REFERRALMARKER", "OFFICEHIDDENMARKER",
          "TEACHER2DRAFT", "PROFILEMARKER", "PROFILEFACTMARKER"}


def _child(session) -> str:  # type: ignore[no-untyped-def]
    return str(session.conn.execute("SELECT id FROM children WHERE upn = ?", (UPN,)
                                    ).fetchone()[0])


def _concern(session, text: str) -> str:  # type: ignore[no-untyped-def]
    return record_concern(session, ConcernDraft(
        children=[(_child(session), "subject")], categories=["neglect"], text=text,
        occurred_at=session.clock.now() - timedelta(hours=1))).id


@pytest.fixture
def busy(keyed_school: SmallSchool) -> SmallSchool:
    school = keyed_school
    """Every kind of record, written by the accounts the attacker is not."""
    with school.open("teacher2") as teacher2:
        _concern(teacher2, "Said TEACHER2MARKER about home")
        save_draft(teacher2, "concern", {"text": "Half typed TEACHER2DRAFT"})
    with school.open("teacher") as teacher:
        _concern(teacher, "My own concern OWNMARKER")
    with school.open("dsl") as dsl:
        child = _child(dsl)
        add_entry(dsl, [child], "contact", "Phoned parent DSLENTRYMARKER",
                  dsl.clock.now() - timedelta(minutes=5))
        set_flag(dsl, child, "cp-plan", True, "Plan agreed")
        hidden = create_referral(dsl, child)
        update(dsl, hidden.id, [("worries", "OFFICEHIDDENMARKER draft only")])
        referral = create_referral(dsl, child)
        update(dsl, referral.id, [("kind", "safeguarding"), ("immediate_risk", "no"),
                                  ("parents_aware", "yes"), ("consent_given", "yes"),
                                  ("worries", "REFERRALMARKER bruising"),
                                  ("risk_view", "medium")])
        approve_referral(dsl, referral.id)
        release_referral(dsl, referral.id)
        # After the release, so the office's one pack does not carry them: the profile.
        put_item(dsl, child, "contact", Contact("Parent PROFILEMARKER", "Mother", True))
        set_fact(dsl, child, "religion", "PROFILEFACTMARKER")
    return school


def _keys_the_attacker_holds(directory: Path, username: str, passphrase: str) -> list[bytes]:
    """Every 32-byte key this account's passphrase and the keyring open, by hand."""
    keyfile = KeyFile.load(directory)
    device = load_device_keys(keyfile.store_id)
    assert device is not None
    personal = keyfile.unlock_user(username, passphrase, device.secret).personal
    assert personal is not None
    found = [keyfile.open(scope, holder(username), personal.hpke) for scope in keyfile.grants]
    return [k for k in found if k is not None and len(k) == 32] + [device.secret]


def _everything_readable(directory: Path, keys: list[bytes]) -> str:
    """Every table of every file in the store directory that any of ``keys`` opens."""
    dumped = []
    for conn, tables in opened_files(directory, keys):
        for table in sorted(tables):
            dumped += [repr(row) for row in conn.execute(f"SELECT * FROM \"{table}\"")]
    for path in directory.iterdir():  # and every file that is not a database, as bytes
        if path.is_file() and not path.name.endswith((".db", "-wal", "-shm")):
            dumped.append(path.read_bytes().decode("latin-1"))
    return "\n".join(dumped)


@pytest.mark.parametrize("who", ["teacher", "office", "admin"])
def test_an_account_with_a_shell_reads_nothing_of_the_dsl_teams(busy: SmallSchool,
                                                                 who: str) -> None:
    secret = ADMIN_PASS if who == "admin" else STAFF_PASS
    keys = _keys_the_attacker_holds(busy.directory, who, secret)
    text = _everything_readable(busy.directory, keys)
    assert "Larkfield" in text  # the attack reached the school store: the test can fail
    found = {marker for marker in OTHERS if marker in text}
    assert not found
    assert "cp-plan" not in text  # not even the flag's name, in a table or the audit trail


def test_a_draft_reopens_for_its_author_only(busy: SmallSchool) -> None:
    with busy.open("teacher2") as teacher2:
        assert load_draft(teacher2, "concern") == {"text": "Half typed TEACHER2DRAFT"}
    with busy.open("teacher") as teacher:
        assert load_draft(teacher, "concern") is None


def test_the_office_prints_what_was_released_and_nothing_else(busy: SmallSchool) -> None:
    with busy.open("office") as office:
        packs = released_packs(office)
        assert len(packs) == 1
        with pytest.raises(AccessDenied):
            inbox(office)


@pytest.mark.parametrize("who", ["teacher", "office", "admin"])
def test_a_role_written_into_the_users_table_is_not_honoured(busy: SmallSchool,
                                                              who: str) -> None:
    secret = ADMIN_PASS if who == "admin" else STAFF_PASS
    school_key = _keys_the_attacker_holds(busy.directory, who, secret)[0]
    conn = sqlcipher3.connect(str(busy.directory / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{school_key.hex()}'\"")
    conn.execute("UPDATE users SET roles = 'admin,dsl,office,staff' WHERE username = ?",
                 (who,))
    conn.commit()
    conn.close()
    with busy.open(who) as session:
        assert "dsl" not in session.user.roles
        # The office role only for the account that holds the office team's key, the admin
        # role only where an admin signed it (app/store/directory.py).
        assert ("office" in session.user.roles) == (who == "office")
        assert ("admin" in session.user.roles) == (who == "admin")
        if who != "admin":
            with pytest.raises(AccessDenied):
                list_users(session)
        with pytest.raises(AccessDenied):
            inbox(session)
        with pytest.raises(AccessDenied):
            chronology(session, _child(session))
        own = " ".join(c.latest.fields.summary for c in my_concerns(session))
        assert not {m for m in OTHERS if m in own}


def test_a_teacher_sees_their_own_concerns_and_the_dsl_team_all_of_them(
        busy: SmallSchool) -> None:
    with busy.open("teacher") as teacher:
        mine = [c.latest.fields.summary for c in my_concerns(teacher)]
        assert mine == ["My own concern OWNMARKER"]
    with busy.open("dsl") as dsl:
        texts = {c.latest.fields.summary for c in inbox(dsl)}
        assert {"My own concern OWNMARKER", "Said TEACHER2MARKER about home"} <= texts


def test_a_removed_dsl_with_an_old_key_file_opens_nothing_written_after(
        busy: SmallSchool, tmp_path: Path) -> None:
    # What the deputy keeps: a copy of keys.json, and the DSL store's and team's keys as they
    # could read them while they were a member.
    old_keyfile = tmp_path / "keys.json"
    shutil.copy(busy.directory / "keys.json", old_keyfile)
    with busy.open("deputy") as deputy:
        old_dsl_key = deputy.held.dsl_key
        old_team = [bytes(r[0]) for r in deputy.conn.execute(
            "SELECT private FROM dsl.held_team_keys WHERE team = 'dsl'")]
    assert old_dsl_key is not None and old_team
    with busy.open("admin") as admin:
        remove_user(admin, "deputy")
    with busy.open("dsl") as dsl:  # the next DSL sign-in re-keys the DSL store
        assert dsl.held.dsl_key != old_dsl_key
        add_entry(dsl, [_child(dsl)], "contact", "After removal AFTERMARKER",
                  dsl.clock.now() - timedelta(minutes=5))
        assert any(e.detail.get("rekeyed") for e in events(dsl.conn, schema="dsl"))
    with busy.open("teacher") as teacher:
        _concern(teacher, "Sealed after removal SEALEDAFTER")
    with pytest.raises(UnlockError):
        busy.open("deputy")
    # By hand: the old grant still opens the old key, which opens nothing now.
    old = KeyFile(**{k: v for k, v in json.loads(old_keyfile.read_text()).items()
                     if k in ("store_id", "users", "recovery", "grants")})
    device = load_device_keys(old.store_id)
    assert device is not None
    personal = old.unlock_user("deputy", STAFF_PASS, device.secret).personal
    assert personal is not None
    assert old.open("dsl", holder("deputy"), personal.hpke) == old_dsl_key
    assert "AFTERMARKER" not in _everything_readable(busy.directory, [old_dsl_key])
    from app.protocol.fingerprint import KeyPairs

    conn = sqlcipher3.connect(str(busy.directory / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{_school_key(busy)}'\"")
    sealed = conn.execute("SELECT recipient, body FROM sealed_items WHERE opened_at IS NULL"
                          ).fetchall()
    conn.close()
    assert sealed  # the teacher's concern waits for the DSL team, under the new team key
    for private in old_team:
        pairs = KeyPairs.from_private_bytes(private)
        assert all(recipient != team_recipient(pairs.bundle) for recipient, _ in sealed)


def _school_key(school: SmallSchool) -> str:
    return _keys_the_attacker_holds(school.directory, "teacher", STAFF_PASS)[0].hex()


def test_a_concern_forged_in_another_teachers_name_is_refused_and_audited(
        busy: SmallSchool) -> None:
    with busy.open("teacher") as teacher:
        victim = teacher.conn.execute("SELECT id FROM users WHERE username = 'teacher2'"
                                      ).fetchone()[0]
        record_id = str(uuid.uuid4())
        snap = Snapshot(teacher.conn, victim)
        payload = snap.payload()
        payload["records"] = [{
            "id": record_id, "kind": "concern", "created_by": victim,
            "created_at": "2026-01-05T10:00:00Z",
            "children": [{"upn": UPN, "role": "subject"}],
            "versions": [{"id": str(uuid.uuid4()), "version": 1, "supersedes": None,
                          "author_id": victim, "written_at": "2026-01-05T10:00:00Z",
                          "reason": None, "occurred_at": "2026-01-05T09:00:00Z",
                          "entry_kind": "concern", "categories": ["neglect"],
                          "location": None, "summary": "FORGEDMARKER", "child_words": None,
                          "action_taken": None, "witnesses": None, "significant": False,
                          "body_marks": []}],
            "statuses": []}]
        bundle = team_bundle(teacher.conn, "dsl")
        assert bundle is not None and teacher.held.personal is not None
        recipient = team_recipient(bundle)
        for author in ("teacher2", "teacher"):  # claiming the victim, then signing as self
            signed = canonical({"author": author, "payload": payload, "signature": b64e(
                teacher.held.personal.signing.sign(INFO + canonical(payload)))})
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

            body = GRANT_SUITE.encrypt(signed, X25519PublicKey.from_public_bytes(bundle.hpke),
                                       INFO + f"{teacher.store_id}|{recipient}".encode())
            with teacher.tx() as conn:
                conn.execute("INSERT INTO sealed_items (id, item_id, recipient, kind, author, "
                             "created_at, body) VALUES (?,?,?,?,?,?,?)",
                             (str(uuid.uuid4()), str(uuid.uuid4()), recipient, "record",
                              author, "2026-01-05T10:00:00Z", body))
    with busy.open("dsl") as dsl:
        assert "FORGEDMARKER" not in {c.latest.fields.summary for c in inbox(dsl)}
        refused = [e for e in events(dsl.conn, schema="dsl")
                   if e.action == "sync" and e.detail.get("outcome") == "refused"]
        assert len(refused) == 2
        assert "signed by" in refused[-1].detail["reason"] or \
            "another account" in refused[-1].detail["reason"]


def test_the_recovery_key_opens_both_stores_without_a_passphrase(busy: SmallSchool) -> None:
    keyfile = KeyFile.load(busy.directory)
    recovered = keyfile.unwrap_recovery(parse_recovery_key(busy.recovery_key))
    school_key = keyfile.open("school", RECOVERY, recovered.private)
    dsl_key = keyfile.open("dsl", RECOVERY, recovered.private)
    assert school_key is not None and dsl_key is not None
    text = _everything_readable(busy.directory, [school_key, dsl_key])
    assert {"TEACHER2MARKER", "DSLENTRYMARKER", "REFERRALMARKER"} <= {
        m for m in OTHERS | {"TEACHER2MARKER"} if m in text}


# -- giving the DSL role later, and the store's maker letting go -----------------------------------

def test_the_makers_setup_key_goes_at_the_first_dsl_sign_in(keyed_school: SmallSchool) -> None:
    with keyed_school.open("admin") as admin:  # before any DSL signed in: the maker holds it
        assert admin.held.dsl_key is not None
    with keyed_school.open("dsl") as dsl:
        first_key = dsl.held.dsl_key
    with keyed_school.open("admin") as admin:
        assert admin.held.dsl_key is None
        assert first_key is not None
    keys = KeyFile.load(keyed_school.directory)
    assert holder("admin") not in keys.holders("dsl")


def test_an_admin_gives_the_dsl_role_and_a_dsl_sign_in_hands_over_the_key(
        keyed_school: SmallSchool) -> None:
    from app.store.users import change_role

    with keyed_school.open("dsl"):
        pass  # the maker's setup key is gone: the admin now holds no DSL key
    with keyed_school.open("admin") as admin:
        change_role(admin, "teacher2", "staff,dsl")
    with keyed_school.open("teacher2") as waiting:
        assert "dsl" not in waiting.user.roles  # not until a DSL has handed it over
    with keyed_school.open("dsl") as dsl:
        granted = [e for e in events(dsl.conn, schema="dsl") if e.object_type == "key-request"]
        assert granted and granted[0].detail["outcome"] == "granted"
    with keyed_school.open("teacher2") as now_dsl:
        assert "dsl" in now_dsl.user.roles
        assert len(inbox(now_dsl)) == 0  # the DSL store opens (empty inbox, no refusal)


def test_a_key_request_not_signed_by_a_trusted_admin_gives_nothing(
        keyed_school: SmallSchool) -> None:
    from app.store.requests import sign_request

    with keyed_school.open("dsl"):
        pass
    with keyed_school.open("teacher") as teacher:  # a shell: a request signed with their key
        keyfile = KeyFile.load(keyed_school.directory)
        assert sign_request(teacher, keyfile, "dsl", "teacher")
        keyfile.save(keyed_school.directory)
    with keyed_school.open("dsl") as dsl:
        refused = [e for e in events(dsl.conn, schema="dsl") if e.object_type == "key-request"]
        assert refused and refused[0].detail["outcome"] == "refused"
    with keyed_school.open("teacher") as teacher:
        assert "dsl" not in teacher.user.roles
        with pytest.raises(AccessDenied):
            inbox(teacher)


def test_a_store_made_before_splits_in_place_with_the_recovery_key(
        single_key_school: SmallSchool) -> None:
    from app.store.upgrade import split_store

    school = single_key_school
    with school.open("teacher2") as teacher2:
        _concern(teacher2, "Before the split TEACHER2MARKER")
    with school.open("dsl") as dsl:
        add_entry(dsl, [_child(dsl)], "contact", "Phoned DSLENTRYMARKER",
                  dsl.clock.now() - timedelta(minutes=5))
        set_flag(dsl, _child(dsl), "cp-plan", True, None)
    with school.open("deputy"):
        pass  # the deputy has personal keys before the split; teacher has too
    with school.open("teacher"):
        pass
    waiting = split_store(school.open("dsl"), school.recovery_key)
    assert waiting == []
    with school.open("dsl") as dsl:
        assert dsl.held.dsl_store_open
        assert "Before the split TEACHER2MARKER" in {c.latest.fields.summary
                                                    for c in inbox(dsl)}
        assert chronology(dsl, _child(dsl))
    with school.open("deputy") as deputy:
        assert deputy.held.dsl_store_open
    keys = _keys_the_attacker_holds(school.directory, "teacher", STAFF_PASS)
    text = _everything_readable(school.directory, keys)
    assert "Larkfield" in text
    # Rows that moved are gone from the school store (vacuumed); the audit events written
    # before the split stay in the school store's chain (docs/keys.md says so).
    assert "TEACHER2MARKER" not in text and "DSLENTRYMARKER" not in text


def test_the_author_sees_when_the_dsl_team_has_opened_their_concern(
        keyed_school: SmallSchool) -> None:
    from app.delivery.delivered import delivery_state

    with keyed_school.open("teacher") as teacher:
        concern = _concern(teacher, "Waiting to be opened")
        assert delivery_state(teacher, concern).text.startswith("sealed for the DSL team")
    with keyed_school.open("dsl"):
        pass
    with keyed_school.open("teacher") as teacher:
        assert delivery_state(teacher, concern).text == "with the DSL team"


def test_a_sealed_concern_taken_before_a_crash_lost_its_mark_is_not_taken_twice(
        keyed_school: SmallSchool) -> None:
    """SQLite commits store.db before dsl.db, so the "opened" marks are written only after the
    DSL store holds what was opened. A crash between the two leaves the concern taken (and
    audited) but unmarked: the next DSL sign-in marks it, and takes and audits nothing twice."""
    with keyed_school.open("teacher") as teacher:
        _concern(teacher, "MARKLOSTMARKER")
    with keyed_school.open("dsl") as dsl:
        assert [c.latest.fields.summary for c in inbox(dsl)] == ["MARKLOSTMARKER"]
        unopened = "SELECT count(*) FROM main.sealed_items WHERE opened_at IS NULL"
        others = dsl.conn.execute(unopened).fetchone()[0]  # the author's own copy
        with dsl.tx() as conn:  # as if the crash came before the marks' transaction
            conn.execute("UPDATE main.sealed_items SET opened_at = NULL")
        assert dsl.conn.execute(unopened).fetchone()[0] > others
    with keyed_school.open("dsl") as dsl:
        assert [c.latest.fields.summary for c in inbox(dsl)] == ["MARKLOSTMARKER"]
        applied = [e for e in events(dsl.conn, schema="dsl")
                   if e.action == "sync" and e.object_type == "sealed-item"]
        assert len(applied) == 1
        assert dsl.conn.execute(unopened).fetchone()[0] == others


def test_the_dsl_store_gets_the_large_page_cache(keyed_school: SmallSchool) -> None:
    # Every page SQLCipher drops from its cache is decrypted again when read: the search index
    # and the chronology live in the DSL store, so its cache is the large one (bench/README.md).
    with keyed_school.open("dsl") as session:
        sizes = {schema: session.conn.execute(f"PRAGMA {schema}.cache_size").fetchone()[0]
                 for schema in ("main", "dsl")}
    assert sizes == {"main": -32768, "dsl": -32768}
