#!/usr/bin/env python3
"""Sync crash harness: SIGKILL a PC in the middle of a sync, many times, at random points, and
prove that a sync delivers each envelope exactly once in effect (DESIGN.md, promise 2).

    scripts/with-keyring.sh .venv/bin/python scripts/crash_sync_harness.py --rounds 200

(``scripts/with-keyring.sh`` gives the core the OS keyring it needs.) ``tests/reliability/
test_crash_sync.py`` runs a few rounds of the same code in CI.

The harness starts two real services on 127.0.0.1 (``concerndesk-frontdoor serve``): a school
hub and an LA front door. It makes a school of four PCs through the hub — the admin's DSL PC,
a deputy DSL PC and two teacher PCs that joined and were provisioned the ordinary way — and a
second school's DSL PC enrolled at the LA front door. The process killed runs one round of the
desktop app's background sync worker (``ui.sync_worker.sync_once``); after the kill the harness
syncs as ``concerndesk-cli sync`` does. Then, round after round:

- **pull** rounds: the teacher PCs record concerns (and amend some) and deliver them to the hub;
  a child process unlocks the deputy's DSL PC and syncs; it is killed as it applies the k-th
  envelope (inside or just after the applying transaction, with its "applied" mark, cursor
  and audit event), or while it fetches the inbox;
- **push** rounds: a teacher PC records and a child process delivering its outbox to the hub is
  killed as it uploads or just after a receipt came back (as the receipt is being stored);
- **LA** rounds: the DSL PC approves and queues referral packs for the LA front door; a child
  process delivering them is killed mid-upload or while it stores a receipt.

After every kill the harness reopens the killed PC's store and checks that it opens, that
``verify`` passes (page HMACs, integrity check, audit chain), that nothing is half applied (every
concern has its versions, status, child and search-index rows; every applied envelope has its
one audit event), and that a sync afterwards completes. Then:

- the deputy's DSL store holds exactly the concerns the teacher PCs reported saved — the same
  record ids and, for each, the same version ids and status events (nothing lost, nothing
  doubled), and no envelope was applied (or audited as applied) twice;
- at the LA front door each queued envelope is stored exactly once with the bytes the school
  sent; each outbox row holds a receipt that verifies with the front door's key and names that
  envelope and its SHA-256; each referral is ``receipted`` by one status event and one receipt
  audit event per envelope; the LA's own inbox decrypts every referral pack.

Exit status 0 when every round held, 1 otherwise (the problems are listed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PASS_ENV = "CRASH_HARNESS_PASSPHRASE"
MUTANT_ENV = "CRASH_HARNESS_MUTANT"  # --self-check only: plants a bug in the child
SERVICE_PASS = "sync harness service passphrase"
ADMIN_PASS = "sync harness admin passphrase"
STAFF_PASS = "sync harness staff passphrase"
CHILD_TIME_LIMIT = 60.0  # a child never outlives a harness that forgot it
# Synthetic pupils only (invented names, UPNs with valid check letters).
PUPILS = (("B801200005001", "Harriet", "Testwell"), ("Q801200005002", "Idris", "Samplesby"),
          ("U801200005004", "Juno", "Mockford"))
TEACHERS = ("teacher", "teacher2")
READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("worries", "Harness worry: missed meals"),
         ("risk_view", "medium")]


def passphrase_for(username: str) -> str:
    return ADMIN_PASS if username == "admin" else STAFF_PASS


# -- what the checker runs after a kill: one sync of everything, as ``concerndesk-cli sync`` ------
@dataclass
class SyncOutcome:
    sent: list[str] = field(default_factory=list)  # outcomes: receipted | waiting | failed
    received: list[str] = field(default_factory=list)  # applied | already | refused
    waiting: str | None = None


def sync_everything(session: Any) -> SyncOutcome:
    """What ``concerndesk-cli sync`` does: the LA front door's envelopes to it, then the hub."""
    from app.delivery.outbox import drain
    from app.delivery.services import get_service, make_client
    from app.errors import ConcernDeskError
    from app.hub.sync import sync_hub

    def service(role: str) -> Any:
        try:
            return get_service(session, role)
        except ConcernDeskError:
            return None

    outcome = SyncOutcome()
    frontdoor, hub = service("frontdoor"), service("hub")
    if frontdoor is not None:
        with make_client(frontdoor.url, session, frontdoor.bundle) as client:
            outcome.sent += [d.outcome for d in drain(session, client,
                                                       recipients={frontdoor.fingerprint})]
    if hub is not None:
        report = sync_hub(session, exclude={frontdoor.fingerprint} if frontdoor else None)
        outcome.sent += [d.outcome for d in report.sent]
        outcome.received += [r.outcome for r in report.received]
        outcome.waiting = report.waiting
    return outcome


