"""A staff PC that joined a hub school keeps a keyed school store and no DSL store (issue #15,
docs/keys.md): what a teacher records there is sealed, to the DSL team's key and to the
author's own, never kept in the clear; the hub carries it to the DSL PCs as before. Attacked
from a shell the way tests/test_roles_by_key.py attacks a single-PC school."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.delivery.delivered import delivery_state
from app.domain.concerns import amend_concern, get_concern, my_concerns
from app.hub import keyed_pc, provision
from app.hub.provisional import sign_in
from app.pack.assembly import mark_printed, printed_marks, released_packs
from app.store.backup import backup, restore
from app.store.db import has_dsl_store
from app.store.dsl_store import DSL_FILE
from app.store.keyfile import KeyFile
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS
from tests.hub.conftest import HubSchool
from tests.hub.test_hub_sync import record, release_with_an_office_pc
from tests.sqlcipher_scan import scan
from tests.test_roles_by_key import _everything_readable, _keys_the_attacker_holds


def test_a_joined_staff_pc_has_a_keyed_school_store_and_no_dsl_store(school4: HubSchool
                                                                      ) -> None:
    with school4.open("teacher") as teacher:
        assert has_dsl_store(teacher.conn)
        assert teacher.held.split and not teacher.held.dsl_store_open
        tables = {r[0] for r in teacher.conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'")}
        assert "records" not in tables and "record_versions" not in tables
    assert not (school4.dirs["teacher"] / DSL_FILE).exists()
    # A DSL PC has a DSL store of its own (tests/hub/test_hub_keyed_dsl_pc.py).
    with school4.open("deputy") as deputy:
        assert has_dsl_store(deputy.conn) and deputy.held.dsl_store_open


def test_two_teachers_on_one_staff_pc_cannot_read_each_others_concerns(
        school4: HubSchool) -> None:
    pc = school4.dirs["teacher"]
    # teacher2 claims their account on teacher's PC (a shared staff-room PC).
    with school4.open("teacher", "teacher2") as teacher2:
        other = record(teacher2, "Told me TEACHER2MARKER about the weekend")
    with school4.open("teacher") as teacher:
        own = record(teacher, "Hungry at lunch OWNMARKER")
    school4.sync("teacher")  # both go to the hub from this PC's outbox

    keys = _keys_the_attacker_holds(pc, "teacher", STAFF_PASS)
    text = _everything_readable(pc, keys)
    assert "Larkfield" in text  # the attack opened the school store: the test can fail
    assert "TEACHER2MARKER" not in text
    assert "OWNMARKER" not in text  # even the author's own is sealed on disk

    # My concerns shows each author their own, from their sealed copy, after a new sign-in.
    with school4.open("teacher") as teacher:
        assert [c.id for c in my_concerns(teacher)] == [own]
        assert get_concern(teacher, own).latest.fields.summary == "Hungry at lunch OWNMARKER"
        assert delivery_state(teacher, own).state == "delivered"
    with school4.open("teacher", "teacher2") as teacher2:
        assert [c.id for c in my_concerns(teacher2)] == [other]

    # The DSL PCs open both with the existing apply path: text, author and all.
    for dsl_pc in ("dsl", "deputy"):
        school4.sync(dsl_pc)
        with school4.open(dsl_pc) as dsl:
            assert get_concern(dsl, other).latest.fields.summary.endswith("the weekend")
            assert get_concern(dsl, own).latest.fields.summary == "Hungry at lunch OWNMARKER"
            author = dsl.conn.execute("SELECT u.username FROM records r JOIN users u ON "
                                      "u.id = r.created_by WHERE r.id = ?", (other,)
                                      ).fetchone()[0]
            assert author == "teacher2"


def test_an_amendment_after_a_new_sign_in_reaches_the_dsl_team(school4: HubSchool) -> None:
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Bruise on the left arm")
    school4.clock.advance(60)
    with school4.open("teacher") as teacher:  # the workspace is filled from the sealed copy
        amend_concern(teacher, concern, "more detail", text="Bruise on the left arm, 3 cm")
    school4.sync("teacher")
    school4.sync("dsl")
    with school4.open("dsl") as dsl:
        latest = get_concern(dsl, concern).latest
        assert latest.version == 2 and latest.fields.summary.endswith("3 cm")
    with school4.open("teacher") as teacher:
        assert get_concern(teacher, concern).latest.version == 2
        assert teacher.conn.execute("SELECT count(*) FROM main.sealed_items WHERE recipient = "
                                    "'user:teacher'").fetchone()[0] == 2


def test_a_staff_pc_provisioned_before_is_keyed_at_its_next_sign_in(
        school4: HubSchool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Provisioned and used as staff PCs were before: one store every account on it opens.
    monkeypatch.setattr(provision, "KEYED_PURPOSES", ())
    monkeypatch.setattr(keyed_pc, "KEYED_IN_PLACE", ())
    school4.join("staffroom", "staff")
    with school4.open("staffroom", "teacher2") as teacher2:
        other = record(teacher2, "Told me TEACHER2MARKER about the weekend")
    with school4.open("staffroom", "teacher") as teacher:
        own = record(teacher, "Hungry at lunch OWNMARKER")
    school4.sync("staffroom", "teacher")
    pc = school4.dirs["staffroom"]
    keys = _keys_the_attacker_holds(pc, "teacher", STAFF_PASS)
    assert "TEACHER2MARKER" in _everything_readable(pc, keys)  # the hole being closed
    assert scan(pc / "store.db", keys[0], "TEACHER2MARKER")  # and the scan below can fail

    monkeypatch.undo()
    with school4.open("staffroom", "teacher") as teacher:
        assert teacher.held.split and not teacher.held.dsl_store_open
        assert [c.id for c in my_concerns(teacher)] == [own]
        keyed = teacher.conn.execute("SELECT detail FROM audit WHERE action = 'settings' AND "
                                     "detail LIKE '%keyed%'").fetchone()
        assert keyed is not None and '"sealed": 2' in keyed[0]
    text = _everything_readable(pc, keys)
    assert "Larkfield" in text
    assert "TEACHER2MARKER" not in text and "OWNMARKER" not in text
    # Not in a freed page or a WAL frame either: the store was vacuumed.
    assert scan(pc / "store.db", keys[0], "TEACHER2MARKER", "OWNMARKER") == []
    with school4.open("staffroom", "teacher2") as teacher2:
        assert [c.id for c in my_concerns(teacher2)] == [other]
        amend_concern(teacher2, other, "more", text="Told me TEACHER2MARKER, and more")
    school4.sync("staffroom", "teacher2")
    school4.sync("dsl")
    with school4.open("dsl") as dsl:
        assert get_concern(dsl, own).latest.fields.summary == "Hungry at lunch OWNMARKER"
        assert get_concern(dsl, other).latest.fields.summary.endswith("and more")


def test_a_keyed_staff_pc_verifies_backs_up_and_restores(school4: HubSchool,
                                                          tmp_path: Path) -> None:
    with school4.open("teacher") as teacher:
        own = record(teacher, "Upset after the phone call")
    with school4.open("teacher") as teacher:
        report = verify_store(teacher)
        assert report.ok, report.problems
    with school4.open("teacher", "admin") as admin:  # the admin, on the staff PC
        assert verify_store(admin).ok
        backup(admin, tmp_path / "staff.zip")
    restored = tmp_path / "restored"
    restore(tmp_path / "staff.zip", restored,
            lambda d: sign_in(d, "teacher", STAFF_PASS, clock=school4.clock))
    assert not (restored / DSL_FILE).exists()
    with sign_in(restored, "teacher", STAFF_PASS, clock=school4.clock) as teacher:
        assert teacher.held.split and not teacher.held.dsl_store_open
        assert [c.id for c in my_concerns(teacher)] == [own]


def test_a_joined_office_pc_holds_packs_only_for_its_office_accounts(
        school4: HubSchool) -> None:
    """An office PC is keyed too: the office key is granted to its office accounts alone (by
    verifier at provisioning, by personal key at their first sign-in there), and released
    packs wait in it sealed to that key."""
    referral_id, pack_id = release_with_an_office_pc(school4, "Said she is scared at home")
    school4.sync("dsl")
    pc = school4.dirs["office"]
    # A teacher signed in on the office PC syncs first: it cannot open the packs, so it leaves
    # them for an office account instead of moving past them.
    report = school4.sync("office", "teacher")
    assert report.received == []
    school4.sync("office", "office")
    with school4.open("office", "office") as office:  # a new sign-in: from the sealed copy
        assert office.held.split and office.held.office_private is not None
        assert [p.id for p in released_packs(office)] == [pack_id]
        mark_printed(office, pack_id)
    school4.sync("office", "office")
    school4.sync("dsl")
    with school4.open("dsl") as dsl:
        assert [m.pack_id for m in printed_marks(dsl, referral_id)] == [pack_id]

    with school4.open("office", "teacher") as teacher:
        assert teacher.held.office_private is None
        assert teacher.conn.execute("SELECT count(*) FROM referral_packs").fetchone()[0] == 0
    keys = _keys_the_attacker_holds(pc, "teacher", STAFF_PASS)
    text = _everything_readable(pc, keys)
    assert "Larkfield" in text
    assert "self-harm" not in text and "scared at home" not in text
    assert scan(pc / "store.db", keys[0], "self-harm") == []
    # The office key is granted to the office account's personal key alone (its verifier's
    # grant went at its first sign-in here).
    assert KeyFile.load(pc).holders("office") == {"user:office"}
