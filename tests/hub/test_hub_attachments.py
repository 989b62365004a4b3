"""Attachments reach the DSL team in chunks under the hub's body limit: recorded offline, in any
order, twice, before their record, or from before the hub; a bad chunk changes nothing seen."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.clock import FakeClock, iso
from app.delivery.team_keys import device_fingerprint, team_bundle
from app.domain.attachments import MAX_BYTES, add_attachment, attachment_data, attachments
from app.hub.authorship import sign_attachment
from app.hub.replicate import canonical, user_rows
from app.hub.sync import directory, hub_client, my_keys, receive
from app.protocol.client import InboxItem
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyPairs, b64e
from app.store.session import Session
from frontdoor import keys
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import PASSPHRASE, Service, _make_service
from tests.hub.conftest import HubSchool, make_school
from tests.hub.test_hub_sync import record

LIMIT = 256 * 1024  # the hub's body limit here: a 3 MB file needs over a dozen chunks


@pytest.fixture(scope="module")
def small_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    os.environ[keys.PASSPHRASE_ENV] = PASSPHRASE
    service = _make_service(tmp_path_factory.mktemp("small-hub"), "school", None)
    service.max_body = LIMIT
    service.start()
    yield service
    service.stop()


@pytest.fixture
def school(tmp_path: Path, small_hub: Service) -> HubSchool:
    return make_school(tmp_path, small_hub, FakeClock())


def synthetic_file(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def attachment_rows(session: Session) -> list[tuple[str, str, str, int, str, bytes]]:
    return [(r[0], r[1], r[2], r[3], r[4], bytes(r[5])) for r in session.conn.execute(
        "SELECT id, record_id, filename, size, sha256, data FROM attachments ORDER BY id")]


def staged(session: Session) -> int:
    return int(session.conn.execute("SELECT count(*) FROM attachment_chunks").fetchone()[0])


def test_an_attachment_added_offline_reaches_every_dsl_pc_byte_for_byte(
        school: HubSchool, small_hub: Service) -> None:
    data = synthetic_file(3 * 1024 * 1024 + 12345, seed=1)
    small_hub.stop()  # offline: recorded, attached and queued, all in the encrypted store
    try:
        with school.open("teacher") as teacher:
            concern = record(teacher, "Brought in a letter from home")
            info = add_attachment(teacher, concern, "letter-scan.bin", data,
                                  "application/octet-stream")
            chunks = teacher.conn.execute(
                "SELECT length(envelope) FROM outbox WHERE object_type = 'attachment' AND "
                "object_id = ?", (info.id,)).fetchall()
            assert len(chunks) > 12 and all(n <= LIMIT for (n,) in chunks)
        report = school.sync("teacher")
        assert {d.outcome for d in report.sent} == {"waiting"}
    finally:
        small_hub.start(port=small_hub.port)
    school.clock.advance(60)
    report = school.sync("teacher")
    assert report.sent and {d.outcome for d in report.sent} == {"receipted"}

    for pc in ("dsl", "deputy", "dsl", "deputy"):  # twice: applying again changes nothing
        school.sync(pc)
    held = {}
    for pc in ("dsl", "deputy"):
        with school.open(pc) as dsl:
            [listed] = attachments(dsl, concern)
            assert (listed.id, listed.filename, listed.size) == (info.id, "letter-scan.bin",
                                                                 len(data))
            assert attachment_data(dsl, info.id) == data
            held[pc] = attachment_rows(dsl)
            assert staged(dsl) == 0
    assert held["dsl"] == held["deputy"]
    assert held["dsl"][0][4] == hashlib.sha256(data).hexdigest()

    school.sync("teacher2")  # another teacher's PC never holds it
    with school.open("teacher2") as other:
        assert attachment_rows(other) == [] and staged(other) == 0
    with school.open("teacher") as teacher:
        assert [r[0] for r in attachment_rows(teacher)] == [info.id]

    school.join("dsl2", "dsl")  # a DSL PC added later gets it from the hub's history
    school.sync("dsl2", "deputy")
    with school.open("dsl2", "deputy") as late:
        assert attachment_rows(late) == held["dsl"]
        assert attachment_data(late, info.id) == data


def teacher_items(school: HubSchool, pc: str, sender: str) -> list[InboxItem]:
    """Everything the hub lists for this DSL PC from one sender, in the hub's order."""
    with school.open(pc) as dsl, hub_client(school.hub.url, dsl, school.hub.info.bundle) as hub:
        items, cursor = [], None
        while batch := hub.inbox(after=cursor, limit=100):
            items += [i for i in batch if i.sender == sender]
            cursor = batch[-1].cursor
    return items


