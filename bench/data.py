"""The benchmark's school: the demo generator at scale, replayed through the core, cached.

Every concern, entry and status change goes through the same core functions staff use
(``record_concern``, ``add_entry``, ``set_status``), as its author and with the clock set to
when it happened, exactly as app/demo/school.py does, so the store holds what real use would leave:
versions, FTS rows, status events and a hash-chained, signed audit trail. For speed the replay
runs inside one outer transaction per batch (the core's own transactions become savepoints).

A built store is cached under ``$XDG_CACHE_HOME/concerndesk-bench/`` keyed by seed and size
(a store cached before a new migration is migrated, as unlocking would). Its device keys live
in the OS keyring of the HOME it was built under, so the cache is reused only when those keys
are still there (run with a fixed CONCERNDESK_TEST_HOME); otherwise it is rebuilt.
Measurements never touch the cached copy: they run on fresh copies of it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.clock import FakeClock
from app.demo.school import HistoryReplay, personal_keys
from app.demo.synthetic import EntrySeed, SyntheticSchool
from app.domain.pupils import apply_roster
from app.domain.roster_csv import RosterRow
from app.store.access import create_store, load_user, unlock
from app.store.db import DB_FILE, connect, migrate
from app.store.device import load_device_keys
from app.store.dsl_store import DSL_FILE, attach_store
from app.store.keyfile import KeyFile, holder
from app.store.keys import TEST_KDF, KdfParams
from app.store.schema import LATEST
from app.store.users import add_user

SEED = 2026
PASSPHRASE = "synthetic benchmark passphrase 2026"
# A fixed "today", so the same seed gives the same school whatever day the benchmark runs.
TODAY = date(2026, 9, 1)
DATA_VERSION = 2  # bump when the way the store is built changes (2: roles by key)
# What the generator gives on average: each concern brings ~0.84 DSL entries (0.8 per concern,
# plus some for the other child in child-on-child concerns). Measured, see calibrate().
RECORDS_PER_CONCERN = 1.84
BATCH = 5_000  # replayed items per commit
PLAIN_FILE = "plain.db"


@dataclass(frozen=True)
class Scale:
    label: str  # "2k", "10k", "100k", "1m"
    records: int  # concerns + chronology entries, the heavy child's included
    pupils: int = 1500
    years: int = 10
    heavy_items: int = 500


SCALES = {s.label: s for s in (Scale("2k", 2_000, pupils=300, years=3),
                               Scale("10k", 10_000), Scale("100k", 100_000),
                               Scale("1m", 1_000_000))}


@dataclass
class BuiltStore:
    """What a cached store holds, for the metrics."""

    directory: str
    store_id: str
    seed: int
    scale: str
    pupils: int
    concerns: int
    entries: int
    heavy_child_id: str
    heavy_items: int
    build_seconds: float
    data_version: int = DATA_VERSION
    schema: int = LATEST

    @property
    def path(self) -> Path:
        return Path(self.directory)

    @property
    def records(self) -> int:
        return self.concerns + self.entries


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "concerndesk-bench"


def _cache_dir(scale: Scale, seed: int) -> Path:
    return cache_root() / f"v{DATA_VERSION}-seed{seed}-{scale.label}"


def ensure_store(scale: Scale, seed: int = SEED, *, log: Callable[[str], None] = print,
                 rebuild: bool = False) -> BuiltStore:
    """The cached store for (scale, seed), built first if missing or unusable here."""
    where = _cache_dir(scale, seed)
    manifest = where / "bench.json"
    if manifest.exists() and not rebuild:
        built = BuiltStore(**json.loads(manifest.read_text()))
        built.directory = str(where / "store")
        if load_device_keys(built.store_id) is not None:
            if built.schema < LATEST:
                _upgrade(built, log)
                manifest.write_text(json.dumps(asdict(built), indent=2))
            return built
        log(f"cached {scale.label} store's device keys are not in this keyring: rebuilding "
            "(keep CONCERNDESK_TEST_HOME fixed to reuse the cache)")
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    log(f"building the {scale.label} store ({scale.records:,} records, seed {seed}) in {where}")
    started = time.perf_counter()
    built = build_store(where / "store", scale, seed, log=log)
    built.build_seconds = round(time.perf_counter() - started, 1)
    # The first DSL sign-in ends the maker's setup key and re-keys the DSL store (docs/keys.md):
    # done once here, so no measured sign-in pays for it.
    unlock(built.path, "dsl", PASSPHRASE).close()
    export_plain(built, where / PLAIN_FILE)
    manifest.write_text(json.dumps(asdict(built), indent=2))
    log(f"built in {built.build_seconds:.0f} s: {built.concerns:,} concerns, "
        f"{built.entries:,} entries")
    return built


def _upgrade(built: BuiltStore, log: Callable[[str], None]) -> None:
    """A store cached before a new migration: migrate it as unlocking would, and export its
    plain twin again so both hold the same schema."""
    log(f"cached {built.scale} store has schema {built.schema}: migrating to {LATEST}")
    conn = open_both(built)
    try:
        migrate(conn)
    finally:
        conn.close()
    export_plain(built, plain_path(built))
    built.schema = LATEST


def plain_path(built: BuiltStore) -> Path:
    """The unencrypted twin made by ``export_plain`` (synthetic data only, for baselines)."""
    return built.path.parent / PLAIN_FILE


def build_store(directory: Path, scale: Scale, seed: int, *,
                 log: Callable[[str], None] = print) -> BuiltStore:
    synth = SyntheticSchool(seed, today=TODAY)
    staff = synth.staff()
    admin_seed = next(s for s in staff if s.username == "admin")
    start = TODAY - timedelta(days=365 * scale.years)
    replay = FakeClock(datetime(start.year, start.month, start.day, tzinfo=UTC))
    made = create_store(directory, school_name=f"{synth.school_name()} (BENCHMARK)",
                        admin_username="admin", admin_display_name=admin_seed.display_name,
                        passphrase=PASSPHRASE, clock=replay, kdf=TEST_KDF, demo=True)
    with made.session as admin:
        for person in staff:
            if person.username != "admin":
                # The real KDF cost for dsl, whose unlock is measured; a cheap one elsewhere.
                kdf = KdfParams() if person.username == "dsl" else TEST_KDF
                add_user(admin, person.username, person.display_name, list(person.roles),
                         PASSPHRASE, kdf=kdf, weak_ok=True)
        roster = synth.pupils(scale.pupils)
        apply_roster(admin, roster)
        users = {s.username: load_user(admin.conn, s.username) for s in staff}
        ids_by_upn = dict(admin.conn.execute("SELECT upn, id FROM children").fetchall())
        heavy = len(roster) // 2
        # The heavy child appears in nothing else, so their chronology is exactly heavy_items.
        others = [row for i, row in enumerate(roster) if i != heavy]
        other_ids = [ids_by_upn[row.upn] for row in others]
        player = HistoryReplay(admin, replay, users, personal_keys(admin, users, PASSPHRASE))
        general = scale.records - scale.heavy_items
        per_year = general / scale.years
        for year in range(scale.years):
            y_start = start + timedelta(days=365 * year)
            y_end = min(y_start + timedelta(days=365), TODAY)
            quota = round(per_year * (year + 1)) - round(per_year * year)
            n_concerns = round(quota / RECORDS_PER_CONCERN)
            concerns = synth.concerns(others, start=y_start, end=y_end, count=n_concerns)
            # A distinct ``end`` per year gives each year its own entry random stream.
            entries = _take(synth.iter_entries(concerns, others,
                                               end=TODAY - timedelta(days=year)),
                            quota - len(concerns))
            player.play(other_ids, concerns, entries, TODAY, batch=BATCH)
            log(f"  year {year + 1}/{scale.years}: {player.concerns:,} concerns, "
                f"{player.entries:,} entries so far")
        h_concerns, h_entries = synth.heavy_child(roster, heavy, start=start, end=TODAY,
                                                  items=scale.heavy_items)
        player.play([ids_by_upn[row.upn] for row in roster], h_concerns, h_entries, TODAY,
                    batch=BATCH)
        store_id = made.session.store_id
        return BuiltStore(str(directory), store_id, seed, scale.label, len(roster),
                          player.concerns, player.entries, ids_by_upn[roster[heavy].upn],
                          scale.heavy_items, 0.0)


def _take(items: Iterable[EntrySeed], n: int) -> list[EntrySeed]:
    out: list[EntrySeed] = []
    for item in items:
        if len(out) >= n:
            break
        out.append(item)
    return out


# -- copies -----------------------------------------------------------------------------------


def data_key(built: BuiltStore, scope: str = "school") -> bytes:
    """The school store's key (or the DSL store's), opened as the dsl account (for the
    baseline copies)."""
    device = load_device_keys(built.store_id)
    assert device is not None
    keyfile = KeyFile.load(built.path)
    personal = keyfile.unlock_user("dsl", PASSPHRASE, device.secret).personal
    assert personal is not None
    key = keyfile.open(scope, holder("dsl"), personal.hpke)
    assert key is not None
    return key


def open_both(built: BuiltStore) -> Any:
    """The school store with the DSL store attached as ``dsl``, as a DSL's session has them."""
    conn = connect(built.path / DB_FILE, data_key(built))
    attach_store(conn, built.path, data_key(built, "dsl"))
    return conn


