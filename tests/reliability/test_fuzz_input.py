"""Promise 4, fuzzed: whatever bytes or text arrive — a roster file, an identifier, a recovery
key, a date, a search, a concern's text, a backup, a key file — the answer is a clear
ConcernDeskError (or success), never a crash, and a refused input stores nothing."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.concerns import ConcernDraft, concern_time, record_concern
from app.domain.pupils import import_roster
from app.domain.records import latest_version
from app.domain.search import fts_query
from app.errors import ConcernDeskError, InputError, InputErrors
from app.identifiers import check_nhs_number, check_upn
from app.store.access import unlock
from app.store.backup import read_manifest
from app.store.keyfile import KEYFILE
from app.store.keys import format_recovery_key, parse_recovery_key
from app.store.session import Session
from tests.conftest import STAFF_PASS, SmallSchool
from tests.reliability.conftest import REPO, run_cli_in_process

# Every code point, lone surrogates included (what undecodable bytes on a command line become).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=60)
# What a keyboard or the UI can produce (no lone surrogates: see the command-line test below).
VALID_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
FIXTURE_OK = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

HEADER = "upn,legal_forename,legal_surname,preferred_forename,date_of_birth,gender,year_group," \
         "nhs_number\n"
GOOD_ROW = "N801200005099,Ada,Testcase,,2016-02-02,F,5,\n"


# -- parsers: only a value or a clear InputError ------------------------------------------------
@given(ANY_TEXT)
def test_identifier_checks_take_any_text(text: str) -> None:
    for check in (check_upn, check_nhs_number):
        try:
            value = check(text)
        except InputError as error:
            assert error.field in ("upn", "nhs_number")
            continue
        assert value.isascii() and value.isalnum()


@given(ANY_TEXT)
def test_recovery_key_parser_takes_any_text(text: str) -> None:
    try:
        key = parse_recovery_key(text)
    except InputError as error:
        assert error.field == "recovery key"
        return
    assert len(key) == 32


@given(st.binary(min_size=32, max_size=32), st.sampled_from(["upper", "lower", "spaced"]))
def test_recovery_keys_round_trip_however_they_are_typed(key: bytes, style: str) -> None:
    text = format_recovery_key(key)
    typed = {"upper": text, "lower": text.lower(), "spaced": text.replace("-", "  ")}[style]
    typed = typed.replace("0", "O") if style == "upper" else typed  # O read for zero
    assert parse_recovery_key(typed) == key


@given(ANY_TEXT)
def test_a_typed_time_is_a_time_or_a_clear_error(text: str) -> None:
    try:
        when = concern_time(text)
    except InputError as error:
        assert error.field == "occurred"
        return
    assert when.tzinfo is not None


@given(ANY_TEXT)
def test_any_search_text_is_a_safe_fts_query_or_a_clear_error(text: str) -> None:
    try:
        query = fts_query(text)
    except InputError:
        return
    # Every term is quoted: FTS5 operators typed by a user stay words.
    assert all(part.startswith('"') and part.endswith('"*') for part in query.split(" "))


@given(st.binary(max_size=300))
def test_any_file_offered_as_a_backup_is_refused_clearly(tmp_path_factory: object,
                                                         data: bytes) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".backup") as handle:
        handle.write(data)
        handle.flush()
        with pytest.raises(InputError):
            read_manifest(Path(handle.name))


# -- through a real store: nothing stored from a bad request --------------------------------------
def _session(school: SmallSchool, username: str) -> Session:
    """One session per user for all of a test's examples (an unlock per example is slow)."""
    cache = school.__dict__.setdefault("_fuzz_sessions", {})
    if username not in cache:
        cache[username] = school.open(username)
    return cache[username]


@pytest.fixture(autouse=True)
def _close_sessions(school: SmallSchool) -> Iterator[None]:
    yield
    for session in school.__dict__.pop("_fuzz_sessions", {}).values():
        session.close()


def _counts(school: SmallSchool) -> tuple[int, ...]:
    conn = _session(school, "dsl").conn
    return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("children", "child_history", "records", "record_versions"))


def _roster_bytes() -> st.SearchStrategy[bytes]:
    cell = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=14)
    row = st.lists(cell, min_size=0, max_size=9).map(lambda cells: ",".join(cells) + "\n")
    text = st.lists(row, max_size=4).map(lambda rows: HEADER + GOOD_ROW + "".join(rows))
    return st.one_of(st.binary(max_size=200), text.map(lambda t: t.encode("utf-8")))


@settings(FIXTURE_OK, max_examples=30)
@given(data=_roster_bytes())
def test_a_bad_roster_imports_nothing_at_all(school: SmallSchool, data: bytes) -> None:
    before = _counts(school)
    try:
        import_roster(_session(school, "admin"), data)
    except (InputError, InputErrors):
        imported = False
    else:
        imported = True
    after = _counts(school)
    if not imported:
        assert after == before
    elif after != before:  # only the one good row may have arrived, and only once
        assert after[0] == before[0] + 1


@settings(FIXTURE_OK, max_examples=30)
@given(text=VALID_TEXT, words=st.one_of(st.none(), VALID_TEXT))
def test_a_concern_is_saved_exactly_as_written_or_refused_whole(school: SmallSchool, text: str,
                                                               words: str | None) -> None:
    before = _counts(school)
    teacher = _session(school, "teacher")
    child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
    try:
        view = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text=text,
            child_words=words, occurred_at=school.clock.now() - timedelta(hours=1)))
    except ConcernDeskError:
        saved = None
    else:
        saved = latest_version(teacher.conn, view.id).fields
    if saved is None:
        assert _counts(school) == before
    else:
        assert saved.summary == text.replace("\r\n", "\n").strip()
        assert saved.child_words == ((words or "").replace("\r\n", "\n").strip() or None)


