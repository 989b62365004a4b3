"""Promise 1 under stress: after a scenario that also goes wrong — a process killed mid-save, a
full disk, a bad roster, wrong passphrases, refused access, a failed restore — no child's name,
identifier or words are in any file the CLI wrote outside the encrypted store, nor in anything it
printed when it failed (what people paste into a support ticket)."""

from __future__ import annotations

import random
import resource
import signal
import subprocess
import time
from pathlib import Path

from app.identifiers import make_nhs_number, make_upn
from app.store.access import create_store
from app.store.keys import TEST_KDF
from app.store.users import add_user
from tests.reliability.conftest import CLI, run_cli

PASS = "correct horse battery staple"
OTHER_PASS = "another long passphrase for staff"
FORENAME, SURNAME = "Marigoldine", "Quillfeatherby"
TEXT = "Brought a vermilion umbrella stand to school"
WORDS = "I sleep under the lilac bridge"
UPN = make_upn(801, 2000, 5, 77)
NHS = make_nhs_number(random.Random(77))
SECRETS = [FORENAME, SURNAME, "vermilion umbrella", "lilac bridge", UPN, NHS,
           f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}"]


# What may sit beside store.db (each scanned above like any other file): key wraps, the
# unlock rate limit and its lock (an empty file), the last backup's time, the audit high-water
# mark (a MAC'd sequence number).
BESIDE_A_STORE = {"keys.json", "store.db", "store.db-wal", "store.db-shm", "dsl.db",
                  "dsl.db-wal", "dsl.db-shm", "unlock-state.json", "unlock.lock",
                  "last-backup.json", "audit-highwater.bin"}


def _encodings(secret: str) -> list[bytes]:
    return [secret.encode("utf-8"), secret.encode("utf-16-le"), secret.lower().encode("utf-8"),
            secret.upper().encode("utf-8")]


def _leaks_in_files(root: Path, secrets: list[str] = SECRETS) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {s}" for s in secrets if any(e in data for e in _encodings(s))]
    return found


def _leaks_in_text(text: str, secrets: list[str] = SECRETS) -> list[str]:
    return [s for s in secrets if s.lower() in text.lower()]


def test_nothing_leaks_when_things_go_wrong(tmp_path: Path) -> None:
    tmp, home, work = tmp_path / "tmp", tmp_path / "home", tmp_path / "cwd"
    for folder in (tmp, home, work):
        folder.mkdir()
    env = {"TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config"),
           "PYTHONFAULTHANDLER": "1"}
    data = tmp_path / "store"
    failures: list[str] = []

    def cli(*args: str, expect: int = 0, passphrase: str = PASS, **kw: object
            ) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, passphrase=passphrase, env={**env, **kw.pop("env", {})},  # type: ignore[dict-item]
                         cwd=work, **kw)  # type: ignore[arg-type]
        assert result.returncode == expect, (args, result.stderr)
        if expect:
            failures.append(result.stdout + result.stderr)
        return result

    # Accounts with the cheap test KDF (init's own leak-freedom is tests/test_no_plaintext.py).
    made = create_store(data, school_name="Larkfield Test Primary", admin_username="head",
                        admin_display_name="Head", passphrase=PASS, kdf=TEST_KDF)
    with made.session as head:
        add_user(head, "dsl", "Dana Lead", "dsl", OTHER_PASS, kdf=TEST_KDF)
        add_user(head, "teach", "Terry Teach", "staff", OTHER_PASS, kdf=TEST_KDF)
    roster = tmp_path / "roster-in.csv"
    header = ("upn,legal_forename,legal_surname,preferred_forename,date_of_birth,gender,"
              "year_group,nhs_number\n")
    good = f"{UPN},{FORENAME},{SURNAME},,2016-05-04,F,5,{NHS}\n"
    # A bad roster first: the error lists the bad row by line and column, never the name.
    roster.write_text(header + good + f"Z801200005099,{FORENAME},{SURNAME}x,,2031-01-01,F,5,"
                      f"{NHS}\n", encoding="utf-8")
    cli("pupils", "import", "--data", str(data), "--user", "head", "--csv", str(roster),
        expect=2)
    roster.write_text(header + good, encoding="utf-8")
    cli("pupils", "import", "--data", str(data), "--user", "head", "--csv", str(roster))
    roster.unlink()  # the school's own export is theirs to keep or delete
    add = ["concern", "add", "--data", str(data), "--user", "teach", "--child", UPN,
           "--category", "neglect", "--text", TEXT, "--child-words", WORDS]
    cli(*add, passphrase=OTHER_PASS)

    # Killed mid-save: whatever it left behind (a write-ahead log, a journal) is encrypted.
    full_env = {**__import__("os").environ, **env, "CONCERNDESK_PASSPHRASE": OTHER_PASS}
    proc = subprocess.Popen([*CLI, *add], env=full_env, cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.6)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    # A full disk mid-save (no file may grow past its size now).
    def no_room() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    full = run_cli(*add, passphrase=OTHER_PASS, env=env, cwd=work, preexec_fn=no_room)
    assert full.returncode != 0
    failures.append(full.stdout + full.stderr)

    # Wrong passphrases, refused access, a refused restore.
    cli("chronology", "--data", str(data), "--user", "dsl", "--child", UPN, expect=4,
        passphrase="not the right one at all")
    cli("chronology", "--data", str(data), "--user", "teach", "--child", UPN, expect=3,
        passphrase=OTHER_PASS)
    backup = tmp_path / "school.backup"
    cli("backup", "--data", str(data), "--user", "dsl", "--out", str(backup),
        passphrase=OTHER_PASS)
    cli("restore", "--data", str(tmp_path / "restored"), "--from", str(backup), expect=4,
        passphrase="a wrong passphrase here")

    # Ordinary work, including an encrypted pack (the unencrypted PDF a user saves is theirs).
    for args in (["chronology", "--child", UPN], ["search", "vermilion"],
                 ["pack", "--child", UPN, "--encrypt", "--out", str(tmp_path / "pack.pdf")]):
        cli(*args, "--data", str(data), "--user", "dsl", passphrase=OTHER_PASS,
            env={"CONCERNDESK_PACK_PASSWORD": "a pack password for the LA"})
    cli("verify", "--data", str(data), passphrase=OTHER_PASS)

    import os

    leaks = _leaks_in_files(tmp_path) + _leaks_in_files(Path(os.environ["HOME"]))
    assert leaks == []
    assert [leak for text in failures for leak in _leaks_in_text(text)] == []
    assert list(tmp.iterdir()) == [] and list(work.iterdir()) == []  # no temp files, no dumps
    assert {p.name for p in data.iterdir()} <= BESIDE_A_STORE


