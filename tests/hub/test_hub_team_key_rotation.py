"""Removing a DSL PC or a DSL account makes a new DSL team key pair (issue #15,
docs/hub-sync.md "Removal"): the admin's PC makes it and sends its private half only to the DSL
PCs that remain, each sealed to that PC's own key, and its public half to every approved PC;
staff PCs seal to it from then on; old private halves stay in every DSL store, so what was
sealed before still opens. A removed DSL PC's store, opened by hand with everything its DSL's
passphrase and its keyring open, holds no key that opens what is sealed after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.clock import FakeClock
from app.delivery.delivered import delivery_state
from app.delivery.outbox import enqueue
from app.delivery.team_keys import KEYS_BEFORE, device_fingerprint, team_bundle, team_pairs
from app.domain.concerns import get_concern
from app.hub import team_rotation
from app.hub.join import join_school, provision_from_hub
from app.hub.provision import approve_device, remove_device
from app.hub.replicate import canonical
from app.hub.sync import sync_hub
from app.protocol.envelope import EnvelopeError, new_header, open_payload, parse, seal
from app.protocol.fingerprint import KeyBundle, KeyPairs, b64d, b64e
from app.store.audit import events
from app.store.device import load_device_keys
from app.store.keyfile import KeyFile
from app.store.users import change_role, remove_user
from tests.conftest import STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, enrol, make_school
from tests.hub.test_hub_sync import record
from tests.sqlcipher_scan import opened_files
from tests.test_roles_by_key import _keys_the_attacker_holds


def _dsl_admin(main: SmallSchool) -> None:
    # The 'dsl' account is also an admin: after the first DSL sign-in on the admin's PC only
    # a DSL admin approves DSL PCs there (docs/hub-sync.md).
    with main.open("admin") as admin:
        change_role(admin, "dsl", "admin,dsl")


def _school(tmp_path: Path, hub: Service) -> HubSchool:
    school = make_school(tmp_path, hub, FakeClock(), _dsl_admin, split=True)
    school.join("deputy2", "dsl")
    # First DSL sign-ins everywhere; the first on the admin's PC ends its maker's hold on the
    # DSL store, a member leaving: that is a rotation of its own, sent by this sync.
    for pc, who in (("dsl", "dsl"), ("deputy", "deputy"), ("deputy2", "dsl"),
                    ("teacher", "teacher")):
        school.clock.advance(60)
        school.sync(pc, who)
    for pc, who in (("deputy", "deputy"), ("deputy2", "dsl"), ("teacher", "teacher")):
        school.sync(pc, who)
    _same_key_everywhere(school, ("dsl", "deputy", "deputy2", "teacher"))
    return school


def _current(school: HubSchool, pc: str, who: str | None = None) -> str:
    with school.open(pc, who or {"dsl": "dsl", "deputy2": "dsl", "late": "deputy"}.get(pc)
                     ) as session:
        bundle = team_bundle(session.conn, "dsl")
        assert bundle is not None
        return bundle.fingerprint


def _same_key_everywhere(school: HubSchool, pcs: tuple[str, ...]) -> str:
    seen = {pc: _current(school, pc) for pc in pcs}
    assert len(set(seen.values())) == 1, seen
    return next(iter(seen.values()))


def _held(school: HubSchool, pc: str, who: str) -> set[str]:
    with school.open(pc, who) as session:
        assert session.held.dsl_store_open
        return {r[0] for r in session.conn.execute("SELECT fingerprint FROM "
                                                   "dsl.held_team_keys WHERE team = 'dsl'")}


def _private_keys_in(directory: Path, keys: list[bytes]) -> list[X25519PrivateKey]:
    """Every team private key any of ``keys`` opens in any database of the store, by hand."""
    found = []
    for conn, tables in opened_files(directory, keys):
        for table in ("held_team_keys", "team_keys"):
            if table in tables:
                found += [KeyPairs.from_private_bytes(bytes(r[0])).hpke for r in
                          conn.execute(f"SELECT private FROM {table} WHERE private IS NOT NULL")]
        if "meta" in tables:  # earlier keys parked there at provisioning, if any
            found += [KeyPairs.from_private_bytes(b64d(k, "key")).hpke for (v,) in
                      conn.execute("SELECT value FROM meta WHERE key = ?", (KEYS_BEFORE,))
                      for k in json.loads(v)]
    return found


def test_removing_a_dsl_pc_makes_a_new_pair_the_removed_pc_cannot_use(
        tmp_path: Path, hub: Service) -> None:
    school = _school(tmp_path, hub)
    old = _current(school, "dsl")
    with school.open("teacher") as teacher:
        before = record(teacher, "Said OLDKEYMARKER at lunch")
    school.sync("teacher")

    school.clock.advance(60)
    with school.main.open("admin") as admin:  # not a DSL: the DSL's next session makes it
        remove_device(admin, school.fingerprints["deputy"])
        assert team_pairs(admin.conn, "dsl") is None
        assert admin.meta("dsl_team_key_owed") is not None
        assert "is owed" in team_rotation.removal_words(admin, old)
    school.clock.advance(60)
    school.sync("dsl")  # the DSL's session on the admin's PC: made, queued, sent
    new = _current(school, "dsl")
    assert new != old
    assert {old, new} <= _held(school, "dsl", "dsl")
    with school.open("dsl") as dsl:
        rotated = [e for e in events(dsl.conn, schema="dsl") if e.object_type == "team-key"
                   and e.detail.get("rotated") and e.detail.get("fingerprint") == new]
        approved = dsl.conn.execute("SELECT count(*) FROM hub_devices WHERE removed_at IS "
                                    "NULL").fetchone()[0]
        assert len(rotated) == 1 and rotated[0].detail["sent_to"] == approved == 3
        outbox = dsl.conn.execute("SELECT recipient FROM outbox WHERE kind = 'team-key' AND "
                                  "created_at = ?", (rotated[0].at,)).fetchall()
    assert school.fingerprints["deputy"] not in {r[0] for r in outbox}

    school.sync("deputy2", "dsl")  # takes the new key into its DSL store
    assert {old, new} <= _held(school, "deputy2", "dsl")
    assert _current(school, "deputy2") == new
    school.sync("teacher")  # takes the new public half
    assert _current(school, "teacher") == new
    with school.open("teacher") as teacher:  # sent to the old key, still delivered
        assert delivery_state(teacher, before).state == "delivered"
    with school.open("teacher") as teacher:
        after = record(teacher, "Said NEWKEYMARKER at lunch")
    school.sync("teacher")
    school.sync("deputy2", "dsl")  # holds the new key at the hub now, and reads the concern
    school.sync("deputy2", "dsl")
    with school.open("deputy2", "dsl") as dsl:
        assert get_concern(dsl, after).latest.fields.summary.endswith("NEWKEYMARKER at lunch")
        assert get_concern(dsl, before).latest.fields.summary.endswith("OLDKEYMARKER at lunch")

    # The attack: the removed PC syncs all it can (the hub's administrator has not unenrolled
    # it yet); then its store, opened with everything its DSL's passphrase and the PC's keyring
    # open, and the concern's envelope exactly as the hub stores it.
    school.sync("deputy")
    storage = hub.storage()
    try:
        stored = [e for e in storage.list_envelopes(new) if e.kind == "record"]
    finally:
        storage.close()
    assert stored
    deputy = school.dirs["deputy"]
    keys = _keys_the_attacker_holds(deputy, "deputy", STAFF_PASS)
    privates = _private_keys_in(deputy, keys)
    assert len(privates) >= 2  # the old DSL team key and the office key: the attack reads
    device = load_device_keys(KeyFile.load(deputy).store_id)
    assert device is not None
    privates.append(device.hpke_key)
    with school.open("dsl") as dsl:
        current = team_pairs(dsl.conn, "dsl")
        assert current is not None and current.fingerprint == new
    for envelope in stored:
        env = parse(envelope.body)
        assert open_payload(env, current.hpke)  # the key it is for opens it: the attack can fail
        for private in privates:
            with pytest.raises(EnvelopeError):
                open_payload(env, private)


def test_a_dsl_pc_added_after_a_rotation_gets_the_whole_history(
        tmp_path: Path, hub: Service) -> None:
    school = _school(tmp_path, hub)
    with school.open("teacher") as teacher:
        before = record(teacher, "Said BEFOREMARKER in class")
    school.sync("teacher")
    school.clock.advance(60)
    with school.main.open("dsl") as dsl:  # a DSL admin: made at once
        old = team_bundle(dsl.conn, "dsl")
        remove_device(dsl, school.fingerprints["deputy"])
        assert dsl.meta("dsl_team_key_owed") is None
        assert old is not None and "was made" in team_rotation.removal_words(dsl,
                                                                             old.fingerprint)
    school.sync("dsl")
    # A DSL PC joins now: approved by the DSL admin, who holds the team's keys.
    directory = tmp_path / "late"
    joined = join_school(directory, hub.url, hub.info.fingerprint,
                         admin_fingerprint=school.fingerprints["dsl"], clock=school.clock)
    school.dirs["late"], school.fingerprints["late"] = directory, joined.fingerprint
    enrol(hub, joined.fingerprint, "Synthetic late PC")
    with school.main.open("dsl") as dsl:
        approve_device(dsl, joined.fingerprint, "dsl")
        assert all(d.outcome == "receipted" for d in sync_hub(dsl).sent)
    assert provision_from_hub(directory, clock=school.clock).done
    new = _current(school, "dsl")
    assert _current(school, "late") == new
    assert len(_held(school, "late", "deputy")) >= 2  # the earlier pairs came with it
    school.sync("late", "deputy")
    school.sync("late", "deputy")
    with school.open("late", "deputy") as deputy:
        assert get_concern(deputy, before).latest.fields.summary.endswith("BEFOREMARKER in class")
    with school.open("late", "deputy") as deputy:  # moved into the DSL store, gone from here
        assert deputy.meta(KEYS_BEFORE) is None


def _forge_team_key(school: HubSchool, to: str, forged: KeyPairs, *, private: bool) -> None:
    """The deputy's DSL PC (approved, but not the admin's) sends PC ``to`` a team key."""
    fingerprint = school.fingerprints[to]
    with school.open("deputy") as deputy:
        bundle = KeyBundle.from_json(json.loads(deputy.conn.execute(
            "SELECT bundle FROM trusted_devices WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()[0]))
        payload = {"v": 1, "type": "team-key", "by": deputy.user.id, "team": "dsl",
                   "seq": 99, "bundle": forged.bundle.to_json(),
                   "private": b64e(forged.private_bytes()) if private else None}
        raw = seal(new_header(device_fingerprint(deputy), fingerprint, "team-key",
                              created=deputy.clock.now()), canonical(payload),
                   bundle.hpke_key(), deputy.device.signing_key)
        with deputy.tx():
            enqueue(deputy, [raw], fingerprint, "team-key", fingerprint)
    school.sync("deputy")


def test_a_team_key_from_any_pc_but_the_admins_is_refused(tmp_path: Path, hub: Service
                                                          ) -> None:
    school = _school(tmp_path, hub)
    current = _current(school, "teacher")
    forged = KeyPairs.generate()
    _forge_team_key(school, "teacher", forged, private=False)
    report = school.sync("teacher")
    refused = [r for r in report.received if r.kind == "team-key"]
    assert [r.outcome for r in refused] == ["refused"]
    assert "may not send a 'team-key'" in refused[0].detail
    assert _current(school, "teacher") == current
    # The same, with the private half, to a DSL PC: refused, nothing kept.
    _forge_team_key(school, "deputy2", forged, private=True)
    school.sync("deputy2", "dsl")
    assert forged.fingerprint not in _held(school, "deputy2", "dsl")
    assert _current(school, "deputy2") == current


def test_removing_a_dsl_account_on_the_admins_pc_makes_a_new_pair(
        tmp_path: Path, hub: Service) -> None:
    school = _school(tmp_path, hub)
    old = _current(school, "dsl")
    school.clock.advance(60)
    with school.main.open("admin") as admin:
        remove_user(admin, "deputy")
        assert admin.meta("dsl_team_key_owed") is not None
    school.clock.advance(60)
    school.sync("dsl")
    new = _current(school, "dsl")
    assert new != old
    # Every approved PC gets it: the deputy's PC too (the PC stays; its account went).
    school.sync("deputy2", "dsl")
    school.sync("teacher")
    school.sync("deputy", "dsl")
    for pc in ("deputy2", "teacher", "deputy"):
        assert _current(school, pc, "dsl" if pc != "teacher" else None) == new, pc
    assert {old, new} <= _held(school, "deputy2", "dsl")


def test_a_rotation_cut_short_is_finished_with_the_pair_already_made(
        tmp_path: Path, hub: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    school = _school(tmp_path, hub)
    old = _current(school, "dsl")
    school.clock.advance(60)
    with school.main.open("admin") as admin:
        remove_device(admin, school.fingerprints["deputy"])
    made: list[str] = []

    def power_cut(session: object, pairs: KeyPairs, seq: int) -> int:
        made.append(pairs.fingerprint)  # step 1 committed: the pair is in the DSL store
        raise SystemExit("power cut before step 2 commits")

    monkeypatch.setattr(team_rotation, "_send", power_cut)
    with pytest.raises(SystemExit):
        school.open("dsl")
    monkeypatch.undo()
    with school.main.open("admin") as admin:  # still the old key: nothing seals to the new one
        assert team_bundle(admin.conn, "dsl").fingerprint == old  # type: ignore[union-attr]
        assert admin.meta("dsl_team_key_owed") is not None
    school.sync("dsl")  # the next DSL session finishes it, with the same pair
    assert _current(school, "dsl") == made[0]
    assert made[0] in _held(school, "dsl", "dsl")
    school.sync("deputy2", "dsl")
    assert _current(school, "deputy2") == made[0]
    with school.open("dsl") as dsl:
        assert dsl.conn.execute("SELECT count(*) FROM dsl.meta WHERE key = ?",
                                (team_rotation.NEXT,)).fetchone()[0] == 0
        assert len([e for e in events(dsl.conn, schema="dsl") if e.object_type == "team-key"
                    and e.detail.get("fingerprint") == made[0]]) == 1


def test_two_rotations_before_a_pc_syncs_leave_it_on_the_newest_holding_all(
        tmp_path: Path, hub: Service) -> None:
    school = _school(tmp_path, hub)
    first = _current(school, "dsl")
    made = [first]
    for step in ("account", "pc"):
        school.clock.advance(60)
        with school.main.open("dsl") as dsl:  # a DSL admin
            if step == "account":
                remove_user(dsl, "deputy")
            else:
                remove_device(dsl, school.fingerprints["deputy"])
        school.sync("dsl")
        made.append(_current(school, "dsl"))
    assert len(set(made)) == 3
    school.sync("deputy2", "dsl")  # both envelopes in one sync: the newest is current
    assert _current(school, "deputy2") == made[-1]
    assert set(made) <= _held(school, "deputy2", "dsl")
    school.sync("teacher")
    assert _current(school, "teacher") == made[-1]
    # The earlier one again, late (numbered lower): it changes nothing.
    admin_pc = school.fingerprints["dsl"]
    with school.open("deputy2", "dsl") as dsl:
        seq = int(dsl.meta(team_rotation.SEQ) or "0")
        private = dsl.conn.execute("SELECT private FROM dsl.held_team_keys WHERE fingerprint "
                                   "= ?", (made[1],)).fetchone()[0]
        late = KeyPairs.from_private_bytes(bytes(private))
        with dsl.tx():
            applied = team_rotation.apply_team_key(
                dsl, {"v": 1, "type": "team-key", "team": "dsl", "seq": seq - 1,
                      "bundle": late.bundle.to_json(), "private": b64e(late.private_bytes())},
                admin_pc, admin_pc)
        assert applied.counts == {}
        assert team_bundle(dsl.conn, "dsl").fingerprint == made[-1]  # type: ignore[union-attr]