# -- the child: one sync, killed somewhere inside it ---------------------------------------------
def child_main(directory: Path, username: str) -> int:
    """One round of the desktop app's background sync worker (``ui.sync_worker.sync_once``, the
    code its thread runs every minute), on a store unlocked as ``username``."""
    import app.hub.sync
    from app.hub.provisional import sign_in
    from app.protocol.client import FrontDoorClient

    # Markers for the harness only, printed around the core's own calls, which run unchanged:
    # "apply" as an envelope starts being verified, opened and applied, "applied" once its
    # transaction committed; "put" as an upload starts, "receipt" once the service answered
    # (the receipt's transaction comes next).
    real_receive, real_put = app.hub.sync.receive, FrontDoorClient.put_envelope

    mutant = os.environ.get(MUTANT_ENV) == "cursor-first"

    def traced_receive(*args: Any, **kwargs: Any) -> Any:
        print("apply", flush=True)
        if mutant:  # --self-check: a planted bug, the cursor committed before the apply
            session, item = args[0], args[1]
            with session.tx():
                app.hub.sync._set_cursor(session, item.cursor)
            time.sleep(0.005)
        result = real_receive(*args, **kwargs)
        print("applied", flush=True)
        return result

    def traced_put(self: FrontDoorClient, raw: bytes) -> Any:
        print("put", flush=True)
        receipt = real_put(self, raw)
        print("receipt", flush=True)
        return receipt

    app.hub.sync.receive = traced_receive  # type: ignore[assignment]
    FrontDoorClient.put_envelope = traced_put  # type: ignore[method-assign]
    from ui.sync_worker import sync_once  # the desktop app's background round (QtCore only)

    print("ready", flush=True)
    session = sign_in(directory, username, os.environ[PASS_ENV])
    print("unlocked", flush=True)
    outcome = sync_once(session, everything=True)
    print(f"synced {json.dumps({'problem': outcome.problem})}", flush=True)
    time.sleep(CHILD_TIME_LIMIT)  # the harness kills us; a late kill lands here, harmlessly
    return 0


