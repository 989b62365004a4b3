"""Headless parity (issue #13): the triage, entry, history and referral-list commands, and
concern text from files, driven as a script would: real processes on a real SQLCipher store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app.cli.main import main as cli_main
from app.clock import FakeClock
from app.domain.records import history, insert_version
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool

CLI = [sys.executable, "-m", "app.cli.main"]
ZOFIA, TOMASZ = "B801200005001", "Q801200005002"


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> SmallSchool:
    return SmallSchool(tmp_path_factory.mktemp("parity") / "store", FakeClock())


def cli(school: SmallSchool, command: str, *args: str, user: str | None = "dsl",
        stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCERNDESK_")}
    env["CONCERNDESK_KEYRING_SESSION"] = "1"
    env["CONCERNDESK_PASSPHRASE"] = ADMIN_PASS if user == "admin" else STAFF_PASS
    argv = [*CLI, *command.split(), "--data", str(school.directory),
            *(["--user", user] if user else []), *args]
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(argv, capture_output=True, env=env, timeout=120, check=False,
                            input=data, stdin=None if data is not None else subprocess.DEVNULL)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in out + err
    return subprocess.CompletedProcess(argv, result.returncode, out, err)


def counts(school: SmallSchool) -> dict[str, int]:
    with school.open("dsl") as session:
        return {table: session.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("records", "record_versions", "record_status", "audit")}


def new_concern(school: SmallSchool, text: str = "Came in without a coat again") -> str:
    made = cli(school, "concern add", "--child", ZOFIA, "--category", "neglect", "--text", text,
               user="teacher")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def chronology(school: SmallSchool, upn: str = ZOFIA) -> list[dict]:  # type: ignore[type-arg]
    result = cli(school, "chronology", "--child", upn, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_new_commands_answer_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("concern status", "concern assign", "concern history", "entry add",
                    "referral list"):
        with pytest.raises(SystemExit) as exited:
            cli_main([*command.split(), "--help"])
        assert exited.value.code == 0, command
        out = capsys.readouterr().out
        assert "usage:" in out, command
        if command == "concern status":
            assert "--outcome" in out and "--note-file" in out


def test_text_from_a_file_never_in_the_arguments_reaches_the_chronology(
        school: SmallSchool, tmp_path: Path) -> None:
    secret = "Bruise on her arm; said her step-dad grabbed her at the weekend"
    words = "He pulled me by the arm"
    (tmp_path / "account.txt").write_text(secret + "\r\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("\ufeff" + words, encoding="utf-8")  # BOM from Notepad
    args = ["--child", ZOFIA, "--category", "physical", "--text-file",
            str(tmp_path / "account.txt"), "--child-words-file", str(tmp_path / "words.txt"),
            "--mark", "front:left upper arm:bruise 3 cm: yellowing",
            "--mark", "BACK:Lower back"]
    assert not any(secret in a or words in a for a in args)
    made = cli(school, "concern add", *args, user="teacher")
    assert made.returncode == 0, made.stderr
    concern_id = made.stdout.strip().splitlines()[-1]
    item = next(i for i in chronology(school) if i["record_id"] == concern_id)
    assert item["summary"] == secret and item["child_words"] == words
    shown = json.loads(cli(school, "concern history", "--id", concern_id, "--json").stdout)
    marks = shown["versions"][-1]["body_marks"]
    assert [(m["place"], m["note"]) for m in marks] == [
        ("Front: Left arm", "bruise 3 cm: yellowing"), ("Back: Lower back", "")]


def test_text_file_dash_reads_standard_input(school: SmallSchool) -> None:
    concern_id = new_concern(school)
    amended = cli(school, "concern amend", "--id", concern_id, "--reason", "more detail",
                  "--text-file", "-", user="teacher",
                  stdin="Came in without a coat again.\nThird day this week.\n")
    assert amended.returncode == 0, amended.stderr
    item = next(i for i in chronology(school) if i["record_id"] == concern_id)
    assert item["summary"] == "Came in without a coat again.\nThird day this week."
    assert item["amended"]
    added = cli(school, "entry add", "--child", ZOFIA, "--kind", "contact", "--text-file", "-",
                stdin="Phoned mum: she will bring a coat tomorrow.")
    assert added.returncode == 0, added.stderr
    entry_id = added.stdout.strip().splitlines()[-1]
    entry = next(i for i in chronology(school) if i["record_id"] == entry_id)
    assert entry["kind"] == "contact"
    assert entry["summary"] == "Phoned mum: she will bring a coat tomorrow."


def test_only_one_option_reads_standard_input(school: SmallSchool) -> None:
    before = counts(school)
    result = cli(school, "concern add", "--child", ZOFIA, "--category", "neglect",
                 "--text-file", "-", "--child-words-file", "-", user="teacher", stdin="x")
    assert result.returncode == 2 and "standard input" in result.stderr
    assert counts(school) == before


@pytest.mark.parametrize(("mark", "message"), [
    ("front:elbow:graze", "'elbow' is not a region of the front view; use one of: Head"),
    ("back:chest:graze", "Lower back"),  # the back view's regions are listed
    ("side:left arm:graze", "side must be front or back"),
    ("front", "SIDE:REGION:NOTE"),
    ("front::graze", "SIDE:REGION:NOTE"),
])
def test_a_bad_mark_is_exit_2_naming_the_field_and_writes_nothing(
        school: SmallSchool, mark: str, message: str) -> None:
    before = counts(school)
    result = cli(school, "concern add", "--child", ZOFIA, "--category", "physical", "--text",
                 "Graze", "--mark", "front:left arm:fine", "--mark", mark, user="teacher")
    assert result.returncode == 2
    assert "mark 2:" in result.stderr and message in result.stderr
    assert counts(school) == before


def test_unreadable_or_non_utf8_text_files_are_exit_2_naming_the_problem(
        school: SmallSchool, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zoë said".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * 100_001)
    before = counts(school)
    for path, problem in ((tmp_path / "missing.txt", "there is no such file"),
                          (tmp_path, "it is a folder"),
                          (latin1, "is not UTF-8 text"),
                          (huge, "longer than the most a field holds")):
        result = cli(school, "concern add", "--child", ZOFIA, "--category", "neglect",
                     "--text-file", str(path), user="teacher")
        assert result.returncode == 2, path
        assert result.stderr.startswith("error: text-file:") and problem in result.stderr
    result = cli(school, "entry add", "--child", ZOFIA, "--kind", "note", "--text-file",
                 str(latin1))
    assert result.returncode == 2 and "is not UTF-8 text" in result.stderr
    both = cli(school, "concern add", "--child", ZOFIA, "--category", "neglect", "--text", "x",
               "--text-file", str(latin1), user="teacher")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert counts(school) == before


def test_triage_acknowledge_assign_and_close_with_the_outcome(school: SmallSchool,
                                                              tmp_path: Path) -> None:
    concern_id = new_concern(school)
    note = tmp_path / "note.txt"
    note.write_text("Spoke to class teacher", encoding="utf-8")
    done = cli(school, "concern status", "--id", concern_id, "--to", "acknowledged",
               "--note-file", str(note))
    assert done.returncode == 0 and "is now acknowledged" in done.stdout
    assigned = cli(school, "concern assign", "--id", concern_id, "--to", "deputy", "--json")
    assert assigned.returncode == 0, assigned.stderr
    assert json.loads(assigned.stdout)["assigned_to"] == "Dev Deputy"

    before = counts(school)
    refused = cli(school, "concern status", "--id", concern_id, "--to", "closed", "--note",
                  "done")
    assert refused.returncode == 2 and "outcome:" in refused.stderr
    assert counts(school) == before

    closed = cli(school, "concern status", "--id", concern_id, "--to", "closed", "--outcome",
                 "Early help offered and accepted", "--note", "Review at half term")
    assert closed.returncode == 0 and "outcome recorded" in closed.stdout
    shown = json.loads(cli(school, "concern history", "--id", concern_id, "--json").stdout)
    assert shown["status"] == "closed" and shown["assigned_to"] == "Dev Deputy"
    trail = [(e["status"], e["by"], e["note"]) for e in shown["status_events"]]
    assert trail[1:] == [("acknowledged", "Dana Lead", "Spoke to class teacher"),
                         ("assigned", "Dana Lead", "Dev Deputy"),
                         ("closed", "Dana Lead",
                          "Early help offered and accepted\n\nReview at half term")]
    text = cli(school, "concern history", "--id", concern_id).stdout
    assert "closed — Dana Lead\n      Early help offered and accepted" in text
    reopened = cli(school, "concern status", "--id", concern_id, "--to", "acknowledged")
    assert reopened.returncode == 0 and "is now acknowledged" in reopened.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["concern status", "--to", "actioned", "--outcome", "x"], "outcome: only closing"),
    (["concern status", "--to", "new"], "argument --to: invalid choice"),
    (["concern status", "--to", "closed", "--outcome", " "], "outcome: say what the outcome"),
    (["concern assign", "--to", "teacher"], "assignee: assign to a member of the DSL team"),
    (["concern assign", "--to", "nobody"], "assignee:"),
])
def test_bad_triage_input_is_exit_2_and_writes_nothing(school: SmallSchool, args: list[str],
                                                       message: str) -> None:
    concern_id = new_concern(school)
    before = counts(school)
    result = cli(school, args[0], "--id", concern_id, *args[1:])
    assert result.returncode == 2 and message in result.stderr
    assert counts(school) == before


def test_triage_refuses_an_entry_and_a_wrong_move(school: SmallSchool) -> None:
    added = cli(school, "entry add", "--child", TOMASZ, "--kind", "meeting", "--text",
                "Team around the family meeting")
    entry_id = added.stdout.strip().splitlines()[-1]
    concern_id = new_concern(school)
    assert cli(school, "concern status", "--id", concern_id, "--to", "actioned",
               "--note", "Called home").returncode == 0
    before = counts(school)
    on_entry = cli(school, "concern status", "--id", entry_id, "--to", "acknowledged")
    assert on_entry.returncode == 2 and "no concern with that id" in on_entry.stderr
    backwards = cli(school, "concern status", "--id", concern_id, "--to", "acknowledged")
    assert backwards.returncode == 2
    assert "status: a concern that is actioned cannot become acknowledged" in backwards.stderr
    unknown = cli(school, "concern history", "--id", "not-an-id")
    assert unknown.returncode == 2
    assert counts(school) == before


@pytest.mark.parametrize(("command", "args", "user"), [
    ("concern status", ["--to", "acknowledged"], "teacher"),
    ("concern status", ["--to", "closed", "--outcome", "x"], "office"),
    ("concern assign", ["--to", "dsl"], "teacher"),
    ("concern history", [], "teacher2"),  # another member of staff's concern
    ("concern history", [], "office"),
    ("entry add", ["--child", ZOFIA, "--kind", "action", "--text", "Made a note"], "teacher"),
    ("entry add", ["--child", ZOFIA, "--kind", "action", "--text", "Made a note"], "admin"),
    ("referral list", [], "teacher"),
    ("referral list", [], "office"),
])
def test_roles_the_core_refuses_are_exit_3_and_only_audited(
        school: SmallSchool, command: str, args: list[str], user: str) -> None:
    concern_id = new_concern(school)
    before = counts(school)
    ids = ["--id", concern_id] if command.startswith("concern") else []
    result = cli(school, command, *ids, *args, user=user)
    assert result.returncode == 3, result.stderr
    assert "does not allow" in result.stderr or "only" in result.stderr
    after = counts(school)
    assert {k: after[k] for k in after if k != "audit"} == \
        {k: before[k] for k in before if k != "audit"}
    assert after["audit"] == before["audit"] + 2  # the sign-in and the refusal


def test_entry_add_reaches_the_chronology(school: SmallSchool) -> None:
    added = cli(school, "entry add", "--child", TOMASZ, "--kind", "outcome", "--text",
                "Stepped down to early help", "--significant", "--occurred",
                "2026-02-10T15:30")
    assert added.returncode == 0, added.stderr
    assert "Added an outcome to the chronology (significant)." in added.stdout
    entry_id = added.stdout.strip().splitlines()[-1]
    item = next(i for i in chronology(school, TOMASZ) if i["record_id"] == entry_id)
    assert item["kind"] == "outcome" and item["significant"]
    assert item["occurred_at"].startswith("2026-02-10")
    before = counts(school)
    for args, message in ((["--occurred", "last tuesday"], "occurred:"),
                          (["--kind", "concern"], "argument --kind: invalid choice"),
                          (["--child", "B801200005002"], "check letter")):
        base = {"--kind": "action", "--child": TOMASZ, "--text": "x"}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        flat = [part for pair in base.items() for part in pair]
        result = cli(school, "entry add", *flat)
        assert result.returncode == 2 and message in result.stderr, args
    missing = cli(school, "entry add", "--child", TOMASZ, "--kind", "action")
    assert missing.returncode == 2 and "--text" in missing.stderr
    assert counts(school) == before


def test_history_shows_every_version_and_marks_the_current(school: SmallSchool) -> None:
    concern_id = new_concern(school, "Hungry at break")
    assert cli(school, "concern amend", "--id", concern_id, "--reason", "add detail",
               "--text", "Hungry at break; no breakfast", "--child-words", "There wasn't any",
               user="teacher").returncode == 0
    own = cli(school, "concern history", "--id", concern_id, "--json", user="teacher")
    assert own.returncode == 0, own.stderr
    mine = json.loads(own.stdout)
    assert [(v["version"], v["current"], v["reason"], v["text"]) for v in mine["versions"]] == [
        (1, False, None, "Hungry at break"),
        (2, True, "add detail", "Hungry at break; no breakfast")]
    assert mine["versions"][1]["child_words"] == "There wasn't any"
    assert mine["versions"][1]["author"] == "Terry Teach"
    assert mine["status_events"] == []  # the DSL team's notes are theirs
    # Two DSL PCs amended it apart: both version 2s are kept and shown.
    with school.open("deputy") as session:
        first = history(session.conn, concern_id)[0]
        with session.tx():
            insert_version(session, concern_id, 2, first.id, "from the other PC",
                           replace(first.fields, summary="Hungry; seen by deputy"))
    text = cli(school, "concern history", "--id", concern_id).stdout
    assert text.count("amended apart on another PC") == 2
    assert "Hungry; seen by deputy" in text and "Hungry at break; no breakfast" in text
    shown = json.loads(cli(school, "concern history", "--id", concern_id, "--json").stdout)
    current = [v for v in shown["versions"] if v["current"]]
    assert len(shown["versions"]) == 3 and len(current) == 1
    assert current[0] == shown["versions"][-1]
    item = next(i for i in chronology(school) if i["record_id"] == concern_id)
    assert item["summary"] == current[0]["text"]


def test_referral_list(school: SmallSchool) -> None:
    empty = cli(school, "referral list", "--child", TOMASZ)
    assert empty.returncode == 0 and empty.stdout.strip() == "No referrals yet."
    made = cli(school, "referral create", "--child", TOMASZ)
    assert made.returncode == 0, made.stderr
    referral_id = made.stdout.strip().splitlines()[-1]
    listed = json.loads(cli(school, "referral list", "--json").stdout)
    row = next(r for r in listed if r["id"] == referral_id)
    assert row["child"] == {"upn": TOMASZ, "name": "Tomasz Wiśniewski"}
    assert row["status"] == "draft" and row["created_by"] == "Dana Lead"
    assert row["created_at"]
    text = cli(school, "referral list").stdout
    assert f"draft     Tomasz Wiśniewski ({TOMASZ}), by Dana Lead  {referral_id}" in text


def test_amend_replaces_the_body_map_marks(school: SmallSchool) -> None:
    made = cli(school, "concern add", "--child", ZOFIA, "--category", "physical", "--text",
               "Bruise seen at lunch", "--mark", "front:left arm:bruise", user="teacher")
    concern_id = made.stdout.strip().splitlines()[-1]
    before = counts(school)
    bad = cli(school, "concern amend", "--id", concern_id, "--reason", "wrong arm", "--mark",
              "front:left wing:bruise", user="teacher")
    assert bad.returncode == 2 and "mark: 'left wing' is not a region" in bad.stderr
    assert counts(school) == before
    fixed = cli(school, "concern amend", "--id", concern_id, "--reason", "wrong arm", "--mark",
                "front:right arm:bruise 2 cm", user="teacher")
    assert fixed.returncode == 0, fixed.stderr
    shown = json.loads(cli(school, "concern history", "--id", concern_id, "--json").stdout)
    assert [[m["place"] for m in v["body_marks"]] for v in shown["versions"]] == [
        ["Front: Left arm"], ["Front: Right arm"]]
    assert shown["versions"][1]["text"] == "Bruise seen at lunch"
