"""The watched folder (issue #18): each referral exported exactly once — PDF, JSON twin and a
one-line contact record — across restarts, a watcher killed with SIGKILL between writing the
files and setting the marker, and three watcher processes sharing one PostgreSQL database."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from app.clock import FakeClock
from app.protocol.fingerprint import KeyPairs
from app.protocol.payload import seal_referral
from frontdoor import keys
from frontdoor.inbox import Inbox
from frontdoor.storage import Storage, open_storage
from frontdoor.watch import export_pending
from tests.frontdoor.conftest import PASSPHRASE, POSTGRES_ENV, REPO, _database

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Run as a watcher process that kills itself (SIGKILL) after writing the files of its Nth
# referral and before its marker is set: the crash the exactly-once design must survive.
DIES_AFTER_FILES = """
import os, signal, sys
import frontdoor.watch as watch
real, count = watch.write_files, 0
def write_then_die(out_dir, files):
    global count
    written = real(out_dir, files)
    count += 1
    if count == int(os.environ["DIE_AFTER"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return written
watch.write_files = write_then_die
from frontdoor.cli import main
sys.exit(main(sys.argv[1:]))
"""


def tiny_pdf(text: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def make_la(tmp: Path, database: str | None) -> tuple[Path, keys.ServiceInfo, Storage, KeyPairs]:
    store = tmp / "la-store"
    info = keys.init_store(store, "la", "Synthetic County Council", PASSPHRASE)
    storage = open_storage(store, database)
    school = KeyPairs.generate()
    storage.set_key(school.bundle, "Synthetic Primary School", "enrolled", AT)
    return store, info, storage, school


def arrive(storage: Storage, info: keys.ServiceInfo, school: KeyPairs, count: int,
           pdf: bytes) -> list[str]:
    """``count`` synthetic referrals stored as the PUT route stores them."""
    from app.protocol.envelope import parse

    ids = []
    for n in range(count):
        pack = {"child": {"legal_forename": f"Pupil{n}", "legal_surname": "Synthetic",
                          "date_of_birth": "2015-01-01", "upn": f"T{n:012d}"},
                "referrer": {"name": "Dee Synthetic"},
                "form": {"urgency": {"immediate_risk": "no", "kind": "safeguarding"},
                         "consent": {"consent_given": "yes"}}}
        (body,) = seal_referral(pack, pdf, [], school.fingerprint, school.signing, info.bundle)
        env = parse(body)
        storage.put_envelope(env.id, school.fingerprint, info.fingerprint, "referral",
                             env.sha256, body, AT)
        ids.append(env.id)
    return ids


def watcher(store: Path, out: Path, database: str | None, *, die_after: int | None = None
            ) -> subprocess.Popen[str]:
    args = ["inbox", "watch", "--store", str(store), "--out", str(out), "--once"]
    if database:
        args += ["--database", database]
    env = {**os.environ, keys.PASSPHRASE_ENV: PASSPHRASE}
    if die_after is None:
        cmd = [sys.executable, "-m", "frontdoor.cli", *args]
    else:
        cmd = [sys.executable, "-c", DIES_AFTER_FILES, *args]
        env["DIE_AFTER"] = str(die_after)
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def exported_ids(stdout: str) -> list[str]:
    """The ids a watcher printed as exported (each printed once its marker committed)."""
    return [parts[2] for parts in map(str.split, stdout.splitlines())
            if len(parts) == 3 and parts[1] == "exported"]


@pytest.fixture()
def postgres() -> Iterator[str]:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}: run through scripts/with-postgres.sh")
    gen = _database("postgres")
    url = next(gen)
    assert url is not None
    yield url
    next(gen, None)


def test_each_referral_once_with_its_pdf_twin_and_contact_record(tmp_path: Path) -> None:
    store, info, storage, school = make_la(tmp_path, None)
    ids = arrive(storage, info, school, 3, tiny_pdf("Synthetic referral"))
    inbox = Inbox(storage, info, keys.load_hpke_key(store, info, PASSPHRASE))
    out = tmp_path / "watched"
    out.mkdir()
    first = export_pending(inbox, out, FakeClock(AT), "test")
    assert sorted(r.envelope_id for r in first) == sorted(ids)
    assert export_pending(inbox, out, FakeClock(AT), "test") == []  # a restart: nothing again
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"referral-{i}.{ext}" for i in ids
                           for ext in ("pdf", "json", "contact.json"))
    contact_file = out / f"referral-{ids[0]}.contact.json"
    lines = contact_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    contact = json.loads(lines[0])
    assert contact["referral_id"] == ids[0] and contact["school"] == "Synthetic Primary School"
    assert contact["child_legal_forename"] == "Pupil0" and contact["immediate_risk"] == "no"
    assert contact["pdf_file"] == f"referral-{ids[0]}.pdf"
    assert "Synthetic referral" in PdfReader(out / contact["pdf_file"]).pages[0].extract_text()
    assert oct(contact_file.stat().st_mode & 0o777) == "0o600"  # a child's data: owner only
    twin = json.loads((out / contact["json_file"]).read_text(encoding="utf-8"))
    assert twin["pack"]["child"]["upn"] == "T000000000000"
    # A school enrolled after the watcher started: its referral goes out at the next pass.
    later = KeyPairs.generate()
    storage.set_key(later.bundle, "Synthetic Secondary School", "enrolled", AT)
    (new_id,) = arrive(storage, info, later, 1, tiny_pdf("Later referral"))
    (result,) = export_pending(inbox, out, FakeClock(AT), "test")
    assert (result.envelope_id, result.outcome) == (new_id, "exported")
    storage.close()


def test_a_forged_referral_is_marked_unreadable_and_writes_nothing(tmp_path: Path) -> None:
    store, info, storage, school = make_la(tmp_path, None)
    stranger = KeyPairs.generate()  # signs as the school, but is not its key
    from app.protocol.envelope import parse

    (body,) = seal_referral({}, tiny_pdf("x"), [], school.fingerprint, stranger.signing,
                            info.bundle)
    env = parse(body)
    storage.put_envelope(env.id, school.fingerprint, info.fingerprint, "referral", env.sha256,
                         body, AT)
    inbox = Inbox(storage, info, keys.load_hpke_key(store, info, PASSPHRASE))
    out = tmp_path / "watched"
    (result,) = export_pending(inbox, out, FakeClock(AT), "test")
    assert result.outcome.startswith("unreadable: signature does not verify")
    assert not out.exists() or list(out.iterdir()) == []
    assert export_pending(inbox, out, FakeClock(AT), "test") == []
    storage.close()


def test_a_database_from_before_the_la_side_gets_its_tables_once(tmp_path: Path) -> None:
    import sqlite3

    from frontdoor.storage import SQLITE_FILE, SQLiteStorage

    path = tmp_path / SQLITE_FILE
    SQLiteStorage(path).close()
    with sqlite3.connect(path) as conn:  # as a service with only step 1 (audit heads) left it
        for table in ("exports", "staff", "answers", "peers"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM schema_steps WHERE step > 1")
    for _ in range(2):
        SQLiteStorage(path).close()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT step FROM schema_steps ORDER BY step")] \
            == [1, 2, 3, 4, 5]
        for table in ("exports", "staff", "answers", "peers"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_watch_refuses_a_file_as_its_folder(tmp_path: Path) -> None:
    store, _, storage, _ = make_la(tmp_path, None)
    storage.close()
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    proc = watcher(store, not_a_folder, None)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "is a file, not a folder" in err and "Traceback" not in err


@pytest.mark.postgres
@pytest.mark.slow
def test_a_thousand_referrals_exactly_once_over_a_kill_and_three_watchers(
        tmp_path: Path, postgres: str) -> None:
    store, info, storage, school = make_la(tmp_path, postgres)
    ids = arrive(storage, info, school, 1000, tiny_pdf("Synthetic referral"))
    out = tmp_path / "watched"
    out.mkdir()
    # One watcher dies by SIGKILL after the files of its 40th referral, before the marker.
    dying = watcher(store, out, postgres, die_after=40)
    dying_out, _ = dying.communicate(timeout=120)
    assert dying.returncode == -signal.SIGKILL
    before = exported_ids(dying_out)
    assert len(before) == 39
    # Three watchers share the rest; one of them is killed from outside part-way too.
    procs = [watcher(store, out, postgres) for _ in range(3)]
    time.sleep(0.5)  # not a timing assert: the kill lands somewhere in its run, or after it
    procs[0].send_signal(signal.SIGKILL)
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    restart = watcher(store, out, postgres)  # the killed one's restart finishes what is left
    outputs.append(restart.communicate(timeout=180)[0])
    assert all(p.returncode == 0 for p in procs[1:]) and restart.returncode == 0
    printed = before + [i for text in outputs for i in exported_ids(text)]
    assert len(printed) == len(set(printed)), "a referral was exported twice"
    assert sorted(printed) == sorted(ids)
    markers = storage.export_markers()
    assert sorted(markers) == sorted(ids)
    assert {outcome for outcome, _ in markers.values()} == {"exported"}
    assert len({worker for _, worker in markers.values()}) >= 2  # shared among processes
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"referral-{i}.{ext}" for i in ids
                           for ext in ("pdf", "json", "contact.json"))  # no .part left behind
    for envelope_id in ids[:: 97]:
        contact = json.loads((out / f"referral-{envelope_id}.contact.json").read_text())
        assert contact["referral_id"] == envelope_id
        assert (out / contact["pdf_file"]).read_bytes().startswith(b"%PDF")
    storage.close()
