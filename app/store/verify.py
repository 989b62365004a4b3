"""``verify``: the store's pages, its database structure and the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import StoreDamaged
from app.store import directory, highwater
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
    trusted = trusted_head_keys(session.device, session.store_id)
    # The school store's trail, and the DSL team's when this session holds the DSL store.
    schemas = ("main", "dsl") if session.held.dsl_store_open else ("main",)
    chains: list[ChainReport] = []
    try:
        chains.extend(verify_chain(session.conn, trusted, session.store_id, schema)
                      for schema in schemas)
        lost = highwater.problem(session.conn, session.directory, session.data_key)
    except StoreDamaged as exc:  # the trail sits on a damaged page
        chains, lost = [ChainReport(False, 0, f"the audit trail cannot be read: {exc}")], None
    for schema, chain in zip(schemas, chains, strict=False):
        if chain.problem:
            where = "the DSL team's audit trail: " if schema == "dsl" else ""
            problems.append(where + chain.problem)
    if lost:  # committed work gone, or the trail replaced (app/store/highwater.py)
        problems.append(lost)
    if not problems:
        problems.extend(_directory_problems(session))
    warnings = [chain.warning for chain in chains if chain.warning]
    events_checked = sum(chain.events_checked for chain in chains)
    ok = not problems
    try:
        with session.tx():
            session.audit("verify", "store", session.store_id, ok=ok)
    except (StoreDamaged, DatabaseError):
        # SQLCipher refuses writes once it has met a page that fails its HMAC: the report
        # stands even though it cannot be recorded in the damaged file.
        if ok:
            raise
    return VerifyReport(ok, events_checked, problems, warnings)


def _directory_problems(session: Session) -> list[str]:
    """The signed account directory (app/store/directory.py): admin roles nobody trusted
    vouched for, and, for a DSL, roots changed since the DSL store took its copy."""
    conn, found = session.conn, []
    roots = directory.dsl_roots(conn) if session.held.dsl_store_open else {}
    if roots and roots != directory.school_roots(conn):
        found.append("the account directory's trusted signers in store.db are not the ones "
                     "the DSL store keeps: someone edited the school store outside the app")
    for username in directory.unvouched(conn, session.store_id, roots or None):
        found.append(f"the account '{username}' is marked admin in store.db, but no trusted "
                     "admin signed that: the role is not honoured")
    return found
