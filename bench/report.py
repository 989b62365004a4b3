"""The metrics, their targets, and the two ways out: a table on stdout and JSON.

Every metric in ``SPECS`` appears in every run: with a number, or with ``skipped`` saying why
(quick mode, PostgreSQL not provided, a piece of the app not built yet).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spec:
    name: str
    label: str
    unit: str
    limit: float | None = None  # the target for the value
    higher_is_better: bool = False
    ratio_limit: float | None = None  # the target for value / baseline
    baseline_label: str = ""


def _s(name: str, label: str, unit: str, limit: float | None = None, *,
       higher: bool = False, ratio: float | None = None, base: str = "") -> Spec:
    return Spec(name, label, unit, limit, higher, ratio, base)


_PLAIN = "plain sqlite3, same SQL"
MAIN_SPECS = [
    _s("unlock_s", "unlock: passphrase -> store open", "s", 0.5, base="Argon2id alone"),
    _s("sealed_backlog_s", "DSL sign-in opening 200 sealed concerns", "s", 2,
       base="nothing waiting"),
    _s("ctf_import_s", "import a CTF: 1,500 pupils, 3,000 contacts", "s", 5,
       base="parsing it alone"),
    _s("record_concern_p95_ms", "record a concern, p95", "ms", 15, base=_PLAIN),
    _s("chronology_load_ms", "load a 500-entry chronology (core)", "ms", 30, base=_PLAIN),
    _s("chronology_view_ms", "chronology ready in the Qt model/view", "ms", 100),
    _s("search_p95_ms", "full-text search, p95", "ms", 20, ratio=1.5, base=_PLAIN),
    _s("store_write_ratio", "store writes vs plain sqlite3", "x", 1.5,
       base="plain sqlite3 = 1"),
    _s("store_read_ratio", "store reads vs plain sqlite3", "x", 1.5, base="plain sqlite3 = 1"),
    _s("dsl_inbox_ms", "DSL inbox (open concerns, newest 500)", "ms"),
    _s("pack_pdf_s", "referral pack PDF, 500 entries", "s", 1.0, ratio=1.3,
       base="bare reportlab table"),
    _s("sync_sqlite_per_s", "sync to loopback front door (SQLite)", "env/s", 200, higher=True),
    _s("sync_postgres_per_s", "sync to loopback front door (PostgreSQL)", "env/s", 200,
       higher=True),
    _s("app_start_s", "app start to sign-in screen (offscreen)", "s", 0.8),
    _s("peak_memory_mb", "peak memory, DSL home on the big store", "MB", 250),
    _s("peak_memory_core_mb", "peak memory, core only, same work", "MB"),
]
GROWTH_SCALES = ("10k", "1m")
_GROWTH_PARTS = [
    ("record_concern_p95_ms", "record a concern, p95", "ms", _PLAIN),
    ("chronology_load_ms", "load a 500-entry chronology", "ms", _PLAIN),
    ("search_p95_ms", "full-text search, p95", "ms", _PLAIN),
    ("store_write_ratio", "store writes vs plain sqlite3", "x", "plain sqlite3 = 1"),
    ("store_read_ratio", "store reads vs plain sqlite3", "x", "plain sqlite3 = 1"),
]
GROWTH_SPECS = [_s(f"{name}_{scale}", f"{label} @ {scale}", unit, base=base)
                for scale in GROWTH_SCALES for name, label, unit, base in _GROWTH_PARTS]
GROWTH_SPECS += [
    _s("record_growth_1m", "record p95: 1m / 100k", "x", 2.0),
    _s("search_growth_1m", "search p95: 1m / 100k", "x", 2.0),
]
SPECS = {s.name: s for s in MAIN_SPECS + GROWTH_SPECS}


@dataclass
class Metric:
    spec: Spec
    value: float | None = None
    baseline: float | None = None
    skipped: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        """None when there is nothing to meet (no value, or no target)."""
        if self.value is None or (self.spec.limit is None and self.spec.ratio_limit is None):
            return None
        ok = True
        if self.spec.limit is not None:
            ok = (self.value >= self.spec.limit if self.spec.higher_is_better
                  else self.value <= self.spec.limit)
        if self.spec.ratio_limit is not None and self.ratio is not None:
            ok = ok and self.ratio <= self.spec.ratio_limit
        return ok

    def target(self) -> str:
        parts = []
        if self.spec.limit is not None:
            parts.append(f"{'>=' if self.spec.higher_is_better else '<='} "
                         f"{_num(self.spec.limit)} {self.spec.unit}")
        if self.spec.ratio_limit is not None:
            parts.append(f"<= {_num(self.spec.ratio_limit)}x base")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": _round(self.value), "unit": self.spec.unit,
            "baseline": _round(self.baseline),
            "ratio": _round(self.ratio), "label": self.spec.label,
            "baseline_is": self.spec.baseline_label or None, "target": self.target() or None,
            "met": self.met,
        }
        if self.skipped:
            out["skipped"] = self.skipped
        if self.note:
            out["note"] = self.note
        if self.extra:
            out["extra"] = {k: _round(v) if isinstance(v, float) else v
                            for k, v in self.extra.items()}
        return out


class Results:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {name: Metric(spec) for name, spec in SPECS.items()}
        self.context: dict[str, Any] = {}

    def set(self, name: str, value: float | None, baseline: float | None = None, *,
            note: str = "", **extra: Any) -> Metric:
        metric = self.metrics[name]
        metric.value, metric.baseline, metric.skipped = value, baseline, None
        metric.note, metric.extra = note, extra
        return metric

    def skip(self, name: str, reason: str) -> None:
        metric = self.metrics[name]
        if metric.value is None:
            metric.skipped = " ".join(reason.split())  # one line in the table

    def skip_unset(self, prefix: str, reason: str) -> None:
        for name, metric in self.metrics.items():
            if name.startswith(prefix) and metric.value is None and not metric.skipped:
                metric.skipped = reason

    def finish(self) -> None:
        for metric in self.metrics.values():
            if metric.value is None and not metric.skipped:
                metric.skipped = "not measured (see the log above)"

    def to_json(self) -> dict[str, Any]:
        return {"metrics": {n: m.to_json() for n, m in self.metrics.items()},
                "context": self.context}

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")

    def table(self) -> str:
        rows = [("metric", "value", "baseline", "ratio", "target", "ok")]
        for name, m in self.metrics.items():
            if m.skipped:
                rows.append((name, "skipped", "", "", m.target(), m.skipped))
                continue
            ok = {True: "yes", False: "MISSED", None: ""}[m.met]
            rows.append((name, f"{_num(m.value)} {m.spec.unit}",
                         "" if m.baseline is None else f"{_num(m.baseline)} {m.spec.unit}",
                         "" if m.ratio is None else f"{m.ratio:.2f}x", m.target(), ok))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = []
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row[:5], widths, strict=True))
                         + "  " + row[5])
            if i == 0:
                lines.append("-" * (sum(widths) + 2 * 5 + 6))
        return "\n".join(lines)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank), for a latency list."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)
