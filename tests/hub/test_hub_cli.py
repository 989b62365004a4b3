"""The contract's commands end to end: ``hub set``, ``join``, ``identity``, ``hub
approve-device``, ``sync``, ``concern add``, ``chronology`` — and roster changes on one DSL PC
reaching the others."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.cli.main import main
from app.clock import FakeClock
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import apply_roster, child_by_upn
from app.domain.roster_csv import RosterRow
from app.identifiers import make_upn
from tests.conftest import ADMIN_PASS, PUPILS, STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, enrol

UPN = "B801200005001"


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, passphrase: str,
        *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", passphrase)
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_join_approve_sync_and_record_through_the_commands(
        tmp_path: Path, hub: Service, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    school = SmallSchool(tmp_path / "main", FakeClock(), split=False)
    main_dir, new_dir = str(school.directory), str(tmp_path / "teacher-pc")
    with school.open("dsl") as dsl:  # recorded before the school had a hub
        child = child_by_upn(dsl, UPN)
        early = record_concern(dsl, ConcernDraft([(child.id, "subject")], ["neglect"],
                                                 "Recorded before the hub",
                                                 dsl.clock.now() - timedelta(days=2))).id
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "hub", "set", "--data", main_dir,
                         "--user", "admin", "--url", hub.url, "--fingerprint",
                         hub.info.fingerprint)
    assert code == 0, err
    assert "Made the DSL team and office keys" in out
    code, out, _ = cli(capsys, monkeypatch, ADMIN_PASS, "identity", "--data", main_dir)
    admin_pc = out.strip()
    enrol(hub, admin_pc, "Synthetic DSL PC")

    # Joining needs the admin PC's fingerprint too (read out by the school's admin): without
    # it nothing is made.
    code, out, err = cli(capsys, monkeypatch, "", "join", "--data", new_dir, "--url", hub.url,
                         "--fingerprint", hub.info.fingerprint, "--name", "Synthetic PC")
    assert code == 2 and "admin-fingerprint" in err
    assert not Path(new_dir).exists()
    code, out, err = cli(capsys, monkeypatch, "", "join", "--data", new_dir, "--url", hub.url,
                         "--fingerprint", hub.info.fingerprint.lower(), "--admin-fingerprint",
                         admin_pc.lower(), "--name", "Synthetic staff room PC")
    assert code == 0, err
    assert "RECOVERY KEY" in out and f"only by the admin PC {admin_pc}" in out
    code, ident, _ = cli(capsys, monkeypatch, "", "identity", "--data", new_dir)
    fingerprint = ident.strip()
    assert fingerprint in out

    code, out, _ = cli(capsys, monkeypatch, STAFF_PASS, "sync", "--data", new_dir, "--user",
                       "teacher")
    assert code == 1 and "not enrolled" in out
    enrol(hub, fingerprint, "Synthetic staff room PC")
    code, out, _ = cli(capsys, monkeypatch, STAFF_PASS, "sync", "--data", new_dir, "--user",
                       "teacher")
    assert code == 1 and "approve-device" in out

    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "hub", "approve-device", "--data",
                         main_dir, "--user", "dsl", "--fingerprint", fingerprint, "--for",
                         "staff")
    assert code == 3  # approving devices is the admin's
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "hub", "approve-device", "--data",
                         main_dir, "--user", "admin", "--fingerprint", fingerprint, "--for",
                         "staff")
    assert code == 0, err
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "sync", "--data", main_dir,
                         "--user", "admin")
    assert code == 0, out + err

    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "sync", "--data", new_dir, "--user",
                         "teacher")
    assert code == 0, out + err
    assert out.startswith("set up") and admin_pc in out
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "concern", "add", "--data", new_dir,
                         "--user", "teacher", "--child", UPN, "--category", "neglect",
                         "--text", "No lunch again", "--occurred", "2026-03-01T12:00:00Z")
    assert code == 0, err
    concern = out.strip().splitlines()[-1]
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "sync", "--data", new_dir, "--user",
                         "teacher")
    assert code == 0 and "sent     record   " in out, out + err

    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "sync", "--data", main_dir,
                         "--user", "dsl")
    assert code == 0 and "received record" in out, out + err
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "chronology", "--data", main_dir,
                         "--user", "dsl", "--child", UPN, "--json")
    assert code == 0, err
    ids = {item.get("record_id") or item.get("id") for item in json.loads(out)}
    assert {concern, early} <= ids
    # The staff PC never got the DSL PC's earlier concern.
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "chronology", "--data", new_dir,
                         "--user", "teacher", "--child", UPN)
    assert code == 3
    # Its store is keyed already (docs/keys.md): nothing to split, and it says why.
    monkeypatch.setenv("CONCERNDESK_RECOVERY_KEY", "not needed")
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "split-store", "--data", new_dir,
                         "--user", "teacher")
    assert code == 2 and "staff PC of a school hub" in err, out + err

    # Removing the PC is the admin's too, on the admin's PC; afterwards nothing it makes is
    # taken (tests/hub/test_hub_trust_list.py), and it cannot be approved again.
    code, out, err = cli(capsys, monkeypatch, STAFF_PASS, "hub", "remove-device", "--data",
                         main_dir, "--user", "dsl", "--fingerprint", fingerprint)
    assert code == 3
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "hub", "remove-device", "--data",
                         main_dir, "--user", "admin", "--fingerprint", fingerprint)
    assert code == 0 and "unenrol" in out, err
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "hub", "approve-device", "--data",
                         main_dir, "--user", "admin", "--fingerprint", fingerprint, "--for",
                         "staff")
    assert code == 2 and "removed" in err


def test_roster_changes_on_one_dsl_pc_reach_the_others(school4: HubSchool) -> None:
    newcomer = RosterRow(make_upn(801, 2000, 21, 7), "Ifeoma", "Okafor-Lind", None,
                         date(2017, 2, 14), "F", "Y4", None, 0)
    moved_up = replace(PUPILS[1], year_group="Y4")
    school4.clock.advance(3600)
    with school4.open("dsl") as dsl:
        result = apply_roster(dsl, [moved_up, newcomer])
        assert (result.added, result.updated) == (1, 1)
    school4.sync("dsl")
    school4.sync("deputy")
    with school4.open("deputy") as deputy:
        assert child_by_upn(deputy, newcomer.upn).legal_surname == "Okafor-Lind"
        changed = child_by_upn(deputy, moved_up.upn)
        assert changed.year_group == "Y4"
        kept = deputy.conn.execute("SELECT count(*) FROM child_history WHERE child_id = ?",
                                   (changed.id,)).fetchone()[0]
        assert kept == 1


def test_init_for_a_hub_school_makes_a_keyed_store_and_single_key_is_ignored(
        tmp_path: Path, hub: Service, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = str(tmp_path / "admin-pc")
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "init", "--data", data, "--school",
                         "Larkfield Test Primary", "--admin", "admin", "--single-key")
    assert code == 0, err
    assert "--single-key is no longer needed" in out
    assert (Path(data) / "dsl.db").exists()
    # Its maker holds the DSL store until the first DSL signs in: it sets the hub.
    code, out, err = cli(capsys, monkeypatch, ADMIN_PASS, "hub", "set", "--data", data,
                         "--user", "admin", "--url", hub.url, "--fingerprint",
                         hub.info.fingerprint)
    assert code == 0, err
    assert "Saved:" in out
