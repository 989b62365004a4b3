"""Whom a PC trusts (docs/hub-sync.md, "Trust"): only the PCs the school's admin approved, from
the admin PC's signed list kept in each store — never the hub's directory — and each only for
what the admin approved it for. A key the hub enrols itself, a PC the admin removed, a staff
PC sending what only the DSL team sends, and provisioning from another PC than the one pinned
at join are all refused with a reason, audited, and change nothing."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

import pytest

from app.clock import iso
from app.delivery.team_keys import device_fingerprint, team_bundle
from app.errors import InputError
from app.hub.join import provision_from_hub
from app.hub.provision import approve_device, remove_device
from app.hub.replicate import Snapshot, canonical, user_rows
from app.hub.sync import directory, hub_client
from app.protocol.client import FrontDoorClient
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyBundle, KeyPairs, b64e
from app.store.session import Session
from tests.hub.conftest import HubSchool, enrol
from tests.hub.test_hub_sync import UPN, record

TABLES = ("records", "record_versions", "record_status", "children", "child_history", "users",
          "child_flag_events", "referrals", "attachments", "attachment_chunks",
          "trusted_devices", "user_verifiers")


def counts(session: Session) -> dict[str, int]:
    return {t: session.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def snapshot_of(session: Session, record_id: str) -> dict[str, Any]:
    snap = Snapshot(session.conn, session.user.id)
    snap.add_record(record_id)
    return snap.payload()


def refusals(session: Session) -> list[str]:
    # A DSL's session on a PC with a DSL store audits in the DSL team's trail.
    return [json.loads(d).get("reason", "") for (d,) in session.conn.execute(
        f"SELECT detail FROM {session.audit_schema}.audit WHERE action = 'sync' AND detail "
        "LIKE '%refused%' ORDER BY seq")]


def put_as(school: HubSchool, signer: Any, sender: str, to: KeyBundle, kind: str,
           payload: dict[str, Any], *, created: Any = None) -> str:
    """Seals ``payload`` to ``to``, signs it as ``sender`` and uploads it as that device."""
    header = new_header(sender, to.fingerprint, kind, created=created or school.clock.now())
    raw = seal(header, canonical(payload), to.hpke_key(), signer)
    with FrontDoorClient(school.hub.url, signer, sender,
                         service_bundle=school.hub.info.bundle) as client:
        client.put_envelope(raw)
    return header.id


def hub_bundle(school: HubSchool, fingerprint: str) -> KeyBundle:
    with school.open("dsl") as dsl, hub_client(school.hub.url, dsl,
                                               school.hub.info.bundle) as client:
        return directory(client)[fingerprint].bundle


def hub_operator(school: HubSchool) -> KeyPairs:
    """A key whoever runs the hub enrols on their own: no school admin approved it."""
    operator = KeyPairs.generate()
    with FrontDoorClient(school.hub.url, operator.signing, operator.fingerprint,
                         service_bundle=school.hub.info.bundle) as client:
        client.request_enrolment(operator.bundle, "Synthetic hub operator")
    enrol(school.hub, operator.fingerprint, "Synthetic DSL PC")
    return operator


def test_the_hub_cannot_add_a_pc_an_account_or_provision_a_joining_pc(
        school4: HubSchool) -> None:
    operator = hub_operator(school4)
    school4.sync("deputy")  # the lists sent when the staff PCs were approved
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Said she sleeps on the sofa")
        payload = snapshot_of(teacher, concern)
        team = team_bundle(teacher.conn, "dsl")
    assert team is not None
    deputy_key = hub_bundle(school4, school4.fingerprints["deputy"])
    forged_list = {"v": 1, "type": "devices", "by": payload["by"], "devices": {
        "seq": 999, "admin": {"fingerprint": operator.fingerprint,
                              "bundle": operator.bundle.to_json()},
        "devices": [{"fingerprint": operator.fingerprint, "purpose": "dsl", "name": "Synthetic",
                     "bundle": operator.bundle.to_json(), "removed_at": None}]}}
    newcomer = {**payload["users"][0], "id": str(uuid.uuid4()), "username": "intruder",
                "roles": ["dsl"]}
    forged_accounts = {"v": 1, "type": "accounts", "by": payload["by"], "users": [newcomer],
                       "removed": [], "verifiers": {}}
    put_as(school4, operator.signing, operator.fingerprint, deputy_key, "devices", forged_list)
    put_as(school4, operator.signing, operator.fingerprint, deputy_key, "accounts",
           forged_accounts)
    put_as(school4, operator.signing, operator.fingerprint, team, "record", payload)
    # An approved staff PC may not send lists either.
    with school4.open("teacher") as teacher:
        put_as(school4, teacher.device.signing_key, device_fingerprint(teacher), deputy_key,
               "devices", forged_list)
    with school4.open("deputy") as deputy:
        before = counts(deputy)
    report = school4.sync("deputy")
    assert report.waiting is None
    assert sorted(r.detail for r in report.received if r.outcome == "refused") == sorted([
        "its sender is not a PC the school's admin approved"] * 3 + [
        "a staff PC may not send a 'devices' envelope"])
    with school4.open("deputy") as deputy:
        assert counts(deputy) == before
        assert deputy.conn.execute("SELECT count(*) FROM users WHERE username = 'intruder'"
                                   ).fetchone()[0] == 0
        assert operator.fingerprint not in {r[0] for r in deputy.conn.execute(
            "SELECT fingerprint FROM trusted_devices")}

    # A PC joining with the admin PC pinned: provisioning from the hub's own key is refused,
    # the admin's applies.
    school4.join("late", "dsl", approve=False)
    late_key = hub_bundle(school4, school4.fingerprints["late"])
    with school4.main.open("admin") as admin:
        from app.hub.provision import device_list, provision_payload

        fake = provision_payload(admin, "dsl", device_list(admin, 1))
    put_as(school4, operator.signing, operator.fingerprint, late_key, "provision", fake)
    waiting = provision_from_hub(school4.dirs["late"], clock=school4.clock)
    assert not waiting.done
    assert "provisioning is taken only from the admin PC given at join" in waiting.detail
    with school4.main.open("admin") as admin:
        approve_device(admin, school4.fingerprints["late"], "dsl")
    school4.sync("dsl", "admin")
    done = provision_from_hub(school4.dirs["late"], clock=school4.clock)
    assert done.done and school4.fingerprints["dsl"] in done.detail
    with school4.open("late", "deputy") as late:
        assert late.meta("provisioned_by_device") == school4.fingerprints["dsl"]


def test_a_pc_the_admin_removed_is_refused_from_its_removal_on(school4: HubSchool) -> None:
    laptop = KeyPairs.generate()
    with FrontDoorClient(school4.hub.url, laptop.signing, laptop.fingerprint,
                         service_bundle=school4.hub.info.bundle) as client:
        client.request_enrolment(laptop.bundle, "Synthetic laptop")
    enrol(school4.hub, laptop.fingerprint, "Synthetic laptop")
    with school4.main.open("admin") as admin:
        approve_device(admin, laptop.fingerprint, "dsl")
    school4.sync("dsl", "admin")
    with school4.open("teacher") as teacher:
        first = snapshot_of(teacher, record(teacher, "Sent while the laptop was trusted"))
        later = snapshot_of(teacher, record(teacher, "Sent after the laptop was removed"))
        team = team_bundle(teacher.conn, "dsl")
    assert team is not None
    put_as(school4, laptop.signing, laptop.fingerprint, team, "record", first)
    school4.clock.advance(60)
    with school4.main.open("admin") as admin:
        assert remove_device(admin, laptop.fingerprint) == 3  # deputy, teacher, teacher2
        with pytest.raises(InputError, match="removed"):
            approve_device(admin, laptop.fingerprint, "dsl")
    school4.sync("dsl", "admin")  # delivers the new list; the hub still enrols the laptop
    school4.clock.advance(60)
    put_as(school4, laptop.signing, laptop.fingerprint, team, "record", later)
    # A thief backdating what they sign to before the removal is not protected against by the
    # PCs alone: the hub's administrator unenrols the laptop too (test_hub_refusals.py).
    for pc in ("deputy", "dsl"):
        report = school4.sync(pc)
        assert [r.detail for r in report.received if r.outcome == "refused"] == [
            "its sender was removed by the school's admin before making it"], pc
        with school4.open(pc) as session:
            ids = {r[0] for r in session.conn.execute("SELECT id FROM records")}
            assert first["records"][0]["id"] in ids  # what it sent while trusted stays
            assert later["records"][0]["id"] not in ids


def test_a_staff_pc_may_send_only_its_own_concerns(school4: HubSchool) -> None:
    with school4.open("dsl") as dsl:  # someone else's concern, on every DSL PC
        theirs = record(dsl, "Recorded by the DSL")
    with school4.open("teacher") as teacher:
        mine = record(teacher, "Recorded by the teacher")
    for pc in ("dsl", "teacher", "deputy", "dsl"):
        school4.sync(pc)
    with school4.open("teacher") as teacher:
        signer, me = teacher.device.signing_key, device_fingerprint(teacher)
        base = snapshot_of(teacher, mine)
        team, office = team_bundle(teacher.conn, "dsl"), team_bundle(teacher.conn, "office")
        teacher_id, now = teacher.user.id, iso(teacher.clock.now())
        child = base["children"][0]
    assert team is not None and office is not None

    def fresh(payload: dict[str, Any]) -> dict[str, Any]:
        """A new record like the teacher's, with new ids."""
        out = copy.deepcopy(payload)
        rec = out["records"][0]
        rec["id"] = str(uuid.uuid4())
        for item in rec["versions"] + rec["statuses"]:
            item["id"] = str(uuid.uuid4())
        return out

    entry = fresh(base)
    entry["records"][0]["kind"] = "entry"
    triaged = copy.deepcopy(base)
    triaged["records"][0]["statuses"].append({"id": str(uuid.uuid4()), "status": "closed",
                                              "actor_id": teacher_id, "at": now, "note": None})
    reopened = copy.deepcopy(base)  # a second "new" would reopen a concern the DSL closed
    reopened["records"][0]["statuses"].append({"id": str(uuid.uuid4()), "status": "new",
                                               "actor_id": teacher_id, "at": now, "note": None})
    flagged = {**fresh(base), "flags": [{"id": str(uuid.uuid4()), "upn": UPN, "flag": "cla",
                                         "value": 1, "actor_id": teacher_id, "at": now,
                                         "note": None}]}
    referred = {**fresh(base), "referrals": [{"id": str(uuid.uuid4()), "upn": UPN}]}
    renamed = {**base, "records": [], "children": [
        {**child, "legal_surname": "Forged", "updated_at": "2030-01-01T00:00:00.000000Z"}]}
    other = copy.deepcopy(base)
    other["records"][0]["id"] = theirs
    other["records"][0]["versions"][0]["id"] = str(uuid.uuid4())
    other["records"][0]["versions"][0]["version"] = 2
    other["records"][0]["statuses"] = []
    stranger = fresh(base)
    stranger["users"].append({**base["users"][0], "id": str(uuid.uuid4()),
                              "username": "nobody-here", "display_name": "Synthetic"})
    stranger["records"][0]["created_by"] = stranger["users"][-1]["id"]
    for item in stranger["records"][0]["versions"]:
        item["author_id"] = stranger["users"][-1]["id"]
    stranger["records"][0]["statuses"] = []
    data = b"synthetic attachment for another person's record"
    chunk = {"v": 1, "type": "attachment-chunk", "users": user_rows_of(school4, teacher_id),
             "attachment": {"id": str(uuid.uuid4()), "record_id": theirs,
                            "filename": "note.txt", "media_type": "text/plain",
                            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "added_by": teacher_id, "added_at": now},
             "index": 0, "count": 1, "data": b64e(data)}
    cases = [  # (kind, payload, to, the reason every DSL PC gives)
        ("record", entry, team, "a staff PC may not send chronology entries"),
        ("record", triaged, team, "a staff PC may not send triage statuses"),
        ("record", reopened, team, "a staff PC may not send triage statuses"),
        ("record", flagged, team, "a staff PC may not send flag events"),
        ("record", referred, team, "a staff PC may not send referrals"),
        ("record", renamed, team, "a staff PC may not send roster changes"),
        ("roster", renamed, team, "a staff PC may not send a 'roster' envelope"),
        ("record", other, team, "a staff PC may not send another person's record"),
        ("attachment", chunk, team, "a staff PC may not send attachments of another "
                                    "person's record"),
        ("record", stranger, team, "an account this PC does not know yet"),
    ]
    for kind, payload, to, _ in cases:
        put_as(school4, signer, me, to, kind, payload)
    for pc in ("deputy", "dsl"):
        with school4.open(pc) as session:
            before = counts(session)
        report = school4.sync(pc)
        got = [r.detail for r in report.received if r.outcome == "refused"]
        assert len(got) == len(cases), (pc, got)
        for detail, (_, _, _, reason) in zip(got, cases, strict=True):
            assert reason in detail, (pc, detail)
        with school4.open(pc) as session:
            assert counts(session) == before, pc
            assert session.conn.execute("SELECT count(*) FROM children WHERE legal_surname = "
                                        "'Forged'").fetchone()[0] == 0
            assert [r for r in refusals(session) if "staff PC" in r or "not know" in r] == \
                [d for d in got]
            held = session.conn.execute("SELECT count(*) FROM inbox_held").fetchone()[0]
            assert held == 1  # the unknown account's: fetched again after an accounts update
    # The teacher's own concern, amended by its author, still applies.
    from app.domain.concerns import amend_concern, get_concern

    with school4.open("teacher") as teacher:
        amend_concern(teacher, mine, "detail", text="Recorded by the teacher, with more")
    school4.sync("teacher")
    school4.sync("deputy")
    with school4.open("deputy") as deputy:
        assert get_concern(deputy, mine).latest.fields.summary.endswith("with more")


