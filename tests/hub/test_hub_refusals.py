"""A forged, tampered, replayed, misaddressed or unfitting envelope is refused with a clear
reason and changes nothing; a removed device is refused from its removal on."""

from __future__ import annotations

import json
from datetime import timedelta

from app.clock import SystemClock
from app.delivery.team_keys import device_fingerprint, team_bundle
from app.hub.authorship import sign_records
from app.hub.provision import approve_device
from app.hub.replicate import Snapshot, canonical
from app.hub.sync import directory, hub_client, my_keys, receive
from app.protocol.client import FrontDoorClient, InboxItem
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyPairs
from app.store.session import Session
from tests.hub.conftest import HubSchool, enrol
from tests.hub.test_hub_sync import record

TABLES = ("records", "record_versions", "record_status", "children", "users", "inbox_applied")


def counts(session: Session) -> dict[str, int]:
    return {t: session.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def item_for(body: bytes, env_id: str, *, received: object = None) -> InboxItem:
    return InboxItem(cursor="", id=env_id, kind="record", sender="", recipient="",
                     received=received or SystemClock().now(), body=body)  # type: ignore[arg-type]


def test_forged_tampered_replayed_and_misaddressed_envelopes_change_nothing(
        school4: HubSchool) -> None:
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Went quiet when asked about home")
        snap = Snapshot(teacher.conn, teacher.user.id)
        snap.add_record(concern)
        sign_records(teacher, snap.records)  # as the teacher's own queueing does
        payload = canonical(snap.payload())
        team = team_bundle(teacher.conn, "dsl")
        teacher_fp, teacher_key = device_fingerprint(teacher), teacher.device.signing_key
    assert team is not None
    stranger = KeyPairs.generate()  # never enrolled

    def sealed(signer: object, sender: str, to: object, kind: str = "record",
               body: bytes = payload) -> tuple[bytes, str]:
        header = new_header(sender, to.fingerprint, kind)  # type: ignore[attr-defined]
        return seal(header, body, to.hpke_key(), signer), header.id  # type: ignore[arg-type,attr-defined]

    good, good_id = sealed(teacher_key, teacher_fp, team)
    tampered = bytearray(good)
    tampered[len(good) // 2] ^= 1
    forged, forged_id = sealed(stranger.signing, teacher_fp, team)
    unknown, unknown_id = sealed(stranger.signing, stranger.fingerprint, team)
    elsewhere, elsewhere_id = sealed(teacher_key, teacher_fp, KeyPairs.generate().bundle)
    wrong_kind, wrong_kind_id = sealed(teacher_key, teacher_fp, team, kind="provision")
    garbage, garbage_id = sealed(teacher_key, teacher_fp, team, body=b'{"v":1,"type":"x"}')
    orphan = json.loads(payload)
    orphan["children"] = []  # names a child it does not carry, nor does the DSL PC
    orphan["records"][0]["children"] = [{"upn": "Z999999999999", "role": "subject"}]
    no_child, no_child_id = sealed(teacher_key, teacher_fp, team, body=canonical(orphan))

    with school4.open("dsl") as dsl:
        before = counts(dsl)
        with hub_client(school4.hub.url, dsl, school4.hub.info.bundle) as client:
            senders = directory(client)
        keys = my_keys(dsl)
        cases = {
            "tampered": (bytes(tampered), good_id, "signature does not verify"),
            "forged": (forged, forged_id, "signature does not verify"),
            "unknown sender": (unknown, unknown_id, "not a PC the school's admin approved"),
            "wrong recipient": (elsewhere, elsewhere_id, "not addressed"),
            "wrong kind": (wrong_kind, wrong_kind_id, "not accepted for the dsl key"),
            "not a snapshot": (garbage, garbage_id, "not a snapshot"),
            "missing child": (no_child, no_child_id, "names a child it does not carry"),
            "id mismatch": (good, forged_id, "another id"),
        }
        for name, (body, env_id, reason) in cases.items():
            outcome = receive(dsl, item_for(body, env_id), keys, senders)
            assert outcome.outcome == "refused" and reason in outcome.detail, name
        assert counts(dsl) == before
        refused = dsl.conn.execute("SELECT count(*) FROM audit WHERE action = 'sync' AND "
                                   "detail LIKE '%refused%'").fetchone()[0]
        assert refused == len(cases)

        # The genuine one applies once; a replay of it changes nothing.
        assert receive(dsl, item_for(good, good_id), keys, senders).outcome == "applied"
        after = counts(dsl)
        assert after["records"] == before["records"] + 1
        assert receive(dsl, item_for(good, good_id), keys, senders).outcome == "already"
        assert counts(dsl) == after


def test_a_device_the_hub_removed_is_refused_from_its_removal_on(school4: HubSchool) -> None:
    laptop = KeyPairs.generate()
    client = FrontDoorClient(school4.hub.url, laptop.signing, laptop.fingerprint,
                             service_bundle=school4.hub.info.bundle)
    client.request_enrolment(laptop.bundle, "Synthetic old laptop")
    enrol(school4.hub, laptop.fingerprint, "Synthetic old laptop")
    with school4.main.open("admin") as admin:  # the school's admin approved it for the DSL
        approve_device(admin, laptop.fingerprint, "dsl")
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Sent while the laptop was trusted")
        snap = Snapshot(teacher.conn, teacher.user.id)
        snap.add_record(concern)
        payload = canonical(snap.payload())
        team = team_bundle(teacher.conn, "dsl")
    assert team is not None
    header = new_header(laptop.fingerprint, team.fingerprint, "record")
    before_removal = seal(header, payload, team.hpke_key(), laptop.signing)
    client.put_envelope(before_removal)
    assert school4.hub.cli("unenrol", "--fingerprint", laptop.fingerprint) == 0
    later = new_header(laptop.fingerprint, team.fingerprint, "record")
    after_removal = seal(later, payload, team.hpke_key(), laptop.signing)

    school4.sync("dsl")  # what it sent while enrolled is part of the history
    with school4.open("dsl") as dsl:
        assert dsl.conn.execute("SELECT count(*) FROM records WHERE id = ?", (concern,)
                                ).fetchone()[0] == 1
        with hub_client(school4.hub.url, dsl, school4.hub.info.bundle) as hub:
            senders = directory(hub)
        outcome = receive(dsl, item_for(after_removal, later.id,
                                        received=SystemClock().now() + timedelta(seconds=1)),
                          my_keys(dsl), senders)
        assert outcome.outcome == "refused" and "removed" in outcome.detail
