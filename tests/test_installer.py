"""Installers: the self-test, the packaging files, upgrades, and (opt-in) the real bundle.

The fast tests always run (~5 s). Building the PyInstaller bundle and the .deb and running them
takes 1¾–4 minutes on a 2-core machine, so that test runs only with CONCERNDESK_BUILD_BUNDLE=1
(scripts/ci-bundle.sh).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from app import __version__
from app.cli.selftest import run_self_test
from app.store.db import DB_FILE, connect, migrate, schema_version
from app.store.device import SERVICE, create_device_keys, forget_device_keys
from app.store.keyfile import KeyFile
from app.store.keys import TEST_KDF, b64e, new_data_key, passphrase_kek, wrap
from app.store.schema import LATEST
from tests.conftest import in_a_keyring_session_of_its_own

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
BUNDLE = ROOT / "dist" / "concerndesk"
PROGRAMS = ("concerndesk", "concerndesk-cli", "concerndesk-frontdoor")
STAFF_PASS = "staff passphrase two"


def _keyring_names() -> set[str]:
    """What the real Secret Service holds for ConcernDesk (the keyring's 'username' per item)."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return {item.get_attributes().get("username", "")
                for item in collection.search_items({"service": SERVICE})}


# -- the self-test, in process --------------------------------------------------------------------

# Run in a keyring session of its own (scripts/with-keyring.sh), so that what other tests running
# at the same time add to the suite's keyring cannot be taken for what the self-test left.
_SELF_TEST_ALONE = """
import json
from contextlib import closing

import secretstorage

from app.cli.selftest import run_self_test
from app.store.device import SERVICE


def names():
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return sorted(item.get_attributes().get("username", "")
                      for item in collection.search_items({"service": SERVICE}))


before, lines = names(), []
passed = run_self_test(lines.append)
print(json.dumps({"passed": passed, "lines": lines, "before": before, "after": names()}))
"""


def test_self_test_passes_and_leaves_nothing_behind() -> None:
    got = in_a_keyring_session_of_its_own(_SELF_TEST_ALONE)
    lines = got["lines"]
    assert got["passed"], "\n".join(lines)
    steps = [line.split(":")[0] for line in lines[1:-1]]
    assert steps == ["ok   keyring", "ok   resources", "ok   store", "ok   concern",
                     "ok   search", "ok   pack", "ok   verify"]
    assert lines[-1] == "self-test passed"
    assert got["after"] == got["before"]


def test_self_test_says_what_failed_without_a_keyring() -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    original = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        lines: list[str] = []
        assert not run_self_test(lines.append)
    finally:
        keyring.set_keyring(original)
    assert lines[1].startswith("FAIL keyring: KeyringUnavailable: No usable OS keyring")
    assert lines[-1] == "self-test FAILED"
    assert not any(line.startswith("ok   store") for line in lines)


def test_concerndesk_cli_has_the_self_test_command() -> None:
    """The wiring only: the self-test itself ran above, and the bundle test runs the command."""
    from app.cli.main import build_parser
    from app.cli.selftest_command import cmd_self_test

    args = build_parser().parse_args(["self-test"])
    assert args.handler is cmd_self_test


# -- upgrades keep the data -----------------------------------------------------------------------

