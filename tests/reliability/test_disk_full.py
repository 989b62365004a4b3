"""A full disk during a save: the store stays intact, the draft is kept, and the person is told
plainly what happened (a real full filesystem, and RLIMIT_FSIZE in a process of its own)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.store.drafts import load_draft
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS
from tests.reliability.conftest import REPO, LiveSchool, fill_disk, run_cli_in_process

# Free bytes left on the 2 MiB disk: none at all (the unlock itself cannot write), and enough
# to open and audit the login but not to save the concern (measured: the login needs ~32 KiB).
NOTHING_FREE, ROOM_FOR_LOGIN_ONLY = 0, 48 * 1024


def _add_concern(store: Path) -> subprocess.CompletedProcess[str]:
    return run_cli_in_process("concern", "add", "--data", str(store), "--user", "teacher",
                              "--child", "B801200005001", "--category", "neglect", "--text",
                              "Disk-full probe: arrived without a coat", passphrase=STAFF_PASS)


def _intact(school: LiveSchool, expected: set[str]) -> None:
    with school.open("dsl") as session:
        report = verify_store(session)
        assert report.ok, report.problems
        present = {r[0] for r in session.conn.execute(
            "SELECT id FROM records WHERE kind = 'concern'")}
        half = session.conn.execute(
            "SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM record_versions "
            "v WHERE v.record_id = r.id)").fetchone()[0]
    assert expected <= present and half == 0


@pytest.fixture
def school_on_small_disk(small_disk: Path, live_school: LiveSchool) -> LiveSchool:
    school = live_school
    school.record("teacher", "Saved before the disk filled")
    shutil.copytree(school.directory, small_disk / "store")
    school.directory = small_disk / "store"
    return school


@pytest.mark.parametrize("free", [NOTHING_FREE, ROOM_FOR_LOGIN_ONLY])
def test_full_disk_during_a_save_leaves_the_store_intact(school_on_small_disk: LiveSchool,
                                                         free: int) -> None:
    school = school_on_small_disk
    before = school.concern_ids()
    filler = fill_disk(school.directory.parent, free)
    result = _add_concern(school.directory)
    assert "Traceback" not in result.stderr
    if free == NOTHING_FREE:
        assert result.returncode == 1, result.stdout
    # Nothing was half-saved, nothing lost: once there is room again, all is as it was (plus
    # the concern, had it fitted after all).
    filler.unlink()
    _intact(school, before)
    saved = {result.stdout.strip().splitlines()[-1]} if result.returncode == 0 else set()
    assert school.concern_ids() == before | saved
    # ...and the same save now works.
    again = _add_concern(school.directory)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] in school.concern_ids()


@pytest.mark.parametrize("free", [NOTHING_FREE, ROOM_FOR_LOGIN_ONLY])
def test_full_disk_gets_a_clear_message(school_on_small_disk: LiveSchool, free: int) -> None:
    fill_disk(school_on_small_disk.directory.parent, free)
    result = _add_concern(school_on_small_disk.directory)
    message = result.stderr.lower()
    assert "damaged" not in message and "restore" not in message
    assert "unexpected" not in message
    assert "disk" in message or "space" in message


CHILD = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from datetime import timedelta
    from app.domain.concerns import ConcernDraft, record_concern
    from app.store.drafts import save_draft
    from app.errors import ConcernDeskError
    from app.store.access import unlock
    from app.hub.reactions import install

    install()  # as the app and the CLI do
    store = Path(sys.argv[1])
    session = unlock(store, "teacher", sys.argv[2])
    child = session.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
    save_draft(session, "concern", {"text": "Half-typed when the disk filled"})
    # From here on the write-ahead log may not grow: the save's first frame fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    wal = (store / "store.db-wal").stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (wal, wal))
    try:
        record_concern(session, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text="Never fits",
            occurred_at=session.clock.now() - timedelta(minutes=1)))
    except ConcernDeskError as exc:
        print("clear:", exc)
    except Exception as exc:
        print("unclear:", type(exc).__name__, exc)
    else:
        print("saved")
""")


def _save_with_no_room(school: LiveSchool) -> str:
    result = subprocess.run([sys.executable, "-c", CHILD, str(school.directory), STAFF_PASS],
                            capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_file_size_limit_during_a_save_keeps_the_draft_and_the_store(live_school: LiveSchool
                                                                     ) -> None:
    earlier = live_school.record("teacher", "Saved before the limit")
    outcome = _save_with_no_room(live_school)
    assert outcome.startswith(("clear:", "unclear:")), outcome
    _intact(live_school, {earlier})
    assert live_school.concern_ids() == {earlier}
    with live_school.open("teacher") as teacher:
        assert load_draft(teacher, "concern") == {"text": "Half-typed when the disk filled"}


def test_file_size_limit_during_a_save_is_a_clear_error(live_school: LiveSchool) -> None:
    outcome = _save_with_no_room(live_school)
    assert outcome.startswith("clear:"), outcome
    assert "disk" in outcome.lower() or "space" in outcome.lower()
