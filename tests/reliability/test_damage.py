"""Damage: flipped bytes, a cut write-ahead log, missing or damaged key files, wrong recovery
keys, damaged backups. Each must get a specific message, never a crash (loop), never silent loss.
Backup and restore must round-trip, also onto a replacement PC."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from app.domain.chronology import chronology
from app.errors import ConcernDeskError, StoreDamaged, UnlockError
from app.store.access import recover, unlock
from app.store.db import DB_FILE, DatabaseError
from app.store.device import forget_device_keys
from app.store.highwater import MARK_FILE
from app.store.keyfile import KEYFILE
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS, SmallSchool
from tests.reliability.conftest import LiveSchool, store_files
from tests.reliability.conftest import run_cli_in_process as run_cli

PAGE = 4096


@pytest.fixture
def live_school(live_school: LiveSchool) -> LiveSchool:
    """Here the CLI runs in this process: the same code paths, without a start-up each time."""
    live_school.in_process = True
    return live_school


def _school_with_concerns(tmp: Path, n: int = 5) -> tuple[LiveSchool, list[str]]:
    school = LiveSchool(tmp / "store")
    ids = [school.record("teacher", f"Damage probe {i}: no coat", child_words="It is wet")
           for i in range(n)]
    return school, ids


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _child_id(school: LiveSchool) -> str:
    with school.open("dsl") as session:
        return session.conn.execute("SELECT id FROM children WHERE upn = 'B801200005001'"
                                    ).fetchone()[0]


def _outcome(copy: Path, child: str) -> str:
    """What a DSL opening the damaged copy and reading the chronology meets."""
    try:
        with unlock(copy, "dsl", STAFF_PASS) as session:
            return f"read {len(chronology(session, child))}"
    except StoreDamaged:
        return "damaged"
    except Exception as exc:  # what the CLI calls "an unexpected problem"
        return f"unexpected {type(exc).__name__}"


@pytest.fixture(scope="module")
def page_outcomes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, str], int]:
    """One bit flipped in every third page of a store holding five concerns (one copy each):
    page number → what a DSL reading the chronology met."""
    tmp = tmp_path_factory.mktemp("pages")
    school, ids = _school_with_concerns(tmp)
    child = _child_id(school)
    outcomes = {}
    for page in range(0, (school.directory / DB_FILE).stat().st_size // PAGE, 3):
        copy = tmp / f"page-{page}"
        shutil.copytree(school.directory, copy)
        _flip(copy / DB_FILE, page * PAGE + 2000)
        outcomes[page] = _outcome(copy, child)
        if outcomes[page].startswith("read") and "verify" not in outcomes:
            with unlock(copy, "dsl", STAFF_PASS) as session:  # it opens: only verify can tell
                try:
                    report = verify_store(session)
                    outcomes["verify"] = " ".join(report.problems) or "ok"  # type: ignore[index]
                except Exception as exc:
                    outcomes["verify"] = f"unexpected {type(exc).__name__}"  # type: ignore[index]
                outcomes["verify page"] = str(page + 1)  # type: ignore[index]
        shutil.rmtree(copy)
    return outcomes, len(ids)


def test_a_flipped_bit_never_silently_drops_a_concern(
        page_outcomes: tuple[dict[int, str], int]) -> None:
    outcomes, concerns = page_outcomes
    pages = {k: v for k, v in outcomes.items() if isinstance(k, int)}
    # Whatever page is hit, a chronology that is shown is complete: an error, never less.
    assert {o for o in pages.values() if o.startswith("read")} <= {f"read {concerns}"}
    assert any(o == "damaged" for o in pages.values())


def test_a_flipped_bit_anywhere_gets_the_damaged_message(
        page_outcomes: tuple[dict[int, str], int]) -> None:
    outcomes, _ = page_outcomes
    assert {k: v for k, v in outcomes.items()
            if isinstance(k, int) and v.startswith("unexpected")} == {}


def test_verify_names_a_damaged_page(page_outcomes: tuple[dict[int, str], int]) -> None:
    outcomes, _ = page_outcomes
    assert "verify" in outcomes, "no page could be damaged without the unlock noticing"
    found = outcomes["verify"]  # type: ignore[index]
    assert found != "ok" and not found.startswith("unexpected")
    assert outcomes["verify page"] in found or "damaged" in found  # type: ignore[index]


def test_a_damaged_header_gets_the_same_specific_message_every_time(
        live_school: LiveSchool) -> None:
    _flip(live_school.directory / DB_FILE, 2000)
    before = store_files(live_school.directory)
    results = [live_school.cli("chronology", "--child", "B801200005001", user="dsl")
               for _ in range(2)]
    for result in results:
        assert result.returncode == 1
        assert "damaged" in result.stderr and "restore" in result.stderr.lower()
        assert "Traceback" not in result.stderr
    assert results[0].stderr == results[1].stderr  # no crash loop: the same answer, calmly
    after = store_files(live_school.directory)
    assert {k: after[k] for k in before} == before  # nothing "repaired" away


def test_the_damaged_message_names_the_last_backup(live_school: LiveSchool,
                                                   tmp_path: Path) -> None:
    made = live_school.cli("backup", "--out", str(tmp_path / "school.backup"), user="dsl")
    assert made.returncode == 0, made.stderr
    date = json.loads(zipfile.ZipFile(tmp_path / "school.backup").read(
        "concerndesk-backup.json"))["created_at"][:10]
    _flip(live_school.directory / DB_FILE, 2000)
    result = live_school.cli("chronology", "--child", "B801200005001", user="dsl")
    assert "damaged" in result.stderr and date in result.stderr


# -- the write-ahead log ------------------------------------------------------------------------
def _power_cut_copy(school: LiveSchool, target: Path, *, mark_as_before: bool = False
                    ) -> list[str]:
    """Concerns saved while the store stays open, then the store's files copied as a power cut
    would leave them: store.db plus a write-ahead log that was never checkpointed, and every
    file beside them (the shared-memory index apart, which SQLite rebuilds). With
    ``mark_as_before`` the files beside the store are as they were before the concerns: their
    unsynced writes never reached the disk, as a real power cut may leave them."""
    before = store_files(school.directory)
    session = school.open("teacher")
    try:
        from datetime import timedelta

        from app.domain.concerns import ConcernDraft, record_concern

        child = session.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
        ids = [record_concern(session, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text=f"WAL probe {i}",
            occurred_at=session.clock.now() - timedelta(hours=1))).id for i in range(3)]
        target.mkdir()
        for name, data in store_files(school.directory).items():
            if name.endswith("-shm"):
                continue
            if mark_as_before and name not in (KEYFILE, DB_FILE, DB_FILE + "-wal"):
                if name not in before:
                    continue
                data = before[name]
            (target / name).write_bytes(data)
    finally:
        session.close()
    return ids


@pytest.mark.parametrize("cut", [1, 100, 4000, 9000])
def test_a_cut_write_ahead_log_never_stops_the_store_opening(live_school: LiveSchool,
                                                             tmp_path: Path, cut: int) -> None:
    """A power cut tears the log only after the last commit that was synced; the high-water
    mark beside the store is not synced, so it can only be as far as that or behind."""
    copy = tmp_path / "cut"
    _power_cut_copy(live_school, copy, mark_as_before=True)
    assert (copy / MARK_FILE).exists()  # a mark is there, lagging: it must not alarm
    wal = copy / (DB_FILE + "-wal")
    wal.write_bytes(wal.read_bytes()[:-cut])
    with unlock(copy, "dsl", STAFF_PASS) as session:
        assert verify_store(session).ok


def test_a_cut_write_ahead_log_is_noticed(live_school: LiveSchool, tmp_path: Path) -> None:
    copy = tmp_path / "cut"
    ids = _power_cut_copy(live_school, copy)
    wal = copy / (DB_FILE + "-wal")
    wal.write_bytes(wal.read_bytes()[:-100])
    try:
        with unlock(copy, "dsl", STAFF_PASS) as session:
            present = {r[0] for r in session.conn.execute("SELECT id FROM records")}
            report = verify_store(session)
    except StoreDamaged:
        return
    assert set(ids) <= present or not report.ok


def _last_seq(directory: Path, key: bytes) -> int:
    """The audit trail's last event, read with the raw key (no unlock, no mark check)."""
    from app.store.db import connect

    conn = connect(directory / DB_FILE, key)
    try:
        return int(conn.execute("SELECT max(seq) FROM audit").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("cut", [100, 9000])
def test_a_cut_write_ahead_log_is_refused_naming_the_loss_and_the_last_backup(
        live_school: LiveSchool, tmp_path: Path, cut: int) -> None:
    made = live_school.cli("backup", "--out", str(tmp_path / "school.backup"), user="dsl")
    assert made.returncode == 0, made.stderr
    copy = tmp_path / "cut"
    _power_cut_copy(live_school, copy)
    with live_school.open("dsl") as session:
        key = session.data_key
    reached = _last_seq(live_school.directory, key)
    wal = copy / (DB_FILE + "-wal")
    wal.write_bytes(wal.read_bytes()[:-cut])
    for _ in range(2):  # the same answer every time, through the CLI as through the core
        result = run_cli("chronology", "--child", "B801200005001", "--data", str(copy),
                         "--user", "dsl")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        message = " ".join(result.stderr.split())
        assert "damaged" in message and "restore" in message and "school.backup" in message
        found = re.search(r"ends at event #(\d+), but this PC recorded it reaching #(\d+): the "
                          r"last (\d+) audited events? \(", message)
        assert found, message
        head, mark, missing = map(int, found.groups())
        assert mark == reached and missing == mark - head >= 1
    assert _last_seq(copy, key) == head  # refused before anything was audited
    with pytest.raises(StoreDamaged, match="restore"):
        recover(copy, live_school.recovery_key)


def test_a_lagging_or_unreadable_mark_never_alarms(live_school: LiveSchool) -> None:
    """A crash between a commit and its mark, a torn mark, garbage, a mark of another store
    (another data key) or none at all: each means "unknown", and the store opens."""
    from app.store.highwater import SLOT

    mark = live_school.directory / MARK_FILE
    old = mark.read_bytes()
    live_school.record("teacher", "Saved; its mark never written")
    variants = {"lagging": old, "torn": old[:SLOT + 40], "garbage": b"\x07" * (2 * SLOT),
                "empty": b"", "flipped": bytes([old[0]]) + bytes([old[1] ^ 1]) + old[2:]}
    variants["other store"] = _mark_of_another_store(live_school)
    for name, data in variants.items():
        mark.write_bytes(data)
        with live_school.open("dsl") as session:
            assert verify_store(session).ok, name
    mark.unlink()
    with live_school.open("dsl") as session:
        assert verify_store(session).ok


def _mark_of_another_store(school: LiveSchool) -> bytes:
    """The mark a store with another data key would leave, far ahead of this one."""
    import secrets

    from app.store.highwater import Mark, record

    other = school.directory.parent / "other-mark"
    other.mkdir()
    record(other, secrets.token_bytes(32), Mark(10_000, "ab" * 32, bytes(16)))
    record(other, secrets.token_bytes(32), Mark(10_001, "cd" * 32, bytes(16)))
    return (other / MARK_FILE).read_bytes()


def test_many_connections_writing_at_once_never_alarm(live_school: LiveSchool) -> None:
    """As the app's sync worker and a CLI beside it: several connections commit at once, and
    their marks land in any order. A mark may lag; it never leads."""
    from concurrent.futures import ThreadPoolExecutor

    sessions = [live_school.open("teacher")]
    sessions += [sessions[0].clone() for _ in range(2)]
    try:
        def write(session: object) -> None:
            from datetime import timedelta

            from app.domain.concerns import ConcernDraft, record_concern

            for i in range(8):
                child = session.conn.execute(  # type: ignore[attr-defined]
                    "SELECT id FROM children LIMIT 1").fetchone()[0]
                record_concern(session, ConcernDraft(  # type: ignore[arg-type]
                    children=[(child, "subject")], categories=["neglect"], text=f"Busy {i}",
                    occurred_at=session.clock.now() - timedelta(hours=1)))  # type: ignore[attr-defined]
                with live_school.open("dsl") as reader:  # opened among the writers: no alarm
                    assert verify_store(reader).ok

        with ThreadPoolExecutor(len(sessions)) as pool:
            for done in [pool.submit(write, s) for s in sessions]:
                done.result()
    finally:
        for session in sessions:
            session.close()
    with live_school.open("dsl") as session:
        assert verify_store(session).ok


def test_a_restore_resets_the_mark_even_with_the_old_store_still_open(
        live_school: LiveSchool, tmp_path: Path) -> None:
    """A restore rolls the store back on purpose: no alarm, not even when a process still on the
    replaced store goes on writing marks into the restored store's folder."""
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    for i in range(3):
        live_school.record("teacher", f"After the backup {i}")
    still_open = live_school.open("teacher")  # e.g. the desktop app, left running
    try:
        result = run_cli("restore", "--data", str(live_school.directory), "--from",
                         str(backup), "--replace", passphrase=STAFF_PASS)
        assert result.returncode == 0, result.stderr
        still_open.audited("view", "store", None)  # its mark lands in the restored folder
        still_open.audited("view", "store", None)
    finally:
        still_open.close()
    with live_school.open("dsl") as session:
        assert verify_store(session).ok
    live_school.record("teacher", "After the restore")
    with live_school.open("dsl") as session:
        assert verify_store(session).ok


# -- key files ------------------------------------------------------------------------------------
def test_missing_key_file_is_named_stays_put_and_a_backup_brings_it_back(
        live_school: LiveSchool, tmp_path: Path) -> None:
    concern = live_school.record("teacher", "Before the key file went")
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    (live_school.directory / KEYFILE).unlink()
    db_before = (live_school.directory / DB_FILE).read_bytes()
    for _ in range(2):
        result = live_school.cli("search", "coat", user="dsl")
        assert result.returncode == 1 and "keys.json is missing" in result.stderr
        assert "restore" in result.stderr and "Traceback" not in result.stderr
    assert (live_school.directory / DB_FILE).read_bytes() == db_before
    restored = run_cli("restore", "--data", str(tmp_path / "restored"), "--from", str(backup),
                       passphrase=STAFF_PASS)
    assert restored.returncode == 0, restored.stderr
    live_school.directory = tmp_path / "restored"
    assert concern in live_school.concern_ids()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong format", "no users"])
def test_a_damaged_key_file_is_named(live_school: LiveSchool, damage: str) -> None:
    path = live_school.directory / KEYFILE
    text = path.read_text()
    data = json.loads(text)
    path.write_text({"garbage": "\x00\x01 not json", "truncated": text[: len(text) // 2],
                     "wrong format": json.dumps({**data, "format": 99}),
                     "no users": json.dumps({k: v for k, v in data.items() if k != "users"})
                     }[damage])
    result = live_school.cli("pupils", "list", user="dsl")
    assert result.returncode == 1, result.stderr
    assert "keys.json" in result.stderr and "Traceback" not in result.stderr


def test_one_damaged_wrap_reads_as_a_wrong_passphrase_and_the_admin_can_reset_it(
        live_school: LiveSchool) -> None:
    path = live_school.directory / KEYFILE
    data = json.loads(path.read_text())
    wrap = data["users"]["teacher"]["personal"]  # the wrap of the account's personal seed
    wrapped = bytearray(wrap["wrapped"].encode())
    wrapped[4] = ord("A") if wrapped[4] != ord("A") else ord("B")
    wrap["wrapped"] = wrapped.decode()
    path.write_text(json.dumps(data))
    with pytest.raises(UnlockError, match="wrong"):
        live_school.open("teacher")
    live_school.open("dsl").close()  # the others are unaffected
    from app.store.users import reset_passphrase

    with live_school.open("admin") as admin:
        reset_passphrase(admin, "teacher", "a freshly issued passphrase")
    unlock(live_school.directory, "teacher", "a freshly issued passphrase").close()


def test_missing_store_file_is_named(live_school: LiveSchool) -> None:
    (live_school.directory / DB_FILE).unlink()
    result = live_school.cli("pupils", "list", user="dsl")
    assert result.returncode == 1 and "store.db is missing" in result.stderr
    assert "restore" in result.stderr


# -- recovery keys --------------------------------------------------------------------------------
WRONG_KEY = "0K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q-7K3Q"


def test_wrong_recovery_keys_are_refused_and_change_nothing(live_school: LiveSchool) -> None:
    before = store_files(live_school.directory)
    for _ in range(2):
        result = run_cli("recover", "--data", str(live_school.directory), passphrase=None,
                         env={"CONCERNDESK_RECOVERY_KEY": WRONG_KEY})
        assert result.returncode == 4 and "does not open this store" in result.stderr
        assert "Traceback" not in result.stderr
    malformed = run_cli("recover", "--data", str(live_school.directory), passphrase=None,
                        env={"CONCERNDESK_RECOVERY_KEY": "1234-ABCD"})
    assert malformed.returncode == 2 and "52" in malformed.stderr
    after = store_files(live_school.directory)
    assert after[DB_FILE] == before[DB_FILE] and after[KEYFILE] == before[KEYFILE]
    # The failures are remembered across processes (usernames and times only).
    from app.store.ratelimit import STATE_FILE

    state = json.loads((live_school.directory / STATE_FILE).read_text())
    assert state["failures"]["recovery"]["count"] == 2


def test_recovery_key_guesses_are_rate_limited_then_the_right_key_works(
        school: SmallSchool) -> None:
    for _ in range(3):
        with pytest.raises(UnlockError, match="does not open"):
            recover(school.directory, WRONG_KEY, clock=school.clock)
    # Even the right key waits out the delay: guessing costs time, not just attempts.
    with pytest.raises(UnlockError, match="Too many wrong recovery keys"):
        recover(school.directory, school.recovery_key, clock=school.clock)
    school.clock.advance(1)
    recover(school.directory, school.recovery_key, clock=school.clock).close()


def test_restore_with_a_wrong_recovery_key_leaves_nothing_behind(live_school: LiveSchool,
                                                                 tmp_path: Path) -> None:
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    target = tmp_path / "elsewhere" / "store"
    result = run_cli("restore", "--data", str(target), "--from", str(backup), "--recovery",
                     passphrase=None, env={"CONCERNDESK_RECOVERY_KEY": WRONG_KEY})
    assert result.returncode == 4 and "does not open" in result.stderr
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no scratch folder left with the store in it


# -- backup and restore ---------------------------------------------------------------------------
def _snapshot(directory: Path) -> dict[str, object]:
    with unlock(directory, "dsl", STAFF_PASS) as session:
        conn = session.conn
        return {
            "versions": sorted(conn.execute(
                "SELECT record_id, version, summary, child_words FROM record_versions")),
            "status": sorted(conn.execute("SELECT record_id, status FROM record_status")),
            "children": sorted(conn.execute("SELECT upn, legal_surname FROM children")),
            "users": sorted(conn.execute("SELECT username, roles FROM users")),
        }


def test_backup_and_restore_round_trip_onto_a_replacement_pc(tmp_path: Path) -> None:
    # A school of its own: this test forgets the device keys, which copies would share.
    live_school = LiveSchool(tmp_path / "own")
    live_school.in_process = True
    ids = [live_school.record("teacher", f"Round trip {i}", child_words="Verbatim words")
           for i in range(3)]
    amended = live_school.cli("concern", "amend", "--id", ids[0], "--text", "Round trip 0, "
                              "corrected", "--reason", "detail", user="teacher")
    assert amended.returncode == 0, amended.stderr
    original = _snapshot(live_school.directory)
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    # The PC is lost: its keyring entries with it. The recovery key restores elsewhere.
    store_id = json.loads((live_school.directory / KEYFILE).read_text())["store_id"]
    forget_device_keys(store_id)
    target = tmp_path / "new-pc" / "store"
    restored = run_cli("restore", "--data", str(target), "--from", str(backup), "--recovery",
                       passphrase=None,
                       env={"CONCERNDESK_RECOVERY_KEY": live_school.recovery_key})
    assert restored.returncode == 0, restored.stderr
    assert _snapshot(target) == original
    verified = run_cli("verify", "--data", str(target), "--user", "dsl", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout


def test_a_damaged_backup_is_refused_and_the_store_kept(live_school: LiveSchool,
                                                        tmp_path: Path) -> None:
    live_school.record("teacher", "Kept through a bad restore")
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    raw = bytearray(backup.read_bytes())
    raw[len(raw) // 2] ^= 0x01  # inside the store file's bytes in the archive
    backup.write_bytes(bytes(raw))
    before = store_files(live_school.directory)
    result = run_cli("restore", "--data", str(live_school.directory), "--from", str(backup),
                     "--replace", passphrase=STAFF_PASS)
    assert result.returncode != 0
    assert "damaged" in result.stderr and "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert store_files(live_school.directory)[DB_FILE] == before[DB_FILE]


def test_restore_replace_keeps_the_old_store_aside(live_school: LiveSchool,
                                                   tmp_path: Path) -> None:
    backup = tmp_path / "school.backup"
    assert live_school.cli("backup", "--out", str(backup), user="dsl").returncode == 0
    later = live_school.record("teacher", "Recorded after the backup")
    result = run_cli("restore", "--data", str(live_school.directory), "--from", str(backup),
                     "--replace", passphrase=STAFF_PASS)
    assert result.returncode == 0, result.stderr
    aside = [p for p in live_school.directory.parent.iterdir() if ".replaced-" in p.name]
    assert len(aside) == 1
    assert later not in live_school.concern_ids()  # the backup's state, as asked...
    live_school.directory = aside[0]
    assert later in live_school.concern_ids()  # ...and nothing lost: the old store is kept


def test_database_errors_are_not_confused_with_wrong_passphrases(live_school: LiveSchool
                                                                 ) -> None:
    _flip(live_school.directory / DB_FILE, 2000)
    with pytest.raises(ConcernDeskError) as error:
        live_school.open("dsl")
    assert not isinstance(error.value, UnlockError)
    assert not isinstance(error.value, DatabaseError)
