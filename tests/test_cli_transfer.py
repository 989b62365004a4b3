"""leaver, terms and transfer on the command line (issue #19, docs/transfer.md), as a script
would drive them: real processes, exit codes, messages; the pack read back with pypdf."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from tests.test_cli import run, store  # noqa: F401 (store: the fixture, shared)

ZOFIA = "B801200005001"


def _ok(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_leaver_s_file_goes_with_a_receipt_read_back(store: Path, tmp_path: Path) -> None:  # noqa: F811
    d = ["--data", str(store)]
    terms = tmp_path / "terms.txt"
    terms.write_text("2026-09-03 to 2026-10-23\n2026-11-02 to 2026-12-18\nwhenever\n",
                     encoding="utf-8")
    assert "line 3: write a term as" in _refused("terms", "set", *d, "--user", "head",
                                                  "--file", str(terms))
    terms.write_text("2026-09-03 to 2026-10-23\n2026-11-02 to 2026-12-18\n", encoding="utf-8")
    assert "2 terms" in _ok("terms", "set", *d, "--user", "head", "--file", str(terms))
    _ok("concern", "add", *d, "--user", "dsl", "--child", ZOFIA, "--category", "Neglect",
        "--text", "Synthetic: no coat in the rain", "--occurred", "2026-11-30T09:00")
    today = date.today().isoformat()
    marked = _ok("leaver", "mark", *d, "--user", "dsl", "--child", ZOFIA, "--left", today,
                 "--to", "Oak Academy")
    assert "for Oak Academy" in marked and "CP file due by" in marked
    assert "no such date" not in _refused("leaver", "mark", *d, "--user", "dsl", "--child",
                                          ZOFIA, "--left", "31/02/2026")
    listed = _ok("pupils", "list", *d, "--user", "dsl")
    on_roll, _, apart = listed.partition("Leavers (files read-only until review):")
    assert ZOFIA not in on_roll and ZOFIA in apart and "Q801200005002" in on_roll
    refused = _refused("concern", "add", *d, "--user", "teach", "--child", ZOFIA,
                       "--category", "Neglect", "--text", "Synthetic: seen at the gate")
    assert "read-only until it is reviewed" in refused
    assert "CP file to send to Oak Academy by" in _ok("leaver", "list", *d, "--user", "dsl")

    out = tmp_path / "cp-file.pdf"
    made = _ok("transfer", "pack", *d, "--user", "dsl", "--child", ZOFIA, "--to-school",
               "Oak Academy", "--out", str(out))
    values = dict(line.split(": ", 1) for line in made.splitlines() if ": " in line)
    transfer_id = made.split()[1].rstrip(":")
    code, password = values["Receipt code (on its first page)"], values["Password, shown once"]
    reader = PdfReader(out)
    assert reader.is_encrypted and reader.decrypt(password).name != "NOT_DECRYPTED"
    assert code in reader.pages[0].extract_text()
    assert "does not match" in _refused("transfer", "confirm", *d, "--user", "dsl", "--id",
                                        transfer_id, "--code", "AAAA-AAAA", "--by", "Ann Lee")
    assert "sent on" in _ok("transfer", "sent", *d, "--user", "dsl", "--id", transfer_id)
    confirmed = _ok("transfer", "confirm", *d, "--user", "dsl", "--id", transfer_id, "--code",
                    code, "--by", "Ann Lee")
    assert "receipt confirmed by Ann Lee on" in confirmed
    [listed_transfer] = json.loads(_ok("transfer", "list", *d, "--user", "dsl", "--json"))
    assert listed_transfer["status"] == "receipt confirmed"
    assert [s["status"] for s in listed_transfer["steps"]] == ["prepared", "sent",
                                                              "receipt confirmed"]
    assert "read-only archive" in _ok("transfer", "keep", *d, "--user", "dsl", "--child",
                                      ZOFIA, "--archive")
    # Through the LA front door only once one is set (tests/frontdoor/test_cp_transfer.py).
    assert "No LA front door is set up yet" in _refused(
        "transfer", "send", *d, "--user", "dsl", "--child", ZOFIA, "--to-school", "Elm Primary")

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n% synthetic\n%%EOF\n")
    word = tmp_path / "file.docx"
    word.write_bytes(b"PK\x03\x04")
    assert "is not a PDF" in _refused("transfer", "receive", *d, "--user", "dsl", "--child",
                                      "Q801200005002", "--from-school", "Elm Primary",
                                      "--received", "2026-11-02", "--file", str(word))
    received = _ok("transfer", "receive", *d, "--user", "dsl", "--child", "Q801200005002",
                   "--from-school", "Elm Primary", "--received", "2026-11-02", "--file",
                   str(scan))
    assert "received from Elm Primary" in received
    chronology = _ok("chronology", *d, "--user", "dsl", "--child", "Q801200005002")
    assert "CP file received from Elm Primary on 02 Nov 2026" in chronology
