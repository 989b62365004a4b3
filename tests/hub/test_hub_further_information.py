"""Further information reaches every DSL PC linked to the concern it adds to; a link to another
person's concern, or to a concern about other children, is refused and changes nothing."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from app.delivery.team_keys import device_fingerprint, team_bundle
from app.domain.chronology import chronology
from app.domain.concerns import add_further_information, inbox
from app.domain.pupils import child_by_upn
from app.store.session import Session
from tests.hub.conftest import HubSchool
from tests.hub.test_hub_sync import UPN, record
from tests.hub.test_hub_trust_list import counts, put_as, snapshot_of

OTHER_UPN = "Q801200005002"


def links(session: Session) -> list[tuple[str, str]]:
    return [tuple(r) for r in session.conn.execute(  # type: ignore[misc]
        "SELECT record_id, further_to FROM record_links ORDER BY record_id")]


def test_further_information_reaches_the_dsl_pcs_linked_to_its_concern(
        school4: HubSchool) -> None:
    with school4.open("teacher") as teacher:
        first = record(teacher, "Came in with a limp")
    school4.sync("teacher")
    school4.clock.advance(3600)
    with school4.open("teacher") as teacher:
        added = add_further_information(teacher, first, "Said it happened at home").id
    school4.sync("teacher")
    for pc in ("dsl", "deputy", "dsl"):  # the dsl PC twice: applying again changes nothing
        school4.sync(pc)
    for pc in ("dsl", "deputy"):
        with school4.open(pc) as dsl:
            assert links(dsl) == [(added, first)]
            views = {v.id: v for v in inbox(dsl)}
            assert views[added].status == "new" and views[added].further_to == first
            child = child_by_upn(dsl, UPN)
            items = {i.record_id: i for i in chronology(dsl, child.id)}
            assert items[added].further_to_recorded == views[first].recorded_at


def test_a_link_to_another_persons_or_another_childs_concern_is_refused(
        school4: HubSchool) -> None:
    with school4.open("dsl") as dsl:
        theirs = record(dsl, "Recorded by the DSL")
    with school4.open("teacher") as teacher:
        mine = record(teacher, "Recorded by the teacher")
        other_child = record(teacher, "About another child", upn=OTHER_UPN)
        added = add_further_information(teacher, mine, "More from the teacher").id
    for pc in ("dsl", "teacher", "deputy", "dsl"):
        school4.sync(pc)
    with school4.open("teacher") as teacher:
        signer, me = teacher.device.signing_key, device_fingerprint(teacher)
        base = snapshot_of(teacher, added)
        team = team_bundle(teacher.conn, "dsl")
    assert team is not None
    assert [r["id"] for r in base["records"]] == [mine, added]  # the concern goes first
    assert base["records"][1]["further_to"] == mine

    def relinked(target: str) -> dict[str, Any]:
        out = copy.deepcopy(base)
        out["records"] = out["records"][1:]
        rec = out["records"][0]
        rec["id"], rec["further_to"] = str(uuid.uuid4()), target
        for item in rec["versions"] + rec["statuses"]:
            item["id"] = str(uuid.uuid4())
        return out

    cases = [
        (relinked(theirs), "a staff PC may not send further information to another "
                           "person's concern"),
        (relinked(other_child), "further information about other children than its concern"),
        (relinked(str(uuid.uuid4())), "further information to a concern it does not carry"),
    ]
    moved = copy.deepcopy(base)  # the same record, now linked elsewhere
    moved["records"][1]["further_to"] = other_child
    cases.append((moved, "is further information to another concern here"))
    for payload, _ in cases:
        put_as(school4, signer, me, team, "record", payload)
    for pc in ("deputy", "dsl"):
        with school4.open(pc) as session:
            before, linked = counts(session), links(session)
        report = school4.sync(pc)
        got = [r.detail for r in report.received if r.outcome == "refused"]
        assert len(got) == len(cases), (pc, got)
        for detail, (_, reason) in zip(got, cases, strict=True):
            assert reason in detail, (pc, detail)
        with school4.open(pc) as session:
            assert counts(session) == before and links(session) == linked == [(added, mine)]
