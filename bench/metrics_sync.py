"""Sync throughput: envelopes a device uploads per second to a front door on 127.0.0.1.

A real ``concerndesk-frontdoor serve`` process on a free port (SQLite in its store directory,
or a fresh database in the PostgreSQL cluster that scripts/with-postgres.sh provides); a device
key asks to enrol and an admin enrols it with the CLI, as in real use. The envelopes are sealed
before the clock starts (the app seals when it queues); each PUT is signed, stored, receipted
and the receipt verified, one after another, as the outbox worker sends them.
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench.report import Results

POSTGRES_ENV = "CONCERNDESK_TEST_POSTGRES_URL"
PASSPHRASE_ENV = "CONCERNDESK_FRONTDOOR_PASSPHRASE"
SERVICE_PASSPHRASE = "synthetic benchmark service passphrase"
REPO = Path(__file__).resolve().parents[1]
PARALLEL = 4


def missing() -> str | None:
    for module in ("frontdoor.cli", "frontdoor.keys", "app.sync.client", "app.sync.envelope"):
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
    results.set(name, rate, note="sequential signed PUTs, receipts verified", **extra)


def throughput(count: int, database: str | None) -> tuple[float, dict[str, float]]:
    from app.sync.client import FrontDoorClient
    from app.sync.envelope import new_header, seal
    from app.sync.fingerprint import KeyPairs
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
            school = KeyPairs.generate()
            with FrontDoorClient(url, school.signing, school.fingerprint,
                                 service_bundle=info.bundle) as client:
                client.request_enrolment(school.bundle, "Synthetic benchmark school")
                subprocess.run([sys.executable, "-m", "frontdoor.cli", "enrol", "--store",
                                str(store), "--fingerprint", school.fingerprint, "--name",
                                "Synthetic benchmark school", *extra],
                               cwd=REPO, env=env, check=True, capture_output=True)
                payload = b'{"synthetic": true, "note": "benchmark envelope"}' * 4
                hpke = info.bundle.hpke_key()

                def envelope() -> bytes:
                    header = new_header(school.fingerprint, info.fingerprint, "referral")
                    return seal(header, payload, hpke, school.signing)

                for _ in range(20):  # warm the connection and the service
                    client.put_envelope(envelope())
                envelopes = [envelope() for _ in range(count)]
                started = time.perf_counter()
                for body in envelopes:
                    client.put_envelope(body)
                elapsed = time.perf_counter() - started
                # The same with four uploads in flight: what a parallel outbox would get.
                more = [envelope() for _ in range(count)]
                started = time.perf_counter()
                with ThreadPoolExecutor(PARALLEL) as pool:
                    list(pool.map(client.put_envelope, more))
                parallel = time.perf_counter() - started
            return count / elapsed, {"envelopes": count, "bytes_each": len(envelopes[0]),
                                     "seconds": elapsed,
                                     f"per_s_with_{PARALLEL}_in_flight": count / parallel}
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
