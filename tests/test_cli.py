"""The headless contract, driven as a script would: real processes, exit codes, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main as cli_main

PASS = "correct horse battery staple"
CLI = [sys.executable, "-m", "app.cli.main"]


def run(*args: str, passphrase: str | None = PASS, new: str | None = None,
        extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCERNDESK_")}
    env["CONCERNDESK_KEYRING_SESSION"] = "1"
    if passphrase is not None:
        env["CONCERNDESK_PASSPHRASE"] = passphrase
    if new is not None:
        env["CONCERNDESK_NEW_PASSPHRASE"] = new
    env.update(extra_env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


ROSTER = """\
upn,legal_forename,legal_surname,preferred_forename,date_of_birth,gender,year_group,nhs_number
B801200005001,Zofia,Wiśniewska,Zosia,2016-05-04,F,5,
Q801200005002,Tomasz,Wiśniewski,,2018-09-01,M,3,999 140 8916
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "store"
    made = run("init", "--data", str(data), "--school", "Larkfield Test Primary",
               "--admin", "head")
    assert made.returncode == 0, made.stderr
    assert "RECOVERY KEY" in made.stdout
    for name, role in (("dsl", "dsl"), ("teach", "staff"), ("office", "office")):
        added = run("user", "add", "--data", str(data), "--user", "head", "--name", name,
                    "--role", role, new=PASS)
        assert added.returncode == 0, added.stderr
    roster = data.parent / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    imported = run("pupils", "import", "--data", str(data), "--user", "head", "--csv",
                   str(roster))
    assert imported.returncode == 0, imported.stderr
    return data


def test_every_command_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    # The installed entry point once, as a separate process; then every command's help in
    # this one (argparse's help is the same code either way, and each process costs seconds).
    result = run("--help")
    assert result.returncode == 0 and "usage:" in result.stdout
    for command in (["init"], ["demo"], ["user", "add"], ["pupils", "import"],
                    ["pupils", "list"], ["concern", "add"], ["concern", "amend"],
                    ["chronology"], ["search"], ["verify"], ["backup"], ["restore"],
                    ["identity"], ["frontdoor", "set"], ["hub", "set"], ["join"],
                    ["referral", "create"], ["pack"], ["sync"]):
        with pytest.raises(SystemExit) as exited:
            cli_main([*command, "--help"])
        assert exited.value.code == 0, command
        assert "usage:" in capsys.readouterr().out, command


def test_record_amend_and_read_back(store: Path) -> None:
    added = run("concern", "add", "--data", str(store), "--user", "teach", "--child",
                "b801 2000 05001", "--category", "Neglect", "--text", "No coat in the rain",
                "--child-words", "We haven't got one", "--occurred", "2026-01-12T08:40")
    assert added.returncode == 0, added.stderr
    concern_id = added.stdout.strip().splitlines()[-1]
    amended = run("concern", "amend", "--data", str(store), "--user", "teach", "--id",
                  concern_id, "--text", "No coat in the rain, third day", "--reason",
                  "add detail")
    assert amended.returncode == 0, amended.stderr
    chrono = run("chronology", "--data", str(store), "--user", "dsl", "--child",
                 "B801200005001", "--json")
    items = json.loads(chrono.stdout)
    mine = [i for i in items if i["record_id"] == concern_id]
    assert mine and mine[0]["summary"] == "No coat in the rain, third day"
    assert mine[0]["amended"] and mine[0]["child_words"] == "We haven't got one"
    found = json.loads(run("search", "--data", str(store), "--user", "teach", "rain",
                           "--json").stdout)
    assert [h["record_id"] for h in found] == [concern_id]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["concern", "add", "--child", "B801200005002", "--category", "neglect", "--text", "x",
      "--occurred", "yesterday"], 2, "occurred"),
    (["concern", "add", "--child", "B801200005002", "--category", "neglect", "--text", "x"],
     2, "check letter should be Q"),
    (["concern", "add", "--child", "Q801200005002", "--category", "hunger", "--text", "x"],
     2, "unknown category"),
    (["concern", "add", "--child", "Q801200005002", "--category", "neglect", "--text", " "],
     2, "text: must not be empty"),
    (["chronology", "--child", "Q801200005002"], 3, "does not allow"),
])
def test_bad_input_and_denied_access_get_exit_codes_and_messages(
        store: Path, args: list[str], code: int, message: str) -> None:
    result = run(*args[:1], *(args[1:2] if args[0] == "concern" else []), "--data", str(store),
                 "--user", "teach", *(args[2:] if args[0] == "concern" else args[1:]))
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_wrong_passphrase_is_exit_4(store: Path) -> None:
    result = run("pupils", "list", "--data", str(store), "--user", "dsl",
                 passphrase="not this one at all")
    assert result.returncode == 4 and "wrong" in result.stderr


def test_no_passphrase_and_no_terminal_is_explained(store: Path) -> None:
    result = run("pupils", "list", "--data", str(store), "--user", "dsl", passphrase=None)
    assert result.returncode == 2 and "CONCERNDESK_PASSPHRASE" in result.stderr


def test_bad_roster_lists_every_bad_row_and_imports_nothing(store: Path, tmp_path: Path
                                                             ) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER.splitlines()[0] + "\n"
                   "A801200005003,Ana,Pop,,2030-01-01,F,4,\n"
                   "Q801200005099,Ion,Pop,,2015-01-01,M,6,\n"
                   "B801200005005,Eve,Ng,,2016-02-02,F,5,123\n", encoding="utf-8")
    result = run("pupils", "import", "--data", str(store), "--user", "head", "--csv", str(bad))
    assert result.returncode == 2
    for line in ("line 2", "line 3", "line 4"):
        assert line in result.stderr
    listed = json.loads(run("pupils", "list", "--data", str(store), "--user", "dsl",
                            "--json").stdout)
    assert len(listed) == 2


