"""Capturing the SQL the core runs, to replay the very same statements on other engines.

The baselines must do "the same SQL": rather than rewrite the core's queries by hand, a
``Recorder`` sits between a ``Session`` and its connection and notes every (statement,
parameters) pair of one operation. Replaying those on the plain-SQLite twin (or an encrypted
copy) gives the engine's cost for exactly what the core asked of it, without the core's Python.
Both copies start from the same file, and operations are replayed in the order they ran, so
every insert lands on the same state and no id collides.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from app.store.session import Session

Statement = tuple[str, tuple[Any, ...]]
Op = list[Statement]

_WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Recorder:
    """A connection stand-in that records each statement of the current operation."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._current: Op | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._current is not None:
            self._current.append((sql, tuple(params)))
        return self._conn.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.in_transaction)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    @contextmanager
    def op(self, into: list[Op]) -> Iterator[None]:
        """Records the statements run inside the block as one operation appended to ``into``."""
        self._current = []
        try:
            yield
        finally:
            into.append(self._current)
            self._current = None


def traced(session: Session) -> tuple[Session, Recorder]:
    """The same user over the same connection, with every statement recorded."""
    recorder = Recorder(session.conn)
    clone = Session(session.directory, session.store_id, recorder,  # type: ignore[arg-type]
                    session.device, session.data_key, session.clock, session.user,
                    session.held)
    return clone, recorder


def run_op(conn: Any, op: Op) -> float:
    """Runs one captured operation (fetching every row, as the core does); seconds taken."""
    started = time.perf_counter()
    for sql, params in op:
        conn.execute(sql, params).fetchall()
    return time.perf_counter() - started


def reads_only(op: Op) -> Op:
    return [(sql, p) for sql, p in op if not sql.lstrip().upper().startswith(_WRITES)]


def writes_in_one_transaction(ops: list[Op]) -> Op:
    """The statements of many operations with their own BEGIN/COMMIT taken out (savepoints
    stay), to run inside one transaction: the engine's write cost without a commit each."""
    merged: Op = []
    for op in ops:
        merged.extend((sql, p) for sql, p in op
                      if sql.strip().upper() not in ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"))
    return merged