def test_the_front_door_keeps_no_child_data_in_the_clear(tmp_path: Path) -> None:
    """A referral about the child crosses a real LA front door: its database, its write-ahead
    log, its store folder, its temp files and its log hold ciphertext and metadata only."""
    import json
    import os

    from app.protocol.envelope import new_header, seal
    from tests.reliability.conftest import FrontDoorProcess

    tmp = tmp_path / "service-tmp"
    tmp.mkdir()
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp)  # inherited by the service process
    try:
        service = FrontDoorProcess(tmp_path / "la-store")
    finally:
        if saved is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = saved
    try:
        pairs, client = service.enrol()
        payload = json.dumps({"child": {"forename": FORENAME, "surname": SURNAME, "upn": UPN,
                                        "nhs_number": NHS},
                              "worries": TEXT, "child_words": WORDS}).encode()
        for _ in range(3):
            header = new_header(pairs.fingerprint, service.info.fingerprint, "referral")
            client.put_envelope(seal(header, payload, service.info.bundle.hpke_key(),
                                     pairs.signing))
        assert len(client.inbox()) == 0  # the LA reads with its own key, not over this API
    finally:
        log = service.stop()
    assert _leaks_in_files(tmp_path) == []
    assert _leaks_in_text(log) == []


# The hub scenario's children are tests/conftest.py's synthetic pupils.
HUB_TEXT, HUB_WORDS = "Drew a padlocked greenhouse with bars", "Mum's boyfriend keeps the key"
HUB_ENTRY = "Strategy discussion with the marmalade nursery"
HUB_SECRETS = ["Zofia", "Wiśniewska", "Zosia", "Wiśniewski", "Olumide", "Adeyemi-Harte",
               "B801200005001", "Q801200005002", "U801200005004", "9991408916",
               "padlocked greenhouse", "keeps the key", "marmalade nursery"]


