"""Property: whatever a staff or office PC's payload holds, applying it within that PC's limits
(app/hub/apply.py) either succeeds or is refused with an EnvelopeError (or an SQLite error, which
hub_sync refuses as "does not fit") — never another exception — and a refused payload changes
nothing. Payloads are real ones (a concern the teacher recorded, a referral the office printed)
with one to three values anywhere in them replaced by arbitrary JSON. No hub needed: this is
apply alone, on a real store."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import sqlcipher3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import iso
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.hub.apply import apply_snapshot
from app.hub.apply_attachments import apply_attachment_chunk
from app.hub.replicate import Snapshot, user_rows
from app.protocol.envelope import EnvelopeError
from app.store.session import Session
from tests.conftest import SmallSchool

FIXTURE_OK = settings(deadline=None, max_examples=400,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
UUID = "00000000-0000-4000-8000-000000000001"
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.text(max_size=6),
                 st.sampled_from([UUID, "new", "printed", "closed", "concern", "entry",
                                  "subject", "B801200005001", "2026-03-02T09:00:00.000000Z"]))
VALUE = st.one_of(LEAF, st.lists(LEAF, max_size=2),
                  st.dictionaries(st.sampled_from(["id", "status", "upn", "role"]), LEAF,
                                  max_size=2))
# Where to put one: the values most checks look at, more often than the rest.
KEYS = ("id", "kind", "created_by", "author_id", "actor_id", "status", "upn", "role",
        "entry_kind", "record_id", "added_by", "versions", "statuses", "children")
TABLES = ("records", "record_versions", "record_status", "record_children", "children",
          "child_history", "users", "child_flag_events", "referrals", "referral_versions",
          "referral_status", "attachments", "attachment_chunks")


class _RollBack(Exception):
    """Undo a payload that applied, so every example starts from the same store."""


def counts(conn: Any) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from paths(value, (*prefix, i))


def put(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    try:
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass  # an earlier replacement removed that place
    return obj


def bases(school: SmallSchool) -> tuple[Session, dict[str, Any]]:
    """One session for all examples (an unlock per example is slow) and the real payloads."""
    cache = school.__dict__.setdefault("_fuzz", {})
    if not cache:
        from app.domain.referrals import create_referral
        from tests.frontdoor.test_school_delivery import READY

        with school.open("teacher") as teacher:
            child = child_by_upn(teacher, "B801200005001")
            concern = record_concern(teacher, ConcernDraft(
                [(child.id, "subject")], ["neglect"], "Synthetic concern for the fuzz",
                teacher.clock.now() - timedelta(hours=1))).id
            snap = Snapshot(teacher.conn, teacher.user.id)
            snap.add_record(concern)
            staff = snap.payload()
            attachment = {"id": UUID, "record_id": concern, "filename": "a.txt",
                          "media_type": "text/plain", "size": 1, "sha256": "5" * 64,
                          "added_by": teacher.user.id, "added_at": iso(teacher.clock.now())}
            chunk = {"v": 1, "type": "attachment-chunk", "attachment": attachment,
                     "users": user_rows(teacher.conn, [teacher.user.id]), "index": 0,
                     "count": 1, "data": "QQ=="}
        with school.open("dsl") as dsl:
            referral = create_referral(dsl, child.id, READY).id
            snap = Snapshot(dsl.conn, dsl.user.id)
            snap.add_referral(referral)
            office = snap.payload()
            office["referrals"][0]["statuses"].append({
                "id": "00000000-0000-4000-8000-000000000002", "status": "printed",
                "actor_id": dsl.user.id, "at": iso(dsl.clock.now()), "note": None})
        cache.update(session=school.open("dsl"), staff=staff, chunk=chunk, office=office)
    return cache["session"], cache


@FIXTURE_OK
@given(data=st.data(), which=st.sampled_from(["staff", "chunk", "office"]))
def test_a_limited_senders_payload_applies_or_is_refused_whole(
        school: SmallSchool, data: st.DataObject, which: str) -> None:
    session, base = bases(school)
    sender = "office" if which == "office" else "staff"
    payload = copy.deepcopy(base[which])
    places = list(paths(payload))[1:]
    keyed = [p for p in places if p[-1] in KEYS]
    for _ in range(data.draw(st.integers(1, 2))):
        where = data.draw(st.sampled_from(keyed) | st.sampled_from(places))
        payload = put(payload, where, data.draw(VALUE))
    payload = json.loads(json.dumps(payload))
    before = counts(session.conn)
    try:
        with session.tx():
            if which == "chunk":
                apply_attachment_chunk(session.conn, payload, "2026-03-02T09:00:00.000000Z",
                                       sender)
            else:
                apply_snapshot(session.conn, payload, sender)
            raise _RollBack
    except (_RollBack, EnvelopeError, sqlcipher3.dbapi2.Error):  # as hub_sync.receive
        pass
    assert counts(session.conn) == before