def test_verify_backup_restore_round_trip(store: Path, tmp_path: Path) -> None:
    assert run("verify", "--data", str(store)).stdout.strip() == "ok"
    backup = tmp_path / "school.cdbackup"
    made = run("backup", "--data", str(store), "--user", "dsl", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    target = tmp_path / "restored"
    restored = run("restore", "--data", str(target), "--from", str(backup))
    assert restored.returncode == 0, restored.stderr
    listed = json.loads(run("pupils", "list", "--data", str(target), "--user", "dsl",
                            "--json").stdout)
    assert {p["upn"] for p in listed} == {"B801200005001", "Q801200005002"}
    again = run("restore", "--data", str(target), "--from", str(backup))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_identity_prints_a_fingerprint(store: Path) -> None:
    result = run("identity", "--data", str(store), passphrase=None)
    assert result.returncode == 0
    groups = result.stdout.strip().split("-")
    assert len(groups) == 10 and all(len(g) == 4 for g in groups)


def test_join_with_no_hub_reachable_makes_nothing(store: Path) -> None:
    target = store.parent / "joined"
    result = run("join", "--data", str(target), "--url", "http://127.0.0.1:9", "--fingerprint",
                 "0" * 40)
    assert result.returncode == 1 and "Cannot reach the hub" in result.stderr
    assert not target.exists()


def test_sync_with_nothing_queued_says_so(store: Path) -> None:
    result = run("sync", "--data", str(store), "--user", "dsl")
    assert result.returncode == 0 and "Nothing waiting" in result.stdout


def _audit_count(store: Path) -> int:
    from app.store.access import unlock

    with unlock(store, "dsl", PASS) as session:
        return int(session.conn.execute("SELECT count(*) FROM audit").fetchone()[0])


def test_bad_input_writes_nothing_but_denied_access_is_audited(store: Path) -> None:
    before = _audit_count(store)
    bad = run("concern", "add", "--data", str(store), "--user", "teach", "--child",
              "B801200005001", "--category", "nonsense", "--text", "x")
    assert bad.returncode == 2
    assert _audit_count(store) == before
    denied = run("chronology", "--data", str(store), "--user", "office", "--child",
                 "B801200005001")
    assert denied.returncode == 3
    assert _audit_count(store) == before + 2  # the office user's login and the denial


def test_cp1252_roster_arrives_with_its_accents_and_says_how_it_was_read(tmp_path: Path
                                                                         ) -> None:
    data = tmp_path / "store"
    assert run("init", "--data", str(data), "--school", "Larkfield Test Primary",
               "--admin", "head").returncode == 0
    roster = tmp_path / "sims-old.csv"
    roster.write_bytes((ROSTER.splitlines()[0] + "\r\n"
                        "B801200005001,Zoë,Testperson,,2016-05-04,F,5,\r\n"
                        "Q801200005002,Seán,Ó Briain,,2018-09-01,M,3,\r\n"
                        "E801200005003,Chloé,Lefèvre,,2017-01-02,F,4,\r\n").encode("cp1252"))
    result = run("pupils", "import", "--data", str(data), "--user", "head", "--csv",
                 str(roster))
    assert result.returncode == 0, result.stderr
    assert "Read as Windows-1252 (an older export)" in result.stdout
    assert "3 pupils' names have accented" in result.stdout
    listed = json.loads(run("pupils", "list", "--data", str(data), "--user", "head",
                            "--json").stdout)
    assert sorted((c["legal_forename"], c["legal_surname"]) for c in listed) == [
        ("Chloé", "Lefèvre"), ("Seán", "Ó Briain"), ("Zoë", "Testperson")]


@pytest.mark.parametrize(("content", "words"), [
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<CTfile><Header><CTFversion>24.0</CTFversion>'
     b"</Header><CTFpupilData><Pupil><UPN>B801200005001</UPN></Pupil></CTFpupilData></CTfile>\n",
     "this is a Common Transfer File (CTF, XML), not a roster: a DSL imports it into the "
     "children's profiles (concerndesk-cli profile import"),
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml xl/workbook.xml",
     "the file is an Excel workbook (.xlsx), not a CSV roster"),
    (b"%PDF-1.7\n1 0 obj\n", "the file is a PDF document, not a CSV roster"),
    (ROSTER.replace("Zofia", "Zo\u00eb").encode("utf-8") + "Q801200005004,Zo\u00eb,Ng,,"
     "2016-02-02,F,5,\n".encode("cp1252"), "the roster mixes character sets"),
])  # fmt: skip
def test_files_that_are_not_a_csv_roster_are_refused_by_name(store: Path, tmp_path: Path,
                                                            content: bytes, words: str) -> None:
    listed_before = run("pupils", "list", "--data", str(store), "--user", "dsl", "--json").stdout
    wrong = tmp_path / "roster.csv"
    wrong.write_bytes(content)
    before = _audit_count(store)
    result = run("pupils", "import", "--data", str(store), "--user", "head", "--csv", str(wrong))
    assert _audit_count(store) == before  # nothing written, not even a login
    assert result.returncode == 2
    assert words in result.stderr
    assert "no column" not in result.stderr and "Zo" not in result.stderr
    assert "B801200005001" not in result.stderr and "Traceback" not in result.stderr
    assert run("pupils", "list", "--data", str(store), "--user", "dsl",
               "--json").stdout == listed_before