def test_undecodable_bytes_on_the_command_line_get_a_clear_message(school: SmallSchool) -> None:
    env = {"CONCERNDESK_PASSPHRASE": STAFF_PASS, "PATH": "/usr/bin:/bin"}
    import os

    env.update({k: v for k, v in os.environ.items() if k.startswith(("DBUS", "XDG", "HOME"))})
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"app.cli.main", b"concern", b"add", b"--data",
         str(school.directory).encode(), b"--user", b"teacher", b"--child", b"B801200005001",
         b"--category", b"neglect", b"--text", b"No coat \xff\xfe today"],
        capture_output=True, env=env, cwd=REPO, check=False)
    assert result.returncode == 2, result.stderr
    assert b"unexpected" not in result.stderr


@settings(FIXTURE_OK, max_examples=10)
@given(data=_roster_bytes())
def test_the_cli_import_answers_any_file_with_an_exit_status_not_a_crash(
        school: SmallSchool, tmp_path: Path, data: bytes) -> None:
    csv_file = tmp_path / "roster.csv"
    csv_file.write_bytes(data)
    from tests.conftest import ADMIN_PASS

    result = run_cli_in_process("pupils", "import", "--data", str(school.directory), "--user",
                                "admin", "--csv", str(csv_file), passphrase=ADMIN_PASS)
    assert result.returncode in (0, 2), result.stderr
    assert "unexpected" not in result.stderr


# -- the key file -------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [("salt", None), ("salt", "not base64!"),
                                              ("params", "x"), ("params", {"lanes": 1})])
def test_a_damaged_wrap_entry_is_a_clear_error(school: SmallSchool, field: str,
                                               value: object) -> None:
    path = school.directory / KEYFILE
    data = json.loads(path.read_text())
    if value is None:
        del data["users"]["teacher"][field]
    else:
        data["users"]["teacher"][field] = value
    path.write_text(json.dumps(data))
    with contextlib.suppress(ConcernDeskError):
        unlock(school.directory, "teacher", STAFF_PASS, clock=school.clock).close()


def test_a_zip_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.backup"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("concerndesk-backup.json", json.dumps({"format": 1}))
    with pytest.raises(InputError, match="backup"):
        read_manifest(fake)


# -- sync apply: what arrives from another machine ------------------------------------------------
KEYS = ("action_taken", "actor_id", "at", "author_id", "body_marks", "by", "categories",
        "child_words", "children", "created_at", "created_by", "date_of_birth", "display_name",
        "entry_ids", "entry_kind", "flag", "flags", "form", "id", "kind", "location", "note",
        "occurred_at", "pack", "pdf", "reason", "records", "referral", "referral_id",
        "referral_version_id", "referrals", "role", "roles", "significant", "status", "statuses",
        "summary", "supersedes", "twin", "type", "updated_at", "upn", "username", "users", "v",
        "value", "version", "versions", "witnesses", "written_at", "legal_forename",
        "legal_surname", "gender", "year_group", "sha256")
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**12), st.text(max_size=12),
                   st.sampled_from(["2026-03-02T09:00:00.000000Z", "staff", "dsl", "concern",
                                    "B801200005001", "00000000-0000-4000-8000-000000000001",
                                    "new", "subject", "neglect", "%PDF-1.4"]))
JSONISH = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=25)


def _payloads() -> st.SearchStrategy[dict[str, object]]:
    item = st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=10)
    return st.fixed_dictionaries(
        {"v": st.just(1), "type": st.sampled_from(["snapshot", "pack"])},
        optional={**{k: st.lists(item, max_size=3) for k in ("users", "children", "records",
                                                             "flags", "referrals")},
                  "referral": item, "pack": item, "by": JSONISH})


def _all_counts(conn: object) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(  # type: ignore[attr-defined]
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'record_fts%' "
        "AND name NOT LIKE 'sqlite_%'")]
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[attr-defined]
            for t in tables}


@settings(FIXTURE_OK, max_examples=60)
@given(payload=_payloads())
def test_a_synced_payload_applies_or_is_refused_whole(school: SmallSchool,
                                                     payload: dict[str, object]) -> None:
    """What hub_sync.receive expects of apply: success, or an EnvelopeError (refused, with a
    reason), or an SQLite constraint (refused as "does not fit"); anything else is a crash of
    the sync, and a refused payload leaves every table as it was."""
    pytest.importorskip("app.hub.apply")
    import sqlcipher3

    from app.hub.apply import apply_pack, apply_snapshot
    from app.hub.apply_checks import parse_payload
    from app.protocol.envelope import EnvelopeError

    session = _session(school, "dsl")
    before = _all_counts(session.conn)
    raw = json.dumps(payload).encode()
    try:
        with session.tx():
            parsed = parse_payload(raw)
            (apply_pack if parsed["type"] == "pack" else apply_snapshot)(session.conn, parsed)
            raise _RollBack
    except (_RollBack, EnvelopeError, sqlcipher3.dbapi2.DatabaseError):
        pass
    assert _all_counts(session.conn) == before


class _RollBack(Exception):
    """Undo a successful apply too, so every example starts from the same store."""


@given(st.binary(max_size=200))
def test_a_synced_payload_that_is_not_json_is_refused(raw: bytes) -> None:
    pytest.importorskip("app.hub.apply")
    from app.hub.apply_checks import parse_payload
    from app.protocol.envelope import EnvelopeError

    with contextlib.suppress(EnvelopeError):
        assert isinstance(parse_payload(raw), dict)
