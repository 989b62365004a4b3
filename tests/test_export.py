"""The school's data is the school's (issue #20, docs/export.md): an export holds every table
in JSON Lines that validate against the published schemas, with the files beside them; it is
encrypted unless plain output is confirmed, audited, and an import into a fresh store gives
every child the same chronology. All data synthetic."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.cli.main import main
from app.demo.school import build_demo
from app.domain.attachments import add_attachment
from app.domain.child_flags import set_flag
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import (
    ConcernDraft,
    add_further_information,
    amend_concern,
    record_concern,
    set_status,
)
from app.domain.pupils import apply_roster
from app.domain.referrals import approve_referral, create_referral, update_referral
from app.errors import AccessDenied, InputError, UnlockError
from app.export.container import ENC_BODY, ENC_HEADER, read_folder
from app.export.dump import SCHOOL_ONLY, export_store
from app.export.kinds import BY_NAME, KINDS, schemas
from app.export.load import import_export
from app.pack.assembly import release_referral
from app.store.access import unlock
from app.store.audit import events
from app.store.keys import TEST_KDF
from app.store.session import Session
from tests.conftest import PUPILS, STAFF_PASS, SmallSchool
from tests.pack_fixtures import schema_errors

MOVER, MOVER_PASS = "mover", "a long new passphrase for the mover"
EXPORT_PASS = "export passphrase kept in the safe"
FAST_SCRYPT = 2 ** 10  # tests only; exports use 2**17


def validator(schema: dict[str, Any]):  # type: ignore[no-untyped-def]
    """jsonschema (Draft 2020-12) when installed, else jsonschema_rs, else the small checker."""
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        check = jsonschema.Draft202012Validator(schema)
        return lambda item: [e.message for e in check.iter_errors(item)]
    try:
        import jsonschema_rs
    except ImportError:
        return lambda item: schema_errors(item, schema)
    rs = jsonschema_rs.Draft202012Validator(schema)
    return lambda item: [e.message for e in rs.iter_errors(item)]


def check_export(files: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    """Every line of every kind validates against the schema the export itself carries."""
    manifest = json.loads(files["manifest.json"])
    assert validator(json.loads(files["schema/manifest.schema.json"]))(manifest) == []
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    rows = {}
    for kind in KINDS:
        if kind.filename not in files:
            continue
        check = validator(json.loads(files[f"schema/{kind.name}.schema.json"]))
        rows[kind.name] = [json.loads(line) for line in files[kind.filename].splitlines()]
        for number, item in enumerate(rows[kind.name], start=1):
            assert check(item) == [], f"{kind.filename}:{number}"
        assert manifest["counts"][kind.name] == len(rows[kind.name])
    return rows


def every_chronology(session: Session) -> dict[str, list[Any]]:
    ids = [r[0] for r in session.conn.execute("SELECT id FROM children ORDER BY id")]
    return {child: chronology(session, child, audit=False) for child in ids}


def child_id(session: Session, upn: str) -> str:
    return str(session.conn.execute("SELECT id FROM children WHERE upn = ?",
                                    (upn,)).fetchone()[0])


READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("worries", "Repeatedly hungry and cold"),
         ("risk_view", "medium")]


def casework(school: SmallSchool, *, referral: bool = False) -> None:
    """A teacher's concern (sealed for the DSL team); a concern amended, acknowledged, with an
    attachment and further information; an entry; a flag; a roster change; a released pack."""
    with school.open("teacher") as teacher:
        tomasz = child_id(teacher, "Q801200005002")
        record_concern(teacher, ConcernDraft([(tomasz, "subject")], ["emotional"],
                                             "Crying at the gate.",
                                             datetime(2026, 1, 10, 8, 50, tzinfo=UTC)))
    with school.open("admin") as admin:
        apply_roster(admin, [replace(PUPILS[0], year_group="Y6"), *PUPILS[1:]])
    with school.open("dsl") as dsl:
        zofia = child_id(dsl, "B801200005001")
        made = record_concern(dsl, ConcernDraft(
            [(zofia, "subject")], ["neglect"], "Arrived hungry again, no coat.",
            datetime(2026, 1, 12, 8, 40, tzinfo=UTC), child_words="Mum was asleep."))
        amend_concern(dsl, made.id, "Corrected the time", text="Arrived hungry, no coat.")
        set_status(dsl, made.id, "acknowledged", "Spoke to the class teacher.")
        add_attachment(dsl, made.id, "note.txt", b"synthetic scanned note")
        add_entry(dsl, [zofia], "contact", "Phoned home; no answer.",
                  datetime(2026, 1, 12, 11, 0, tzinfo=UTC))
        add_further_information(dsl, made.id, "Sibling says the same.")
        set_flag(dsl, zofia, "child-in-need", True, "Plan agreed")
        if referral:
            made_referral = create_referral(dsl, zofia)
            update_referral(dsl, made_referral.id, READY)
            approve_referral(dsl, made_referral.id)
            release_referral(dsl, made_referral.id)


def same_rows(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    """The records themselves, row for row, ids and order kept (the accounts come back
    disabled; the audit trails are the new store's own)."""
    for kind in KINDS:
        if kind.name not in ("users", "audit_school", "audit_dsl"):
            assert first[kind.filename] == second[kind.filename], kind.name


def test_the_published_schemas_are_json_schema_2020_12() -> None:
    published = Path(__file__).resolve().parents[1] / "docs" / "export-schema"
    for name, schema in schemas().items():
        assert schema["$schema"].endswith("2020-12/schema")
        assert json.loads((published / name).read_text(encoding="utf-8")) == schema, (
            f"docs/export-schema/{name} is out of date: run "
            "python -m app.export.kinds docs/export-schema")


def test_a_dsl_export_round_trips_with_the_same_chronology(keyed_school: SmallSchool,
                                                           tmp_path: Path) -> None:
    casework(keyed_school, referral=True)
    with keyed_school.open("dsl") as dsl:
        before = every_chronology(dsl)
        done = export_store(dsl, tmp_path / "out", passphrase=None)
        trail = events(dsl.conn, limit=3, schema=dsl.audit_schema)
    assert any(e.action == "export" and e.detail["scope"] == "everything" for e in trail)
    files = read_folder(tmp_path / "out")
    rows = check_export(files)
    assert {k: done.counts[k] for k in ("record_versions", "attachments", "referral_packs",
                                        "child_flag_events", "record_links", "child_history")
            } == {"record_versions": 5, "attachments": 1, "referral_packs": 1,
                  "child_flag_events": 1, "record_links": 1, "child_history": 1}
    pack = rows["referral_packs"][0]
    assert hashlib.sha256(files[f"referral_packs/{pack['id']}.pdf"]).hexdigest() == pack["sha256"]
    assert files[f"attachments/{rows['attachments'][0]['sha256']}"] == b"synthetic scanned note"
    assert not any("verifier" in json.dumps(u) for u in rows["users"])

    import_export(tmp_path / "out", tmp_path / "new", admin_username=MOVER,
                  admin_display_name="Morgan Mover", passphrase=MOVER_PASS,
                  export_passphrase=None, clock=keyed_school.clock, kdf=TEST_KDF)
    with unlock(tmp_path / "new", MOVER, MOVER_PASS, clock=keyed_school.clock) as moved:
        after = every_chronology(moved)
        assert "import" in [e.action for e in events(moved.conn, limit=5)]
        export_store(moved, tmp_path / "again", passphrase=None)
    assert after == before and sum(len(v) for v in after.values()) >= 5
    same_rows(files, read_folder(tmp_path / "again"))


def test_the_demo_school_exports_validates_and_round_trips(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo", pupils=40, kdf=TEST_KDF)
    with unlock(tmp_path / "demo", "dsl", "demo") as dsl:
        before = every_chronology(dsl)
        started = time.perf_counter()
        export_store(dsl, tmp_path / "out", passphrase=EXPORT_PASS, scrypt_n=FAST_SCRYPT)
        print(f"\nexport of the demo store (40 pupils): {time.perf_counter() - started:.2f} s")
    rows = check_export(read_folder(tmp_path / "out", EXPORT_PASS))
    assert rows["records"] and rows["audit_dsl"] and rows["children"]
    import_export(tmp_path / "out", tmp_path / "new", admin_username=MOVER,
                  admin_display_name="Morgan Mover", passphrase=MOVER_PASS,
                  export_passphrase=EXPORT_PASS, kdf=TEST_KDF)
    with unlock(tmp_path / "new", MOVER, MOVER_PASS) as moved:
        assert every_chronology(moved) == before


def test_an_encrypted_export_opens_only_with_its_passphrase(keyed_school: SmallSchool,
                                                            tmp_path: Path) -> None:
    casework(keyed_school)
    with keyed_school.open("dsl") as dsl:
        export_store(dsl, tmp_path / "out", passphrase=EXPORT_PASS, scrypt_n=FAST_SCRYPT)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [ENC_HEADER, ENC_BODY]
    assert b"Wi\xc5\x9bniewska" not in (out / ENC_BODY).read_bytes()
    with pytest.raises(UnlockError):
        read_folder(out, "not the passphrase")
    with pytest.raises(InputError):
        read_folder(out)
    # Opened as docs/export.md says, with nothing from ConcernDesk.
    header = json.loads((out / ENC_HEADER).read_text())
    key = hashlib.scrypt(EXPORT_PASS.encode(), salt=base64.b64decode(header["salt"]),
                         n=header["n"], r=header["r"], p=header["p"], dklen=32)
    plain = AESGCM(key).decrypt(base64.b64decode(header["nonce"]),
                                (out / ENC_BODY).read_bytes(), header["format"].encode())
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        assert b"Arrived hungry, no coat." in archive.read("record_versions.jsonl")


def test_a_tampered_export_is_refused_and_nothing_is_made(keyed_school: SmallSchool,
                                                          tmp_path: Path) -> None:
    casework(keyed_school)
    with keyed_school.open("dsl") as dsl:
        export_store(dsl, tmp_path / "out", passphrase=None)
    versions = tmp_path / "out" / "record_versions.jsonl"
    versions.write_bytes(versions.read_bytes().replace(b"no coat", b"a coat"))
    with pytest.raises(InputError, match="altered"):
        import_export(tmp_path / "out", tmp_path / "new", admin_username=MOVER,
                      admin_display_name="M", passphrase=MOVER_PASS, export_passphrase=None,
                      kdf=TEST_KDF)
    assert not (tmp_path / "new").exists()


def test_an_admin_without_the_dsl_store_exports_the_school_store_only(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    casework(keyed_school)
    with keyed_school.open("admin") as admin:
        done = export_store(admin, tmp_path / "out", passphrase=None)
    files = read_folder(tmp_path / "out")
    assert done.scope == SCHOOL_ONLY and json.loads(files["manifest.json"])["scope"] == SCHOOL_ONLY
    assert BY_NAME["records"].filename not in files and "children.jsonl" in files
    assert not any(name.startswith("attachments/") for name in files)


def test_a_teacher_is_refused(keyed_school: SmallSchool, tmp_path: Path) -> None:
    with keyed_school.open("teacher") as teacher, pytest.raises(AccessDenied):
        export_store(teacher, tmp_path / "out", passphrase=None)
    assert not (tmp_path / "out").exists()


def test_the_cli_refuses_a_teacher_plain_output_unconfirmed_and_a_used_folder(
        keyed_school: SmallSchool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    data, out = str(keyed_school.directory), tmp_path / "out"
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["export", "--data", data, "--user", "teacher", "--out", str(out)]) == 3
    assert main(["export", "--data", data, "--user", "dsl", "--out", str(out),
                 "--unencrypted"]) == 2
    assert "--i-understand-this-is-plain" in capsys.readouterr().err
    assert not out.exists()
    assert main(["export", "--data", data, "--user", "dsl", "--out", str(out),
                 "--unencrypted", "--i-understand-this-is-plain"]) == 0
    assert "UNENCRYPTED" in capsys.readouterr().out
    assert main(["export", "--data", data, "--user", "dsl", "--out", str(out),
                 "--unencrypted", "--i-understand-this-is-plain"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", MOVER_PASS)
    assert main(["import-export", "--data", str(tmp_path / "new"), "--from", str(out),
                 "--admin", MOVER]) == 0
    assert "RECOVERY KEY" in capsys.readouterr().out


def test_a_single_file_store_exports_and_imports_into_a_keyed_store(
        single_key_school: SmallSchool, tmp_path: Path) -> None:
    casework(single_key_school)
    with single_key_school.open("dsl") as dsl:
        before = every_chronology(dsl)
        export_store(dsl, tmp_path / "out", passphrase=None)
    rows = check_export(read_folder(tmp_path / "out"))
    assert "audit_dsl" not in rows and rows["record_versions"]
    import_export(tmp_path / "out", tmp_path / "new", admin_username=MOVER,
                  admin_display_name="Morgan Mover", passphrase=MOVER_PASS,
                  export_passphrase=None, clock=single_key_school.clock, kdf=TEST_KDF)
    with unlock(tmp_path / "new", MOVER, MOVER_PASS, clock=single_key_school.clock) as moved:
        assert every_chronology(moved) == before
