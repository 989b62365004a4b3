"""SECURITY.md, threat 3 (a compromised hub): "a hub cannot forge, alter or re-address an
envelope". Found while building the hub leak scenario: a receiving PC took its senders' keys
from the hub's own directory (``app.hub.sync.directory`` → ``open_envelope``), so whoever runs
the hub could enrol a key of their own and send the DSL team a well-formed, validly signed record
snapshot. Fixed: PCs trust only the devices the school's admin PC approved, from its signed list
kept in each store (``app.hub.provision``); the hub's directory adds no trust. More cases (removed
PCs, a staff PC sending DSL-only things, provisioning from another PC) in tests/hub/."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

FORGED = "Forged by the hub operator: a concern nobody at school wrote"


def test_a_key_the_school_never_approved_cannot_add_records(tmp_path: Path) -> None:
    from datetime import timedelta

    from app.clock import FakeClock
    from app.delivery.team_keys import team_bundle
    from app.domain.concerns import ConcernDraft, record_concern
    from app.domain.pupils import child_by_upn
    from app.hub.replicate import Snapshot, canonical
    from app.hub.sync import sync_hub
    from app.protocol.client import FrontDoorClient
    from app.protocol.envelope import new_header, seal
    from app.protocol.fingerprint import KeyPairs
    from tests.hub.conftest import enrol, make_school
    from tests.reliability.conftest import FrontDoorProcess

    hub = FrontDoorProcess(tmp_path / "hub-store", "school")
    try:
        school = make_school(tmp_path / "pcs", hub, FakeClock())  # type: ignore[arg-type]
        with school.open("teacher") as teacher:
            child = child_by_upn(teacher, "B801200005001").id
            real = record_concern(teacher, ConcernDraft(
                [(child, "subject")], ["neglect"], "A genuine synthetic concern",
                teacher.clock.now() - timedelta(hours=1)))
            snapshot = Snapshot(teacher.conn, teacher.user.id)
            snapshot.add_record(real.id)
            payload = snapshot.payload()
            team = team_bundle(teacher.conn, "dsl")  # public: the hub holds it (holdings)
        # The hub operator enrols a key of their own — no school admin ever approves it — and
        # sends the DSL team a record in the shape every PC sends.
        forged = copy.deepcopy(payload)
        record = forged["records"][0]
        record["id"] = str(uuid.uuid4())
        for version in record["versions"]:
            version["id"], version["summary"] = str(uuid.uuid4()), FORGED
        for status in record["statuses"]:
            status["id"] = str(uuid.uuid4())
        operator = KeyPairs.generate()
        with FrontDoorClient(hub.url, operator.signing, operator.fingerprint,
                             service_bundle=hub.info.bundle) as client:
            client.request_enrolment(operator.bundle, "Synthetic hub operator")
            enrol(hub, operator.fingerprint, "Synthetic DSL PC")  # type: ignore[arg-type]
            assert team is not None
            header = new_header(operator.fingerprint, team.fingerprint, "record")
            client.put_envelope(seal(header, canonical(forged), team.hpke_key(),
                                     operator.signing))
        for pc, user in (("deputy", "deputy"), ("dsl", "dsl")):  # every DSL PC, the admin's too
            with school.open(pc, user) as session:
                report = sync_hub(session)
                present = session.conn.execute("SELECT count(*) FROM record_versions WHERE "
                                               "summary = ?", (FORGED,)).fetchone()[0]
                refused = [r.detail for r in report.received if r.outcome == "refused"]
            assert report.waiting is None
            assert present == 0, "a record from a key the school never approved was applied"
            assert refused == ["its sender is not a PC the school's admin approved"], pc
    finally:
        hub.stop()
