#!/usr/bin/env python3
"""Crash harness: kill a process that is recording concerns, hundreds of times, at random
points, and prove that nothing it reported as saved was lost and that the store still verifies.

    scripts/with-keyring.sh .venv/bin/python scripts/crash_harness.py --rounds 300

(The core refuses to run without an OS keyring; ``scripts/with-keyring.sh`` gives it a private
D-Bus session with an unlocked gnome-keyring.) ``tests/reliability/test_crash.py`` runs a small
number of rounds of the same code in CI.

Each round starts a child process that unlocks a store through the real core and then records
concerns (with the odd amendment and draft) in a loop, printing each id on stdout only *after*
the core call returned — the moment the app would tell the user "saved". The harness kills the
child with SIGKILL: a third of the kills land in the last part of the unlock (timed from earlier
rounds), where the store is opened, migrated and the login audit event appended; a third a few
milliseconds after a reported save, as the next transaction begins; a third anywhere in the first
half second. Every fourth round works on a fresh copy of a store made at schema version 1 and is
killed around the end of its unlock, so the kill lands before, inside or after the migrations.

After every kill the harness reopens the store as another user and checks that:
- it opens (no "damaged", no crash loop) and is at the latest schema;
- ``verify`` passes: SQLCipher's page HMACs, SQLite's integrity check and the audit chain;
- every concern id and version id the child printed is there, with its audit event;
- no concern is half there: every concern has a version, a status, a ``create`` audit event
  and a full-text index row; the child's last reported draft is there.

Exit status 0 when every round held, 1 otherwise (the problems are listed).
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PASS_ENV = "CRASH_HARNESS_PASSPHRASE"
WRITER_PASS = "harness writer passphrase"
CHECKER_PASS = "harness checker passphrase"
ADMIN_PASS = "harness admin passphrase"
CHILD_TIME_LIMIT = 60.0  # a child never outlives a harness that forgot it
# Synthetic pupils only (invented names, UPNs with valid check letters).
PUPILS = (("B801200005001", "Harriet", "Testwell"), ("Q801200005002", "Idris", "Samplesby"),
          ("U801200005004", "Juno", "Mockford"))


# -- the child: records until it is killed --------------------------------------------------------
def child_main(directory: Path, username: str, seed: int, round_number: int) -> int:
    import app.store.access
    from app.domain.concerns import ConcernDraft, amend_concern, record_concern
    from app.hub.reactions import install
    from app.store.access import unlock
    from app.store.drafts import save_draft

    install()  # as the app and the CLI do: what a teacher writes is sealed for the DSL team

    real_migrate = app.store.access.migrate

    def traced_migrate(conn: object, *args: object, **kwargs: object) -> int:
        # A marker for the harness only: the store is open and the migrations, then the login
        # audit event, come next. The core's own code runs unchanged.
        print("opening", flush=True)
        return real_migrate(conn, *args, **kwargs)  # type: ignore[arg-type]

    app.store.access.migrate = traced_migrate  # type: ignore[assignment]
    rng = random.Random(seed)
    started = time.monotonic()
    print("ready", flush=True)
    session = unlock(directory, username, os.environ[PASS_ENV])
    print("unlocked", flush=True)
    child_ids = [r[0] for r in session.conn.execute("SELECT id FROM children ORDER BY upn")]
    mine: list[str] = []
    n = 0
    while time.monotonic() - started < CHILD_TIME_LIMIT:
        n += 1
        roll = rng.random()
        if roll < 0.8 or not mine:
            view = record_concern(session, ConcernDraft(
                children=[(rng.choice(child_ids), "subject")], categories=["neglect"],
                text=f"Harness observation {seed}-{n}: arrived without a coat",
                child_words="It is at home", action_taken="Lent a spare coat",
                occurred_at=session.clock.now() - timedelta(minutes=5)))
            mine.append(view.id)
            print(f"concern {view.id}", flush=True)
        elif roll < 0.9:
            record_id = rng.choice(mine)
            version = amend_concern(session, record_id, "harness correction",
                                    text=f"Harness correction {seed}-{n}")
            print(f"version {record_id} {version.id}", flush=True)
        else:
            save_draft(session, "harness", {"round": round_number, "n": n,
                                            "text": "half-typed observation"})
            print(f"draft {n}", flush=True)
    return 0


# -- making the stores ----------------------------------------------------------------------------
@dataclass
class Stores:
    current: Path  # at the latest schema; grows across rounds
    old_template: Path  # made at schema 1; copied fresh for migration rounds
    data_keys: dict[Path, bytes] = field(default_factory=dict)


def _make_store(directory: Path, school: str, *, split: bool = True) -> bytes:
    from app.domain.pupils import apply_roster
    from app.domain.roster_csv import RosterRow
    from app.hub.reactions import install
    from app.store.access import create_store
    from app.store.keys import TEST_KDF
    from app.store.users import add_user

    install()  # as `init` runs: the new store's team keys are made when it opens
    made = create_store(directory, school_name=school, admin_username="admin",
                        admin_display_name="Harness Admin", passphrase=ADMIN_PASS, kdf=TEST_KDF,
                        split=split)
    data_key = made.session.data_key
    with made.session as admin:
        add_user(admin, "writer", "Wren Writer", "staff", WRITER_PASS, kdf=TEST_KDF)
        add_user(admin, "checker", "Cass Checker", "dsl", CHECKER_PASS, kdf=TEST_KDF)
        from datetime import date

        apply_roster(admin, [RosterRow(upn, fore, sur, None, date(2016, 3, 1 + i), "X", "Y5",
                                       None, 0) for i, (upn, fore, sur) in enumerate(PUPILS)])
    return data_key


def _as_schema_1(directory: Path, data_key: bytes) -> None:
    """Rewrites a new store as the first release left stores: a schema-1 file holding the same
    rows (meta, users, roster, audit trail and its signed head), so the next unlock migrates."""
    from app.store.db import DB_FILE, connect, migrate

    current = directory / DB_FILE
    old_path = directory / "schema-1.db"
    old = connect(old_path, data_key, create=True)
    new = connect(current, data_key)
    try:
        migrate(old, target=1)
        tables = [r[0] for r in old.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' AND name NOT LIKE 'record_fts%'")]
        with old:
            old.execute("BEGIN")
            for table in tables:
                columns = [r[1] for r in old.execute(f"PRAGMA table_info({table})")]
                names = ", ".join(columns)
                rows = new.execute(f"SELECT {names} FROM {table}").fetchall()
                old.executemany(f"INSERT INTO {table} ({names}) VALUES "
                                f"({', '.join('?' * len(columns))})", rows)
            old.execute("COMMIT")
    finally:
        old.close()
        new.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(current) + suffix).unlink(missing_ok=True)
    old_path.rename(current)


def prepare(workdir: Path) -> Stores:
    stores = Stores(workdir / "current", workdir / "old-template")
    stores.data_keys[stores.current] = _make_store(stores.current, "Harness Primary")
    # A store from the first release was one file: the old template is single-key.
    key = _make_store(stores.old_template, "Harness Old Primary", split=False)
    _as_schema_1(stores.old_template, key)
    stores.data_keys[stores.old_template] = key
    return stores


# -- one round ------------------------------------------------------------------------------------
@dataclass
class RoundResult:
    lines: list[str]
    phase: str  # "unlocking" (keys), "opening" (migrations, login audit) or "recording"
    exited_early: str | None = None


def _reader(stream: object, out: queue.Queue[tuple[str, float] | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put((line.rstrip("\n"), time.monotonic()))
    out.put(None)


MARKERS = ("ready", "opening", "unlocked")


@dataclass(frozen=True)
class Kill:
    """Kill ``delay`` seconds after the child printed ``after`` (a marker, or "save" for the
    ``count``-th reported save). Waiting for a line, not a time, keeps the aim on a slow machine.
    """

    delay: float
    after: str = "ready"
    count: int = 1

    def describe(self) -> str:
        what = f"save #{self.count}" if self.after == "save" else self.after
        return f"{self.delay * 1000:.0f} ms after {what}"


def choose_kill(rng: random.Random, *, migrating: bool) -> Kill:
    """A third of the kills (all of them on a store being migrated) land within 15 ms of the
    store being opened: inside the migrations or the login audit append; a third a few ms after
    a reported save, as the next transaction begins; a third anywhere in half a second."""
    roll = rng.random()
    if migrating or roll < 1 / 3:
        return Kill(rng.uniform(0.0, 0.015), "opening")
    if roll < 2 / 3:
        return Kill(rng.uniform(0.0, 0.006), "save", rng.randint(1, 30))
    return Kill(rng.uniform(0.0, 0.5))


def run_child_and_kill(directory: Path, seed: int, kill: Kill, round_number: int = 0
                       ) -> RoundResult:
    env = dict(os.environ, **{PASS_ENV: WRITER_PASS})
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child",
                             str(directory), "--seed", str(seed), "--round",
                             str(round_number)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    lines: queue.Queue[tuple[str, float] | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    got: list[str] = []
    try:
        first = lines.get(timeout=60)
        if first is None or first[0] != "ready":
            proc.kill()
            proc.wait()
            return RoundResult(got, "unlocking", "child did not start: "
                               + (proc.stderr.read() if proc.stderr else ""))
        seen = 1 if kill.after == "ready" else 0
        while seen < kill.count:
            try:
                item = lines.get(timeout=60)
            except queue.Empty:
                break
            if item is None:
                break
            got.append(item[0])
            kind = item[0] if item[0] in MARKERS else "save"
            seen += kind == kill.after
        time.sleep(kill.delay)
        early = proc.poll()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (item := lines.get(timeout=10)) is not None:
        got.append(item[0])
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    problem = None
    if early is not None:
        problem = f"the child stopped by itself (status {early}) before the kill: {stderr[-500:]}"
    phase = ("recording" if "unlocked" in got else "opening" if "opening" in got
             else "unlocking")
    return RoundResult(got, phase, problem)


@dataclass
class Promised:
    concerns: list[str] = field(default_factory=list)
    versions: list[tuple[str, str]] = field(default_factory=list)
    last_draft: tuple[int, int] | None = None  # (round, n): drafts replace each other

    def add(self, lines: list[str], round_number: int) -> None:
        for line in lines:
            parts = line.split()
            if parts[0] == "concern":
                self.concerns.append(parts[1])
            elif parts[0] == "version":
                self.versions.append((parts[1], parts[2]))
            elif parts[0] == "draft":
                self.last_draft = (round_number, int(parts[1]))


def raw_schema_version(directory: Path, data_key: bytes) -> int:
    """The schema version as the kill left it, read before the checker's unlock migrates."""
    from app.store.db import DB_FILE, connect, schema_version

    conn = connect(directory / DB_FILE, data_key)
    try:
        return schema_version(conn)
    finally:
        conn.close()