# -- the services ----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """``concerndesk-frontdoor serve`` over its own SQLite store on a free loopback port."""

    def __init__(self, store: Path, mode: str) -> None:
        import httpx

        from frontdoor import keys

        self.store = store
        self.info = keys.init_store(store, mode, f"Harness {mode} service", SERVICE_PASS)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, keys.PASSPHRASE_ENV: SERVICE_PASS}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "frontdoor.cli", "serve", "--store", str(store), "--port",
             str(self.port), "--max-body", str(4 * 1024 * 1024), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {mode} service did not start")
            try:
                if httpx.get(self.url + "/v1/service-key", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {mode} service did not answer within 60 s")
            time.sleep(0.05)

    def storage(self) -> Any:
        from frontdoor.storage import open_storage

        return open_storage(self.store, None)

    def enrol(self, fingerprint: str, name: str) -> None:
        """What ``concerndesk-frontdoor enrol`` does for a device that asked to enrol."""
        from app.clock import SystemClock

        storage = self.storage()
        try:
            record = storage.get_key(fingerprint)
            if record is None:
                raise RuntimeError("the device never asked to enrol")
            storage.set_key(record.bundle, name, "enrolled", SystemClock().now())
        finally:
            storage.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the schools -----------------------------------------------------------------------------------
@dataclass
class World:
    hub: ServiceProcess
    la: ServiceProcess
    dirs: dict[str, Path] = field(default_factory=dict)  # PC name → store; "la-school" too
    # What the teacher PCs reported saved: record id → version ids (in order).
    saved: dict[str, list[str]] = field(default_factory=dict)
    # Referral id → the envelope ids queued for the LA front door.
    referrals: dict[str, list[str]] = field(default_factory=dict)
    counter: int = 0

    def open(self, pc: str, username: str | None = None) -> Any:
        from app.hub.provisional import sign_in

        user = username or pc
        return sign_in(self.dirs[pc], user, passphrase_for(user))


def _new_store(directory: Path, school: str, users: tuple[tuple[str, str, str], ...]) -> Any:
    from app.domain.pupils import apply_roster
    from app.domain.roster_csv import RosterRow
    from app.store.access import create_store
    from app.store.keys import TEST_KDF
    from app.store.users import add_user

    made = create_store(directory, school_name=school, admin_username="admin",
                        admin_display_name="Harness Admin", passphrase=ADMIN_PASS, kdf=TEST_KDF,
                        split=False)  # a hub school: one key until the hub carries the DSL key
    admin = made.session
    for name, display, roles in users:
        add_user(admin, name, display, roles, STAFF_PASS, kdf=TEST_KDF)
    apply_roster(admin, [RosterRow(upn, fore, sur, None, date(2016, 3, 1 + i), "X", "Y5", None,
                                   0) for i, (upn, fore, sur) in enumerate(PUPILS)])
    return admin


def prepare(workdir: Path) -> World:
    from app.delivery.services import set_service
    from app.delivery.team_keys import device_fingerprint, ensure_team_keys
    from app.hub.backfill import backfill
    from app.hub.join import join_school, provision_from_hub
    from app.hub.provision import approve_device
    from app.hub.sync import sync_hub

    world = World(ServiceProcess(workdir / "hub-store", "school"),
                  ServiceProcess(workdir / "la-store", "la"))
    main = workdir / "dsl"
    world.dirs["dsl"] = main
    with _new_store(main, "Harness Hub Primary", (
            ("dsl", "Dana Harness", "dsl"), ("deputy", "Dev Harness", "dsl"),
            ("teacher", "Terry Harness", "staff"), ("teacher2", "Tess Harness", "staff"))
                    ) as admin:
        set_service(admin, "hub", world.hub.url, world.hub.info.fingerprint)
        ensure_team_keys(admin)
        backfill(admin)
        world.hub.enrol(device_fingerprint(admin), "Harness DSL PC")
        admin_pc = device_fingerprint(admin)
    for pc, purpose in (("deputy", "dsl"), ("teacher", "staff"), ("teacher2", "staff")):
        directory = workdir / pc
        joined = join_school(directory, world.hub.url, world.hub.info.fingerprint,
                             name=f"Harness {pc} PC", admin_fingerprint=admin_pc,
                             require_admin=True)
        world.dirs[pc] = directory
        world.hub.enrol(joined.fingerprint, f"Harness {pc} PC")
        with world.open("dsl", "admin") as admin:
            approve_device(admin, joined.fingerprint, purpose)
            sync_hub(admin)
        if not provision_from_hub(directory).done:
            raise RuntimeError(f"the {pc} PC was not provisioned")
        with world.open(pc) as session:  # the first sign-in claims the provisional wrap
            sync_hub(session)
    # A second school, its DSL PC sending referrals to the LA front door.
    world.dirs["la-school"] = workdir / "la-school"
    with _new_store(world.dirs["la-school"], "Harness Referring Primary",
                    (("dsl", "Dana Referrer", "dsl"),)) as admin:
        pass
    with world.open("la-school", "dsl") as dsl:
        set_service(dsl, "frontdoor", world.la.url, world.la.info.fingerprint)
        world.la.enrol(device_fingerprint(dsl), "Harness Referring Primary")
    return world


def teachers_record(world: World, rng: random.Random, pcs: tuple[str, ...], *,
                    deliver: bool) -> int:
    """Each teacher PC records one to three concerns (and amends one now and then); returns how
    many envelopes they queued for the DSL team."""
    from app.domain.concerns import ConcernDraft, amend_concern, record_concern
    from app.hub.sync import sync_hub

    queued = 0
    for pc in pcs:
        with world.open(pc) as session:
            children = [r[0] for r in session.conn.execute("SELECT id FROM children")]
            before = session.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            for _ in range(rng.randint(1, 3)):
                world.counter += 1
                view = record_concern(session, ConcernDraft(
                    children=[(rng.choice(children), "subject")], categories=["neglect"],
                    text=f"Harness sync observation {world.counter}: no PE kit again",
                    child_words="I forgot it", action_taken="Lent spare kit",
                    occurred_at=session.clock.now() - timedelta(minutes=5)))
                world.saved[view.id] = [view.latest.id]
                if rng.random() < 0.3:
                    version = amend_concern(session, view.id, "harness correction",
                                            text=f"Harness sync correction {world.counter}")
                    world.saved[view.id].append(version.id)
            queued += session.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] - before
            if deliver:
                sync_hub(session)
    return queued


