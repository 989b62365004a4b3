"""Background sync: deliver what is due to the LA front door (and sync with the school hub)
on a thread of its own, so the network never blocks the GUI nor the one DB thread.

The worker owns a second connection to the store (``Session.clone()``, made on the DB thread
at sign-in) and uses it only on its own ``QThread``. Locking stops the timer and asks the worker
to close that connection and drop its key; a delivery already on the wire finishes first (its
HTTP timeout bounds the wait) and its result is ignored. Problems go to the status bar as text,
never as a pop-up every minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from app.delivery.status import SyncSummary, summary
from app.errors import ConcernDeskError, StoreRekeyed
from app.hub.sync import sync_round
from app.store.session import Session
from ui.errors import message_for
from ui.ops import Db

log = logging.getLogger(__name__)

INTERVAL_MS = 60_000
REKEYED = "rekeyed"  # a round's result: this thread's connection holds the school store's old key


@dataclass(frozen=True)
class SyncResult:
    summary: SyncSummary
    problem: str | None  # why this round could not finish, in words for the status bar


def sync_once(session: Session, *, everything: bool = False) -> SyncResult:
    """One round: the front door gets its own envelopes (only those due, unless the user asked
    for everything, which retries refused ones too), then the hub its own."""
    problem = sync_round(session, due_only=not everything).waiting
    after = summary(session)
    return SyncResult(after, problem or (after.last_error if after.queued or after.failed
                                         else None))


class _Worker(QObject):
    """Lives on the sync thread; every slot runs there."""

    done = Signal(int, object)  # round number, SyncResult or an error message

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None

    @Slot(object)
    def take(self, session: Session) -> None:
        self.session = session

    @Slot(int, bool)
    def run(self, round_no: int, everything: bool) -> None:
        if self.session is None or not self.session.is_open:
            return
        try:
            result: Any = sync_once(self.session, everything=everything)
        except StoreRekeyed:  # an account was removed meanwhile: a new clone is needed
            result = REKEYED
        except Exception as exc:  # shown in the status bar, never raised into Qt
            result = message_for(exc) if isinstance(exc, ConcernDeskError) else \
                "sync stopped by an unexpected problem"
            log.debug("sync round failed: %s", type(exc).__name__)
        self.done.emit(round_no, result)

    @Slot()
    def close(self) -> None:
        if self.session is not None:
            self.session.close()  # the connection and the key go with it
            self.session = None


class BackgroundSync(QObject):
    """Started at sign-in, stopped at lock; reports each round with ``finished``."""

    finished = Signal(object)  # SyncResult, or a str saying what went wrong
    _take = Signal(object)
    _run = Signal(int, bool)
    _close = Signal()

    def __init__(self, db: Db, interval_ms: int = INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._thread: QThread | None = None
        self.worker: _Worker | None = None
        self.busy = False
        self._round = 0
        self._epoch = 0
        self._recloned = False  # one new clone per re-key, never a loop
        self._again: bool | None = None  # a round asked for while one runs (and its kind)
        self._ending: list[tuple[QThread, _Worker]] = []  # kept alive until they have ended
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.sync_now(everything=False))

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self) -> None:
        """Clones the session on the DB thread, then hands it to a new sync thread."""
        self.stop()
        epoch = self._epoch
        self.db.op(self, lambda s: s.clone()).across_lock() \
            .success(lambda session: self._started(epoch, session)) \
            .failure(lambda e: log.debug("no sync session: %s", type(e).__name__)).run()

    def _started(self, epoch: int, session: Session) -> None:
        if epoch != self._epoch:  # locked while the clone was being made: close it at once
            self.db.raw(None, session.close).across_lock().run()
            return
        thread, worker = QThread(), _Worker()
        thread.setObjectName("concerndesk-sync")
        worker.moveToThread(thread)
        self._take.connect(worker.take)
        self._run.connect(worker.run)
        self._close.connect(worker.close)
        # A backstop: the connection is closed on the sync thread as it ends, whatever the
        # state of its event loop when asked to quit.
        thread.finished.connect(worker.close, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._prune)  # queued: on the GUI thread
        worker.done.connect(self._done)
        thread.start()
        self._thread, self.worker = thread, worker
        self._take.emit(session)
        self.timer.start()
        self.sync_now(everything=False)

    def sync_now(self, everything: bool = True) -> None:
        if self.worker is None:
            return
        if self.busy:
            self._again = bool(self._again) or everything
            return
        self.busy = True
        self._round += 1
        self._run.emit(self._round, everything)

    def _done(self, round_no: int, result: object) -> None:
        if round_no != self._round or self.worker is None:
            return  # a round from before a lock
        self.busy = False
        if result is REKEYED and not self._recloned:
            # The DB thread's session re-keyed the school store (a removal, a reset): clone
            # it again, on the new key, and run the round once more.
            self._recloned = True
            self.start()
            return
        self._recloned = False
        self.finished.emit("sign in again: the school store's key was changed"
                           if result is REKEYED else result)
        if self._again is not None:
            everything, self._again = self._again, None
            self.sync_now(everything=everything)

    def stop(self) -> None:
        """Stops the timer; the worker closes its connection (after any round on the wire)."""
        self._epoch += 1
        self._round += 1
        self.timer.stop()
        self.busy, self._again = False, None
        thread, worker = self._thread, self.worker
        self._thread = self.worker = None
        if thread is None or worker is None:
            return
        self._close.emit()  # queued after any round in progress
        for signal, slot in ((self._take, worker.take), (self._run, worker.run),
                             (self._close, worker.close)):
            signal.disconnect(slot)
        worker.done.disconnect(self._done)
        self._ending.append((thread, worker))
        thread.quit()

    def _prune(self) -> None:
        """Drops threads that have ended (one still finishing is dropped next time)."""
        self._ending = [(t, w) for t, w in self._ending if not t.isFinished()]

    def wait(self, ms: int = 30_000) -> bool:
        """Waits for stopped threads to end (on quitting the app)."""
        return all(thread.wait(ms) for thread, _worker in list(self._ending))
