"""The benchmark runs and reports every metric. Speed itself is never asserted here: the figures
are for people to read (bench/README.md), and a busy test machine would make any limit flaky."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import SPECS

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_prints_and_writes_every_metric(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    # The suite's keyring session is inherited; the cached store goes in this test's own
    # directory, so nothing outlives the test.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out),
                           "--work", str(tmp_path / "work")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    metrics = json.loads(out.read_text())["metrics"]
    assert set(metrics) == set(SPECS)
    for name, metric in metrics.items():
        assert {"value", "unit", "baseline", "ratio"} <= set(metric), name
        if metric["value"] is None:
            assert metric.get("skipped"), f"{name} has neither a value nor a reason"
        else:
            assert isinstance(metric["value"], int | float), name
            assert math.isfinite(metric["value"]) and metric["value"] >= 0, name
        if metric["ratio"] is not None:
            assert metric["baseline"], name

    table = proc.stdout
    for name, metric in metrics.items():
        line = next((row for row in table.splitlines() if row.startswith(name + " ")), None)
        assert line is not None, f"{name} missing from the printed table"
        assert ("skipped" in line) == (metric["value"] is None), line
    # The store figures always exist (they need nothing but the core).
    for name in ("unlock_s", "record_concern_p95_ms", "chronology_load_ms", "search_p95_ms",
                 "store_write_ratio", "store_read_ratio"):
        assert metrics[name]["value"] is not None, (name, metrics[name].get("skipped"))
        if not name.endswith("_ratio"):
            assert metrics[name]["baseline"] is not None, name
