"""Store metrics: unlock, recording, chronology, search and the inbox through the core, each
against plain SQLite running the very same statements (captured, see bench/capture.py).

Three copies of the cached store take part, all starting from the same file:
A, the encrypted store the core works on; B, an encrypted copy; C, the plain-SQLite twin.
The core runs on A with every statement captured. The captured operations are then replayed,
in the order they ran, on B (SQLCipher alone, no core) and on C (plain sqlite3), both opened
with the store's settings: WAL, synchronous=FULL, foreign keys, temp_store=MEMORY.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import sqlite3
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import app.store.db
from app.demo.ctf_fixture import make_ctf
from app.demo.synthetic import SyntheticSchool
from app.domain.chronology import chronology
from app.domain.concerns import ConcernDraft, inbox, record_concern
from app.domain.records import latest_version
from app.domain.search import search
from app.profile.ctf import read_ctf
from app.profile.imports import import_ctf
from app.store.access import unlock
from app.store.db import DB_FILE
from app.store.dsl_store import attach_store
from app.store.keyfile import KeyFile
from app.store.keys import KdfParams, passphrase_kek
from app.store.session import Session
from bench.capture import Op, Recorder, reads_only, run_op, traced, writes_in_one_transaction
from bench.data import PASSPHRASE, TODAY, BuiltStore, plain_dsl, working_copy
from bench.report import Results, median, p95

QUERIES = ("home", "secret", "mum scared", "attendance", "messages", "bed night", "brother",
           "older friend")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Reps:
    unlock: int
    record_warm: int
    record: int
    chronology: int
    search: int  # passes over QUERIES
    inbox: int
    reads: int
    bulk: int
    pdf: int
    sync: int

    @classmethod
    def quick(cls) -> Reps:
        return cls(unlock=2, record_warm=3, record=20, chronology=5, search=2, inbox=2,
                   reads=2, bulk=2, pdf=2, sync=100)

    @classmethod
    def full(cls) -> Reps:
        return cls(unlock=7, record_warm=10, record=300, chronology=30, search=15, inbox=5,
                   reads=5, bulk=3, pdf=5, sync=1000)


@dataclass
class _Run:
    """Captured operations in the order they ran on A, with the core's time for each."""

    ops: list[tuple[str, Op, float]] = field(default_factory=list)

    def timed(self, recorder: Recorder, kind: str, fn: Callable[[], Any]) -> Any:
        captured: list[Op] = []
        started = time.perf_counter()
        with recorder.op(captured):
            result = fn()
        self.ops.append((kind, captured[0], time.perf_counter() - started))
        return result

    def core(self, kind: str) -> list[float]:
        return [dt for k, _, dt in self.ops if k == kind]