def test_nothing_leaks_through_a_school_hub(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Teacher, DSL, deputy and office PCs working through a real school hub process: a concern
    recorded, amended, triaged, put in a chronology, referred, released to the office print
    queue and pulled by every PC, with a refused sign-in and a forged envelope on the way. No
    child's name, UPN, NHS number or words in the hub's database, its write-ahead log, its
    store folder, its log, anyone's temp files, or any file the PCs wrote beside their
    encrypted stores."""
    import os
    import tempfile
    from datetime import timedelta

    import pytest

    from app.clock import FakeClock
    from app.domain.chronology import add_entry
    from app.domain.concerns import ConcernDraft, amend_concern, record_concern, set_status
    from app.domain.pupils import child_by_upn
    from app.domain.referrals import approve_referral, create_referral
    from app.errors import UnlockError
    from app.hub.sync import sync_hub
    from app.pack.assembly import release_referral, released_pack_pdf, released_packs
    from app.protocol.envelope import new_header, seal
    from app.store.access import unlock
    from tests.frontdoor.test_school_delivery import READY
    from tests.hub.conftest import make_school
    from tests.reliability.conftest import FrontDoorProcess

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # this process (the PCs) and the hub's
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the temp dir found earlier
    hub = FrontDoorProcess(tmp_path / "hub-store", "school", log_level="info",
                           log_file=tmp_path / "hub.log")
    try:
        school = make_school(tmp_path / "pcs", hub, FakeClock())  # type: ignore[arg-type]
        school.join("office", "office")
        with school.open("teacher") as teacher:
            child = child_by_upn(teacher, "B801200005001").id
            concern = record_concern(teacher, ConcernDraft(
                [(child, "subject")], ["neglect"], HUB_TEXT,
                teacher.clock.now() - timedelta(hours=1), child_words=HUB_WORDS))
            amend_concern(teacher, concern.id, "more detail", text=HUB_TEXT + " and a dog")
            sync_hub(teacher)
        with school.open("dsl") as dsl:
            sync_hub(dsl)
            set_status(dsl, concern.id, "acknowledged")
            add_entry(dsl, [child], "meeting", HUB_ENTRY, dsl.clock.now() - timedelta(hours=1))
            referral = create_referral(dsl, child, READY)
            approve_referral(dsl, referral.id)
            pack_id = release_referral(dsl, referral.id)
            sync_hub(dsl)
        # A forged envelope on the hub (sealed to the DSL team, signed by an unknown key): the
        # PCs refuse it, and say why without quoting what it carried.
        from app.protocol.fingerprint import KeyPairs

        with school.open("dsl") as dsl:
            from app.delivery.team_keys import team_bundle

            team = team_bundle(dsl.conn, "dsl")
        forger = KeyPairs.generate()
        from app.protocol.client import FrontDoorClient

        with FrontDoorClient(hub.url, forger.signing, forger.fingerprint,
                             service_bundle=hub.info.bundle) as forged:
            assert forged.request_enrolment(forger.bundle, "Synthetic forger") == "pending"
        school_enrol = __import__("tests.hub.conftest", fromlist=["enrol"]).enrol
        school_enrol(hub, forger.fingerprint, "Synthetic forger")  # type: ignore[arg-type]
        assert team is not None
        with FrontDoorClient(hub.url, forger.signing, forger.fingerprint,
                             service_bundle=hub.info.bundle) as forged:
            header = new_header(forger.fingerprint, team.fingerprint, "record")
            forged.put_envelope(seal(header, b'{"v": 1, "type": "snapshot", "children": '
                                     b'[{"upn": "B801200005001", "legal_forename": "Zofia"}]}',
                                     team.hpke_key(), forger.signing))
        for pc, user in (("deputy", "deputy"), ("teacher2", "teacher2"), ("office", "office"),
                         ("dsl", "dsl")):
            with school.open(pc, user) as session:
                report = sync_hub(session)
                assert report.waiting is None
                if pc in {"deputy", "dsl"}:
                    assert any(r.outcome == "refused" for r in report.received), pc
        with school.open("office", "office") as office:
            assert [p.id for p in released_packs(office)] == [pack_id]
            released_pack_pdf(office, pack_id)  # viewed for print: the PDF stays in the store
        with school.open("deputy") as deputy:
            assert deputy.conn.execute("SELECT count(*) FROM record_versions WHERE record_id = ?",
                                       (concern.id,)).fetchone()[0] == 2
        with pytest.raises(UnlockError):
            unlock(school.dirs["teacher"], "teacher", "not the right passphrase at all")
    finally:
        log = hub.stop()
    assert "Started server process" in log  # the service's log at info level, read back
    leaks = _leaks_in_files(tmp_path, HUB_SECRETS) + _leaks_in_files(Path(os.environ["HOME"]),
                                                                     HUB_SECRETS)
    assert leaks == []
    assert _leaks_in_text(log, HUB_SECRETS) == []
    assert list(tmp.iterdir()) == []  # no temp files left by the PCs or the hub
    for pc in ("dsl", "deputy", "teacher", "teacher2", "office"):
        names = {p.name for p in school.dirs[pc].iterdir()}
        assert names <= BESIDE_A_STORE | {"join.json"}, (pc, names)