def test_an_upgrade_migrates_a_store_from_schema_1_and_keeps_its_data(tmp_path: Path) -> None:
    """As an installer upgrade meets it: a store written by the first schema, opened by this
    version's code, is migrated and everything in it is still there."""
    from app.domain.concerns import get_concern, record_concern
    from app.domain.pupils import child_by_upn
    from app.store.access import unlock
    from app.store.verify import verify_store

    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    store_id = str(uuid.uuid4())
    device = create_device_keys(store_id)
    try:
        data_key = new_data_key()
        keyfile = KeyFile(store_id)
        # Key file format 1 (docs/keys.md): the one data key wrapped under the passphrase.
        salt = secrets.token_bytes(16)
        aad = f"{store_id}|user|dsl".encode()
        kek = passphrase_kek(STAFF_PASS, salt, device.secret, TEST_KDF, aad)
        keyfile.users["dsl"] = {"kdf": "argon2id", "params": TEST_KDF.to_json(),
                                "salt": b64e(salt), **wrap(kek, data_key, aad)}
        conn = connect(directory / DB_FILE, data_key, create=True)
        migrate(conn, target=1)
        at = "2026-01-05T09:30:00.000000Z"
        conn.executescript(f"""
            INSERT INTO meta (key, value) VALUES ('store_id', '{store_id}'),
              ('school_name', 'Larkfield Test Primary'), ('created_at', '{at}'), ('demo', '0'),
              ('kdf', 'argon2id');
            INSERT INTO users (id, username, display_name, roles, created_at)
              VALUES ('u-dsl', 'dsl', 'Dana Lead', 'dsl', '{at}');
            INSERT INTO children (id, upn, legal_forename, legal_surname, preferred_forename,
              date_of_birth, gender, year_group, nhs_number, updated_at)
              VALUES ('c-1', 'B801200005001', 'Zofia', 'Wiśniewska', 'Zosia', '2016-05-04', 'F',
                      'Y5', NULL, '{at}');
            INSERT INTO records (id, kind, created_by, created_at)
              VALUES ('r-1', 'concern', 'u-dsl', '{at}');
            INSERT INTO record_versions (id, record_id, version, author_id, written_at,
              occurred_at, entry_kind, categories, summary)
              VALUES ('v-1', 'r-1', 1, 'u-dsl', '{at}', '{at}', 'concern', '["neglect"]',
                      'Arrived without a coat in the rain');
            INSERT INTO record_children (record_id, child_id, role)
              VALUES ('r-1', 'c-1', 'subject');
            INSERT INTO record_status (id, record_id, status, actor_id, at)
              VALUES ('s-1', 'r-1', 'new', 'u-dsl', '{at}');
        """)
        conn.close()
        keyfile.save(directory)

        with unlock(directory, "dsl", STAFF_PASS) as session:
            assert schema_version(session.conn) == LATEST > 1
            child = child_by_upn(session, "B801200005001")
            assert child.display_name == "Zosia Wiśniewska"
            old = get_concern(session, "r-1")
            assert old.latest.fields.summary == "Arrived without a coat in the rain"
            assert old.status == "new"
            from app.domain.concerns import ConcernDraft

            new = record_concern(session, ConcernDraft(
                children=[(child.id, "subject")], categories=["neglect"],
                text="Said she had not eaten since yesterday",
                occurred_at=dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC)))
            assert get_concern(session, new.id).latest.fields.summary.startswith("Said she")
            assert verify_store(session).ok
    finally:
        forget_device_keys(store_id)


# -- packaging files ------------------------------------------------------------------------------

def test_the_spec_launchers_and_scripts_are_valid() -> None:
    spec = INSTALLER / "concerndesk.spec"
    compile(spec.read_text("utf-8"), str(spec), "exec")
    text = spec.read_text("utf-8")
    for program in PROGRAMS:
        assert f'"{program}"' in text
        launcher = INSTALLER / "launchers" / f"{program}.py"
        compile(launcher.read_text("utf-8"), str(launcher), "exec")
    for name in ("keyring.backends.SecretService", "keyring.backends.Windows",
                 "keyring.backends.macOS", '"keyrings.alt"'):
        assert name in text
    for script in (INSTALLER / "build-linux.sh", ROOT / "scripts" / "ci-bundle.sh"):
        assert os.access(script, os.X_OK), f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
    # The launchers run the same entry points as the installed scripts in pyproject.toml.
    assert "from ui.main import main" in (INSTALLER / "launchers/concerndesk.py").read_text()
    assert "from app.cli.main import main" in (
        INSTALLER / "launchers/concerndesk-cli.py").read_text()
    assert "from frontdoor.cli import main" in (
        INSTALLER / "launchers/concerndesk-frontdoor.py").read_text()


def test_the_icons_exist_at_every_size() -> None:
    from PIL import Image

    icons = ROOT / "resources" / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256):
        with Image.open(icons / f"concerndesk-{size}.png") as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
    with Image.open(icons / "concerndesk.ico") as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    assert (icons / "concerndesk.svg").read_text("utf-8").lstrip().startswith("<?xml")


def test_the_inno_setup_script_never_deletes_user_data() -> None:
    iss = (INSTALLER / "windows" / "concerndesk.iss").read_text("utf-8")
    assert "DefaultDirName={autopf}\\{#AppName}" in iss
    assert "PrivilegesRequired=admin" in iss
    code = [line for line in iss.splitlines() if not line.lstrip().startswith(";")]
    assert not any(line.strip() == "[UninstallDelete]" for line in code)
    assert not any("appdata" in line.lower() for line in code)
    readme = (INSTALLER / "windows" / "README.md").read_text("utf-8")
    for switch in ("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "signtool", "Intune",
                   "Group Policy", "Credential Manager", "%LOCALAPPDATA%\\ConcernDesk"):
        assert switch in readme


