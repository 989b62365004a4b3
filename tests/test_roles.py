"""The full matrix: every core operation × every role, enforced in the core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain import retention
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import (
    ConcernDraft,
    add_further_information,
    amend_concern,
    get_concern,
    inbox,
    my_concerns,
    record_concern,
    set_status,
)
from app.domain.pupils import apply_roster, find_pupils, list_pupils
from app.domain.school_search import school_search
from app.domain.search import search
from app.errors import AccessDenied
from app.store.backup import backup
from app.store.session import Session
from app.store.settings import RETENTION_SEN_YEARS, set_retention
from app.store.users import add_user, change_role, disable_user, list_accounts, list_users
from tests.conftest import PUPILS, SmallSchool

Op = Callable[[Session, dict], object]  # type: ignore[type-arg]


def _draft(ctx: dict) -> ConcernDraft:  # type: ignore[type-arg]
    return ConcernDraft(children=[(ctx["child"], "subject")], categories=["neglect"],
                        text="Matrix concern", occurred_at=ctx["now"] - timedelta(hours=1))


OPERATIONS: dict[str, Op] = {
    "record a concern": lambda s, c: record_concern(s, _draft(c)),
    "list my concerns": lambda s, c: my_concerns(s),
    "read another's concern": lambda s, c: get_concern(s, c["teacher_concern"]),
    "amend another's concern": lambda s, c: amend_concern(s, c["teacher_concern"], "fix",
                                                          text="Changed"),
    "triage inbox": lambda s, c: inbox(s),
    "change a concern's status": lambda s, c: set_status(s, c["teacher_concern"],
                                                         "acknowledged"),
    "read a chronology": lambda s, c: chronology(s, c["child"]),
    "add a chronology entry": lambda s, c: add_entry(s, [c["child"]], "note", "Note",
                                                     c["now"] - timedelta(hours=1)),
    "search all records": lambda s, c: search(s, "matrix"),
    "list pupils": lambda s, c: list_pupils(s),
    "find a pupil": lambda s, c: find_pupils(s, "Zofia"),
    "import the roster": lambda s, c: apply_roster(s, PUPILS),
    "list users": lambda s, c: list_users(s),
    "add a user": lambda s, c: add_user(s, f"new{id(s)}", "New", "staff",
                                        "a long enough passphrase", weak_ok=True),
    "back up": lambda s, c: backup(s, c["tmp"] / f"b{id(s)}.zip"),
    "add further information to another's concern": lambda s, c: add_further_information(
        s, c["teacher_concern"], "More"),
    "search the whole school": lambda s, c: school_search(s, "matrix"),
    "list accounts": lambda s, c: list_accounts(s),
    "change an account's roles": lambda s, c: change_role(s, "teacher2", "staff,dsl"),
    "disable an account": lambda s, c: disable_user(s, "teacher2"),
    "list files for retention review": lambda s, c: retention.files(s),
    "hold a file at retention review": lambda s, c: retention.hold(s, c["child"], f"r{id(s)}")
    if not retention.file_review(s, c["child"]).held else None,
    "set the retention periods": lambda s, c: set_retention(s, {RETENTION_SEN_YEARS: "32"}),
}

ALLOWED = {
    "staff": {"record a concern", "list my concerns", "search all records", "list pupils",
              "find a pupil"},
    "dsl": {"record a concern", "list my concerns", "read another's concern",
            "amend another's concern", "triage inbox", "change a concern's status",
            "read a chronology", "add a chronology entry", "search all records", "list pupils",
            "find a pupil", "import the roster", "back up",
            "add further information to another's concern", "search the whole school",
            "list files for retention review", "hold a file at retention review"},
    "office": set(),
    "admin": {"list pupils", "find a pupil", "import the roster", "list users", "add a user",
              "back up", "list accounts", "change an account's roles", "disable an account",
              "set the retention periods"},
}
ACCOUNT = {"staff": "teacher2", "dsl": "dsl", "office": "office", "admin": "admin"}


@pytest.fixture
def context(school: SmallSchool, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children WHERE upn = 'B801200005001'"
                                     ).fetchone()[0]
        concern = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text="Matrix concern",
            occurred_at=school.clock.now() - timedelta(hours=1)))
    return {"child": child, "teacher_concern": concern.id, "now": school.clock.now(),
            "tmp": tmp_path}


@pytest.mark.parametrize("role", list(ACCOUNT))
def test_role_matrix(school: SmallSchool, context: dict, role: str) -> None:  # type: ignore[type-arg]
    with school.open(ACCOUNT[role]) as session:
        for name, operation in OPERATIONS.items():
            if name in ALLOWED[role]:
                operation(session, context)
            else:
                with pytest.raises(AccessDenied):
                    operation(session, context)
                # A denied attempt leaves an audit event and no other trace.
                last = session.conn.execute(f"SELECT detail FROM {session.audit_schema}.audit "
                                            "ORDER BY seq DESC LIMIT 1").fetchone()[0]
                assert "denied" in last, name


def test_staff_search_never_returns_anothers_concern(school: SmallSchool,
                                                      context: dict) -> None:  # type: ignore[type-arg]
    with school.open("teacher2") as other:
        assert search(other, "matrix") == []
    with school.open("teacher") as owner:
        assert len(search(owner, "matrix")) == 1
