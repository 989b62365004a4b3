"""``verify``: the store's pages, its database structure and the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import verify_chain
from app.db import integrity_problems
from app.session import Session


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    problems: list[str]
    warnings: list[str]


def verify_store(session: Session) -> VerifyReport:
    problems = integrity_problems(session.conn)
    chain = verify_chain(session.conn, session.device.signing_public())
    if chain.problem:
        problems.append(chain.problem)
    warnings = [chain.warning] if chain.warning else []
    ok = not problems
    with session.tx():
        session.audit("verify", "store", session.store_id, ok=ok)
    return VerifyReport(ok, chain.events_checked, problems, warnings)