def queue_referrals(world: World, rng: random.Random) -> int:
    """The referring school's DSL approves one to three referrals and queues them."""
    from app.delivery.referral import queue_referral
    from app.domain.concerns import ConcernDraft, record_concern
    from app.domain.referrals import approve_referral, create_referral

    queued = 0
    with world.open("la-school", "dsl") as dsl:
        children = [r[0] for r in dsl.conn.execute("SELECT id FROM children")]
        for _ in range(rng.randint(1, 3)):
            child = rng.choice(children)
            world.counter += 1
            record_concern(dsl, ConcernDraft(
                children=[(child, "subject")], categories=["neglect"],
                text=f"Harness referral concern {world.counter}",
                occurred_at=dsl.clock.now() - timedelta(hours=1)))
            referral = create_referral(dsl, child, READY)
            approve_referral(dsl, referral.id)
            world.referrals[referral.id] = queue_referral(dsl, referral.id)
            queued += len(world.referrals[referral.id])
    return queued


# -- one kill --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kill:
    """Kill ``delay`` seconds after the child printed ``after`` for the ``count``-th time."""

    delay: float
    after: str
    count: int = 1

    def describe(self) -> str:
        return f"{self.delay * 1000:.1f} ms after {self.after} #{self.count}"


def choose_kill(rng: random.Random, kind: str, expected: int) -> Kill:
    """Most kills land on the k-th envelope: pull rounds inside its verify-open-apply
    transaction (up to 15 ms after it starts) or just after it committed; push and LA rounds
    mid-upload or as the receipt is stored. A few land anywhere in the fetch after unlocking."""
    roll = rng.random()
    k = rng.randint(1, max(1, expected))
    if roll < 0.12:
        return Kill(rng.uniform(0.0, 0.25), "unlocked")
    if kind == "pull":
        if roll < 0.75:
            return Kill(rng.uniform(0.0, 0.015), "apply", k)
        return Kill(rng.uniform(0.0, 0.003), "applied", k)
    if roll < 0.55:
        return Kill(rng.uniform(0.0, 0.012), "put", k)
    return Kill(rng.uniform(0.0, 0.003), "receipt", k)


@dataclass
class RoundResult:
    lines: list[str]
    phase: str
    problem: str | None = None


def _reader(stream: Any, out: queue.Queue[str | None]) -> None:
    for line in stream:
        out.put(line.rstrip("\n"))
    out.put(None)


def run_child_and_kill(directory: Path, username: str, kill: Kill) -> RoundResult:
    env = dict(os.environ, **{PASS_ENV: passphrase_for(username)})
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child",
                             str(directory), "--user", username], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    got: list[str] = []
    early = None
    try:
        seen = 0
        while seen < kill.count:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                break
            if line is None:
                break
            got.append(line)
            seen += line == kill.after
            if line.startswith("synced"):
                break  # the sync ended before the aimed-at point: the kill lands after it
        time.sleep(kill.delay)
        early = proc.poll()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:
        got.append(line)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    problem = None
    if early is not None:
        problem = f"the child stopped by itself (status {early}) before the kill: {stderr[-800:]}"
    markers = [line.split()[0] for line in got if line.strip()]  # a kill may cut a line
    phase = ("after the sync" if "synced" in markers else
             "storing a receipt" if markers and markers[-1] == "receipt" else
             "uploading" if "put" in markers else
             "applying" if markers and markers[-1] == "apply" else
             "between envelopes" if "applied" in markers else
             "fetching" if "unlocked" in markers else "unlocking")
    return RoundResult(got, phase, problem)


