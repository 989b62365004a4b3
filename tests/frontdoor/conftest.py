"""A real ``concerndesk-frontdoor serve`` process on a free 127.0.0.1 port, on SQLite and
(when scripts/with-postgres.sh provides one) on a throwaway PostgreSQL database."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.protocol.client import FrontDoorClient
from app.protocol.enrolment import sign_enrolment
from app.protocol.fingerprint import KeyPairs, b64e
from frontdoor import cli, keys
from frontdoor.storage import Storage, open_storage

PASSPHRASE = "synthetic-test-passphrase"
POSTGRES_ENV = "CONCERNDESK_TEST_POSTGRES_URL"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def from_address(source: str) -> httpx.HTTPTransport:
    """Requests that come from another loopback address (127.0.0.0/8 all reaches this host), so
    a test can be several networks at once: a flood from one, a school from another."""
    assert source.startswith("127."), "loopback only"
    return httpx.HTTPTransport(local_address=source)


def enrolment_body(pairs: KeyPairs, name: str) -> bytes:
    """What a client POSTs to /v1/enrolment-requests: its bundle, a name, and the proof."""
    return json.dumps({"bundle": pairs.bundle.to_json(), "name": name,
                       "proof": b64e(sign_enrolment(pairs.bundle, name, pairs.signing))}).encode()


@dataclass
class Service:
    """One store directory and its serving process(es)."""

    store: Path
    info: keys.ServiceInfo
    database: str | None
    max_body: int = 65536
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int = 0
    tls: tuple[Path, Path] | None = None  # (certfile, keyfile)
    serve_args: list[str] = field(default_factory=list)  # extra ``serve`` options

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> str:
        """Start a serving process (another one shares the same database) and wait for it."""
        port = port or free_port()
        cmd = [sys.executable, "-m", "frontdoor.cli", "serve", "--store", str(self.store),
               "--port", str(port), "--max-body", str(self.max_body), "--log-level", "warning",
               *self.serve_args]
        if self.database:
            cmd += ["--database", self.database]
        if self.tls:
            cmd += ["--certfile", str(self.tls[0]), "--keyfile", str(self.tls[1])]
        env = {**os.environ, keys.PASSPHRASE_ENV: PASSPHRASE}
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.procs.append(proc)
        url = f"{self.scheme}://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                _, err = proc.communicate()
                raise RuntimeError(f"serve exited {proc.returncode}: {err.decode()}")
            try:
                answer = httpx.get(url + "/v1/service-key", timeout=1,
                                   verify=self._trust())
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.05)
        if not self.port:
            self.port = port
        return url

    def _trust(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.tls[0])) if self.tls else True

    def kill9(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        self.procs.clear()

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def client(self, pairs: KeyPairs, *, source: str | None = None) -> FrontDoorClient:
        """A device's client, connecting from ``source`` (a loopback address) if given."""
        return FrontDoorClient(self.url, pairs.signing, pairs.fingerprint,
                               service_bundle=self.info.bundle,
                               verify=str(self.tls[0]) if self.tls else True,
                               transport=from_address(source) if source else None)

    def storage(self) -> Storage:
        return open_storage(self.store, self.database)

    def stored_ids(self) -> list[str]:
        storage = self.storage()
        try:
            return [e.id for e in storage.list_envelopes()]
        finally:
            storage.close()

    def cli(self, *args: str) -> int:
        """Run an admin command in-process against this store (and database)."""
        extra = ["--database", self.database] if self.database else []
        return cli.main([*args, "--store", str(self.store), *extra])

    def enrolled_device(self, name: str = "Synthetic Primary School", *,
                        source: str | None = None) -> tuple[KeyPairs, FrontDoorClient]:
        """A new key that asked to enrol (as a client does) and that the admin then enrolled;
        ``source``: the loopback address its requests come from (default 127.0.0.1)."""
        pairs = KeyPairs.generate()
        client = self.client(pairs, source=source)
        assert client.request_enrolment(pairs.bundle, name) == "pending"
        assert self.cli("enrol", "--fingerprint", pairs.fingerprint, "--name", name) == 0
        return pairs, client


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def checked_engine(name: str) -> str:
    if name == "postgres" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}: run through scripts/with-postgres.sh")
    return name


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return checked_engine(str(request.param))


def _database(engine: str) -> Iterator[str | None]:
    if engine == "sqlite":
        yield None
        return
    import psycopg

    admin = os.environ[POSTGRES_ENV]
    name = "cd_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = admin.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _make_service(tmp: Path, mode: str, database: str | None) -> Service:
    store = tmp / f"{mode}-store"
    info = keys.init_store(store, mode, f"Synthetic {mode} service", PASSPHRASE)
    return Service(store=store, info=info, database=database)