def forgive_interrupted_sign_ins(directory: Path) -> None:
    """A sign-in killed before its verdict counts as a wrong passphrase (app/store/ratelimit.py:
    killing the process must not buy free guesses), so a run of kills during the writer's
    unlock would make the next round wait minutes. The harness ends the delay as an admin does
    after a passphrase reset; what it tests is the store, not the rate limit."""
    from app.clock import SystemClock
    from app.store.ratelimit import UnlockState, attempt_lock

    with attempt_lock(directory):
        UnlockState(directory, SystemClock()).clear("writer")


def check_store(directory: Path, promised: Promised) -> list[str]:
    """What does not hold after a crash; empty when everything does."""

    from app.errors import ConcernDeskError
    from app.store.access import unlock
    from app.store.schema import LATEST
    from app.store.verify import verify_store

    try:
        session = unlock(directory, "checker", CHECKER_PASS)
    except ConcernDeskError as exc:
        return [f"the store did not open after the crash: {exc}"]
    problems: list[str] = []
    with session:
        conn = session.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != LATEST:
            problems.append(f"schema is {version} after reopening, not {LATEST}")
        report = verify_store(session)
        problems += [f"verify: {p}" for p in report.problems]
        present = {r[0] for r in conn.execute("SELECT id FROM records WHERE kind = 'concern'")}
        problems += [f"concern {cid} was reported saved but is missing"
                     for cid in promised.concerns if cid not in present]
        versions = {r[0] for r in conn.execute("SELECT id FROM record_versions")}
        problems += [f"version {vid} of {rid} was reported saved but is missing"
                     for rid, vid in promised.versions if vid not in versions]
        half = conn.execute(
            "SELECT r.id FROM records r WHERE r.kind = 'concern' AND ("
            " NOT EXISTS (SELECT 1 FROM record_versions v WHERE v.record_id = r.id) OR"
            " NOT EXISTS (SELECT 1 FROM record_status s WHERE s.record_id = r.id) OR"
            " NOT EXISTS (SELECT 1 FROM record_children c WHERE c.record_id = r.id) OR"
            " NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'create'"
            "             AND a.object_id = r.id))").fetchall()
        problems += [f"concern {r[0]} is half there" for r in half]
        unindexed = conn.execute("SELECT count(*) FROM record_versions v WHERE NOT EXISTS "
                                 "(SELECT 1 FROM record_fts f WHERE f.rowid = v.rowid)"
                                 ).fetchone()[0]
        if unindexed:
            problems.append(f"{unindexed} versions have no search-index row")
        amend_events = {r[0] for r in conn.execute(
            "SELECT json_extract(detail, '$.version') FROM audit WHERE action = 'amend'")}
        problems += [f"version {vid} has no amend audit event"
                     for _rid, vid in promised.versions if vid not in amend_events]
    if promised.last_draft is not None:
        # A draft is sealed to its author (docs/keys.md): only the writer can read it back.
        from app.store.drafts import load_draft

        with unlock(directory, "writer", WRITER_PASS) as writer:
            body = load_draft(writer, "harness")
        if body is None or (body["round"], body["n"]) < promised.last_draft:
            problems.append(f"draft {promised.last_draft} was reported saved but is not "
                            f"there (found {body and (body['round'], body['n'])})")
    return problems


