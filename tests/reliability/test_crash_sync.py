"""Promise 2 across the wire: the CI-sized run of scripts/crash_sync_harness.py. A DSL PC is
SIGKILLed while it pulls and applies envelopes from a real school hub process, a teacher PC
while it uploads to the hub or stores the hub's receipt, and a DSL PC while it sends referral
packs to a real LA front door or stores their receipts; after every kill the store opens and
verifies, a sync completes, the DSL PC holds exactly the concerns and versions the teachers
reported saved, and each referral envelope is at the LA once with a verified receipt."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.reliability.conftest import REPO


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_sync_harness",
                                                  REPO / "scripts" / "crash_sync_harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_sync_harness"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_sigkill_mid_sync_loses_and_doubles_nothing(tmp_path: Path) -> None:
    harness = _harness()
    result = harness.run_harness(4, tmp_path, seed=2026)
    assert result.problems == [], result.summary()
    assert result.rounds == 4 and sum(result.kills.values()) == 4
    kinds = {phase.split(":")[0] for phase in result.kills}
    assert kinds == {"pull", "push", "la"}, result.summary()
    # The kills are aimed at envelopes in flight: most land inside the sync, not after it. How
    # many envelopes a pull finds depends on where the kill before it landed, so one kill may
    # come after a sync that had fewer than it aimed at (seen about one run in three).
    inside = sum(n for phase, n in result.kills.items() if "after the sync" not in phase)
    assert inside >= 3, result.summary()
    assert result.concerns > 0 and result.referrals > 0, result.summary()