def test_the_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (apt package desktop-file-utils)")
    result = subprocess.run([validator, str(INSTALLER / "linux" / "concerndesk.desktop")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_systemd_unit_verifies() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = INSTALLER / "frontdoor" / "concerndesk-frontdoor.service"
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = unit.read_text("utf-8")
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                 "ReadWritePaths=/var/lib/concerndesk-frontdoor",
                 "LoadCredential=passphrase:",
                 "InaccessiblePaths=-/var/lib/concerndesk-frontdoor/hpke.key",
                 "--host 127.0.0.1"):
        assert line in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "frontdoor.example")])
    now = dt.datetime.now(dt.UTC)
    names = x509.SubjectAlternativeName([x509.DNSName("frontdoor.example"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).add_extension(names, critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _wait_for(url: str, process: subprocess.Popen[bytes], **kwargs: object) -> httpx.Response:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def _status_for_declared_length(port: int, cert: Path, length: int) -> int:
    """The proxy's answer to a PUT declaring ``length`` bytes."""
    context = ssl.create_default_context(cafile=str(cert))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(f"PUT /v1/envelopes/x HTTP/1.1\r\nHost: frontdoor.example\r\n"
                    f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode())
        if length <= 8 * 1024 * 1024:
            tls.sendall(b"\0" * length)
        status_line = tls.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_the_nginx_sample_proxies_to_the_service_over_tls(tmp_path: Path) -> None:
    """The sample nginx.conf, with only its ports and file paths changed, in front of a real
    front-door service: the service answers through TLS, and the body limit holds."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        pytest.skip("nginx is not installed")
    service_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    cert, key = _self_signed(tmp_path)
    conf = (INSTALLER / "frontdoor" / "nginx.conf").read_text("utf-8")
    for old, new in (("/etc/ssl/concerndesk/fullchain.pem", str(cert)),
                     ("/etc/ssl/concerndesk/privkey.pem", str(key)),
                     ("/var/log/nginx/", f"{tmp_path}/"),
                     ("127.0.0.1:8800", f"127.0.0.1:{service_port}"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen [::]:80;", ""),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("listen [::]:443 ssl http2;", "")):
        assert old in conf
        conf = conf.replace(old, new)
    (tmp_path / "site.conf").write_text(conf)
    main_conf = tmp_path / "nginx.conf"
    main_conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                         f"events {{}}\nhttp {{\n  client_body_temp_path {tmp_path}/body;\n"
                         f"  proxy_temp_path {tmp_path}/proxy;\n"
                         f"  include {tmp_path}/site.conf;\n}}\n")
    check = subprocess.run([nginx, "-t", "-c", str(main_conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    store = tmp_path / "service"
    env = {**os.environ, "CONCERNDESK_FRONTDOOR_PASSPHRASE": "a service passphrase"}
    frontdoor = [sys.executable, "-m", "frontdoor.cli"]
    subprocess.run([*frontdoor, "init", "--store", str(store), "--mode", "la",
                    "--name", "Example LA front door"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    service = subprocess.Popen([*frontdoor, "serve", "--store", str(store), "--port",
                                str(service_port), "--log-level", "warning"],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    proxy = subprocess.Popen([nginx, "-c", str(main_conf), "-g", "daemon off;"])
    try:
        _wait_for(f"http://127.0.0.1:{service_port}/v1/service-key", service)
        tls = ssl.create_default_context(cafile=str(cert))
        answer = _wait_for(f"https://127.0.0.1:{https_port}/v1/service-key", proxy,
                           verify=tls, headers={"Host": "frontdoor.example"})
        assert answer.status_code == 200
        assert answer.json()["name"] == "Example LA front door"
        plain = httpx.get(f"http://127.0.0.1:{http_port}/v1/service-key", timeout=5)
        assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
        assert httpx.get(f"https://127.0.0.1:{https_port}/admin", verify=tls,
                         timeout=5).status_code == 404
        assert _status_for_declared_length(https_port, cert, 8 * 1024 * 1024) != 413
        assert _status_for_declared_length(https_port, cert, 8 * 1024 * 1024 + 1) == 413
    finally:
        for process in (proxy, service):
            process.terminate()
            process.wait(timeout=20)


# -- the real bundle (opt-in: scripts/ci-bundle.sh) ----------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("CONCERNDESK_BUILD_BUNDLE") != "1",
                    reason="builds the PyInstaller bundle and .deb (2-4 min): set "
                           "CONCERNDESK_BUILD_BUNDLE=1 or run scripts/ci-bundle.sh")
def test_the_linux_bundle_builds_and_passes_its_self_test(tmp_path: Path) -> None:
    subprocess.run(["bash", str(INSTALLER / "build-linux.sh")], check=True, cwd=ROOT)
    for program in PROGRAMS:
        assert os.access(BUNDLE / program, os.X_OK)
    assert not list(BUNDLE.rglob("*keyrings*")), "keyrings.alt must never ship"
    assert not list(BUNDLE.rglob("*VirtualKeyboard*"))
    assert (BUNDLE / "_internal" / "resources" / "fonts" / "NotoSans-Regular.ttf").exists()
    assert (BUNDLE / "_internal" / "resources" / "fonts" / "LICENSE-Noto.txt").exists()

    # As the .deb's /usr/bin symlinks run it: through a link, from another directory.
    link = tmp_path / "concerndesk-cli"
    link.symlink_to(BUNDLE / "concerndesk-cli")
    version = subprocess.run([str(link), "--version"], capture_output=True, text=True,
                             check=True, cwd=tmp_path)
    assert version.stdout.strip() == f"ConcernDesk {__version__}"

    before = _keyring_names()
    test = subprocess.run([str(BUNDLE / "concerndesk-cli"), "self-test"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "_internal/resources" in test.stdout  # fonts and categories came from the bundle
    assert _keyring_names() == before

    gui_help = subprocess.run([str(BUNDLE / "concerndesk"), "--help"], capture_output=True,
                              text=True, check=True)
    if "--self-test" in gui_help.stdout:
        gui = subprocess.run([str(BUNDLE / "concerndesk"), "--self-test"], capture_output=True,
                             text=True, cwd=tmp_path,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        assert gui.returncode == 0, gui.stdout + gui.stderr
        assert "self-test passed" in gui.stdout and "offscreen" in gui.stdout

    # The front door from the bundle: uvicorn's by-name imports are all there.
    store, port = tmp_path / "service", _free_port()
    env = {**os.environ, "CONCERNDESK_FRONTDOOR_PASSPHRASE": "a service passphrase"}
    program = str(BUNDLE / "concerndesk-frontdoor")
    subprocess.run([program, "init", "--store", str(store), "--mode", "school", "--name",
                    "Example hub"], env=env, check=True, capture_output=True)
    service = subprocess.Popen([program, "serve", "--store", str(store), "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL)
    try:
        answer = _wait_for(f"http://127.0.0.1:{port}/v1/service-key", service)
        assert answer.status_code == 200 and answer.json()["mode"] == "school"
    finally:
        service.terminate()
        service.wait(timeout=20)

    debs = sorted((ROOT / "dist").glob(f"concerndesk_{__version__}_*.deb"))
    assert debs, "build-linux.sh made no .deb"
    contents = subprocess.run(["dpkg-deb", "--contents", str(debs[-1])], capture_output=True,
                              text=True, check=True).stdout
    for path in ("./usr/bin/concerndesk -> /opt/concerndesk/concerndesk",
                 "./usr/bin/concerndesk-cli -> /opt/concerndesk/concerndesk-cli",
                 "./usr/share/applications/concerndesk.desktop",
                 "./usr/share/icons/hicolor/256x256/apps/concerndesk.png",
                 "./usr/share/icons/hicolor/scalable/apps/concerndesk.svg",
                 "./opt/concerndesk/_internal/resources/categories.json"):
        assert path in contents
    assert "keyrings" not in contents


def _pins(lock: Path) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) of a pip-compile lock file."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text("utf-8").splitlines():
        if line and not line[0].isspace() and "==" in line:
            name, _, version = line.split(" ")[0].partition("==")
            pins[name.lower()] = (version, 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = pins[name.lower()]
            pins[name.lower()] = (version, hashes + 1)
    return pins


def test_the_bundle_is_built_from_locks_that_match_pyproject() -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    runtime = _pins(INSTALLER / "locks" / "runtime.lock")
    build = _pins(INSTALLER / "locks" / "build.lock")
    assert runtime and build
    # Every pin carries its SHA-256 (pip --require-hashes refuses anything else).
    assert all(hashes for _, hashes in [*runtime.values(), *build.values()])
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    for text in declared["project"]["dependencies"]:
        wanted = Requirement(text)
        name = canonicalize_name(wanted.name)
        assert name in runtime, f"{name} is in pyproject.toml but not in runtime.lock"
        assert wanted.specifier.contains(runtime[name][0], prereleases=True), (
            f"runtime.lock pins {name}=={runtime[name][0]}, outside {wanted.specifier}: "
            "regenerate the lock (installer/README.md)")
    assert not any(canonicalize_name(n).startswith("keyrings") for n in runtime)
    script = (INSTALLER / "build-linux.sh").read_text("utf-8")
    assert "--require-hashes -r installer/locks/runtime.lock" in script