# -- the checks -----------------------------------------------------------------------------------
def check_opens(world: World, pc: str, username: str) -> tuple[Any | None, list[str]]:
    """The killed PC's store opens, is at the latest schema and verifies."""
    from app.errors import ConcernDeskError
    from app.hub.provisional import sign_in
    from app.store.schema import LATEST
    from app.store.verify import verify_store

    try:
        session = sign_in(world.dirs[pc], username, passphrase_for(username))
    except ConcernDeskError as exc:
        return None, [f"the {pc} store did not open after the kill: {exc}"]
    problems = []
    version = session.conn.execute("PRAGMA user_version").fetchone()[0]
    if version != LATEST:
        problems.append(f"schema is {version}, not {LATEST}")
    problems += [f"verify: {p}" for p in verify_store(session).problems]
    return session, problems


def nothing_half_applied(session: Any) -> list[str]:
    conn = session.conn
    problems = [f"concern {r[0]} is half there" for r in conn.execute(
        "SELECT r.id FROM records r WHERE r.kind = 'concern' AND ("
        " NOT EXISTS (SELECT 1 FROM record_versions v WHERE v.record_id = r.id) OR"
        " NOT EXISTS (SELECT 1 FROM record_status s WHERE s.record_id = r.id) OR"
        " NOT EXISTS (SELECT 1 FROM record_children c WHERE c.record_id = r.id))")]
    unindexed = conn.execute("SELECT count(*) FROM record_versions v WHERE NOT EXISTS "
                             "(SELECT 1 FROM record_fts f WHERE f.rowid = v.rowid)").fetchone()[0]
    if unindexed:
        problems.append(f"{unindexed} versions have no search-index row")
    audited = Counter(r[0] for r in conn.execute(
        "SELECT object_id FROM audit WHERE action = 'sync' AND object_type = 'envelope' AND "
        "json_extract(detail, '$.outcome') = 'applied'"))
    problems += [f"envelope {eid} was audited as applied {n} times"
                 for eid, n in audited.items() if n > 1]
    applied = applied_envelopes(conn)
    problems += [f"envelope {eid} audited as applied but not marked applied"
                 for eid in set(audited) - applied]
    return problems


def applied_envelopes(conn: Any) -> set[str]:
    """The envelopes marked applied, wherever this store keeps the marks: in the DSL store
    when it has one (app/delivery/inbox_marks.py), in the school store before that."""
    from app.store.dsl_store import attached

    ids = {r[0] for r in conn.execute("SELECT envelope_id FROM main.inbox_applied")}
    if attached(conn):
        ids |= {r[0] for r in conn.execute("SELECT envelope_id FROM dsl.applied_envelopes")}
    return ids


def check_converged(world: World) -> list[str]:
    """The deputy's DSL store holds exactly what the teachers reported saved, once: the same
    concerns, each with the same versions and the same status events as on its teacher's PC."""
    problems = []
    statuses: dict[str, set[str]] = {}
    for pc in TEACHERS:
        with world.open(pc) as teacher:
            for rid, sid in teacher.conn.execute("SELECT record_id, id FROM record_status"):
                statuses.setdefault(rid, set()).add(sid)
    with world.open("deputy") as deputy:
        conn = deputy.conn
        concerns = {r[0] for r in conn.execute("SELECT id FROM records WHERE kind = 'concern'")}
        problems += [f"concern {rid} reported saved on a teacher PC is missing on the DSL PC"
                     for rid in set(world.saved) - concerns]
        problems += [f"concern {rid} on the DSL PC was never reported saved"
                     for rid in concerns - set(world.saved)]
        versions: dict[str, list[str]] = {}
        for rid, vid in conn.execute("SELECT record_id, id FROM record_versions"):
            versions.setdefault(rid, []).append(vid)
        for rid, expected in world.saved.items():
            have = versions.get(rid, [])
            if sorted(have) != sorted(expected):
                problems.append(f"concern {rid} has {len(have)} versions on the DSL PC, "
                                f"{len(expected)} on the teacher's")
        here: dict[str, set[str]] = {}
        for rid, sid in conn.execute("SELECT record_id, id FROM record_status"):
            here.setdefault(rid, set()).add(sid)
        problems += [f"concern {rid} has {len(here.get(rid, ()))} status events on the DSL PC, "
                     f"{len(sids)} on the teacher's" for rid, sids in statuses.items()
                     if here.get(rid, set()) != sids]
    return problems


