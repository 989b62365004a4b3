"""The school hub keeps each PC's latest audit head (issue #15): a PC whose store comes back
older than the hub saw is caught at its next sync, sends nothing and audits it; a normal run of
syncs never trips it; a deliberate restore goes on once the hub's administrator acknowledges it.
Real hub processes on 127.0.0.1 (tests/hub/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli.main import main
from app.delivery.outbox import items
from app.delivery.team_keys import device_fingerprint
from app.hub.heads import local_heads
from app.hub.sync import sync_round
from app.protocol.client import AuditHead, NotEnrolled
from app.protocol.fingerprint import KeyPairs
from app.store.access import unlock
from app.store.audit import events, holds_event
from app.store.backup import backup, restore
from app.store.session import Session
from frontdoor.storage import AuditHead as KeptHead
from tests.conftest import ADMIN_PASS, STAFF_PASS
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool
from tests.hub.test_hub_sync import record


def kept(hub: Service, fingerprint: str) -> dict[str, KeptHead]:
    storage = hub.storage()
    try:
        return {h.chain: h for h in storage.audit_heads(fingerprint)}
    finally:
        storage.close()


def school_head(school: HubSchool, pc: str) -> tuple[int, str]:
    with school.open(pc) as session:
        head = next(h for h in local_heads(session) if h.chain == "school")
        return head.seq, head.hash


def rolled_back_events(session: Session) -> list[dict[str, object]]:
    return [e.detail for e in events(session.conn, schema="main") + events(session.conn,
            schema=session.audit_schema) if e.object_type == "audit-head"]


def test_a_sync_leaves_the_pcs_head_with_the_hub(school4: HubSchool) -> None:
    before = school_head(school4, "teacher")
    assert not school4.sync("teacher").rolled_back
    head = kept(school4.hub, school4.fingerprints["teacher"])["school"]
    # What the PC had when the round began: the round's own events come in the next report.
    assert (head.seq, head.hash) == before and '"signature"' in head.head


def test_a_pc_put_back_to_an_older_copy_of_its_store_is_caught_and_sends_nothing(
        school4: HubSchool, tmp_path: Path) -> None:
    hub, teacher_dir = school4.hub, school4.dirs["teacher"]
    school4.sync("teacher")
    old_copy = tmp_path / "teacher-copy"
    shutil.copytree(teacher_dir, old_copy)  # the files as they are now, mark and all
    with school4.open("teacher") as teacher:
        record(teacher, "Said she was scared to go home")
    school4.sync("teacher")
    school4.sync("teacher")  # the hub now keeps a head the old copy never reached
    seen = kept(hub, school4.fingerprints["teacher"])["school"].seq

    shutil.rmtree(teacher_dir)
    shutil.copytree(old_copy, teacher_dir)
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Bruise on the left forearm")
        report = sync_round(teacher)
        assert report.rolled_back and not report.sent and not report.received
        assert report.waiting is not None
        assert report.waiting.startswith("This PC's store is older than the copy the school "
                                         f"hub last saw (event {seen})")
        assert "nothing has been sent" in report.waiting and "Bruise" not in report.waiting
        assert [i.id for i in items(teacher, pending_only=True)]  # still queued, unsent
        audited = rolled_back_events(teacher)
        assert audited and audited[0]["outcome"] == "rolled-back"
        assert audited[0]["hub_seq"] == seen
    assert concern not in hub.stored_ids()
    # Still caught after more work, and however many times it tries.
    assert school4.sync("teacher").rolled_back
    assert kept(hub, school4.fingerprints["teacher"])["school"].seq == seen


def test_a_store_used_on_past_the_hubs_head_after_a_roll_back_is_still_caught(
        school4: HubSchool, tmp_path: Path) -> None:
    """A higher seq is not enough: the trail must run through the head the hub kept."""
    teacher_dir = school4.dirs["teacher"]
    school4.sync("teacher")
    shutil.copytree(teacher_dir, tmp_path / "copy")
    with school4.open("teacher") as teacher:
        record(teacher, "Missed lunch again")
    school4.sync("teacher")
    school4.sync("teacher")
    seen = kept(school4.hub, school4.fingerprints["teacher"])["school"].seq
    shutil.rmtree(teacher_dir)
    shutil.copytree(tmp_path / "copy", teacher_dir)
    with school4.open("teacher") as teacher:
        for n in range(seen):  # far past the kept seq, on another trail
            teacher.audited("view", "note", str(n))
    assert school_head(school4, "teacher")[0] > seen
    assert school4.sync("teacher").rolled_back


def test_a_normal_run_of_syncs_never_trips_it(school4: HubSchool) -> None:
    for round_no in range(3):
        with school4.open("teacher") as teacher:
            record(teacher, f"Round {round_no}: arrived late and hungry")
        for pc in ("teacher", "dsl", "deputy", "teacher2", "teacher"):
            report = school4.sync(pc)
            assert not report.rolled_back, (pc, report.waiting)
        school4.clock.advance(60)
    with school4.open("dsl") as dsl:
        assert not sync_round(dsl).rolled_back
        assert not rolled_back_events(dsl)
    for pc in ("teacher", "dsl", "deputy", "teacher2"):
        assert "school" in kept(school4.hub, school4.fingerprints[pc])


def test_a_deliberate_restore_goes_on_once_the_hubs_administrator_acknowledges_it(
        school4: HubSchool, tmp_path: Path) -> None:
    hub, main = school4.hub, school4.main
    school4.sync("dsl")
    with main.open("admin") as admin:
        backup(admin, tmp_path / "backup.zip")
    with school4.open("dsl") as dsl:
        record(dsl, "Disclosed at break time")
    school4.sync("dsl")
    school4.sync("dsl")
    restore(tmp_path / "backup.zip", main.directory,
            lambda d: unlock(d, "admin", ADMIN_PASS, clock=school4.clock), replace=True)
    assert school4.sync("dsl").rolled_back

    fingerprint = school4.fingerprints["dsl"]
    assert hub.cli("acknowledge-restore", "--fingerprint", fingerprint) == 0
    assert kept(hub, fingerprint) == {}
    report = school4.sync("dsl")
    assert not report.rolled_back, report.waiting
    assert all(d.outcome == "receipted" for d in report.sent)
    start = kept(hub, fingerprint)["school"]  # the restored trail is the new start
    with school4.open("dsl") as dsl:
        assert holds_event(dsl.conn, start.seq, start.hash)
    assert not school4.sync("dsl").rolled_back
    with school4.open("dsl") as dsl:
        restored = [e for e in events(dsl.conn) if e.action == "restore"]
        assert restored  # the restore itself is in the trail the hub now follows


def test_an_unenrolled_device_cannot_post_a_head(hub: Service) -> None:
    stranger = KeyPairs.generate()
    head = AuditHead("school", 7, "ab" * 32, "{}")
    with hub.client(stranger) as client:
        with pytest.raises(NotEnrolled):
            client.report_audit_heads([head])
        with pytest.raises(NotEnrolled):
            client.audit_heads()
        assert client.request_enrolment(stranger.bundle, "Synthetic stranger") == "pending"
        with pytest.raises(NotEnrolled):  # asking is not being enrolled
            client.report_audit_heads([head])
    assert kept(hub, stranger.fingerprint) == {}


def test_cli_sync_says_so_plainly_and_names_this_pc(
        school4: HubSchool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    teacher_dir = school4.dirs["teacher"]
    school4.sync("teacher")
    shutil.copytree(teacher_dir, tmp_path / "copy")
    with school4.open("teacher") as teacher:
        record(teacher, "Upset after PE")
    school4.sync("teacher")
    school4.sync("teacher")
    shutil.rmtree(teacher_dir)
    shutil.copytree(tmp_path / "copy", teacher_dir)
    with school4.open("teacher") as teacher:
        report = sync_round(teacher)
        assert report.waiting is not None
        assert f"--fingerprint {device_fingerprint(teacher)}" in report.waiting
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)
    capsys.readouterr()
    assert main(["sync", "--data", str(teacher_dir), "--user", "teacher"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("This PC's store is older than the copy the school hub last saw")
    assert "waiting" not in out and "sent " not in out
