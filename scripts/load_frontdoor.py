#!/usr/bin/env python3
"""Load test for the front door: many schools sending at once, nothing lost, nothing refused.

    .venv/bin/python scripts/load_frontdoor.py                # 50 clients for 60 s
    .venv/bin/python scripts/load_frontdoor.py --clients 50 --seconds 60 --payload 4096

It starts its own LA front door (``concerndesk-frontdoor serve``, SQLite) on a free port of
127.0.0.1 — it never sends anywhere else — and enrols one device key per client, the way an LA
admin enrols schools. Each client then, until the time is up, seals a fresh referral envelope of
synthetic bytes to the front door's key (HPKE) and signs it with its own key, PUTs it with a
signed request, and checks the signed receipt; one upload in twenty re-sends an envelope it sent
before, which must get the very same receipt back (idempotent upload).

Afterwards every receipted envelope must be in the service's database with the SHA-256 its
receipt names, and no other. It prints the figures (throughput and latency percentiles) and
exits 0 only when there was no error and no envelope was lost. Not a CI test: it runs for a
minute by design; the figures for this 2-core machine are in the README.
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


def run_client(url: str, info: object, pairs: object, deadline: float, payload: int,
               seed: int, stats: ClientStats) -> None:
    from app.protocol.client import FrontDoorClient
    from app.protocol.envelope import new_header, seal
    from app.protocol.receipt import verify_receipt

    rng = random.Random(seed)
    sent: list[tuple[bytes, bytes]] = []  # (envelope, receipt bytes) for re-sending
    service_fp = info.fingerprint  # type: ignore[attr-defined]
    bundle = info.bundle  # type: ignore[attr-defined]
    with FrontDoorClient(url, pairs.signing, pairs.fingerprint,  # type: ignore[attr-defined]
                         service_bundle=bundle, timeout=60) as client:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--payload", type=int, default=4096, help="bytes of synthetic payload "
                        "per envelope (default 4096, a small referral)")
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)

    from app.protocol.client import FrontDoorClient
    from app.protocol.fingerprint import KeyPairs
    from frontdoor import cli, keys
    from frontdoor.storage import open_storage

    with tempfile.TemporaryDirectory(prefix="load-frontdoor-") as tmp:
        store = Path(tmp) / "la-store"
        info = keys.init_store(store, "la", "Synthetic LA front door", SERVICE_PASS)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, keys.PASSPHRASE_ENV: SERVICE_PASS}
        os.environ[keys.PASSPHRASE_ENV] = SERVICE_PASS
        server = subprocess.Popen([sys.executable, "-m", "frontdoor.cli", "serve", "--store",
                                   str(store), "--host", "127.0.0.1", "--port", str(port),
                                   "--log-level", "warning",
                                   # every client enrols from 127.0.0.1, one after another
                                   "--enrolment-rate", str(max(60, 2 * args.clients)),
                                   "--enrolment-rate-total", str(max(600, 2 * args.clients))],
                                  cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            import httpx

            for _ in range(600):
                try:
                    if httpx.get(url + "/v1/service-key", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            else:
                print("the front door did not start", file=sys.stderr)
                return 1
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
                                         name, "--store", str(store)])
                    finally:
                        sys.stdout = saved
                if code != 0:
                    print(f"could not enrol client {n + 1}", file=sys.stderr)
                    return 1
                schools.append(pairs)
            print(f"front door on {url}; {len(schools)} clients enrolled; sending for "
                  f"{seconds:.0f} s with {args.payload}-byte payloads ...", flush=True)

            stats = [ClientStats() for _ in schools]
            started = time.monotonic()
            deadline = started + seconds
            threads = [threading.Thread(target=run_client, args=(url, info, pairs, deadline,
                                                                 args.payload, n, stats[n]))
                       for n, pairs in enumerate(schools)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 120)
            elapsed = time.monotonic() - started

            receipted: dict[str, str] = {}
            for s in stats:
                receipted.update(s.receipts)
            storage = open_storage(store, None)
            try:
                stored = {e.id: e for e in storage.list_envelopes()}
            finally:
                storage.close()
        finally:
            server.terminate()
            try:
                _, server_log = server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                _, server_log = server.communicate()

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
        print(f"latency ms: median {statistics.median(latencies) * 1000:.0f}, "
              f"p95 {pct(0.95):.0f}, p99 {pct(0.99):.0f}, max {latencies[-1] * 1000:.0f}")
    print(f"errors {sum(errors.values())}; stored {len(stored)}; lost {len(lost)}; "
          f"stored with another digest {len(wrong)}; stored but never receipted {len(extra)}")
    for message, count in errors.most_common(10):
        print(f"  {count} x {message}")
    if server_log.strip():
        print("server log (last lines):")
        for line in server_log.decode("utf-8", "replace").strip().splitlines()[-10:]:
            print("  " + line)
    return 0 if not errors and not lost and not wrong and requests else 1


if __name__ == "__main__":
    sys.exit(main())