@pytest.fixture(scope="module")
def la_service(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One LA front door shared by a module's tests (each test uses its own school keys)."""
    gen = _database(engine)
    service = _make_service(tmp_path_factory.mktemp("la"), "la", next(gen))
    service.start()
    yield service
    service.stop()
    next(gen, None)


@pytest.fixture()
def fresh_la_service(engine: str, tmp_path: Path) -> Iterator[Service]:
    """An LA front door of one's own, for tests that kill or restart it."""
    gen = _database(engine)
    service = _make_service(tmp_path, "la", next(gen))
    yield service
    service.stop()
    next(gen, None)


@pytest.fixture(scope="module")
def hub_service(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    gen = _database(engine)
    service = _make_service(tmp_path_factory.mktemp("hub"), "school", next(gen))
    service.start()
    yield service
    service.stop()
    next(gen, None)


BUSY_CONF = """\
# Written by tests/frontdoor/conftest.py for one test; loopback only.
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    log_format uploads '$request_method $uri $status';
    access_log {dir}/access.log uploads;
    server_tokens off;
{temp_paths}
    limit_req_zone $binary_remote_addr zone=uploads:1m rate={per_minute}r/m;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 8m;
        # Uploads: {per_minute} a minute from one address; over that 429.
        location /v1/envelopes/ {{
            limit_req zone=uploads{burst};
            limit_req_status 429;
            error_page 429 = @busy;
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
        }}
        location @busy {{
{retry_after}            default_type application/json;
            return 429 '{{"error": "too-many-requests", "detail": "slow down"}}';
        }}
        # Logged after everything asked before it: see BusyProxy.requests.
        location /barrier/ {{ return 204; }}
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).exists() else None


@dataclass
class BusyProxy:
    """A real nginx on a free 127.0.0.1 port in front of a real service, as an LA or a school
    may put one (installer/frontdoor/nginx.conf), limiting envelope uploads with its own
    ``limit_req``: ``per_minute`` a minute from one address (``burst`` more at once), and over
    that 429 with ``Retry-After: retry_after`` (None: no such header). The front door itself
    never limits signed requests (docs/protocol.md), so this is how a client meets a 429 on an
    upload. ``requests()`` lists what reached nginx, as (method, path, status)."""

    directory: Path
    upstream: int
    retry_after: str | None = "30"
    per_minute: int = 1
    burst: int = 0
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        nginx = nginx_binary()
        assert nginx is not None
        self.port = self.port or free_port()
        self.directory.mkdir(parents=True, exist_ok=True)
        built = subprocess.run([nginx, "-V"], capture_output=True, text=True).stderr
        temps = ["client_body", "proxy"] + [m for m in ("fastcgi", "uwsgi", "scgi")
                                            if f"--without-http_{m}_module" not in built]
        header = (f"            add_header Retry-After \"{self.retry_after}\" always;\n"
                  if self.retry_after is not None else "")
        conf = self.directory / "nginx.conf"
        conf.write_text(BUSY_CONF.format(
            # as root, nginx's workers would be 'nobody', who cannot enter a 0700 tmp_path
            user="user root;\n" if os.geteuid() == 0 else "", dir=self.directory,
            temp_paths="\n".join(f"    {m}_temp_path {self.directory}/{m}-temp;" for m in temps),
            per_minute=self.per_minute, port=self.port,
            upstream=self.upstream, retry_after=header,
            burst=f" burst={self.burst} nodelay" if self.burst else " nodelay"))
        self.proc = subprocess.Popen([nginx, "-p", str(self.directory), "-c", str(conf),
                                      "-e", str(self.directory / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.communicate()[1].decode()}")
            try:
                if httpx.get(self.url + "/v1/service-key", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def requests(self, path_prefix: str = "/v1/") -> list[tuple[str, str, int]]:
        """nginx writes a request's log line just after its answer, so a client can read the
        log before the line of what it just asked is there: a request of our own goes first,
        and the log is read once its line is (one worker: in the order they ended)."""
        barrier = f"/barrier/{uuid.uuid4()}"
        assert httpx.get(self.url + barrier, timeout=5).status_code == 204
        log = self.directory / "access.log"
        deadline = time.monotonic() + 10
        while True:
            lines = log.read_text().splitlines() if log.exists() else []
            if any(line.split(" ")[1] == barrier for line in lines):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not log the barrier request")
            time.sleep(0.01)
        found = [(m, p, int(s)) for m, p, s in (line.split(" ") for line in lines)]
        return [r for r in found if r[1].startswith(path_prefix)]

    def uploads(self) -> list[int]:
        """The status of each envelope upload that reached nginx, in order."""
        return [status for method, _, status in self.requests("/v1/envelopes/")
                if method == "PUT"]


@pytest.fixture()
def busy_proxy(tmp_path: Path) -> Iterator[Callable[..., BusyProxy]]:
    """``busy_proxy(service, **settings)``: a started BusyProxy in front of ``service``;
    stopped after the test. Skips when nginx is not installed (scripts/dev.sh test installs
    nginx-light)."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (scripts/dev.sh test installs nginx-light)")
    made: list[BusyProxy] = []

    def start(service: Service, **settings: Any) -> BusyProxy:
        proxy = BusyProxy(tmp_path / f"nginx-{len(made)}", service.port, **settings)
        made.append(proxy)
        proxy.start()
        return proxy

    yield start
    for proxy in made:
        proxy.stop()


@pytest.fixture()
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (certfile, keyfile)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile
