"""Retention and destruction (issue #20, docs/retention.md): a child's file is reviewed at the
policy's birthday, and destruction on review leaves no trace of the file's text in the store
files, their write-ahead logs or a backup made afterwards — proved by decrypting every page
(tests/sqlcipher_scan.py), which finds the text before destruction and after a mere DELETE."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.clock import FakeClock
from app.domain import retention
from app.domain.attachments import add_attachment
from app.domain.child_flags import set_flag
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, record_concern, set_status
from app.domain.destruction import compact_store, destroy, destroy_rows, is_destroyed
from app.domain.referrals import create_referral
from app.errors import AccessDenied, InputError
from app.profile.model import Contact
from app.profile.profiles import put_item, set_fact
from app.store import settings
from app.store.audit import events
from app.store.backup import backup
from app.store.session import Session
from app.store.verify import verify_store
from tests.conftest import SmallSchool
from tests.sqlcipher_scan import scan

OLU, ZOSIA = "U801200005004", "B801200005001"  # born 2015-01-20 and 2016-05-04
# Words only the destroyed file holds; SHARED is in a concern about both children.
WORDS = ("Quillfeather", "Zephyrwick", "Marzipanova", "Gloamington", "Obsidiantrumpet",
         "Xylograph")
SHARED = "Lanternshard"
REVIEW_DAY = datetime(2041, 3, 2, 9, 0, tzinfo=UTC)  # Olu is 26, Zosia 24


def child_id(session: Session, upn: str) -> str:
    return str(session.conn.execute("SELECT id FROM children WHERE upn = ?", (upn,)
                                    ).fetchone()[0])


def write_file(school: SmallSchool) -> tuple[str, str]:
    """Olu's file, written while he is at school: a concern with a status note and a file
    attached, an entry, a flag, a profile contact, a referral; and a concern shared with Zosia."""
    with school.open("dsl") as dsl:
        olu, zosia = child_id(dsl, OLU), child_id(dsl, ZOSIA)
        when = dsl.clock.now() - timedelta(hours=3)
        concern = record_concern(dsl, ConcernDraft(
            children=[(olu, "subject")], categories=["neglect"], occurred_at=when,
            text="Olu said Quillfeather was at home again", child_words="Zephyrwick hurt me"))
        set_status(dsl, concern.id, "acknowledged", "Called Marzipanova at once")
        add_attachment(dsl, concern.id, "note.txt", b"Obsidiantrumpet drawing")
        add_entry(dsl, [olu], "meeting", "Strategy meeting with Marzipanova", when)
        set_flag(dsl, olu, "looked-after", True, "Placed with Gloamington carers")
        put_item(dsl, olu, "contact", Contact("Perpetua Xylograph", "Foster carer"))
        create_referral(dsl, olu)
        record_concern(dsl, ConcernDraft(
            children=[(olu, "subject"), (zosia, "subject")], categories=["neglect"],
            occurred_at=when, text=f"Both children spoke of {SHARED}"))
    return olu, zosia


def store_files(school: SmallSchool) -> list[Path]:
    return [p for p in (school.directory / "store.db", school.directory / "dsl.db")
            if p.exists()]


def keys_of(session: Session) -> dict[str, bytes]:
    keys = {"store.db": session.data_key}
    if session.held.dsl_key is not None:
        keys["dsl.db"] = session.held.dsl_key
    return keys


def scan_all(files: list[Path], keys: dict[str, bytes], *words: str) -> list[str]:
    return [f"{hit.file} {hit.where}" for path in files
            for hit in scan(path, keys[path.name], *words)]


@pytest.mark.parametrize("store", ["single_key_school", "keyed_school"])
def test_a_26_year_olds_file_destroyed_on_review_leaves_no_trace(
        store: str, request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path) -> None:
    school: SmallSchool = request.getfixturevalue(store)
    olu, zosia = write_file(school)
    clock.set(REVIEW_DAY)
    with school.open("dsl") as dsl:
        keys = keys_of(dsl)
        # The scan can fail: before destruction it finds every word of the file.
        for word in WORDS:
            assert scan_all(store_files(school), keys, word), word

        due = retention.files(dsl, due_only=True)
        assert [(r.child.upn, r.basis, r.review_on) for r in due] == [
            (OLU, retention.LOOKED_AFTER, date(2040, 1, 20))]
        assert retention.file_review(dsl, zosia).due is False

        done = destroy(dsl, olu, confirm=True)
        assert done.problems == []
        assert done.counts["concern"] == 1 and done.counts["entry"] == 1
        assert done.counts["attachment"] == 1 and done.counts["referral"] == 1
        assert done.counts["flag event"] == 1 and done.counts["profile item"] == 1

        assert verify_store(dsl).ok
        assert chronology(dsl, olu) == []
        shared = [item for item in chronology(dsl, zosia)]
        assert len(shared) == 1 and SHARED in shared[0].summary
        assert is_destroyed(dsl.conn, "record", _any_record(dsl, olu))
        assert retention.files(dsl, due_only=True) == []

        tombstone = [e for e in events(dsl.conn, schema=dsl.audit_schema)
                     if e.action == "destroy"]
        assert len(tombstone) == 1 and tombstone[0].actor == "dsl"
        assert tombstone[0].detail["policy"] == retention.LOOKED_AFTER
        assert tombstone[0].detail["counts"] == done.counts
        for event in events(dsl.conn, schema=dsl.audit_schema):
            text = json.dumps(event.detail)
            assert not any(word.lower() in text.lower() for word in WORDS)

        out = tmp_path / "after.zip"
        backup(dsl, out)
        files = store_files(school)
        assert scan_all(files, keys, *WORDS) == []
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    assert scan_all(store_files_in(unpacked), keys, *WORDS) == []
    assert scan_all(store_files_in(unpacked), keys, SHARED)  # Zosia's file is whole
    with school.open("dsl") as dsl:  # and it still opens and verifies afterwards
        assert verify_store(dsl).ok


def _any_record(session: Session, child: str) -> str:
    row = session.conn.execute("SELECT id FROM destroyed_items WHERE kind = 'record' AND "
                               "child_id = ?", (child,)).fetchone()
    return str(row[0])


def store_files_in(folder: Path) -> list[Path]:
    return [p for p in (folder / "store.db", folder / "dsl.db") if p.exists()]


@pytest.mark.parametrize("store", ["single_key_school", "keyed_school"])
def test_the_scan_finds_text_in_the_log_and_in_pages_a_delete_has_not_yet_replaced(
        store: str, request: pytest.FixtureRequest, clock: FakeClock) -> None:
    school: SmallSchool = request.getfixturevalue(store)
    olu, _ = write_file(school)
    clock.set(REVIEW_DAY)
    with school.open("dsl") as dsl:
        keys = keys_of(dsl)
        add_entry(dsl, [olu], "contact", "Phoned Wickerbasin", dsl.clock.now())
        assert any("-wal" in hit for hit in scan_all(store_files(school), keys, "Wickerbasin"))
        with dsl.tx() as conn:
            destroy_rows(conn, olu, "2041-03-02T09:00:00.000000Z")
        assert chronology(dsl, olu) == []  # gone from every query ...
        # ... but the file's pages still hold it until the log is checkpointed into them
        assert scan_all(store_files(school), keys, "Quillfeather")
        # SQLCipher deletes securely (zeroes what it frees), so a checkpoint clears the pages;
        # destruction checkpoints after its VACUUM for that reason.
        assert dsl.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        for schema in ("main", "dsl") if dsl.held.dsl_store_open else ("main",):
            dsl.conn.execute(f"PRAGMA {schema}.wal_checkpoint(TRUNCATE)")
        assert scan_all(store_files(school), keys, *WORDS, "Wickerbasin") == []


def test_the_policy_periods_and_decisions(school: SmallSchool, clock: FakeClock) -> None:
    olu, zosia = write_file(school)
    with school.open("admin") as admin:
        with pytest.raises(InputError, match="from 25 to 100"):
            settings.set_value(admin, settings.RETENTION_YEARS, "20")
        with pytest.raises(InputError, match="lengthen those first"):
            settings.set_value(admin, settings.RETENTION_YEARS, "32")
        with pytest.raises(InputError, match="cannot be shorter"):  # checked together
            settings.set_retention(admin, {settings.RETENTION_YEARS: "27",
                                           settings.RETENTION_SEN_YEARS: "26"})
        settings.set_value(admin, settings.RETENTION_LOOKED_AFTER_YEARS, "30")
        with pytest.raises(AccessDenied):  # an admin sets periods; files are the DSL's
            retention.files(admin)
    with school.open("dsl") as dsl:
        set_fact(dsl, zosia, "sen_status", "K")
        reviews = {r.child.upn: r for r in retention.files(dsl)}
        assert reviews[OLU].basis == retention.LOOKED_AFTER
        assert reviews[OLU].review_on == date(2045, 1, 20)
        assert reviews[ZOSIA].basis == retention.SEN
        assert reviews[ZOSIA].review_on == date(2047, 5, 4)
        assert reviews[ZOSIA].state == "kept"
    clock.set(datetime(2045, 2, 1, 9, 0, tzinfo=UTC))
    with school.open("dsl") as dsl:
        assert [r.child.upn for r in retention.files(dsl, due_only=True)] == [OLU]
        with pytest.raises(InputError, match="after"):
            retention.extend(dsl, olu, date(2044, 1, 1), "Civil claim pending")
        with pytest.raises(InputError, match="say why"):
            retention.extend(dsl, olu, date(2046, 1, 1), "  ")
        kept = retention.extend(dsl, olu, date(2046, 1, 1), "Civil claim pending")
        assert kept.state == "extended" and not kept.due
        with pytest.raises(InputError, match="not due"):
            destroy(dsl, olu, confirm=True)
        held = retention.hold(dsl, olu, "Police investigation open")
        assert held.state == "held"
    clock.set(datetime(2047, 1, 1, 9, 0, tzinfo=UTC))
    with school.open("dsl") as dsl:
        assert retention.files(dsl, due_only=True) == []  # held past its date
        with pytest.raises(InputError, match="on hold"):
            destroy(dsl, olu, confirm=True)
        released = retention.release(dsl, olu, "Investigation closed")
        assert released.due
        with pytest.raises(InputError, match="confirm"):
            destroy(dsl, olu, confirm=False)
        decisions = [e for e in events(dsl.conn, schema=dsl.audit_schema)
                     if e.action == "retention"]
        assert [e.detail["decision"] for e in reversed(decisions)] == ["extend", "hold",
                                                                       "release"]
        assert not any("claim" in json.dumps(e.detail) for e in decisions)
    with school.open("teacher") as teacher, pytest.raises(AccessDenied):
        retention.files(teacher)


def test_a_hold_survives_an_export_and_import(keyed_school: SmallSchool, tmp_path: Path) -> None:
    """Retention decisions are the school's data too (docs/export.md)."""
    from app.export.dump import export_store
    from app.export.load import import_export
    from app.store.access import unlock
    from app.store.keys import TEST_KDF

    olu, _ = write_file(keyed_school)
    with keyed_school.open("dsl") as dsl:
        retention.hold(dsl, olu, "Synthetic inquiry")
        export_store(dsl, tmp_path / "out", passphrase=None)
    import_export(tmp_path / "out", tmp_path / "new", admin_username="mover",
                  admin_display_name="Morgan Mover", passphrase="mover passphrase one",
                  export_passphrase=None, clock=keyed_school.clock, kdf=TEST_KDF)
    with unlock(tmp_path / "new", "mover", "mover passphrase one",
                clock=keyed_school.clock) as moved:
        moved_olu = child_id(moved, OLU)
        reviews = {r.child.upn: r for r in retention.files(moved)}
    assert reviews[OLU].held and reviews[OLU].child.id == moved_olu


def test_a_reader_left_open_delays_the_compaction_and_says_so(
        single_key_school: SmallSchool, clock: FakeClock) -> None:
    school = single_key_school
    olu, _ = write_file(school)
    clock.set(REVIEW_DAY)
    with school.open("dsl") as dsl:
        keys = keys_of(dsl)
        other = dsl.clone()  # a second window, or the sync worker, mid-read
        try:
            other.conn.execute("BEGIN")
            other.conn.execute("SELECT count(*) FROM children").fetchone()
            done = destroy(dsl, olu, confirm=True)
            assert done.problems and "retention compact" in done.problems[0]
        finally:
            other.close()
        assert compact_store(dsl) == []
        assert scan_all(store_files(school), keys, *WORDS) == []
