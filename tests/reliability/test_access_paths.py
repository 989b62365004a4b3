"""Promise 3 through every CLI path: a ``staff`` or ``office`` user never reaches another's
concern, a chronology or search results — whatever command or id form they try — and the
refusals leave an audit event, no output file and no child's data on the screen."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.chronology import add_entry
from app.domain.concerns import (
    concern_history,
    get_concern,
    my_concerns,
    record_concern,
)
from app.domain.search import search
from app.errors import AccessDenied, InputError
from tests.conftest import SmallSchool
from tests.reliability.conftest import LiveSchool

SECRET_TEXT = "Quietly mentioned the padlocked shed"
ENTRY_TEXT = "Strategy meeting booked with the cathedral nursery"
CHILD_NAMES = ("Wiśniewska", "Zofia", "Zosia")


@pytest.fixture(scope="module")
def paths_school(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiveSchool, str, str]:
    school = LiveSchool(tmp_path_factory.mktemp("paths") / "store")
    concern = school.record("teacher", SECRET_TEXT, child_words="Do not tell anyone")
    with school.open("dsl") as dsl:
        version = concern_history(dsl, concern)[0].id
        child = dsl.conn.execute("SELECT id FROM children WHERE upn = 'B801200005001'"
                                 ).fetchone()[0]
        add_entry(dsl, [child], "meeting", ENTRY_TEXT, dsl.clock.now() - timedelta(hours=1))
    return school, concern, version


def _denied_events(school: LiveSchool) -> int:
    with school.open("admin") as admin:
        return admin.conn.execute("SELECT count(*) FROM audit WHERE detail LIKE '%denied%'"
                                  ).fetchone()[0]


# (command, exit status for staff "teacher2", for "office"); {c} a concern id, {v} a version id.
ATTEMPTS: list[tuple[list[str], int, int]] = [
    (["chronology", "--child", "B801200005001"], 3, 3),
    (["chronology", "--child", "B801200005001", "--significant", "--json"], 3, 3),
    (["search", "shed"], 0, 3),
    (["search", "padlocked", "--json"], 0, 3),
    (["search", "cathedral"], 0, 3),
    (["concern", "amend", "--id", "{c}", "--text", "Overwritten", "--reason", "x"], 3, 3),
    (["concern", "amend", "--id", "{v}", "--text", "Overwritten", "--reason", "x"], 3, 3),
    (["pack", "--child", "B801200005001", "--out", "{out}"], 3, 3),
    (["pack", "--referral", "{c}", "--out", "{out}"], 3, 2),
    (["referral", "create", "--child", "B801200005001"], 3, 3),
    (["referral", "show", "--id", "{c}"], 3, 3),
    (["backup", "--out", "{out}"], 3, 3),
    (["pupils", "list"], 0, 3),
    (["concern", "add", "--child", "B801200005001", "--category", "neglect", "--text",
      "Office probe"], 0, 3),
]


@pytest.mark.parametrize("who", ["teacher2", "office"])
def test_no_cli_path_shows_another_persons_concern(
        paths_school: tuple[LiveSchool, str, str], tmp_path: Path, who: str) -> None:
    school, concern, version = paths_school
    denied_before, denials = _denied_events(school), 0
    for number, (template, staff_code, office_code) in enumerate(ATTEMPTS):
        out = tmp_path / f"out-{number}.pdf"
        args = [a.format(c=concern, v=version, out=out) for a in template]
        result = school.cli(*args, user=who, in_process=True)
        expected = staff_code if who == "teacher2" else office_code
        shown = result.stdout + result.stderr
        assert result.returncode == expected, (args, shown)
        assert "Traceback" not in shown
        for secret in (SECRET_TEXT, "padlocked", "Do not tell", ENTRY_TEXT, "cathedral"):
            assert secret not in shown, args
        if args[0] != "pupils":  # the roster is theirs to see; nothing else of the child is
            assert not any(name in shown for name in CHILD_NAMES), (args, shown)
        assert not out.exists(), args
        denials += expected == 3
    # Every refusal was audited (a refused search or amend may audit more than once).
    assert _denied_events(school) >= denied_before + denials


def test_the_owner_and_the_dsl_do_see_it(paths_school: tuple[LiveSchool, str, str]) -> None:
    school, concern, _version = paths_school
    assert concern in school.cli("search", "padlocked", user="teacher", in_process=True).stdout
    assert SECRET_TEXT in school.cli("chronology", "--child", "B801200005001", user="dsl",
                                     in_process=True).stdout


def test_core_paths_by_id_history_and_entry(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
        from app.domain.concerns import ConcernDraft

        mine = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text=SECRET_TEXT,
            occurred_at=school.clock.now() - timedelta(hours=1)))
    with school.open("dsl") as dsl:
        entry = add_entry(dsl, [child], "note", ENTRY_TEXT,
                          school.clock.now() - timedelta(hours=1))
    with school.open("teacher2") as other:
        for some_id in (mine.id, mine.latest.id, entry.record_id, entry.id):
            with pytest.raises(AccessDenied):
                get_concern(other, some_id)
            with pytest.raises(AccessDenied):
                concern_history(other, some_id)
        assert my_concerns(other) == []
        assert search(other, "padlocked") == [] and search(other, "cathedral") == []
    with school.open("teacher") as teacher:
        # Even the author of a concern never sees the DSL team's chronology entries.
        assert search(teacher, "cathedral") == []
        with pytest.raises(AccessDenied):
            get_concern(teacher, entry.record_id)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(min_size=1, max_size=40))
def test_no_search_text_widens_a_staff_members_scope(school: SmallSchool, query: str) -> None:
    """FTS5 syntax (OR, NEAR, *, column filters, quotes) typed as a query cannot reach records
    outside the user's scope, nor raise anything but a clear InputError."""
    if not hasattr(school, "_other_session"):
        with school.open("teacher") as teacher:
            child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
            from app.domain.concerns import ConcernDraft

            record_concern(teacher, ConcernDraft(
                children=[(child, "subject")], categories=["neglect"], text=SECRET_TEXT,
                occurred_at=school.clock.now() - timedelta(hours=1)))
        school._other_session = school.open("teacher2")  # type: ignore[attr-defined]
    session = school._other_session  # type: ignore[attr-defined]
    for text in (query, f"padlocked OR {query}", f"{query}* OR shed", f'" OR "{query}'):
        with contextlib.suppress(InputError):
            assert search(session, text) == []
