"""A DSL PC that joined a hub school has a DSL store of its own (issue #15, docs/keys.md): its
key is granted only to the DSL accounts (and the recovery key), and it holds the hub DSL team's
private keys, so a teacher or office account signing in on that PC, with a shell, its own
passphrase and the PC's keyring, reads nothing of the DSL team's. Attacked as
tests/test_roles_by_key.py attacks a single-PC school."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlcipher3

from app.clock import FakeClock
from app.delivery.team_keys import move_private_halves, team_pairs
from app.domain.child_flags import set_flag
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import get_concern, my_concerns
from app.domain.pupils import child_by_upn
from app.domain.referrals import create_referral
from app.domain.referrals import update_referral as update
from app.errors import InputError
from app.hub import keyed_dsl_pc
from app.hub.join import join_school
from app.hub.provision import approve_device
from app.hub.sync import sync_hub
from app.store.audit import events
from app.store.db import has_dsl_store
from app.store.dsl_store import DSL_FILE
from app.store.keyfile import KeyFile
from app.store.keys import TEST_KDF
from app.store.upgrade import split_store
from app.store.users import add_user
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, enrol, make_school
from tests.hub.test_hub_sync import UPN, record
from tests.sqlcipher_scan import scan
from tests.test_roles_by_key import _everything_readable, _keys_the_attacker_holds

OTHERS = ("TEACHER2MARKER", "DSLENTRYMARKER", "REFERRALMARKER", "OWNMARKER")


def _dsl_team_work(school: HubSchool) -> tuple[str, str]:
    """A teacher's concern from a staff PC, and on the admin's DSL PC a chronology entry, a
    flag and a referral: all synced through the hub. Returns (concern id, referral id)."""
    with school.open("teacher2") as teacher2:
        concern = record(teacher2, "Said TEACHER2MARKER about home")
    school.sync("teacher2")
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN).id
        add_entry(dsl, [child], "contact", "Phoned parent DSLENTRYMARKER",
                  dsl.clock.now() - timedelta(minutes=5))
        set_flag(dsl, child, "cp-plan", True, "Plan agreed")
        referral = create_referral(dsl, child)
        update(dsl, referral.id, [("worries", "REFERRALMARKER bruising")])
    school.sync("dsl")
    return concern, referral.id


def _summaries(school: HubSchool, pc: str) -> str:
    with school.open(pc) as dsl:
        assert dsl.held.dsl_store_open
        child = child_by_upn(dsl, UPN).id
        text = " ".join(i.summary for i in chronology(dsl, child))
        worries = dsl.conn.execute("SELECT group_concat(form) FROM referral_versions"
                                   ).fetchone()[0] or ""
        flags = dsl.conn.execute("SELECT count(*) FROM child_flag_events").fetchone()[0]
        return f"{text} {worries} flags={flags}"


def _attack(school: HubSchool, pc: str, who: str) -> tuple[list[bytes], str]:
    keys = _keys_the_attacker_holds(school.dirs[pc], who, STAFF_PASS)
    text = _everything_readable(school.dirs[pc], keys)
    assert "Larkfield" in text  # the attack opened the school store: the test can fail
    return keys, text


def test_a_joined_dsl_pc_has_a_dsl_store_only_its_dsl_accounts_open(school4: HubSchool
                                                                   ) -> None:
    pc = school4.dirs["deputy"]
    assert (pc / DSL_FILE).exists()
    grants = KeyFile.load(pc).grants["dsl"]
    # The DSL accounts' verifiers (this PC's own DSL, the admin PC's) and the recovery key.
    assert set(grants) == {"recovery", "verifier:deputy", "verifier:dsl"}
    with school4.open("deputy") as deputy:
        assert has_dsl_store(deputy.conn) and deputy.held.dsl_store_open
        assert team_pairs(deputy.conn, "dsl") is not None
        split = [e for e in events(deputy.conn) if e.action == "settings"
                 and e.detail.get("dsl_pc")]
        assert len(split) == 1 and split[0].detail["team_keys_moved"] == 1
        report = verify_store(deputy)
        assert report.ok, report.problems
    assert set(KeyFile.load(pc).grants["dsl"]) == {"recovery", "user:deputy", "verifier:dsl"}


def test_a_colleague_on_a_dsl_pc_reads_nothing_of_the_dsl_teams(school4: HubSchool) -> None:
    concern, _ = _dsl_team_work(school4)
    school4.sync("deputy")
    assert "DSLENTRYMARKER" in _summaries(school4, "deputy")
    # A teacher and the office sign in on the DSL PC (covering for someone, say); one writes.
    for who in ("teacher", "office"):
        with school4.open("deputy", who) as colleague:
            assert colleague.held.split and not colleague.held.dsl_store_open
            assert "dsl" not in colleague.user.roles
            assert team_pairs(colleague.conn, "dsl") is None
            assert colleague.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0
            if who == "teacher":
                own = record(colleague, "Hungry at lunch OWNMARKER")
        report = school4.sync("deputy", who)  # sends what it wrote, takes nothing of the team's
        assert report.received == []

    for who in ("teacher", "office"):
        keys, text = _attack(school4, "deputy", who)
        found = {marker for marker in OTHERS if marker in text}
        assert not found, who
        assert "cp-plan" not in text
        assert scan(school4.dirs["deputy"] / "store.db", keys[0], *OTHERS) == []

    # The DSL on that PC still sees everything the hub brought, and what the teacher wrote.
    seen = _summaries(school4, "deputy")
    assert "DSLENTRYMARKER" in seen and "TEACHER2MARKER" in seen
    assert "REFERRALMARKER" in seen and "flags=1" in seen
    with school4.open("deputy") as deputy:
        assert get_concern(deputy, concern).latest.fields.summary.endswith("about home")
        assert get_concern(deputy, own).latest.fields.summary.endswith("OWNMARKER")
    with school4.open("deputy", "teacher") as teacher:
        assert [c.id for c in my_concerns(teacher)] == [own]
    school4.sync("dsl")  # and it reached the admin's DSL PC through the hub
    with school4.open("dsl") as dsl:
        assert get_concern(dsl, own).latest.fields.summary.endswith("OWNMARKER")


def test_a_single_key_dsl_pc_is_split_at_its_next_dsl_sign_in(
        school4: HubSchool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Provisioned as DSL PCs were before: one store every account on it opens.
    monkeypatch.setattr(keyed_dsl_pc, "needs_keying", lambda session: False)
    school4.join("office2", "dsl")
    pc = school4.dirs["office2"]
    concern, _ = _dsl_team_work(school4)
    school4.sync("office2", "deputy")
    with school4.open("office2", "teacher"):
        pass  # the teacher has signed in here before: an account with personal keys
    keys, text = _attack(school4, "office2", "teacher")
    assert "DSLENTRYMARKER" in text  # the hole being closed
    assert scan(pc / "store.db", keys[0], "DSLENTRYMARKER")  # and the scan below can fail
    assert not (pc / DSL_FILE).exists()

    monkeypatch.undo()
    with school4.open("office2", "teacher") as teacher:  # not a DSL: it splits nothing
        assert not teacher.held.split
    with school4.open("office2", "deputy") as deputy:
        assert deputy.held.dsl_store_open and "dsl" in deputy.user.roles
        assert team_pairs(deputy.conn, "dsl") is not None
        assert get_concern(deputy, concern).latest.fields.summary.endswith("about home")
        split = [e for e in events(deputy.conn) if e.action == "settings"
                 and e.detail.get("dsl_pc")]
        assert len(split) == 1 and split[0].detail["by_verifier"] == 1  # the admin PC's DSL
        assert deputy.audit_schema == "dsl"  # the DSL's own acts go to the DSL team's trail
    with school4.open("office2", "deputy") as deputy:
        report = verify_store(deputy)
        assert report.ok, report.problems
    assert set(KeyFile.load(pc).grants["dsl"]) == {"recovery", "user:deputy", "verifier:dsl"}

    keys, text = _attack(school4, "office2", "teacher")
    assert not {marker for marker in OTHERS if marker in text}
    # Not in a freed page or a WAL frame either: the school store was vacuumed.
    assert scan(pc / "store.db", keys[0], *OTHERS) == []
    with school4.open("office2", "teacher") as teacher:
        assert teacher.held.split and not teacher.held.dsl_store_open
    # And the hub's envelopes go on arriving, into the DSL store.
    with school4.open("teacher") as teacher:
        later = record(teacher, "A later worry")
    school4.sync("teacher")
    school4.sync("office2", "deputy")
    with school4.open("office2", "deputy") as deputy:
        assert get_concern(deputy, later).latest.fields.summary == "A later worry"


def test_a_hub_school_keyed_from_init_syncs_and_keeps_roles_by_key(
        tmp_path: Path, hub: Service) -> None:
    # 'init' without --single-key: the admin's PC has a DSL store of its own too.
    school = make_school(tmp_path, hub, FakeClock(), split=True)
    assert (school.dirs["dsl"] / DSL_FILE).exists()
    concern, _ = _dsl_team_work(school)  # the first DSL sign-in there ends the maker's hold
    school.sync("deputy")
    for pc in ("dsl", "deputy"):
        seen = _summaries(school, pc)
        assert "DSLENTRYMARKER" in seen and "TEACHER2MARKER" in seen, pc
    with school.open("deputy") as deputy:
        assert get_concern(deputy, concern).latest.fields.summary.endswith("about home")
    # Every DSL PC shares the one hub DSL team key, inside its DSL store.
    with school.open("dsl") as dsl, school.open("deputy") as deputy:
        ours, theirs = team_pairs(dsl.conn, "dsl"), team_pairs(deputy.conn, "dsl")
        assert ours is not None and theirs is not None
        assert ours.fingerprint == theirs.fingerprint
    # On the admin's PC, a teacher (and the admin, no DSL) read nothing of the DSL team's.
    with school.open("dsl", "teacher") as teacher:
        assert not teacher.held.dsl_store_open
        assert sync_hub(teacher).received == []  # its sync takes nothing of the team's
    keys = _keys_the_attacker_holds(school.dirs["dsl"], "teacher", STAFF_PASS)
    text = _everything_readable(school.dirs["dsl"], keys)
    assert "Larkfield" in text
    assert not {marker for marker in OTHERS if marker in text}
    # Approving a PC for the DSL team needs the DSL team's key: the admin without it is told.
    directory = tmp_path / "late"
    joined = join_school(directory, hub.url, hub.info.fingerprint,
                         admin_fingerprint=school.fingerprints["dsl"], clock=school.clock)
    enrol(hub, joined.fingerprint, "Synthetic late PC")
    with school.main.open("admin") as admin, pytest.raises(InputError, match="DSL"):
        approve_device(admin, joined.fingerprint, "dsl")


def test_the_admins_single_key_pc_splits_keeping_the_hubs_team_keys(school4: HubSchool
                                                                   ) -> None:
    concern, _ = _dsl_team_work(school4)
    with school4.open("dsl") as dsl:
        pairs = team_pairs(dsl.conn, "dsl")
        assert pairs is not None
    # What 'concerndesk-cli split-store' does on a hub school's admin PC.
    split_store(school4.open("dsl"), school4.main.recovery_key,
                keep_team_keys=move_private_halves)
    with school4.open("dsl") as dsl:
        assert dsl.held.dsl_store_open
        kept = team_pairs(dsl.conn, "dsl")
        assert kept is not None and kept.fingerprint == pairs.fingerprint
        assert get_concern(dsl, concern).latest.fields.summary.endswith("about home")
    _, text = _attack(school4, "dsl", "teacher")
    assert not {marker for marker in OTHERS if marker in text}
    with school4.open("teacher") as teacher:  # the hub goes on bringing the team's work
        later = record(teacher, "A later worry")
    school4.sync("teacher")
    school4.sync("dsl")
    with school4.open("dsl") as dsl:
        assert get_concern(dsl, later).latest.fields.summary == "A later worry"


def test_an_account_planted_in_a_dsl_pcs_school_store_gets_no_dsl_key(school4: HubSchool
                                                                       ) -> None:
    pc = school4.dirs["deputy"]
    with school4.open("deputy", "teacher"):
        pass
    # The teacher, with a shell, plants a DSL account of their own, with their own verifier.
    school_key = _keys_the_attacker_holds(pc, "teacher", STAFF_PASS)[0]
    conn = sqlcipher3.connect(str(pc / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{school_key.hex()}'\"")
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) SELECT "
                 "'planted', 'planted', 'Planted', 'dsl', created_at FROM users WHERE "
                 "username = 'teacher'")
    conn.execute("INSERT INTO user_verifiers (user_id, verifier, updated_at) SELECT 'planted', "
                 "verifier, updated_at FROM user_verifiers v JOIN users u ON u.id = v.user_id "
                 "WHERE u.username = 'teacher'")
    conn.commit()
    conn.close()
    # The admin's PC sends an accounts update (a new DSL); a DSL applies it on that PC.
    with school4.main.open("admin") as admin:
        add_user(admin, "newdsl", "New Lead", "dsl", STAFF_PASS, kdf=TEST_KDF)
    school4.sync("dsl", "admin")
    school4.sync("deputy")
    grants = KeyFile.load(pc).grants["dsl"]
    assert "verifier:planted" not in grants
    assert "verifier:newdsl" in grants  # the admin's new DSL gets it, by its verifier
    with school4.open("deputy", "newdsl") as newdsl:
        assert newdsl.held.dsl_store_open
