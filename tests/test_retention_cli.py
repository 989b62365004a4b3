"""`concerndesk-cli retention …` driven as a script would (real processes, a real store): the
due list, a hold with its reason from standard input, bad input in words, and destruction."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.clock import FakeClock
from app.domain.chronology import add_entry
from app.domain.pupils import apply_roster
from app.domain.roster_csv import RosterRow
from app.identifiers import upn_check_letter
from tests.conftest import SmallSchool
from tests.test_cli_parity import cli

BODY = "801200005098"
LEAVER = upn_check_letter(BODY) + BODY  # born in 1999: past 25 whatever today is


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> SmallSchool:
    made = SmallSchool(tmp_path_factory.mktemp("retention") / "store", FakeClock())
    with made.open("admin") as admin:
        apply_roster(admin, [RosterRow(LEAVER, "Rowan", "Achterberg", None, date(1999, 6, 1),
                                       "X", "X", None, 0)])
    with made.open("dsl") as dsl:
        child = dsl.conn.execute("SELECT id FROM children WHERE upn = ?", (LEAVER,)
                                 ).fetchone()[0]
        add_entry(dsl, [child], "meeting", "Meeting about Rowan", dsl.clock.now()
                  - timedelta(days=1))
    return made


def test_the_review_from_the_command_line(school: SmallSchool) -> None:
    due = cli(school, "retention due", "--json")
    assert due.returncode == 0, due.stderr
    assert [(f["upn"], f["state"], f["review_on"]) for f in json.loads(due.stdout)] == [
        (LEAVER, "due for review", "2024-06-01")]

    bad = cli(school, "retention policy", "--years", "20", user="admin")
    assert bad.returncode == 2 and "from 25 to 100" in bad.stderr
    denied = cli(school, "retention due", user="admin")
    assert denied.returncode == 3
    assert cli(school, "retention policy", "--looked-after-years", "40",
               user="admin").returncode == 0

    late = cli(school, "retention extend", "--child", LEAVER, "--until", "1 June", "--reason",
               "x")
    assert late.returncode == 2 and "YYYY-MM-DD" in late.stderr
    held = cli(school, "retention hold", "--child", LEAVER, "--reason-file", "-",
               stdin="Inquiry asked us to keep it")
    assert held.returncode == 0, held.stderr
    refused = cli(school, "retention destroy", "--child", LEAVER, "--confirm", LEAVER)
    assert refused.returncode == 2 and "on hold" in refused.stderr
    listed = cli(school, "retention due", "--all")
    assert "held" in listed.stdout and "Inquiry asked us to keep it" in listed.stdout

    assert cli(school, "retention release", "--child", LEAVER, "--reason",
               "Inquiry closed").returncode == 0
    wrong = cli(school, "retention destroy", "--child", LEAVER, "--confirm", "B801200005001")
    assert wrong.returncode == 2 and "UPN again" in wrong.stderr
    done = cli(school, "retention destroy", "--child", LEAVER, "--confirm", LEAVER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 entry" in done.stdout and "tombstone" in done.stdout
    assert json.loads(cli(school, "retention due", "--json").stdout) == []
    assert cli(school, "verify").returncode == 0


def test_the_commands_need_their_arguments(school: SmallSchool, tmp_path: Path) -> None:
    missing = cli(school, "retention hold", "--child", LEAVER)
    assert missing.returncode == 2 and "reason" in missing.stderr
    unknown = cli(school, "retention hold", "--child", "A000000000000", "--reason", "r")
    assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
