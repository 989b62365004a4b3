"""Desktop-app metrics, each in a fresh subprocess (bench/ui_probe.py), Qt offscreen: start to
the sign-in screen, the chronology in the app's Qt model and view, and peak memory with the
big store open on the DSL home (and the core alone doing the same reads, for comparison)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.data import BuiltStore
from bench.report import Results, median

REPO = Path(__file__).resolve().parents[1]


def missing(*modules: str) -> str | None:
    try:
        for module in modules:
            if importlib.util.find_spec(module) is None:
                return f"not available yet ({module} is not built)"
    except ImportError as exc:  # a parent package that does not import yet
        return f"not available yet ({exc})"
    return None


def probe(mode: str, data: Path, *extra: str, timeout: float = 240.0
          ) -> tuple[dict[str, Any], float]:
    """Runs one probe; its RESULT and the wall time from launch to that line."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # stderr goes to a file, so a chatty Qt cannot fill a pipe and block the probe.
    with tempfile.TemporaryFile(mode="w+") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bench.ui_probe", mode, "--data",
                                 str(data), *extra], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=errors, text=True)
        result: dict[str, Any] | None = None
        elapsed = 0.0
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("RESULT "):
                    elapsed = time.perf_counter() - started
                    result = json.loads(line[7:])
                    break
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errors.seek(0)
        err = errors.read()[-400:]
    if result is None or "error" in result:
        raise RuntimeError((result or {}).get("error") or f"probe {mode} gave no result "
                           f"(exit {proc.returncode}): {err.strip()}")
    return result, elapsed


def measure_ui(results: Results, store: BuiltStore, *, reps: int,
               log: Callable[[str], None] = print) -> None:
    _guard(results, "app_start_s", lambda: _start(results, store, reps, log),
           missing("ui.main", "ui.app_window", "ui.signin"))
    _guard(results, "chronology_view_ms", lambda: _chronology(results, store, reps, log),
           missing("ui.chronology_model"))
    _guard(results, "peak_memory_mb", lambda: _home(results, store, log),
           missing("ui.main", "ui.app_window", "ui.workspace"))
    _guard(results, "peak_memory_core_mb", lambda: _core_memory(results, store, log), None)


def _guard(results: Results, name: str, run: Callable[[], None], reason: str | None) -> None:
    if reason:
        results.skip(name, reason)
        return
    try:
        run()
    except Exception as exc:  # the app is being built: report, never crash the benchmark
        results.skip(name, f"failed: {type(exc).__name__}: {str(exc)[:200]}")


def _start(results: Results, store: BuiltStore, reps: int, log: Callable[[str], None]) -> None:
    log("app start to sign-in (offscreen)")
    probe("start", store.path)  # warm the OS file cache
    times = [probe("start", store.path)[1] for _ in range(reps)]
    bare = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    results.set("app_start_s", median(times), note=f"median of {reps} launches, from process "
                "start to the sign-in page with its accounts listed",
                python_startup_s=median(bare))


def _chronology(results: Results, store: BuiltStore, reps: int,
                log: Callable[[str], None]) -> None:
    log("chronology in the Qt model/view")
    result, _ = probe("chronology", store.path, "--child", store.heavy_child_id,
                      "--reps", str(max(reps, 3)))
    results.set("chronology_view_ms", result["total_s"] * 1000,
                model_view_ms=result["model_view_s"] * 1000, rows=result["rows"],
                note="median; core chronology (audited) + ChronologyModel + QTableView painted")


def _home(results: Results, store: BuiltStore, log: Callable[[str], None]) -> None:
    log("peak memory: app signed in as dsl, on the home page")
    result, elapsed = probe("home", store.path)
    results.set("peak_memory_mb", result["peak_mb"], page=result["page"],
                resident_after_mb=result["rss_mb"],
                seconds_to_settle=elapsed,
                note=f"VmHWM of the app process, {store.records:,}-record store")


def _core_memory(results: Results, store: BuiltStore, log: Callable[[str], None]) -> None:
    log("peak memory: the core alone")
    result, _ = probe("core-memory", store.path, "--child", store.heavy_child_id)
    results.set("peak_memory_core_mb", result["peak_mb"], resident_after_mb=result["rss_mb"],
                note="VmHWM: unlock, inbox, 500-entry chronology, one search; no Qt")
