"""The one database thread, and operations that run on it.

SQLCipher wants one connection on one thread, and the GUI thread must never wait for the store,
an Argon2id unwrap or a big search. So every core call runs on a single-worker executor that
owns the ``Session``; results come back to the GUI thread by a queued signal:

    db.op(self, lambda s: my_concerns(s)).success(self.show).failure(self.oops).run()

Results are dropped if the widget that asked has gone, or if the app locked in between (so no
child's data reaches the screen after a lock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.errors import ConcernDeskError
from app.store.session import Session

log = logging.getLogger(__name__)


class Db(QObject):
    """Owns the executor and the signed-in session (touched only on the worker thread)."""

    _finished = Signal(int, bool, object)
    idle = Signal()
    changed = Signal()  # emitted by a screen after an act that may give sync something to send
    synced = Signal()  # emitted by the window after each background sync round

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="concerndesk-db")
        self._session: Session | None = None
        self._ops: dict[int, Op] = {}
        self._next_id = 0
        self._shut = False  # after shutdown: nothing more is run
        self.generation = 0
        self.default_failure: Callable[[BaseException], None] | None = None
        self.notify: Callable[[str], None] = lambda _text: None  # the window's message bar
        self._finished.connect(self._deliver)

    # -- used on the worker thread -------------------------------------------------------------
    @property
    def session(self) -> Session:
        if self._session is None or not self._session.is_open:
            raise ConcernDeskError("The store is locked: sign in again.")
        return self._session

    def set_session(self, session: Session | None) -> None:
        self._session = session

    def has_session(self) -> bool:
        return self._session is not None and self._session.is_open

    # -- used on the GUI thread ----------------------------------------------------------------
    def op(self, parent: QObject | None, fn: Callable[[Session], Any]) -> Op:
        """An operation given the signed-in session."""
        return Op(self, parent, lambda: fn(self.session))

    def raw(self, parent: QObject | None, fn: Callable[[], Any]) -> Op:
        """An operation that needs no session (unlock, create a store, build the demo)."""
        return Op(self, parent, fn)

    @property
    def pending(self) -> int:
        return len(self._ops)

    def forget_results(self) -> None:
        """Results of operations started before now will not be delivered (used on lock)."""
        self.generation += 1

    def _submit(self, op: Op) -> None:
        if self._shut:  # the window is closing: the session is locked, nothing can run now
            log.debug("operation dropped after shutdown")
            return
        self._next_id += 1
        op_id = self._next_id
        self._ops[op_id] = op
        self._executor.submit(self._run, op_id, op.fn)

    def _run(self, op_id: int, fn: Callable[[], Any]) -> None:
        try:
            result, ok = fn(), True
        except BaseException as exc:  # delivered to the GUI thread, shown in one place
            result, ok = exc, False
        self._finished.emit(op_id, ok, result)

    def _deliver(self, op_id: int, ok: bool, result: object) -> None:
        op = self._ops.pop(op_id, None)
        try:
            if op is not None:
                op.deliver(ok, result)
        finally:
            if not self._ops:
                self.idle.emit()

    def shutdown(self) -> None:
        """Runs what is queued (a draft save, the lock), then stops the thread."""
        self._shut = True
        self._executor.shutdown(wait=True)


class Op:
    def __init__(self, db: Db, parent: QObject | None, fn: Callable[[], Any]) -> None:
        self.db = db
        self.parent = parent
        self.fn = fn
        self.generation = db.generation
        self.survives_lock = False
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, callback: Callable[[Any], None]) -> Op:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op:
        self._failure = callback
        return self

    def across_lock(self) -> Op:
        """Deliver the result even if the app locked meanwhile (lock and unlock themselves)."""
        self.survives_lock = True
        return self

    def run(self) -> None:
        self.db._submit(self)

    def deliver(self, ok: bool, result: object) -> None:
        if not self.survives_lock and self.generation != self.db.generation:
            return
        if self.parent is not None and not shiboken6.isValid(self.parent):
            return
        if ok:
            if self._success is not None:
                self._success(result)
            return
        assert isinstance(result, BaseException)
        handler = self._failure or self.db.default_failure
        if handler is not None:
            handler(result)
        else:
            log.debug("unhandled failure in an operation: %s", type(result).__name__)
