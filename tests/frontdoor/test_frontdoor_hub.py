"""School mode: the hub relays envelopes between a school's devices by recipient key."""

from __future__ import annotations

import httpx
import pytest

from app.protocol.client import NotEnrolled, Refused
from app.protocol.envelope import new_header, open_payload, parse, seal, verify_signature
from app.protocol.fingerprint import KeyPairs


def sealed(sender: KeyPairs, recipient: KeyPairs, kind: str, payload: bytes) -> bytes:
    header = new_header(sender.fingerprint, recipient.fingerprint, kind)
    return seal(header, payload, recipient.hpke.public_key(), sender.signing)


def test_relay_by_recipient_key_in_stable_order(hub_service) -> None:
    teacher, teacher_client = hub_service.enrolled_device("Synthetic staff PC")
    dsl_pc, dsl_client = hub_service.enrolled_device("Synthetic DSL PC")
    _, office_client = hub_service.enrolled_device("Synthetic office PC")
    dsl_team = KeyPairs.generate()  # held by DSL machines, never by the hub
    dsl_client.register_holding(dsl_team.bundle, dsl_team.signing)

    sent = [sealed(teacher, dsl_team, "concern", f"concern {i}".encode()) for i in range(3)]
    sent.append(sealed(teacher, dsl_pc, "record", b"direct to one device"))
    for env in sent:
        teacher_client.put_envelope(env)
    teacher_client.put_envelope(sent[0])  # a retry changes nothing

    items = dsl_client.inbox()
    assert [i.id for i in items] == [parse(e).id for e in sent]
    assert [i.body for i in items] == sent
    first = parse(items[0].body)
    verify_signature(first, teacher.bundle.signing_key())
    assert open_payload(first, dsl_team.hpke) == b"concern 0"

    # Paging: the cursor is opaque and the order stable.
    page, seen = None, []
    while batch := dsl_client.inbox(after=page, limit=1):
        seen += [i.id for i in batch]
        page = batch[-1].cursor
    assert seen == [i.id for i in items]
    assert dsl_client.inbox(after=items[-1].cursor) == []

    assert dsl_client.fetch(items[1].id) == sent[1]
    assert teacher_client.fetch(items[1].id) == sent[1]  # its sender may read it back
    with pytest.raises(Refused) as refused:
        office_client.fetch(items[1].id)
    assert refused.value.status == 404
    assert office_client.inbox() == []  # not the office's keys
    assert teacher_client.inbox() == []


def test_removed_and_unknown_devices_are_refused(hub_service) -> None:
    device, client = hub_service.enrolled_device("Synthetic laptop")
    assert client.inbox() == []
    assert hub_service.cli("enrol", "--remove", "--fingerprint", device.fingerprint) == 0
    with pytest.raises(NotEnrolled):
        client.inbox()
    stranger = KeyPairs.generate()
    from app.protocol.client import FrontDoorClient

    with pytest.raises(NotEnrolled):
        FrontDoorClient(hub_service.url, stranger.signing, stranger.fingerprint,
                        service_bundle=hub_service.info.bundle).inbox()


def test_holding_needs_the_held_private_key(hub_service) -> None:
    _, client = hub_service.enrolled_device("Synthetic staff PC 2")
    team, other = KeyPairs.generate(), KeyPairs.generate()
    with pytest.raises(Refused) as refused:
        client.register_holding(team.bundle, other.signing)
    assert refused.value.status == 400


def test_directory_lets_a_device_check_senders(hub_service, la_service) -> None:
    device, client = hub_service.enrolled_device("Synthetic directory PC")
    gone, _ = hub_service.enrolled_device("Synthetic old laptop")
    assert hub_service.cli("unenrol", "--fingerprint", gone.fingerprint) == 0
    entries = {e.fingerprint: e for e in client.directory()}
    assert entries[device.fingerprint].bundle == device.bundle
    assert entries[device.fingerprint].name == "Synthetic directory PC"
    assert entries[gone.fingerprint].status == "removed"
    school, school_client = la_service.enrolled_device()
    # An LA front door lists the schools it enrolled, names and public keys only, so one
    # school can seal a CP file to another (issue #19, tests/frontdoor/test_cp_transfer.py).
    listed = {e.fingerprint: e for e in school_client.directory()}
    assert listed[school.fingerprint].bundle == school.bundle
    assert listed[school.fingerprint].team_keys == ()  # none proved held yet


def test_bad_cursor_is_refused(hub_service) -> None:
    _, client = hub_service.enrolled_device("Synthetic staff PC 3")
    with pytest.raises(Refused) as refused:
        client.inbox(after="not-a-cursor")
    assert refused.value.code == "bad-cursor"


def test_hub_holds_no_key_to_read(hub_service, capsys) -> None:
    assert hub_service.cli("inbox", "list") == 2
    assert "no key" in capsys.readouterr().err
    assert httpx.get(hub_service.url + "/v1/service-key").json()["mode"] == "school"