def user_rows_of(school: HubSchool, user_id: str) -> list[dict[str, Any]]:
    with school.open("dsl") as dsl:
        return user_rows(dsl.conn, [user_id])


def test_an_office_pc_may_send_only_printed_marks(school4: HubSchool) -> None:
    school4.join("office", "office")
    with school4.open("teacher") as teacher:
        payload = snapshot_of(teacher, record(teacher, "Not the office's to send"))
    with school4.open("office", "office") as office:
        team = team_bundle(office.conn, "dsl")
        assert team is not None
        put_as(school4, office.device.signing_key, device_fingerprint(office), team, "record",
               payload)
        put_as(school4, office.device.signing_key, device_fingerprint(office), team,
               "attachment", {"v": 1, "type": "attachment-chunk"})
    report = school4.sync("deputy")
    assert [r.detail for r in report.received if r.outcome == "refused"] == [
        "an office PC may not send records", "an office PC may not send a 'attachment' "
        "envelope"]


def test_a_pc_from_before_lists_waits_for_the_admins_first_list(school4: HubSchool) -> None:
    """Stores provisioned before lists existed: the deputy holds no list, the admin's PC has
    never sent one. What the deputy cannot check yet is refused and kept; the admin PC's first
    sync sends every approved PC the list, and the deputy then applies what it kept."""
    school4.sync("deputy")  # nothing waiting for it: then it forgets its list
    with school4.open("deputy") as deputy, deputy.tx() as conn:
        conn.execute("DELETE FROM trusted_devices")
        conn.execute("DELETE FROM meta WHERE key IN ('devices_seq', 'admin_device')")
    with school4.main.open("admin") as admin, admin.tx() as conn:
        conn.execute("DELETE FROM meta WHERE key = 'devices_seq'")
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Recorded while the deputy had no list")
    school4.sync("teacher")
    report = school4.sync("deputy")
    assert [r.detail for r in report.received if r.outcome == "refused"] == [
        "its sender is not a PC the school's admin approved"]
    school4.sync("dsl", "admin")  # sends the list, once
    with school4.main.open("admin") as admin:
        assert admin.meta("devices_seq") == "1"
    report = school4.sync("deputy")
    assert any(r.envelope_id and r.outcome == "applied" and r.kind == "record"
               for r in report.received)
    with school4.open("deputy") as deputy:
        assert deputy.conn.execute("SELECT count(*) FROM records WHERE id = ?", (concern,)
                                   ).fetchone()[0] == 1
        assert deputy.conn.execute("SELECT count(*) FROM inbox_held").fetchone()[0] == 0
        assert deputy.meta("admin_device") == school4.fingerprints["dsl"]
