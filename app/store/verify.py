"""``verify``: the store's pages, its database structure and the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import StoreDamaged
from app.store import highwater
from app.store.audit import ChainReport, trusted_head_keys, verify_chain
from app.store.concern_state import projection_problems
from app.store.db import DatabaseError, integrity_problems
from app.store.session import Session


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    problems: list[str]
    warnings: list[str]


def verify_store(session: Session) -> VerifyReport:
    problems = integrity_problems(session.conn)
    if not problems:  # a damaged file cannot be queried further
        problems.extend(projection_problems(session.conn))
    try:
        chain = verify_chain(session.conn, trusted_head_keys(session.device, session.store_id))
        lost = highwater.problem(session.conn, session.directory, session.data_key)
    except StoreDamaged as exc:  # the trail sits on a damaged page
        chain, lost = ChainReport(False, 0, f"the audit trail cannot be read: {exc}"), None
    if chain.problem:
        problems.append(chain.problem)
    if lost:  # committed work gone, or the trail replaced (app/store/highwater.py)
        problems.append(lost)
    warnings = [chain.warning] if chain.warning else []
    ok = not problems
    try:
        with session.tx():
            session.audit("verify", "store", session.store_id, ok=ok)
    except (StoreDamaged, DatabaseError):
        # SQLCipher refuses writes once it has met a page that fails its HMAC: the report
        # stands even though it cannot be recorded in the damaged file.
        if ok:
            raise
    return VerifyReport(ok, chain.events_checked, problems, warnings)
