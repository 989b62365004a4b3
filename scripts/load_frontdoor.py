#!/usr/bin/env python3
"""Load test for the front door: many schools sending at once, nothing lost, nothing refused.

    .venv/bin/python scripts/load_frontdoor.py                # 50 clients for 60 s, SQLite
    .venv/bin/python scripts/load_frontdoor.py --clients 200 --seconds 60 --payload 4096
    scripts/with-postgres.sh sh -c '.venv/bin/python scripts/load_frontdoor.py \
        --clients 200 --seconds 60 --processes 4 --database "$CONCERNDESK_TEST_POSTGRES_URL"'

It starts its own LA front door (``concerndesk-frontdoor serve``) on a free port of 127.0.0.1 —
it never sends anywhere else — and enrols one device key per client, the way an LA admin enrols
schools (the schools ask through the front door; ``concerndesk-frontdoor enrol`` trusts them).
It raises the service's enrolment rate limits for its own clients (all of them ask from
127.0.0.1, one after another), to twice the number of clients a minute: never reached, whether
one process counts them all or each of several counts its share.

By default that is one process on SQLite. With ``--database postgresql://…`` the service keeps
its envelopes in PostgreSQL instead: the script creates a database of its own in that cluster
(so it needs the CREATEDB right: ``scripts/with-postgres.sh`` gives a throwaway cluster whose
superuser has it), runs there, and drops it afterwards, so nothing it leaves or finds can change
the count. With ``--processes N`` (PostgreSQL only: SQLite is for one process) it starts N
``serve`` processes on free loopback ports, all on that database, and puts nginx in front of
them on ONE port of 127.0.0.1, with an upstream of the N processes. nginx because it is what an
LA runs in front of the service (installer/frontdoor/nginx.conf: the same proxy settings, less
TLS, which is not what is measured), so the figures include the proxy hop a real deployment has;
it spreads requests over the processes (round robin), keeps connections to them open, and gives
each the client's address (X-Forwarded-For, trusted from 127.0.0.1) as in production. The other
ways to share one port (SO_REUSEPORT, uvicorn's own workers) are not how the service is deployed
and ``serve`` offers neither. nginx comes with ``scripts/dev.sh test`` (nginx-light).

Once all are enrolled, each client, until the time is up, seals a fresh referral envelope of
synthetic bytes to the front door's key (HPKE) and signs it with its own key, PUTs it with a
signed request, and checks the signed receipt; one upload in twenty re-sends an envelope it sent
before, which must get the very same receipt back (idempotent upload).

Afterwards every receipted envelope must be in the service's database with the SHA-256 its
receipt names, and no other. It prints the figures (throughput and latency percentiles) and
exits 0 only when there was no error and no envelope was lost. Not a CI test: it runs for a
minute by design; the figures for this 2-core machine are in the README. Every process it starts
(front doors, nginx) is stopped, and its temporary directory removed, before it exits.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SERVICE_PASS = "synthetic load-test passphrase"
MAX_SECONDS = 600  # the loop is bounded whatever is asked
START_TIMEOUT = 300  # seconds the clients may take to get ready, all together


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ClientStats:
    latencies: list[float] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # envelope id -> sha256
    resent: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def run_client(url: str, info: object, pairs: object, start: threading.Barrier,
               window: list[float], payload: int, seed: int, stats: ClientStats) -> None:
    try:
        _send(url, info, pairs, start, window, payload, seed, stats)
    except Exception as exc:  # a client that fails outside an upload is an error too
        start.abort()  # the others stop waiting for it
        stats.errors[f"client failed: {type(exc).__name__}: {str(exc)[:120]}"] += 1


def _send(url: str, info: object, pairs: object, start: threading.Barrier,
          window: list[float], payload: int, seed: int, stats: ClientStats) -> None:
    from app.protocol.client import FrontDoorClient
    from app.protocol.envelope import new_header, seal
    from app.protocol.receipt import verify_receipt

    rng = random.Random(seed)
    sent: list[tuple[bytes, bytes]] = []  # (envelope, receipt bytes) for re-sending
    service_fp = info.fingerprint  # type: ignore[attr-defined]
    bundle = info.bundle  # type: ignore[attr-defined]
    with FrontDoorClient(url, pairs.signing, pairs.fingerprint,  # type: ignore[attr-defined]
                         service_bundle=bundle, timeout=60) as client:
        # Every client is ready before the clock starts, so all of them send for the whole time
        # (setting up 200 clients takes seconds of a 2-core machine).
        try:
            start.wait(timeout=START_TIMEOUT)
        except threading.BrokenBarrierError:
            stats.errors["a client was not ready to start in time"] += 1
            return
        deadline = window[1]
        while time.monotonic() < deadline:
            resend = bool(sent) and rng.random() < 0.05
            if resend:
                envelope, first_receipt = rng.choice(sent)
            else:
                header = new_header(pairs.fingerprint, service_fp, "referral")  # type: ignore[attr-defined]
                envelope = seal(header, rng.randbytes(payload), bundle.hpke_key(),
                                pairs.signing)  # type: ignore[attr-defined]
            started = time.perf_counter()
            try:
                receipt = client.put_envelope(envelope)
                verify_receipt(receipt, bundle.signing_key())
            except Exception as exc:  # counted and reported, never hidden
                stats.errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                continue
            stats.latencies.append(time.perf_counter() - started)
            if resend:
                stats.resent += 1
                if receipt.to_bytes() != first_receipt:
                    stats.errors["a re-sent envelope got a different receipt"] += 1
                continue
            if receipt.sha256 != hashlib.sha256(envelope).hexdigest():
                stats.errors["receipt names another SHA-256"] += 1
            stats.receipts[receipt.envelope_id] = receipt.sha256
            if len(sent) < 50:
                sent.append((envelope, receipt.to_bytes()))


NGINX_CONF = """\
# Written by scripts/load_frontdoor.py for one run; loopback only, removed afterwards.
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
{temp_paths}
    upstream concerndesk_frontdoor {{
{servers}
        keepalive 256;
        # under uvicorn's 5 s: nginx never sends a PUT on a connection uvicorn is closing
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 8m;
        client_body_timeout 60s;
        # as installer/frontdoor/nginx.conf (less TLS): the request target and the signature
        # headers pass unchanged; Host as the client sent it
        location ~ ^/(v1/|openapi\\.json$) {{
            proxy_pass http://concerndesk_frontdoor;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_read_timeout 60s;
            proxy_send_timeout 60s;
        }}
        location / {{ return 404; }}
    }}
}}
"""


def _nginx_conf(directory: Path, port: int, backends: list[int]) -> Path:
    """A throwaway nginx configuration: ``port`` on 127.0.0.1 in front of ``backends``."""
    import shutil

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    built = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=True).stderr
    temp_paths = ["client_body", "proxy"] + [m for m in ("fastcgi", "uwsgi", "scgi")
                                             if f"--without-http_{m}_module" not in built]
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        # as root, nginx's workers would be 'nobody', who cannot enter this 0700 directory
        user="user root;\n" if os.geteuid() == 0 else "",
        dir=directory, port=port,
        temp_paths="\n".join(f"    {m}_temp_path {directory}/{m}-temp;" for m in temp_paths),
        servers="\n".join(f"        server 127.0.0.1:{b};" for b in backends)))
    return conf


def _throwaway_database(url: str) -> tuple[str, str]:
    """A new, empty database in the cluster ``url`` names: (its URL, its name)."""
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"concerndesk_load_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name)), name


def _drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]]) -> bool:
    import httpx

    for _ in range(600):  # 30 s at most
        if any(p.poll() is not None for p in processes):
            return False
        try:
            if httpx.get(url + "/v1/service-key", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 10) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8", "replace").strip()
    except OSError:
        return []
    return text.splitlines()[-lines:] if text else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--payload", type=int, default=4096, help="bytes of synthetic payload "
                        "per envelope (default 4096, a small referral)")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL cluster, postgresql://… (the script creates and then "
                             "drops a database of its own there); default: SQLite in the store")
    parser.add_argument("--processes", type=int, default=1, metavar="N",
                        help="serve processes sharing the database behind one nginx port on "
                             "127.0.0.1 (default 1, no proxy); more than 1 needs --database")
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    if not 1 <= args.clients <= 1000:
        parser.error("--clients: from 1 to 1000")
    if not 1 <= args.processes <= 16:
        parser.error("--processes: from 1 to 16")
    if args.processes > 1 and not args.database:
        parser.error("--processes above 1 needs --database postgresql://… (SQLite is for one "
                     "process)")
    if args.database and not args.database.startswith(("postgresql://", "postgres://")):
        parser.error("--database must be a postgresql:// URL")
    if args.processes > 1:
        import shutil

        if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
            print("--processes needs nginx (scripts/dev.sh test installs nginx-light)",
                  file=sys.stderr)
            return 2

    if not args.database:
        return run(args, seconds, None)
    database, db_name = _throwaway_database(args.database)
    try:
        return run(args, seconds, database)
    finally:
        _drop_database(args.database, db_name)


def run(args: argparse.Namespace, seconds: float, database: str | None) -> int:
    from app.protocol.client import FrontDoorClient
    from app.protocol.fingerprint import KeyPairs
    from frontdoor import cli, keys
    from frontdoor.storage import open_storage

    proxied = args.processes > 1
    servers: list[subprocess.Popen[bytes]] = []
    proxy: subprocess.Popen[bytes] | None = None
    logs: list[Path] = []
    log_tails: list[tuple[str, list[str]]] = []
    with tempfile.TemporaryDirectory(prefix="load-frontdoor-") as tmp:
        store = Path(tmp) / "la-store"
        info = keys.init_store(store, "la", "Synthetic LA front door", SERVICE_PASS)
        env = {**os.environ, keys.PASSPHRASE_ENV: SERVICE_PASS}
        # the database is the one given here, or SQLite: for the servers and for 'enrol' here
        env.pop(cli.DATABASE_ENV, None)
        os.environ.pop(cli.DATABASE_ENV, None)
        os.environ[keys.PASSPHRASE_ENV] = SERVICE_PASS
        db_args = ["--database", database] if database else []
        ports = [_free_port() for _ in range(args.processes)]
        try:
            for n, port in enumerate(ports):
                log = Path(tmp) / f"serve-{n + 1}.log"
                logs.append(log)
                with open(log, "wb") as err:
                    servers.append(subprocess.Popen(
                        [sys.executable, "-m", "frontdoor.cli", "serve", "--store", str(store),
                         *db_args, "--host", "127.0.0.1", "--port", str(port),
                         "--log-level", "warning",
                         # every client enrols from 127.0.0.1, one after another; with several
                         # processes each counts only the requests it gets
                         "--enrolment-rate", str(max(60, 2 * args.clients)),
                         "--enrolment-rate-total", str(max(600, 2 * args.clients))],
                        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err))
            for port, server in zip(ports, servers, strict=True):
                if not _wait_until_up(f"http://127.0.0.1:{port}", [server]):
                    print(f"the front door on 127.0.0.1:{port} did not start", file=sys.stderr)
                    return 1
            if proxied:
                port = _free_port()
                nginx_dir = Path(tmp) / "nginx"
                nginx_dir.mkdir()
                conf = _nginx_conf(nginx_dir, port, ports)
                logs.append(nginx_dir / "nginx-error.log")
                import shutil

                proxy = subprocess.Popen(
                    [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(nginx_dir), "-c",
                     str(conf), "-e", str(nginx_dir / "nginx-error.log")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
                url = f"http://127.0.0.1:{port}"
                if not _wait_until_up(url, [proxy]):
                    print("nginx did not start:", *_tail(logs[-1]), sep="\n  ", file=sys.stderr)
                    return 1
            else:
                url = f"http://127.0.0.1:{ports[0]}"

            schools = []
            for n in range(args.clients):
                pairs = KeyPairs.generate()
                name = f"Synthetic School {n + 1:03d}"
                with FrontDoorClient(url, pairs.signing, pairs.fingerprint) as client:
                    client.request_enrolment(pairs.bundle, name)
                with open(os.devnull, "w") as quiet:
                    saved, sys.stdout = sys.stdout, quiet
                    try:
                        code = cli.main(["enrol", "--fingerprint", pairs.fingerprint, "--name",
                                         name, "--store", str(store), *db_args])
                    finally:
                        sys.stdout = saved
                if code != 0:
                    print(f"could not enrol client {n + 1}", file=sys.stderr)
                    return 1
                schools.append(pairs)
            engine = "PostgreSQL" if database else "SQLite"
            where = (f"nginx on {url} in front of {args.processes} processes"
                     if proxied else f"front door on {url}")
            print(f"{where} ({engine}); {len(schools)} clients enrolled; sending for "
                  f"{seconds:.0f} s with {args.payload}-byte payloads ...", flush=True)

            stats = [ClientStats() for _ in schools]
            window: list[float] = []  # [start, deadline], set as the clients are let go

            def open_window() -> None:
                now = time.monotonic()
                window.extend([now, now + seconds])

            start = threading.Barrier(len(schools), action=open_window)
            threads = [threading.Thread(target=run_client, args=(
                url, info, pairs, start, window, args.payload, n, stats[n]))
                for n, pairs in enumerate(schools)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=START_TIMEOUT + seconds + 120)
            elapsed = time.monotonic() - window[0] if window else float("nan")

            receipted: dict[str, str] = {}
            for s in stats:
                receipted.update(s.receipts)
            storage = open_storage(store, database)
            try:
                stored = {e.id: e for e in storage.list_envelopes()}
            finally:
                storage.close()
        finally:
            if proxy is not None:
                _stop(proxy)
            for server in servers:
                _stop(server)
            for log in logs:
                log_tails.append((log.name, _tail(log)))

    latencies = sorted(x for s in stats for x in s.latencies)
    errors: Counter[str] = Counter()
    for s in stats:
        errors.update(s.errors)
    lost = [i for i in receipted if i not in stored]
    wrong = [i for i, digest in receipted.items()
             if i in stored and stored[i].sha256 != digest]
    extra = [i for i in stored if i not in receipted]
    requests = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 \
            if latencies else float("nan")

    print(f"clients {len(schools)}, {elapsed:.1f} s: {requests} uploads answered "
          f"({requests / elapsed:.1f}/s), {len(receipted)} distinct envelopes receipted, "
          f"{sum(s.resent for s in stats)} re-sends answered with the same receipt")
    if latencies:
        print(f"latency ms: p50 {statistics.median(latencies) * 1000:.0f}, "
              f"p95 {pct(0.95):.0f}, p99 {pct(0.99):.0f}, max {latencies[-1] * 1000:.0f}")
    print(f"errors {sum(errors.values())}; stored {len(stored)}; lost {len(lost)}; "
          f"stored with another digest {len(wrong)}; stored but never receipted {len(extra)}")
    for message, count in errors.most_common(10):
        print(f"  {count} x {message}")
    for name, lines in log_tails:
        if lines:
            print(f"{name} (last lines):")
            for line in lines:
                print("  " + line)
    return 0 if not errors and not lost and not wrong and requests else 1


if __name__ == "__main__":
    sys.exit(main())