def check_la(world: World) -> list[str]:
    """Each referral's envelopes stored once at the LA, each with a verified receipt."""
    from app.delivery.outbox import items
    from app.domain.referrals import get_referral
    from app.protocol.receipt import Receipt, ReceiptError, verify_receipt

    problems: list[str] = []
    storage = world.la.storage()
    try:
        stored = storage.list_envelopes()
    finally:
        storage.close()
    counts = Counter(e.id for e in stored)
    bodies = {e.id: e.sha256 for e in stored}
    expected = {eid for ids in world.referrals.values() for eid in ids}
    problems += [f"the LA front door holds {eid} {n} times" for eid, n in counts.items() if n > 1]
    problems += [f"envelope {eid} never reached the LA front door"
                 for eid in expected - set(counts)]
    problems += [f"the LA front door holds {eid}, which no referral queued"
                 for eid in set(counts) - expected]
    signing = world.la.info.bundle.signing_key()
    with world.open("la-school", "dsl") as dsl:
        conn = dsl.conn
        for item in items(dsl):
            raw = bytes(conn.execute("SELECT envelope FROM outbox WHERE id = ?", (item.id,)
                                     ).fetchone()[0])
            sha = hashlib.sha256(raw).hexdigest()
            if item.state != "receipted" or not item.receipt:
                problems.append(f"envelope {item.id} is {item.state}, not receipted")
                continue
            try:
                receipt = Receipt.from_bytes(item.receipt.encode())
                verify_receipt(receipt, signing)
            except ReceiptError as exc:
                problems.append(f"the receipt for {item.id} does not verify: {exc}")
                continue
            if receipt.envelope_id != item.id or receipt.sha256 != sha:
                problems.append(f"the receipt for {item.id} names other bytes")
            if bodies.get(item.id) not in (None, sha):
                problems.append(f"the LA front door holds other bytes under {item.id}")
        receipts = Counter(r[0] for r in conn.execute(
            "SELECT object_id FROM audit WHERE action = 'receipt'"))
        problems += [f"envelope {eid} has {receipts[eid]} receipt audit events, not 1"
                     for eid in expected if receipts[eid] != 1]
        for rid in world.referrals:
            status = get_referral(dsl, rid, audit=False).status
            times = conn.execute("SELECT count(*) FROM referral_status WHERE referral_id = ? AND "
                                 "status = 'receipted'", (rid,)).fetchone()[0]
            if status != "receipted" or times != 1:
                problems.append(f"referral {rid} is {status} with {times} receipted events")
    return problems


def la_inbox_reads_every_pack(world: World) -> list[str]:
    """The LA's own reading side decrypts one referral per queued referral, all complete."""
    from frontdoor import keys
    from frontdoor.inbox import Inbox

    storage = world.la.storage()
    try:
        inbox = Inbox(storage, world.la.info,
                      keys.load_hpke_key(world.la.store, world.la.info, SERVICE_PASS))
        entries = [e for e in inbox.entries() if e.kind == "referral"]
    finally:
        storage.close()
    problems = [f"LA inbox entry {e.id}: {e.status}" for e in entries if e.status != "ok"]
    if len(entries) != len(world.referrals):
        problems.append(f"the LA inbox lists {len(entries)} referrals; "
                        f"{len(world.referrals)} were queued")
    return problems


# -- the whole run --------------------------------------------------------------------------------
ROUND_KINDS = ("pull", "pull", "push", "la")


@dataclass
class HarnessResult:
    rounds: int = 0
    kills: Counter[str] = field(default_factory=Counter)  # "kind: phase"
    concerns: int = 0
    referrals: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        phases = ", ".join(f"{k}: {n}" for k, n in sorted(self.kills.items()))
        return (f"{self.rounds} rounds, {sum(self.kills.values())} SIGKILLs mid-sync ({phases}); "
                f"{self.concerns} concerns from the teacher PCs and {self.referrals} referrals "
                "reported saved; "
                + ("after every kill the store opened, verified and synced to exactly what was "
                   "saved, each envelope once" if self.ok else
                   f"{len(self.problems)} PROBLEMS"))