def export_plain(built: BuiltStore, target: Path) -> None:
    """An unencrypted copy of the same file, for the plain-SQLite baselines (synthetic data)."""
    if target.exists():
        target.unlink()
    twin = plain_dsl(target)
    twin.unlink(missing_ok=True)
    conn = open_both(built)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA dsl.wal_checkpoint(TRUNCATE)")
        conn.execute(f"ATTACH DATABASE '{target}' AS plain KEY ''")
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute("DETACH DATABASE plain")
        conn.execute(f"ATTACH DATABASE '{twin}' AS plain KEY ''")
        conn.execute("SELECT sqlcipher_export('plain', 'dsl')")
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    check = sqlite3.connect(target)
    try:
        check.execute("PRAGMA journal_mode = WAL")
        check.execute(f"ATTACH DATABASE '{twin}' AS dsl")
        check.execute("PRAGMA dsl.journal_mode = WAL")
        check.execute("SELECT count(*) FROM record_fts WHERE record_fts MATCH 'home'").fetchone()
    finally:
        check.close()


def plain_dsl(plain: Path) -> Path:
    """The plain twin of the DSL store, beside the school store's."""
    return plain.with_name("plain-dsl.db")


def working_copy(built: BuiltStore, into: Path) -> tuple[BuiltStore, Path]:
    """Fresh copies of the encrypted store and its plain twin that measurements may change."""
    into.mkdir(parents=True, exist_ok=True)
    store = into / "store"
    if store.exists():
        shutil.rmtree(store)
    _checkpoint(built)
    shutil.copytree(built.path, store, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    plain = into / PLAIN_FILE
    for suffix in ("", "-wal", "-shm"):
        Path(str(plain) + suffix).unlink(missing_ok=True)
    shutil.copyfile(plain_path(built), plain)
    for suffix in ("", "-wal", "-shm"):
        Path(str(plain_dsl(plain)) + suffix).unlink(missing_ok=True)
    shutil.copyfile(plain_dsl(plain_path(built)), plain_dsl(plain))
    copy = BuiltStore(**{**asdict(built), "directory": str(store)})
    return copy, plain


def _checkpoint(built: BuiltStore) -> None:
    """Fold the WAL into the main file, so a copy of the main file alone is complete."""
    wals = [built.path / (name + "-wal") for name in (DB_FILE, DSL_FILE)]
    if any(wal.exists() and wal.stat().st_size for wal in wals):
        conn = open_both(built)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA dsl.wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def calibrate(seed: int = SEED, concerns: int = 20_000) -> float:
    """Records per concern the generator makes (how RECORDS_PER_CONCERN was found)."""
    synth = SyntheticSchool(seed, today=TODAY)
    roster: list[RosterRow] = synth.pupils(1500)
    made = synth.concerns(roster, start=TODAY - timedelta(days=3650), end=TODAY, count=concerns)
    n_entries = sum(1 for _ in synth.iter_entries(made, roster, end=TODAY))
    return (concerns + n_entries) / concerns
