"""Run in a subprocess by bench/metrics_ui.py: the desktop app (or the core alone) on a store,
printing one ``RESULT <json>`` line. Each mode is its own process, so start-up time and peak
memory are those of a fresh app.

    python -m bench.ui_probe start --data DIR          app start to the sign-in screen
    python -m bench.ui_probe home --data DIR            sign in as dsl; peak memory on the home
    python -m bench.ui_probe chronology --data DIR --child ID
    python -m bench.ui_probe core-memory --data DIR --child ID
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

PASSPHRASE = "synthetic benchmark passphrase 2026"  # bench.data.PASSPHRASE, without its imports
TIMEOUT_S = 180.0


def peak_rss_mb() -> float:
    """VmHWM: the most resident memory this process ever had."""
    return _status_mb("VmHWM:")


def rss_mb() -> float:
    """VmRSS: resident memory now."""
    return _status_mb("VmRSS:")


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**result: Any) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def _run_app(data: Path, on_tick: Any) -> int:
    """ui.main.main() as the user starts it, with ``on_tick(window)`` polled every 5 ms from
    inside the event loop; ``on_tick`` returns True when done."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import main as ui_main

    original_exec = QApplication.exec
    started = time.monotonic()

    def exec_with_probe(app: Any) -> int:
        timer = QTimer()

        def tick() -> None:
            window = next((w for w in QApplication.topLevelWidgets()
                           if type(w).__name__ == "MainWindow"), None)
            try:
                done = window is not None and on_tick(window)
            except Exception as exc:  # the app changed under us: say what, and stop
                emit(error=f"{type(exc).__name__}: {exc}")
                timer.stop()
                app.quit()
                return
            if done:
                timer.stop()
                window.close()
                app.quit()
            elif time.monotonic() - started > TIMEOUT_S:
                emit(error="timed out")
                app.quit()

        timer.timeout.connect(tick)
        timer.start(5)
        return original_exec()

    QApplication.exec = exec_with_probe  # type: ignore[method-assign]
    return int(ui_main.main(["--data", str(data)]))


def start(data: Path) -> None:
    def ready(window: Any) -> bool:
        signin = window.signin
        if window.pages.currentWidget() is signin and signin.account.count() > 0:
            emit(ready_after_loop_s=time.monotonic() - _T0)
            return True
        return False

    _run_app(data, ready)


def home(data: Path) -> None:
    state: dict[str, Any] = {"submitted": False, "quiet_since": None}

    def step(window: Any) -> bool:
        signin = window.signin
        if not state["submitted"]:
            if window.pages.currentWidget() is signin and signin.account.count() > 0:
                signin.account.setCurrentText("dsl")
                signin.passphrase.setText(PASSPHRASE)
                signin.submit()
                state["submitted"] = True
            return False
        if window.workspace is None:
            return False
        # The home is ready when no background work has been pending for half a second.
        pending = window.db.pending
        if pending() if callable(pending) else pending:
            state["quiet_since"] = None
            return False
        now = time.monotonic()
        state["quiet_since"] = state["quiet_since"] or now
        if now - state["quiet_since"] < 0.5:
            return False
        page = window.workspace.stack.currentWidget()
        emit(peak_mb=peak_rss_mb(), rss_mb=rss_mb(), page=type(page).__name__,
             seconds=time.monotonic() - _T0)
        return True

    _run_app(data, step)


def chronology_view(data: Path, child_id: str, reps: int) -> None:
    """The core's chronology into the app's model and a shown table view, painted."""
    from PySide6.QtWidgets import QApplication, QTableView

    from app.domain.chronology import chronology
    from app.store.access import unlock
    from ui.chronology_model import ChronologyModel

    app = QApplication.instance() or QApplication([])
    session = unlock(data, "dsl", PASSPHRASE)
    view = QTableView()
    view.resize(1200, 800)
    view.show()
    totals, model_only = [], []
    for _ in range(reps + 1):
        started = time.perf_counter()
        items = chronology(session, child_id)
        loaded = time.perf_counter()
        model = ChronologyModel(view)
        model.set_items(items)
        view.setModel(model)
        view.viewport().repaint()
        app.processEvents()
        done = time.perf_counter()
        totals.append(done - started)
        model_only.append(done - loaded)
    session.close()
    emit(rows=len(items), total_s=sorted(totals[1:])[len(totals[1:]) // 2],
         model_view_s=sorted(model_only[1:])[len(model_only[1:]) // 2])


def core_memory(data: Path, child_id: str) -> None:
    """The core alone doing what the DSL home does, for comparison with the app's figure."""
    from app.domain.chronology import chronology
    from app.domain.concerns import inbox
    from app.domain.search import search
    from app.store.access import unlock

    session = unlock(data, "dsl", PASSPHRASE)
    inbox(session)
    chronology(session, child_id)
    search(session, "home")
    session.close()
    emit(peak_mb=peak_rss_mb(), rss_mb=rss_mb())


_T0 = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start", "home", "chronology", "core-memory"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--child")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.mode == "start":
        start(args.data)
    elif args.mode == "home":
        home(args.data)
    elif args.mode == "chronology":
        chronology_view(args.data, args.child, args.reps)
    else:
        core_memory(args.data, args.child)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
