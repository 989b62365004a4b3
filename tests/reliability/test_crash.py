"""Promise 2: a committed concern survives a crash. The CI-sized run of scripts/crash_harness.py
(SIGKILL at random points, including during migrations and the login audit append), plus a
crash while ``init`` is making a store."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from tests.reliability.conftest import REPO, run_cli

PASS = "correct horse battery staple"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_harness",
                                                  REPO / "scripts" / "crash_harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_harness"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_sigkill_while_recording_loses_nothing_that_was_reported_saved(tmp_path: Path) -> None:
    harness = _harness()
    result = harness.run_harness(10, tmp_path, seed=2026)
    assert result.problems == [], result.summary()
    assert result.rounds == 10 and sum(result.kills.values()) == 10
    # A third of the kills wait for reported saves, so saves happen whatever the machine's load.
    assert result.concerns > 0, result.summary()


def _kill_init_when(data: Path, ready: callable, env_pass: str = PASS) -> None:  # type: ignore[valid-type]
    """Starts ``init`` and SIGKILLs it the moment ``ready()`` holds."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCERNDESK_")}
    env["CONCERNDESK_PASSPHRASE"] = env_pass
    proc = subprocess.Popen([sys.executable, "-m", "app.cli.main", "init", "--data", str(data),
                             "--school", "Harness Primary", "--admin", "head"], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    try:
        while proc.poll() is None and not ready():
            time.sleep(0.0005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_crash_during_init_can_be_retried(tmp_path: Path) -> None:
    data = tmp_path / "store"

    def half_made() -> bool:  # the store file exists, its key file not yet
        return any(p.name == "store.db" for p in tmp_path.glob(".concerndesk-init-*/*"))

    _kill_init_when(data, half_made)
    assert not data.exists()  # nothing half-made where the store belongs
    again = run_cli("init", "--data", str(data), "--school", "Harness Primary", "--admin",
                    "head", passphrase=PASS)
    assert again.returncode == 0, again.stderr
    assert run_cli("verify", "--data", str(data), passphrase=PASS).returncode == 0
