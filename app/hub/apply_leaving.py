"""A child's leaving and CP-file transfers from another DSL PC (issue #19), applied as a union,
insert-if-absent by id, so every DSL PC shows the same leaver's card and transfer status.

Each row is checked against the values the domain itself allows (app/domain/leavers.py,
app/transfer/model.py, app/transfer/retention.py). A transfer made before this PC destroyed
the child's file at review is part of that file and does not come back. The LA front door's
own rows (a file waiting for a decision, the receiving school's keys) stay on the DSL PC that
deals with the front door: they are its mailbox, not the team's record.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from app.domain.leavers import SOURCES as LEAVING_SOURCES
from app.hub.apply_checks import (
    REFUSED_DESTROYED,
    Applied,
    BadPayload,
    as_list,
    as_object,
    child_of,
    id_field,
    insert_if_absent,
    known_user,
    text_field,
    time_field,
)
from app.store.db import Connection
from app.transfer.model import ROUTES, STATUSES
from app.transfer.retention import DECISIONS


def _date(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = text_field(obj, key, where, optional=True, limit=10)
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise BadPayload(f"{where} {key} is not a date") from None
    return value


def _destroyed_after(conn: Connection, child_id: str, at: str) -> bool:
    return conn.execute("SELECT 1 FROM destroyed_items WHERE child_id = ? AND destroyed_at >= ? "
                        "LIMIT 1", (child_id, at)).fetchone() is not None


def apply_leaving(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    """One child's block: checked whole, then written (the caller's transaction)."""
    where = f"leaving {n}"
    block = as_object(raw, where)
    child_id = child_of(conn, block.get("upn"), where)
    rows: list[tuple[str, dict[str, Any]]] = []
    for i, x in enumerate(as_list(block.get("leavers"), f"{where} leavers"), start=1):
        at = f"{where} leaver {i}"
        r = as_object(x, at)
        if r.get("source") not in LEAVING_SOURCES:
            raise BadPayload(f"{at} source is not one of " + ", ".join(LEAVING_SOURCES))
        rows.append(("leavers", {
            "id": id_field(r, "id", at), "child_id": child_id,
            "left_on": _date(r, "left_on", at),
            "destination": text_field(r, "destination", at, optional=True, limit=200),
            "source": r["source"],
            "recorded_by": known_user(conn, id_field(r, "recorded_by", at), at),
            "recorded_at": time_field(r, "recorded_at", at)}))
    transfer_ids: set[str] = set()
    for i, x in enumerate(as_list(block.get("transfers"), f"{where} transfers"), start=1):
        at = f"{where} transfer {i}"
        t = as_object(x, at)
        created = time_field(t, "created_at", at)
        if _destroyed_after(conn, child_id, created):
            applied.add(REFUSED_DESTROYED)
            continue
        if t.get("direction") not in ("out", "in") or t.get("route") not in ROUTES:
            raise BadPayload(f"{at} has an unknown direction or route")
        contents = as_list(t.get("contents"), f"{at} contents")
        if not all(isinstance(c, str) and len(c) <= 40 for c in contents):
            raise BadPayload(f"{at} contents must be a list of parts")
        tid = id_field(t, "id", at)
        transfer_ids.add(tid)
        rows.append(("transfers", {
            "id": tid, "child_id": child_id, "direction": t["direction"], "route": t["route"],
            "school": text_field(t, "school", at, limit=200),
            "receipt_code_sha256": text_field(t, "receipt_code_sha256", at, optional=True,
                                              limit=64),
            "contents": json.dumps(contents),
            "created_by": known_user(conn, id_field(t, "created_by", at), at),
            "created_at": created}))
        for j, y in enumerate(as_list(t.get("steps"), f"{at} steps"), start=1):
            step_at = f"{at} step {j}"
            e = as_object(y, step_at)
            if e.get("status") not in STATUSES:
                raise BadPayload(f"{step_at} status is not one of " + ", ".join(STATUSES))
            rows.append(("transfer_events", {
                "id": id_field(e, "id", step_at), "transfer_id": tid, "status": e["status"],
                "actor_id": known_user(conn, id_field(e, "actor_id", step_at), step_at),
                "at": time_field(e, "at", step_at),
                "note": text_field(e, "note", step_at, optional=True, limit=2000)}))
    for i, x in enumerate(as_list(block.get("kept"), f"{where} kept"), start=1):
        at = f"{where} retention decision {i}"
        k = as_object(x, at)
        if k.get("decision") not in DECISIONS:
            raise BadPayload(f"{at} decision is not one of " + ", ".join(DECISIONS))
        when = time_field(k, "at", at)
        if _destroyed_after(conn, child_id, when):
            applied.add(REFUSED_DESTROYED)
            continue
        rows.append(("file_retention", {
            "id": id_field(k, "id", at), "child_id": child_id, "decision": k["decision"],
            "keep_until": _date(k, "keep_until", at),
            "reason": text_field(k, "reason", at, optional=True, limit=2000),
            "decided_by": known_user(conn, id_field(k, "decided_by", at), at), "at": when}))
    for i, x in enumerate(as_list(block.get("received"), f"{where} received"), start=1):
        at = f"{where} received entry {i}"
        r = as_object(x, at)
        record_id, tid = id_field(r, "record_id", at), id_field(r, "transfer_id", at)
        if tid not in transfer_ids:
            continue  # its transfer was refused above
        if conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone() is None:
            raise BadPayload(f"{at} marks an entry the payload does not carry")
        rows.append(("received_entries", {
            "record_id": record_id, "transfer_id": tid,
            "school": text_field(r, "school", at, limit=200),
            "author": text_field(r, "author", at, limit=200),
            "kind": text_field(r, "kind", at, limit=40),
            "recorded_at": text_field(r, "recorded_at", at, optional=True, limit=40)}))
    for table, row in rows:
        applied.add(table.replace("_", " "), insert_if_absent(conn, table, row))
