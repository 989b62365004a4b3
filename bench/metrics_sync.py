"""Sync throughput: envelopes a device uploads per second to a front door on 127.0.0.1.

A real ``concerndesk-frontdoor serve`` process on a free port (SQLite in its store directory,
or a fresh database in the PostgreSQL cluster that scripts/with-postgres.sh provides); a device
key asks to enrol and an admin enrols it with the CLI, as in real use. The envelopes are sealed
and queued in a real store's outbox before the clock starts (the app seals when it queues);
``outbox.drain`` then sends them as the sync worker does: each PUT signed, stored, receipted,
the receipt verified and committed to the store, a few uploads in flight.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.report import Results

POSTGRES_ENV = "CONCERNDESK_TEST_POSTGRES_URL"
PASSPHRASE_ENV = "CONCERNDESK_FRONTDOOR_PASSPHRASE"
SERVICE_PASSPHRASE = "synthetic benchmark service passphrase"
REPO = Path(__file__).resolve().parents[1]


def missing() -> str | None:
    for module in ("frontdoor.cli", "frontdoor.keys", "app.protocol.client",
                   "app.protocol.envelope"):
        if importlib.util.find_spec(module) is None:
            return f"not available yet ({module} is not built)"
    return None


def measure_sync(results: Results, count: int, *, log: Callable[[str], None] = print) -> None:
    reason = missing()
    if reason:
        results.skip("sync_sqlite_per_s", reason)
        results.skip("sync_postgres_per_s", reason)
        return
    log(f"sync: {count} envelopes to a loopback front door (SQLite)")
    _one(results, "sync_sqlite_per_s", count, None, log)
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        results.skip("sync_postgres_per_s", f"no PostgreSQL: {POSTGRES_ENV} is not set (run "
                     "through scripts/with-postgres.sh)")
        return
    log(f"sync: {count} envelopes to a loopback front door (PostgreSQL)")
    with _postgres_database(url) as database:
        _one(results, "sync_postgres_per_s", count, database, log)


def _one(results: Results, name: str, count: int, database: str | None,
         log: Callable[[str], None]) -> None:
    try:
        rate, extra = throughput(count, database)
    except Exception as exc:  # report, never crash the whole benchmark
        log(f"  {name} failed: {type(exc).__name__}: {exc}")
        results.skip(name, f"failed: {type(exc).__name__}: {str(exc)[:160]}")
        return
    results.set(name, rate, note="outbox.drain: signed PUTs, receipts verified and committed",
                **extra)


def throughput(count: int, database: str | None) -> tuple[float, dict[str, float]]:
    """Envelopes per second through the app's own path: sealed and queued in a real encrypted
    store's outbox (before the clock starts, as the app seals when it queues), then
    ``outbox.drain`` uploads them — signed PUTs, stored by the service, receipts verified and
    kept, each outcome committed — with its usual uploads in flight, and again one at a time."""
    from app.delivery.identity import store_identity
    from app.delivery.outbox import IN_FLIGHT, drain, enqueue
    from app.delivery.services import get_service, make_client, set_service
    from app.protocol.envelope import new_header, seal
    from app.store.access import create_store
    from app.store.keys import TEST_KDF
    from frontdoor import keys

    with tempfile.TemporaryDirectory(prefix="concerndesk-bench-fd-") as tmp:
        store = Path(tmp) / "la-store"
        info = keys.init_store(store, "la", "Synthetic benchmark front door", SERVICE_PASSPHRASE)
        env = {**os.environ, PASSPHRASE_ENV: SERVICE_PASSPHRASE}
        extra = ["--database", database] if database else []
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "frontdoor.cli", "serve", "--store", str(store), "--port",
             str(port), "--log-level", "warning", *extra],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(server, url)
            made = create_store(Path(tmp) / "school", school_name="Synthetic Bench Primary",
                                admin_username="admin", admin_display_name="Bench Admin",
                                passphrase=SERVICE_PASSPHRASE, kdf=TEST_KDF)
            with made.session as session:
                set_service(session, "frontdoor", url, info.fingerprint)
                me = store_identity(session.store_id).fingerprint
                subprocess.run([sys.executable, "-m", "frontdoor.cli", "enrol", "--store",
                                str(store), "--fingerprint", me, "--name",
                                "Synthetic benchmark school", *extra],
                               cwd=REPO, env=env, check=True, capture_output=True)
                payload = b'{"synthetic": true, "note": "benchmark envelope"}' * 4
                hpke = info.bundle.hpke_key()

                def queue(n: int) -> int:
                    bodies = [seal(new_header(me, info.fingerprint, "referral"), payload, hpke,
                                   session.device.signing_key) for _ in range(n)]
                    with session.tx():
                        enqueue(session, bodies, info.fingerprint, "benchmark", "bench")
                    return len(bodies[0])

                def send(in_flight: int) -> float:
                    service = get_service(session, "frontdoor")
                    with make_client(service.url, session, service.bundle) as client:
                        started = time.perf_counter()
                        done = drain(session, client, in_flight=in_flight)
                        elapsed = time.perf_counter() - started
                    if [d.outcome for d in done] != ["receipted"] * len(done):
                        raise RuntimeError("an envelope was not receipted")
                    return elapsed

                queue(20)
                send(IN_FLIGHT)  # warm the connection and the service
                size = queue(count)
                elapsed = send(IN_FLIGHT)
                queue(count)
                one_at_a_time = send(1)
            return count / elapsed, {"envelopes": count, "bytes_each": size, "seconds": elapsed,
                                     "in_flight": IN_FLIGHT,
                                     "per_s_one_at_a_time": count / one_at_a_time}
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"serve exited {server.returncode}: "
                               f"{server.stderr.read().decode()[-300:] if server.stderr else ''}")
        try:
            if httpx.get(url + "/v1/service-key", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the front door did not start in 30 s")
        time.sleep(0.05)


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database in the given cluster, dropped afterwards."""
    import psycopg

    name = "cd_bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
