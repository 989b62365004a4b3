"""The LA administrator's commands: init, enrol, inbox list and export, and their exits."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from app.protocol.envelope import parse
from app.protocol.fingerprint import KeyPairs, normalise_fingerprint
from app.protocol.payload import Attachment, seal_referral
from frontdoor import cli, keys

REPO = Path(__file__).resolve().parents[2]


def _pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Synthetic referral pack")
    page.save()
    return buffer.getvalue()


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "frontdoor.cli", *args], cwd=REPO,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def test_init_prints_the_fingerprint_and_refuses_a_second_time(tmp_path) -> None:
    store = tmp_path / "la"
    done = _run("init", "--store", str(store), "--mode", "la", "--name", "Synthshire")
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip().splitlines()[-1]
    assert printed == normalise_fingerprint(printed) == keys.load_info(store).fingerprint
    again = _run("init", "--store", str(store), "--mode", "la", "--name", "Synthshire")
    assert again.returncode == 2 and "already holds a service" in again.stderr
    assert "Traceback" not in again.stderr


def test_bad_usage_and_passphrase_exits(tmp_path) -> None:
    store = tmp_path / "la"
    assert _run("init", "--store", str(store), "--mode", "county", "--name", "x").returncode == 2
    no_pass = {keys.PASSPHRASE_ENV: ""}
    short = _run("init", "--store", str(store), "--mode", "la", "--name", "x", env=no_pass)
    assert short.returncode == 2 and "passphrase" in short.stderr
    assert not store.exists()
    keys.init_store(store, "la", "Synthshire", os.environ[keys.PASSPHRASE_ENV])
    wrong = _run("inbox", "list", "--store", str(store),
                 env={keys.PASSPHRASE_ENV: "not the passphrase"})
    assert wrong.returncode == 4 and "wrong passphrase" in wrong.stderr
    bad_fp = _run("enrol", "--store", str(store), "--fingerprint", "12-34", "--name", "x")
    assert bad_fp.returncode == 2 and "fingerprint" in bad_fp.stderr
    unknown = _run("enrol", "--store", str(store), "--fingerprint",
                   KeyPairs.generate().fingerprint, "--name", "Synthetic School")
    assert unknown.returncode == 2 and "no enrolment request" in unknown.stderr


@pytest.mark.parametrize("argv", [[], ["init"], ["show"], ["serve"], ["enrol"], ["unenrol"],
                                  ["keys"], ["inbox"], ["inbox", "list"], ["inbox", "export"]])
def test_every_command_answers_help(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_la_admin_reads_a_chunked_referral(la_service, tmp_path, capsys) -> None:
    school, client = la_service.enrolled_device("Synthetic Academy")
    pdf = _pdf()
    photo = os.urandom(100_000)
    envelopes = seal_referral(
        {"summary": "Synthetic referral", "child": {"legal_forename": "Testa"}}, pdf,
        [Attachment("body map.png", "image/png", photo),
         Attachment("../../etc/note.txt", "text/plain", b"synthetic note")],
        school.fingerprint, school.signing, la_service.info.bundle,
        chunk_size=40_000, inline_limit=32_000)
    assert len(envelopes) == 4  # three chunks of the photo, then the referral
    referral_id = parse(envelopes[-1]).id

    # Before the last chunk arrives the listing says the referral is incomplete.
    for env in [*envelopes[:2], envelopes[-1]]:
        client.put_envelope(env)
    capsys.readouterr()
    assert la_service.cli("inbox", "list", "--json") == 0
    listed = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert listed[referral_id]["status"].startswith("incomplete")
    assert la_service.cli("inbox", "export", "--id", referral_id, "--out", str(tmp_path)) == 1
    assert "chunks not arrived" in capsys.readouterr().err

    client.put_envelope(envelopes[2])
    assert la_service.cli("inbox", "list") == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if referral_id in x)
    assert "Synthetic Academy" in line and line.endswith("ok")

    out = tmp_path / "export"
    assert la_service.cli("inbox", "export", "--id", referral_id, "--out", str(out)) == 0
    document = json.loads((out / f"referral-{referral_id}.json").read_text())
    assert document["pack"]["summary"] == "Synthetic referral"
    assert document["envelope"]["sender_name"] == "Synthetic Academy"
    exported_pdf = out / f"referral-{referral_id}.pdf"
    assert exported_pdf.read_bytes() == pdf
    assert "Synthetic referral pack" in PdfReader(exported_pdf).pages[0].extract_text()
    files = [out / a["file"] for a in document["attachments"]]
    assert files[0].read_bytes() == photo
    assert files[1].parent == out / f"referral-{referral_id}-attachments"  # no climbing out
    assert files[1].read_bytes() == b"synthetic note"
    assert oct(exported_pdf.stat().st_mode & 0o777) == "0o600"


def test_enrol_by_bundle_and_keys_listing(la_service, capsys) -> None:
    school = KeyPairs.generate()
    assert la_service.cli("enrol", "--fingerprint", school.fingerprint, "--name", "Synthetic B",
                          "--bundle", KeyPairs.generate().bundle.to_text()) == 2
    assert "not" in capsys.readouterr().err
    assert la_service.cli("enrol", "--fingerprint", school.fingerprint, "--name", "Synthetic B",
                          "--bundle", school.bundle.to_text()) == 0
    capsys.readouterr()
    assert la_service.cli("keys", "--json") == 0
    rows = {r["fingerprint"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[school.fingerprint]["status"] == "enrolled"
