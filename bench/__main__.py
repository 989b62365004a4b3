"""``python -m bench [--quick] [--json FILE]``: the ConcernDesk benchmark (see bench/README.md).

Run it inside a real keyring session, from the repository root:

    scripts/with-keyring.sh .venv/bin/python -m bench --quick
    CONCERNDESK_TEST_HOME=~/.concerndesk-bench scripts/with-keyring.sh \\
        scripts/with-postgres.sh .venv/bin/python -m bench --json bench.json
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from app.errors import KeyringUnavailable
from app.store.device import check_keyring
from bench import prototypes
from bench.data import SCALES, SEED, BuiltStore, ensure_store, working_copy
from bench.metrics_pdf import measure_pdf
from bench.metrics_store import Reps, measure_store
from bench.metrics_sync import measure_sync
from bench.metrics_ui import measure_ui
from bench.report import SPECS, Results


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small store (2,000 records), few repetitions, no 10k/1m runs: "
                             "under a minute")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--seed", type=int, default=SEED, help=f"data seed (default {SEED})")
    parser.add_argument("--no-1m", action="store_true",
                        help="full mode without the 1,000,000-record store (its first build "
                             "takes a long time)")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached stores")
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="where working copies go (default: a temporary directory)")
    parser.add_argument("--only", choices=["store", "pdf", "sync", "ui", "growth"],
                        action="append", default=[],
                        help="measure only these groups (the rest are reported as skipped)")
    parser.add_argument("--prototype", choices=sorted(prototypes.PROTOTYPES), action="append",
                        default=[], help="measure with a proposed core change applied "
                                         "(see bench/README.md); not for the reported table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from app.hub.reactions import install

    args = parse_args(argv)
    install()  # as the app does: a teacher's record is sealed for the DSL team (measured)
    try:
        check_keyring()
    except KeyringUnavailable as exc:
        print(f"error: {exc}\nRun it as: scripts/with-keyring.sh .venv/bin/python -m bench",
              file=sys.stderr)
        return 1
    for name in args.prototype:
        prototypes.apply(name)
        log(f"PROTOTYPE applied: {name} — these figures are not the shipped core's")
    reps = Reps.quick() if args.quick else Reps.full()
    results = Results()
    results.context.update(mode="quick" if args.quick else "full", seed=args.seed,
                           python=platform.python_version(), cpus=os.cpu_count(),
                           machine=platform.machine(), prototypes=args.prototype,
                           started=time.strftime("%Y-%m-%dT%H:%M:%S"))
    work = args.work or Path(tempfile.mkdtemp(prefix="concerndesk-bench-"))
    started = time.perf_counter()
    try:
        main_scale = SCALES["2k" if args.quick else "100k"]
        built = ensure_store(main_scale, args.seed, log=log, rebuild=args.rebuild)
        results.context["scale"] = _describe(built)
        wanted = set(args.only or ["store", "pdf", "sync", "ui", "growth"])
        if "store" in wanted:
            _group(results, _STORE, lambda: measure_store(results, built, work / "main", reps,
                                                          log=log))
            if not args.work:  # three copies of the store: free the disk for the next ones
                shutil.rmtree(work / "main", ignore_errors=True)
        store, _ = working_copy(built, work / "ui")
        if "pdf" in wanted:
            _group(results, ["pack_pdf_s"], lambda: measure_pdf(results, store, reps.pdf,
                                                                log=log))
        if "sync" in wanted:
            _group(results, ["sync_sqlite_per_s", "sync_postgres_per_s"],
                   lambda: measure_sync(results, reps.sync, log=log))
        if "ui" in wanted:
            measure_ui(results, store, reps=2 if args.quick else 7, log=log)
        if args.quick:
            _skip_growth(results, "quick mode: run without --quick for the 10k and 1m stores")
        elif "growth" in wanted:
            _growth(results, args, reps, work)
        for metric in results.metrics.values():
            if metric.value is None and not metric.skipped and args.only:
                metric.skipped = "not in --only " + ",".join(args.only)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    results.context["seconds"] = round(time.perf_counter() - started, 1)
    results.finish()
    print(results.table())
    if args.prototype:
        print("PROTOTYPES APPLIED (not the shipped core): " + ", ".join(args.prototype))
    print(f"\n{results.context['scale']}; {results.context['mode']} mode, "
          f"{results.context['seconds']} s")
    if args.json:
        results.write_json(args.json)
    return 0


_STORE = ["unlock_s", "sealed_backlog_s", "ctf_import_s", "record_concern_p95_ms",
          "chronology_load_ms", "search_p95_ms", "store_write_ratio", "store_read_ratio",
          "dsl_inbox_ms"]


def _group(results: Results, names: list[str], run: Callable[[], None]) -> None:
    """One group of metrics; a failure is reported against its metrics and the run goes on."""
    try:
        run()
    except Exception as exc:
        log("FAILED:\n" + traceback.format_exc())
        for name in names:
            results.skip(name, f"failed: {type(exc).__name__}: {str(exc)[:160]}")


def _describe(built: BuiltStore) -> str:
    return (f"{built.records:,} records ({built.concerns:,} concerns, {built.entries:,} "
            f"entries), {built.pupils:,} pupils, seed {built.seed}")


def _skip_growth(results: Results, reason: str) -> None:
    for scale in ("10k", "1m"):
        for name in list(results.metrics):
            if name.endswith("_" + scale):
                results.skip(name, reason)
    results.skip("record_growth_1m", reason)
    results.skip("search_growth_1m", reason)


def _growth(results: Results, args: argparse.Namespace, reps: Reps, work: Path) -> None:
    """The store metrics again at 10,000 and 1,000,000 records, to show how cost grows."""
    scales = ["10k"] + ([] if args.no_1m else ["1m"])
    for label in scales:
        built = ensure_store(SCALES[label], args.seed, log=log, rebuild=args.rebuild)
        results.context[f"scale_{label}"] = _describe(built)
        _group(results, [f"{name}_{label}" for name in _STORE if f"{name}_{label}" in SPECS],
               lambda b=built, lb=label: measure_store(results, b, work / lb, reps,
                                                       suffix=f"_{lb}", log=log))
        shutil.rmtree(work / label, ignore_errors=True)
    if args.no_1m:
        for name in list(results.metrics):
            if name.endswith("_1m"):
                results.skip(name, "skipped with --no-1m")
        return
    for name, part in (("record_growth_1m", "record_concern_p95_ms"),
                       ("search_growth_1m", "search_p95_ms")):
        big, base = results.metrics[f"{part}_1m"].value, results.metrics[part].value
        if big is not None and base:
            results.set(name, big / base, note=f"{part} at 1m / at 100k")


if __name__ == "__main__":
    sys.exit(main())