def progress(world: World, pc: str, username: str) -> int:
    """How far the PC's syncs have got: envelopes applied here plus receipts stored here."""
    with world.open(pc, username) as session:
        receipted = session.conn.execute("SELECT count(*) FROM outbox WHERE state = "
                                         "'receipted'").fetchone()[0]
        return len(applied_envelopes(session.conn)) + int(receipted)


def run_round(world: World, rng: random.Random, kind: str) -> tuple[Kill, RoundResult,
                                                                     list[str]]:
    if kind == "pull":
        expected = teachers_record(world, rng, TEACHERS, deliver=True)
        pc, username = "deputy", "deputy"
    elif kind == "push":
        pc = username = rng.choice(TEACHERS)
        expected = teachers_record(world, rng, (pc,), deliver=False)
    else:
        expected = queue_referrals(world, rng)
        pc, username = "la-school", "dsl"
    kill = choose_kill(rng, kind, expected)
    before = progress(world, pc, username)
    outcome = run_child_and_kill(world.dirs[pc], username, kill)
    problems = [outcome.problem] if outcome.problem else []
    session, opened = check_opens(world, pc, username)
    problems += opened
    if session is not None:
        with session:
            problems += nothing_half_applied(session)
            if outcome.phase in {"applying", "storing a receipt", "uploading"}:
                # Did the kill land before or after the envelope in flight committed here?
                done = progress(world, pc, username) - before
                finished = sum(line in {"applied", "receipt"} for line in outcome.lines)
                if outcome.phase == "storing a receipt":
                    finished -= 1  # the receipt came back; storing it was under way
                outcome.phase += ", committed" if done > finished else ", not committed"
            again = sync_everything(session)
            if again.waiting or set(again.sent) - {"receipted"} or "refused" in again.received:
                problems.append(f"the sync after the kill did not complete: {again}")
    if kind == "push":  # what the teacher delivered after the kill, the deputy now pulls
        with world.open("deputy") as deputy:
            sync_everything(deputy)
    problems += check_converged(world) if kind != "la" else check_la(world)
    return kill, outcome, problems


def run_harness(rounds: int, workdir: Path, *, seed: int = 1,
                log: Callable[[str], None] = lambda _msg: None) -> HarnessResult:
    rng = random.Random(seed)
    world = prepare(workdir)
    result = HarnessResult()
    try:
        for number in range(1, rounds + 1):
            kind = ROUND_KINDS[(number - 1) % len(ROUND_KINDS)]
            kill, outcome, problems = run_round(world, rng, kind)
            result.rounds += 1
            result.kills[f"{kind}: {outcome.phase}"] += 1
            result.problems += [f"round {number} ({kind}, kill {kill.describe()}, "
                                f"{outcome.phase}): {p}" for p in problems]
            log(f"round {number}: {kind:4} kill {kill.describe():26} while "
                f"{outcome.phase:18} {'ok' if not problems else 'PROBLEMS'}")
            for problem in problems[:5]:
                log(f"    {problem}")
        result.problems += [f"at the end: {p}" for p in la_inbox_reads_every_pack(world)]
    finally:
        world.hub.stop()
        world.la.stop()
    result.concerns, result.referrals = len(world.saved), len(world.referrals)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where to make the stores (default: a "
                        "temporary folder, removed afterwards)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--self-check", action="store_true", help="plant a bug in the killed "
                        "process (it commits the inbox cursor before applying the envelope) and "
                        "expect the harness to find lost concerns; exit 0 when it does")
    args = parser.parse_args(argv)
    from app.hub.reactions import install

    install()  # as the desktop app and the CLI do at start-up
    if args.child:
        return child_main(args.child, args.user)
    if args.self_check:
        os.environ[MUTANT_ENV] = "cursor-first"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-sync-harness-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run_harness(args.rounds, workdir, seed=args.seed,
                             log=(lambda _m: None) if args.quiet else print)
    for problem in result.problems:
        print("PROBLEM:", problem)
    print(result.summary())
    print(f"({time.monotonic() - started:.0f} s)")
    if args.self_check:
        print("self-check: the planted bug was " + ("found" if not result.ok else "NOT found"))
        return 0 if not result.ok else 1
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
