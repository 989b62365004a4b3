"""The UI stays thin: no SQL, no crypto, no sqlcipher; small modules; --version without Qt."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b")
FORBIDDEN_IMPORT = re.compile(r"^\s*(from|import)\s+(sqlcipher3|cryptography)\b", re.MULTILINE)


def test_no_sql_and_no_crypto_in_the_ui() -> None:
    for path in UI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not SQL.search(text), path.name
        assert not FORBIDDEN_IMPORT.search(text), path.name
        assert len(text.splitlines()) <= 400, path.name


def test_version_prints_without_starting_qt() -> None:
    code = ("import sys; from ui.main import main; rc = main(['--version']); "
            "assert 'PySide6.QtWidgets' not in sys.modules; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=UI.parent, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ConcernDesk ")


def test_self_test_runs_the_core_checks_then_builds_the_window() -> None:
    code = "import sys; from ui.main import main; sys.exit(main(['--self-test']))"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # it must choose offscreen by itself on a headless PC
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=UI.parent, timeout=300, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "self-test passed" in lines
    assert lines[-1].startswith("ok   desktop: main window built and closed")
