"""Where an export's files go: a folder of plain files, or (the default) the same files zipped
in memory and sealed with a passphrase, so no plaintext ever reaches the disk.

Encrypted layout (docs/export.md, openable with any AES-GCM and scrypt implementation):
``encryption.json`` (``{"format", "cipher": "AES-256-GCM", "kdf": "scrypt", "n", "r", "p",
"salt", "nonce"}``, base64) and ``export.zip.enc`` = AES-256-GCM(key = scrypt(passphrase),
nonce, zip, associated data = ``ENC_FORMAT``), ciphertext then the 16-byte tag.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.atomic import plain_reason
from app.errors import ConcernDeskError, InputError, UnlockError

ENC_FORMAT = "concerndesk-export-encrypted/1"
ENC_HEADER = "encryption.json"
ENC_BODY = "export.zip.enc"
MANIFEST = "manifest.json"
SCRYPT_N = 2 ** 17  # 128 MiB with r = 8: costly to guess, a second or so to open
SCRYPT_R, SCRYPT_P = 8, 1

Files = dict[str, bytes]  # path inside the export (POSIX, relative) -> bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_out(out: Path) -> None:
    """Refuses before any work: the export goes into a new or empty folder only."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("out", f"{out} is not an empty folder; name a new folder")
    if not out.parent.is_dir():
        raise InputError("out", f"the folder {out.parent} does not exist")


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(files: Files, passphrase: str, *, n: int = SCRYPT_N) -> Files:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    salt, nonce = os.urandom(16), os.urandom(12)
    body = AESGCM(_key(passphrase, salt, n, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, buffer.getvalue(), ENC_FORMAT.encode())
    header = {"format": ENC_FORMAT, "cipher": "AES-256-GCM", "kdf": "scrypt", "n": n,
              "r": SCRYPT_R, "p": SCRYPT_P, "salt": base64.b64encode(salt).decode(),
              "nonce": base64.b64encode(nonce).decode(), "body": ENC_BODY}
    return {ENC_HEADER: json.dumps(header, indent=1).encode(), ENC_BODY: body}


def write_folder(out: Path, files: Files) -> None:
    """All the files or none: written into a private scratch folder beside ``out``, flushed,
    then renamed into place."""
    check_out(out)
    scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.export-"))
    try:
        for name, data in files.items():
            path = scratch / PurePosixPath(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only, like the store: a plain export holds every child's record.
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                           "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if out.exists():
            out.rmdir()  # empty, checked above
        scratch.rename(out)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise ConcernDeskError(f"Cannot write the export to {out}: {plain_reason(exc)}; "
                               "nothing was written.") from exc
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def is_encrypted(source: Path) -> bool:
    return (source / ENC_HEADER).is_file()


def read_folder(source: Path, passphrase: str | None = None) -> Files:
    """An export's files, decrypted in memory when it is encrypted, checked against the
    manifest's SHA-256 list: a file changed, missing or added is refused."""
    if not source.is_dir():
        raise InputError("from", f"{source} is not a folder holding an export")
    try:
        if is_encrypted(source):
            if passphrase is None:
                raise InputError("passphrase", "this export is encrypted: give its passphrase")
            files = _open_sealed(source, passphrase)
        else:
            files = {p.relative_to(source).as_posix(): p.read_bytes()
                     for p in sorted(source.rglob("*")) if p.is_file()}
    except OSError as exc:
        raise InputError("from", f"cannot read the export in {source}: {plain_reason(exc)}"
                         ) from None
    check_manifest(files)
    return files


def _open_sealed(source: Path, passphrase: str) -> Files:
    try:
        header = json.loads((source / ENC_HEADER).read_text(encoding="utf-8"))
        if header.get("format") != ENC_FORMAT:
            raise ValueError(header.get("format"))
        salt, nonce = (base64.b64decode(header[k]) for k in ("salt", "nonce"))
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        body = (source / ENC_BODY).read_bytes()
    except (ValueError, KeyError, TypeError):
        raise InputError("from", f"{source} is not an encrypted ConcernDesk export this "
                         "version can read") from None
    if not (2 ** 10 <= n <= 2 ** 20 and 1 <= r <= 32 and p == 1):
        raise InputError("from", "the export's key settings are outside what is accepted")
    try:
        plain = AESGCM(_key(passphrase, salt, n, r, p)).decrypt(nonce, body,
                                                                 ENC_FORMAT.encode())
    except InvalidTag:
        raise UnlockError("Wrong passphrase for this export, or the export was "
                              "altered; nothing was imported.") from None
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if not name.endswith("/")}


def check_manifest(files: Files) -> dict:
    if MANIFEST not in files:
        raise InputError("from", "there is no manifest.json: this is not a ConcernDesk export")
    try:
        manifest = json.loads(files[MANIFEST])
        listed: dict[str, str] = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise InputError("from", "manifest.json is damaged") from None
    present = set(files) - {MANIFEST}
    problems = [f"{name} is missing" for name in sorted(set(listed) - present)]
    problems += [f"{name} is not in the manifest" for name in sorted(present - set(listed))]
    problems += [f"{name} does not match its SHA-256" for name in sorted(present & set(listed))
                 if sha256(files[name]) != listed[name]]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError("from", f"the export was altered or is incomplete: {problems[0]}"
                         f"{more}; nothing was imported")
    return manifest