# -- the whole run --------------------------------------------------------------------------------
@dataclass
class HarnessResult:
    rounds: int = 0
    concerns: int = 0
    versions: int = 0
    drafts: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    schema_found: Counter[int] = field(default_factory=Counter)  # migration rounds only
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        states = ", ".join(f"v{v}: {n}" for v, n in sorted(self.schema_found.items()))
        return (f"{self.rounds} rounds, {sum(self.kills.values())} SIGKILLs "
                f"({self.kills['unlocking']} while unwrapping the key, {self.kills['opening']} "
                f"while opening, migrating or auditing the login, {self.kills['recording']} "
                f"while recording); {self.concerns} concerns, "
                f"{self.versions} amendments and {self.drafts} drafts reported saved; "
                f"migration rounds left the schema at [{states}] before reopening; "
                + ("every reported save was found and verify passed after every kill"
                   if self.ok else f"{len(self.problems)} PROBLEMS"))


def run_harness(rounds: int, workdir: Path, *, seed: int = 1,
                log: Callable[[str], None] = lambda _msg: None) -> HarnessResult:
    rng = random.Random(seed)
    stores = prepare(workdir)
    result = HarnessResult()
    promised_current = Promised()
    for number in range(1, rounds + 1):
        migration_round = number % 4 == 0
        if migration_round:
            directory = workdir / f"old-{number}"
            shutil.copytree(stores.old_template, directory)
            promised = Promised()
        else:
            directory, promised = stores.current, promised_current
        kill = choose_kill(rng, migrating=migration_round)
        outcome = run_child_and_kill(directory, rng.randrange(1 << 30), kill, number)
        forgive_interrupted_sign_ins(directory)
        result.rounds += 1
        result.kills[outcome.phase] += 1
        if outcome.exited_early:
            result.problems.append(f"round {number}: {outcome.exited_early}")
        before = len(promised.concerns), len(promised.versions)
        promised.add(outcome.lines, number)
        result.concerns += len(promised.concerns) - before[0]
        result.versions += len(promised.versions) - before[1]
        result.drafts += sum(1 for line in outcome.lines if line.startswith("draft"))
        if migration_round:
            result.schema_found[raw_schema_version(directory,
                                                   stores.data_keys[stores.old_template])] += 1
        problems = check_store(directory, promised)
        result.problems += [f"round {number} (kill {kill.describe()}, {outcome.phase}): {p}"
                            for p in problems]
        log(f"round {number}: kill {kill.describe():24} during {outcome.phase:9}; "
            f"{len(outcome.lines)} lines; {'ok' if not problems else 'PROBLEMS'}")
        for problem in problems[:5]:
            log(f"    {problem}")
        if migration_round:
            shutil.rmtree(directory, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where to make the stores (default: a "
                        "temporary folder, removed afterwards)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, "writer", args.seed, args.round)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-harness-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run_harness(args.rounds, workdir, seed=args.seed,
                             log=(lambda _m: None) if args.quiet else print)
    for problem in result.problems:
        print("PROBLEM:", problem)
    print(result.summary())
    print(f"({time.monotonic() - started:.0f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
