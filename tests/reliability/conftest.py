"""Shared pieces for the reliability suite: a store on the real clock, the CLI as a real process,
a small filesystem that fills up, and the synthetic "secrets" a leak scan looks for."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import FakeClock, SystemClock
from app.domain.concerns import ConcernDraft, record_concern
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool
from tests.ui.conftest import demo_store, demo_template, make_window  # noqa: F401  (UI tests)

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "app.cli.main"]


def run_cli(*args: str, passphrase: str | None = STAFF_PASS,
            env: dict[str, str] | None = None,
            preexec_fn: Callable[[], None] | None = None, timeout: float = 120,
            cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``concerndesk-cli`` as a script would run it; passphrases only through the environment."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CONCERNDESK_")}
    full["CONCERNDESK_KEYRING_SESSION"] = "1"
    if passphrase is not None:
        full["CONCERNDESK_PASSPHRASE"] = passphrase
    full.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=full, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False,
                          preexec_fn=preexec_fn)


def run_cli_in_process(*args: str, passphrase: str | None = STAFF_PASS,
                       env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The same CLI entry point, in this process: the code paths of a real run without the
    half-second start-up, for tests that walk many commands."""
    from app.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    wanted = {"CONCERNDESK_PASSPHRASE": passphrase, **(env or {})}
    saved = {name: os.environ.get(name) for name in wanted}
    for name, value in wanted.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's own errors
                code = int(exc.code or 0)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def passphrase_for(username: str) -> str:
    return ADMIN_PASS if username == "admin" else STAFF_PASS


class LiveSchool(SmallSchool):
    """SmallSchool on the system clock, so core calls here and CLI processes agree on time
    (the rate limit compares the two)."""

    in_process = False  # run the CLI in this process (fast) rather than as a real process

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, SystemClock())  # type: ignore[arg-type]

    def cli(self, *args: str, user: str | None = None, in_process: bool | None = None,
            **kwargs: object) -> subprocess.CompletedProcess[str]:
        extra = ["--user", user] if user else []
        kwargs.setdefault("passphrase", passphrase_for(user or "dsl"))
        inside = self.in_process if in_process is None else in_process
        runner = run_cli_in_process if inside else run_cli
        return runner(*args, "--data", str(self.directory), *extra, **kwargs)  # type: ignore[arg-type]

    def record(self, username: str, text: str, child_words: str | None = None,
               upn: str = "B801200005001") -> str:
        with self.open(username) as session:
            child = session.conn.execute("SELECT id FROM children WHERE upn = ?", (upn,)
                                         ).fetchone()[0]
            return record_concern(session, ConcernDraft(
                children=[(child, "subject")], categories=["neglect"], text=text,
                child_words=child_words,
                occurred_at=session.clock.now() - timedelta(hours=1))).id

    def concern_ids(self) -> set[str]:
        with self.open("dsl") as session:
            return {r[0] for r in session.conn.execute(
                "SELECT id FROM records WHERE kind = 'concern'")}


def _copy_of(template: SmallSchool, directory: Path) -> SmallSchool:
    """A copy of a ready-made school: same store id and device keys (so the keyring holds
    them already), same accounts and roster, in a folder of the test's own."""
    shutil.copytree(template.directory, directory)
    school = object.__new__(type(template))
    school.__dict__.update(template.__dict__)
    school.directory = directory
    school.clock = FakeClock() if isinstance(template.clock, FakeClock) else SystemClock()
    return school


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiveSchool, SmallSchool]:
    """Made once per run: six accounts and a roster take a second or more to create."""
    base = tmp_path_factory.mktemp("templates")
    return LiveSchool(base / "live"), SmallSchool(base / "fake", FakeClock())


@pytest.fixture
def live_school(_templates: tuple[LiveSchool, SmallSchool], tmp_path: Path) -> LiveSchool:
    return _copy_of(_templates[0], tmp_path / "store")  # type: ignore[return-value]


@pytest.fixture
def school(_templates: tuple[LiveSchool, SmallSchool], tmp_path: Path) -> SmallSchool:
    """tests/conftest.py's SmallSchool (fake clock), copied from a template."""
    return _copy_of(_templates[1], tmp_path / "store")


def store_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a disk that really fills up (ENOSPC), as on a full school laptop.
    Needs root (CI and the dev machines run as root); skipped elsewhere."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                           str(mount)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root?); the RLIMIT_FSIZE tests "
                    "cover a full disk instead")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(mount: Path, leave_free: int) -> Path:
    """Fills the filesystem at ``mount`` until only ``leave_free`` bytes are left."""
    stats = os.statvfs(mount)
    available = stats.f_bavail * stats.f_frsize
    filler = mount / "filler"
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, available - leave_free))
    return filler


# -- a real front-door service process on 127.0.0.1 ------------------------------------------------
SERVICE_PASS = "synthetic front door passphrase"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FrontDoorProcess:
    """``concerndesk-frontdoor serve`` on a free loopback port, over its own store (SQLite)."""

    def __init__(self, store: Path, mode: str = "la", workers_env: dict[str, str] | None = None,
                 log_level: str = "warning", log_file: Path | None = None) -> None:
        from frontdoor import keys

        self.store = store
        self.info = keys.init_store(store, mode, f"Synthetic {mode} service", SERVICE_PASS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, keys.PASSPHRASE_ENV: SERVICE_PASS, **(workers_env or {})}
        # A chatty log goes to a file: a pipe nobody reads until the end could fill and stall it.
        self.log_file = log_file
        self._log = log_file.open("wb") if log_file else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "frontdoor.cli", "serve", "--store", str(store), "--port",
             str(self.port), "--log-level", log_level], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=self._log or subprocess.PIPE)
        self._wait()

    def _wait(self) -> None:
        import time

        import httpx

        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError("the front door did not start: "
                                   + (self.proc.stderr.read().decode() if self.proc.stderr
                                      else ""))
            try:
                if httpx.get(self.url + "/v1/service-key", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the front door did not answer within 30 s")

    def enrol(self, name: str = "Synthetic Primary School"):  # type: ignore[no-untyped-def]
        """A school device key, enrolled the way an LA admin does it."""
        from app.protocol.client import FrontDoorClient
        from app.protocol.fingerprint import KeyPairs
        from frontdoor import cli, keys

        pairs = KeyPairs.generate()
        client = FrontDoorClient(self.url, pairs.signing, pairs.fingerprint,
                                 service_bundle=self.info.bundle)
        assert client.request_enrolment(pairs.bundle, name) == "pending"
        saved = os.environ.get(keys.PASSPHRASE_ENV)
        os.environ[keys.PASSPHRASE_ENV] = SERVICE_PASS
        try:
            assert cli.main(["enrol", "--fingerprint", pairs.fingerprint, "--name", name,
                             "--store", str(self.store)]) == 0
        finally:
            if saved is None:
                os.environ.pop(keys.PASSPHRASE_ENV, None)
            else:
                os.environ[keys.PASSPHRASE_ENV] = saved
        return pairs, client

    def storage(self):  # type: ignore[no-untyped-def]
        from frontdoor.storage import open_storage

        return open_storage(self.store, None)

    def stop(self) -> str:
        """Stops the service; returns what it wrote to stderr (its log)."""
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if self._log and self.log_file:
            self._log.close()
            err = self.log_file.read_bytes()
        return err.decode("utf-8", "replace") if err else ""