def test_chunks_apply_in_any_order_twice_and_before_their_record(school: HubSchool) -> None:
    data = synthetic_file(700 * 1024, seed=2)
    with school.open("teacher") as teacher:
        concern = record(teacher, "Drew a picture of home")
        info = add_attachment(teacher, concern, "drawing.png", data)
        sender = device_fingerprint(teacher)
    school.sync("teacher")
    items = teacher_items(school, "dsl", sender)
    [record_item] = [i for i in items if i.kind == "record"]
    chunks = [i for i in items if i.kind == "attachment"]
    assert len(chunks) >= 3
    random.Random(3).shuffle(chunks)

    with school.open("dsl") as dsl:
        with hub_client(school.hub.url, dsl, school.hub.info.bundle) as hub:
            senders = directory(hub)
        mine = my_keys(dsl)
        for item in [*chunks, chunks[0]]:  # the record last; one chunk twice
            outcome = receive(dsl, item, mine, senders)
            assert outcome.outcome in {"applied", "already"}, outcome.detail
        assert attachment_rows(dsl) == []  # whole, checked, but its record is not here
        assert staged(dsl) == len(chunks)
        assert receive(dsl, record_item, mine, senders).outcome == "applied"
        [row] = attachment_rows(dsl)
        assert row[:2] == (info.id, concern) and row[5] == data
        assert staged(dsl) == 0
        for item in [record_item, *chunks]:
            assert receive(dsl, item, mine, senders).outcome == "already"
        assert attachment_rows(dsl) == [row]
    school.sync("dsl")  # the normal way after: nothing more, nothing doubled
    with school.open("dsl") as dsl:
        assert attachment_rows(dsl) == [row]


def chunk_payload(meta: dict[str, Any], index: int, count: int, data: bytes,
                  users: list[dict[str, Any]]) -> dict[str, Any]:
    return {"v": 1, "type": "attachment-chunk", "users": users, "attachment": meta,
            "index": index, "count": count, "data": b64e(data)}


def test_bad_chunks_are_refused_with_a_reason_and_nothing_half_made_shows(
        school: HubSchool) -> None:
    with school.open("teacher") as teacher:
        concern = record(teacher, "Said a stranger spoke to her")
        users = user_rows(teacher.conn, [teacher.user.id])
        team = team_bundle(teacher.conn, "dsl")
        fp, key = device_fingerprint(teacher), teacher.device.signing_key
        now = iso(teacher.clock.now())
    assert team is not None
    school.sync("teacher")
    school.sync("dsl")
    stranger = KeyPairs.generate()

    def sealed(payload: dict[str, Any], signer: Any = key) -> tuple[bytes, str]:
        sign_attachment(teacher, payload)  # as its author's queueing does (authorship.py)
        header = new_header(fp, team.fingerprint, "attachment")
        return seal(header, canonical(payload), team.hpke_key(), signer), header.id

    def meta(data: bytes, **changes: Any) -> dict[str, Any]:
        base = {"id": changes.pop("id"), "record_id": concern, "filename": "note.txt",
                "media_type": "text/plain", "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "added_by": users[0]["id"],
                "added_at": now}
        return {**base, **changes}

    good, bad = b"A" * 5000, b"B" * 5000
    a1, a2, a3, a4 = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 5))
    fine = meta(good, id=a2)
    wrong_hash = meta(good, id=a1, sha256=hashlib.sha256(bad).hexdigest())
    tampered, tampered_id = sealed(chunk_payload(fine, 0, 1, good, users))
    tampered = tampered[:len(tampered) // 2] + bytes([tampered[len(tampered) // 2] ^ 1]) + \
        tampered[len(tampered) // 2 + 1:]
    cases = [  # (envelope, what the refusal says)
        (sealed(chunk_payload(wrong_hash, 1, 2, good[2500:], users)), "sha256"),
        (sealed(chunk_payload(meta(good, id=a3, size=MAX_BYTES + 1), 0, 1, good, users)),
         "too large"),
        (sealed(chunk_payload(meta(good[:100], id=a3), 0, 2, good[:200], users)),
         "more than the file's size"),
        (sealed(chunk_payload({**wrong_hash, "filename": "other.txt"}, 1, 2, good[2500:],
                              users)), "metadata differs"),
        (sealed(chunk_payload(wrong_hash, 0, 2, bad[:2500], users)), "another copy"),
        (sealed(chunk_payload(fine, 0, 1, good, users), signer=stranger.signing),
         "signature does not verify"),
        ((tampered, tampered_id), "signature does not verify"),
        (sealed(chunk_payload(meta(good, id=a4, record_id="not-a-uuid"), 0, 1, good, users)),
         "lower-case UUID"),
    ]
    with school.open("dsl") as dsl:
        with hub_client(school.hub.url, dsl, school.hub.info.bundle) as hub:
            senders = directory(hub)
        mine = my_keys(dsl)

        def apply(envelope: tuple[bytes, str]) -> str:
            item = InboxItem("", envelope[1], "attachment", fp, team.fingerprint,
                             school.clock.now(), envelope[0])
            outcome = receive(dsl, item, mine, senders)
            return outcome.outcome if outcome.outcome != "refused" else outcome.detail

        assert apply(sealed(chunk_payload(fine, 0, 1, good, users))) == "applied"
        assert apply(sealed(chunk_payload(wrong_hash, 0, 2, good[:2500], users))) == "applied"
        before = (attachment_rows(dsl), staged(dsl))
        assert [r[0] for r in before[0]] == [a2] and before[1] == 1
        for envelope, reason in cases:
            assert reason in apply(envelope)
        assert (attachment_rows(dsl), staged(dsl)) == before  # half of a1 stays out of sight
        assert [a.id for a in attachments(dsl, concern)] == [a2]
        refused = dsl.conn.execute("SELECT count(*) FROM audit WHERE action = 'sync' AND "
                                   "detail LIKE '%refused%'").fetchone()[0]
        assert refused >= len(cases)


def test_an_attachment_from_before_the_hub_reaches_dsl_pcs_in_the_backfill(
        tmp_path: Path, small_hub: Service) -> None:
    data = synthetic_file(600 * 1024, seed=4)
    made: dict[str, str] = {}

    def before_hub(main: SmallSchool) -> None:
        with main.open("dsl") as dsl:
            made["concern"] = record(dsl, "Recorded before the school had a hub")
            made["attachment"] = add_attachment(dsl, made["concern"], "photo.jpg", data).id

    # ``hub set`` learns the hub's limit before it queues the backfill: the chunks fit from the
    # first, nothing needs splitting again (make_school checks they were all receipted).
    school = make_school(tmp_path, small_hub, FakeClock(), before_hub=before_hub)
    with school.open("dsl") as dsl:
        assert dsl.conn.execute("SELECT count(*) FROM audit WHERE action = 'sync' AND "
                                "object_type = 'attachment'").fetchone()[0] == 0
        assert dsl.conn.execute("SELECT count(*) FROM outbox WHERE object_type = 'attachment'"
                                ).fetchone()[0] > 1
        assert dsl.conn.execute("SELECT max(length(envelope)) FROM outbox WHERE object_type = "
                                "'attachment'").fetchone()[0] <= LIMIT
    school.sync("deputy")
    with school.open("deputy") as deputy:
        [row] = attachment_rows(deputy)
        assert row[:3] == (made["attachment"], made["concern"], "photo.jpg")
        assert row[5] == data


def test_chunks_queued_for_a_larger_limit_are_split_again_when_the_hub_lowers_it(
        school: HubSchool, small_hub: Service) -> None:
    data = synthetic_file(500 * 1024, seed=5)
    with school.open("teacher") as teacher:
        concern = record(teacher, "Asked to keep a secret")
        info = add_attachment(teacher, concern, "message.txt", data)
    lower = 96 * 1024
    small_hub.stop()
    small_hub.max_body = lower
    try:
        small_hub.start(port=small_hub.port)
        report = school.sync("teacher")
        assert report.waiting is None
        assert report.sent and {d.outcome for d in report.sent} == {"receipted"}
        with school.open("teacher") as teacher:
            sizes = [n for (n,) in teacher.conn.execute(
                "SELECT length(envelope) FROM outbox WHERE object_id = ?", (info.id,))]
            assert len(sizes) > 5 and max(sizes) <= lower
            assert teacher.meta("hub_max_body") == str(lower)
        school.sync("dsl")
        with school.open("dsl") as dsl:
            assert attachment_data(dsl, info.id) == data
    finally:
        small_hub.stop()
        small_hub.max_body = LIMIT
        small_hub.start(port=small_hub.port)


def test_a_split_missing_a_chunk_for_thirty_days_is_dropped(school: HubSchool) -> None:
    from datetime import timedelta

    from app.store.audit import events

    def staged_for(session: Session, record_id: str) -> int:
        return int(session.conn.execute("SELECT count(*) FROM attachment_chunks WHERE "
                                        "record_id = ?", (record_id,)).fetchone()[0])

    # Two syncs, so every chunk of the first file is at the hub before any of the second's
    # (one outbox drain uploads in parallel, and the hub keeps arrival order).
    with school.open("teacher") as teacher:
        whole = record(teacher, "Brought in a letter from home")
        add_attachment(teacher, whole, "letter.jpg", synthetic_file(600 * 1024, seed=6))
        sender = device_fingerprint(teacher)
    school.sync("teacher")
    with school.open("teacher") as teacher:
        partial = record(teacher, "Showed a message on a phone")
        add_attachment(teacher, partial, "message.png", synthetic_file(600 * 1024, seed=7))
    school.sync("teacher")
    with school.open("dsl") as dsl:
        with hub_client(school.hub.url, dsl, school.hub.info.bundle) as hub:
            senders = directory(hub)
        mine = my_keys(dsl)
        lost = None
        for item in teacher_items(school, "dsl", sender):  # in the hub's order
            if item.kind == "attachment" and lost is None and \
                    staged_for(dsl, partial) == 0 and [r[1] for r in attachment_rows(dsl)]:
                lost = item  # the second file's first chunk never arrives (as if refused)
                continue
            assert receive(dsl, item, mine, senders).outcome == "applied"
        assert [r[1] for r in attachment_rows(dsl)] == [whole] and staged_for(dsl, partial) > 0
    school.clock.advance(timedelta(days=29).total_seconds())
    school.sync("dsl")
    with school.open("dsl") as dsl:
        assert staged_for(dsl, partial) > 0  # 29 days: it may still come
    school.clock.advance(timedelta(days=2).total_seconds())
    school.sync("dsl")
    with school.open("dsl") as dsl:
        assert staged_for(dsl, partial) == 0
        [purge] = [e for e in events(dsl.conn) if e.object_type == "attachment-chunks"]
        assert purge.detail["purged"] > 0
        assert [r[1] for r in attachment_rows(dsl)] == [whole]


def test_another_account_syncing_a_keyed_staff_pc_leaves_the_authors_chunks(
        school: HubSchool, small_hub: Service) -> None:
    """A staff PC's store is keyed (docs/keys.md): teacher2's session cannot see teacher's
    file, so it must neither drop its oversized chunks nor split them; teacher's next sync
    does, and the file arrives whole."""
    data = synthetic_file(300 * 1024, seed=6)
    with school.open("teacher") as teacher:
        concern = record(teacher, "Showed me a message on her phone")
        info = add_attachment(teacher, concern, "message.txt", data)
    lower = 96 * 1024
    small_hub.stop()
    small_hub.max_body = lower
    try:
        small_hub.start(port=small_hub.port)
        school.sync("teacher", "teacher2")
        with school.open("teacher", "teacher2") as teacher2:
            assert teacher2.conn.execute("SELECT count(*) FROM outbox WHERE object_id = ? AND "
                                         "state != 'receipted'", (info.id,)).fetchone()[0] > 0
        report = school.sync("teacher")
        assert report.waiting is None
        school.sync("dsl")
        with school.open("dsl") as dsl:
            assert attachment_data(dsl, info.id) == data
    finally:
        small_hub.stop()
        small_hub.max_body = LIMIT
        small_hub.start(port=small_hub.port)