def plain_connect(path: Path) -> sqlite3.Connection:
    """Plain SQLite with the store's own durability and settings, its DSL twin attached."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("ATTACH DATABASE ? AS dsl", (str(plain_dsl(path)),))
    conn.execute("PRAGMA dsl.journal_mode = WAL").fetchone()
    conn.execute("PRAGMA dsl.synchronous = FULL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def measure_store(results: Results, built: BuiltStore, work: Path, reps: Reps, *,
                  suffix: str = "", log: Callable[[str], None] = print) -> None:
    main = not suffix
    log(f"store metrics on {built.records:,} records ({built.scale})")
    store, plain = working_copy(built, work / "a")
    copy_b = work / "b"
    if copy_b.exists():
        shutil.rmtree(copy_b)
    shutil.copytree(store.path, copy_b)

    if main:
        _unlock(results, store, reps)
        _sealed_backlog(results, built, work / "backlog")
        _ctf_import(results, built, work / "ctf")
    dsl = unlock(store.path, "dsl", PASSPHRASE)
    teacher = unlock(store.path, "teacher", PASSPHRASE)
    try:
        run = _Run()
        dsl_t, dsl_rec = traced(dsl)
        teacher_t, teacher_rec = traced(teacher)
        drafts = _drafts(dsl, built, reps.record_warm + reps.record)
        for i, draft in enumerate(drafts):
            kind = "record-warm" if i < reps.record_warm else "record"
            run.timed(teacher_rec, kind, lambda d=draft: record_concern(teacher_t, d))
        for i in range(reps.chronology + 2):
            kind = "chronology-warm" if i < 2 else "chronology"
            items = run.timed(dsl_rec, kind, lambda: chronology(dsl_t, built.heavy_child_id))
            # heavy_items records, each concern with its status changes (items of their own)
            records = len({i.record_id for i in items})
            assert records == built.heavy_items, records
        for i in range(reps.search + 1):
            for query in QUERIES:
                run.timed(dsl_rec, "search-warm" if i == 0 else "search",
                          lambda q=query: search(dsl_t, q))
        ids = [r[0] for r in dsl.conn.execute("SELECT id FROM records").fetchall()]
        picks = random.Random(7).sample(ids, min(300, len(ids)))
        for i in range(3):
            run.timed(dsl_rec, "lookup-warm" if i == 0 else "lookup",
                      lambda: [latest_version(dsl_t.conn, rid) for rid in picks])
        if main:
            for i in range(reps.inbox + 1):
                run.timed(dsl_rec, "inbox-warm" if i == 0 else "inbox", lambda: inbox(dsl_t))
        data_key, dsl_key = dsl.data_key, dsl.held.dsl_key
        assert dsl_key is not None
    finally:
        dsl.close()
        teacher.close()

    encrypted = app.store.db.connect(copy_b / DB_FILE, data_key)  # looked up now: prototypes
    attach_store(encrypted, copy_b, dsl_key)
    plain_conn = plain_connect(plain)
    try:
        read_ratios = _reads(run, encrypted, plain_conn, reps.reads)
        # Durable, operation by operation, in the order they ran: C gives the baselines.
        replay_b: dict[str, list[float]] = defaultdict(list)
        replay_c: dict[str, list[float]] = defaultdict(list)
        keep = {r[0] for r in plain_conn.execute("SELECT id FROM children UNION ALL "
                                                 "SELECT id FROM users")}
        for n, (kind, op, _) in enumerate(run.ops):
            if kind.startswith("record"):
                # A teacher writes into their in-memory workspace (docs/keys.md), whose version
                # rowids start again at 1: on the twins, the same statements with fresh ids.
                op = _fresh_ids(op, keep, 1_000_000_000 + n * 1000, f"replay{n}")
            replay_b[kind].append(run_op(encrypted, op))
            replay_c[kind].append(run_op(plain_conn, op))
        bulk_b, bulk_c = _bulk_writes(run, encrypted, plain_conn, reps.bulk)
    finally:
        encrypted.close()
        plain_conn.close()

    ms = 1000.0
    record_core = run.core("record")
    results.set(f"record_concern_p95_ms{suffix}", p95(record_core) * ms,
                p95(replay_c["record"]) * ms, median_ms=median(record_core) * ms,
                sqlcipher_same_sql_p95_ms=p95(replay_b["record"]) * ms, samples=len(record_core))
    chrono = run.core("chronology")
    results.set(f"chronology_load_ms{suffix}", median(chrono) * ms,
                median(replay_c["chronology"]) * ms, p95_ms=p95(chrono) * ms,
                sqlcipher_same_sql_ms=median(replay_b["chronology"]) * ms,
                note="median; includes the audited view (a durable write)")
    found = run.core("search")
    results.set(f"search_p95_ms{suffix}", p95(found) * ms, p95(replay_c["search"]) * ms,
                median_ms=median(found) * ms,
                sqlcipher_same_sql_p95_ms=p95(replay_b["search"]) * ms, samples=len(found),
                note="includes the audited search (a durable write)")
    results.set(f"store_write_ratio{suffix}", median(bulk_b) / median(bulk_c), 1.0,
                sqlcipher_s=median(bulk_b), plain_s=median(bulk_c),
                durable_per_op_ratio=median(replay_b["record"]) / median(replay_c["record"]),
                note=f"the SQL of {len(record_core) + reps.record_warm} recorded concerns in "
                     "one transaction, committed")
    results.set(f"store_read_ratio{suffix}", _geomean(list(read_ratios.values())), 1.0,
                **{f"{k}_ratio": v for k, v in read_ratios.items()},
                note="geometric mean over chronology, search, lookup"
                     + (", inbox" if main else "") + " reads")
    if main:
        inbox_core = run.core("inbox")
        results.set("dsl_inbox_ms", median(inbox_core) * ms, median(replay_c["inbox"]) * ms,
                    note="median; the core's inbox() on the DSL home")


def _unlock(results: Results, store: BuiltStore, reps: Reps) -> None:
    """Passphrase to an open, audited session, against the Argon2id derivation alone."""
    unlock(store.path, "dsl", PASSPHRASE).close()  # warm: imports, page cache
    times, kdf_times = [], []
    entry = KeyFile.load(store.path).users["dsl"]
    params = KdfParams.from_json(entry["params"])
    for _ in range(reps.unlock):
        started = time.perf_counter()
        unlock(store.path, "dsl", PASSPHRASE).close()
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        passphrase_kek(PASSPHRASE, b"0" * 16, b"\0" * 32, params, b"bench")
        kdf_times.append(time.perf_counter() - started)
    results.set("unlock_s", median(times), median(kdf_times),
                note=f"median of {reps.unlock}; Argon2id t={params.iterations}, "
                     f"m={params.memory_kib // 1024} MiB, p={params.lanes}")


BACKLOG = 200


def _sealed_backlog(results: Results, built: BuiltStore, work: Path) -> None:
    """A DSL's sign-in that opens a teacher's backlog of sealed concerns (docs/keys.md), on a
    copy of its own, against the same sign-in with nothing waiting."""
    store, _plain = working_copy(built, work)
    unlock(store.path, "dsl", PASSPHRASE).close()  # warm, and nothing waiting
    started = time.perf_counter()
    unlock(store.path, "dsl", PASSPHRASE).close()
    empty = time.perf_counter() - started
    with unlock(store.path, "teacher", PASSPHRASE) as teacher:
        for draft in _drafts(teacher, built, BACKLOG):
            record_concern(teacher, draft)
    started = time.perf_counter()
    with unlock(store.path, "dsl", PASSPHRASE) as dsl:
        took = time.perf_counter() - started
        opened = dsl.conn.execute("SELECT count(*) FROM main.sealed_items WHERE recipient "
                                  "LIKE 'team:%' AND opened_at IS NOT NULL").fetchone()[0]
    assert opened >= BACKLOG, opened
    results.set("sealed_backlog_s", took, empty,
                note=f"{BACKLOG} concerns sealed by a teacher, opened at one DSL sign-in "
                     "(unlock included); baseline: the same sign-in with none waiting")


CTF_PUPILS, CTF_CONTACTS = 1500, 2


def _ctf_import(results: Results, built: BuiltStore, work: Path) -> None:
    """A DSL imports a 1,500-pupil Common Transfer File with 3,000 contacts (issue #17): read,
    checked, new pupils on the roster, every profile written and audited, in one transaction;
    against reading the file alone."""
    store, _plain = working_copy(built, work)
    data = make_ctf(CTF_PUPILS, CTF_CONTACTS, seed=built.seed)
    started = time.perf_counter()
    read_ctf(data)
    parse = time.perf_counter() - started
    with unlock(store.path, "dsl", PASSPHRASE) as dsl:
        started = time.perf_counter()
        result = import_ctf(dsl, data)
        took = time.perf_counter() - started
    assert result.pupils == CTF_PUPILS and result.changes > 0, result
    results.set("ctf_import_s", took, parse,
                note=f"{CTF_PUPILS:,} pupils, {CTF_PUPILS * CTF_CONTACTS:,} contacts, "
                     f"{len(data) / 1e6:.1f} MB; baseline: parsing the file alone")


def _drafts(session: Session, built: BuiltStore, n: int) -> list[ConcernDraft]:
    """New concerns about the roster (not the heavy child), as staff would write them."""
    synth = SyntheticSchool(built.seed, today=TODAY)
    roster = synth.pupils(built.pupils)
    heavy = len(roster) // 2
    others = [row for i, row in enumerate(roster) if i != heavy]
    ids = dict(session.conn.execute("SELECT upn, id FROM children").fetchall())
    seeds = synth.concerns(others, start=TODAY - timedelta(days=60), end=TODAY, count=n)
    return [ConcernDraft(children=[(ids[others[link.index].upn], link.role)
                                   for link in s.children],
                         categories=list(s.categories), text=s.text,
                         occurred_at=s.occurred_at, location=s.location,
                         child_words=s.child_words, action_taken=s.action_taken,
                         witnesses=s.witnesses) for s in seeds]


def _reads(run: _Run, encrypted: Any, plain: sqlite3.Connection, reps: int
           ) -> dict[str, float]:
    """The read statements of each kind of operation, on SQLCipher and on plain SQLite."""
    kinds = ("chronology", "search", "lookup", "inbox")
    ratios: dict[str, float] = {}
    for kind in kinds:
        # At most three operations of each kind: an inbox read is long at 100k records.
        ops = [reads_only(op) for k, op, _ in run.ops if k == kind][:3]
        if not ops:
            continue
        for op in ops[:1]:  # warm both caches
            run_op(encrypted, op)
            run_op(plain, op)
        enc = pl = 0.0
        for _ in range(reps):
            for op in ops:
                enc += run_op(encrypted, op)
                pl += run_op(plain, op)
        ratios[kind] = enc / pl
    return ratios


def _bulk_writes(run: _Run, encrypted: Any, plain: sqlite3.Connection, reps: int
                 ) -> tuple[list[float], list[float]]:
    """The recording statements in one committed transaction, fresh ids each time."""
    ops = [op for k, op, _ in run.ops if k in ("record", "record-warm")]
    merged = writes_in_one_transaction(ops)
    keep = {r[0] for r in plain.execute("SELECT id FROM children UNION ALL SELECT id FROM users")}
    enc_times, plain_times = [], []
    for rep in range(reps):
        offset = 10_000_000 * (rep + 1)
        for conn, times, salt in ((encrypted, enc_times, "b"), (plain, plain_times, "c")):
            fresh = _fresh_ids(merged, keep, offset, f"{rep}{salt}")
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            run_op(conn, fresh)
            conn.execute("COMMIT")
            times.append(time.perf_counter() - started)
    return enc_times, plain_times


def _fresh_ids(op: Op, keep: set[str], offset: int, salt: str) -> Op:
    """The same statements with every id they create renamed, so they can run again."""
    names: dict[str, str] = {}

    def rename(value: Any) -> Any:
        if isinstance(value, str) and value not in keep and _UUID.fullmatch(value):
            if value not in names:
                names[value] = str(uuid.uuid5(uuid.NAMESPACE_OID, salt + value))
            return names[value]
        return value

    out: Op = []
    for sql, params in op:
        new = [rename(p) for p in params]
        head = sql.lstrip()[:40].upper()
        if head.startswith(("INSERT INTO AUDIT", "INSERT INTO MAIN.AUDIT", "INSERT INTO DSL.AUDIT",
                            "INSERT INTO RECORD_FTS")) and new:
            new[0] = int(new[0]) + offset  # seq / rowid: explicit integer keys
        out.append((sql, tuple(new)))
    return out


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))
