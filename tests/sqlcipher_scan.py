"""A byte scan that sees through SQLCipher: decrypts every page of a SQLCipher 4 file — free
pages, stale pages and every frame of a write-ahead log included — with the raw key, and
looks for text in the plain pages. A plain-text scan of an encrypted file proves nothing; this
one finds what SQLite has deleted but not yet overwritten. Written from the SQLCipher 4
defaults (docs/keys.md), using no ConcernDesk module: 4096-byte pages; each page's last 80
bytes are its reserve, a 16-byte IV then a 64-byte HMAC-SHA512 over the encrypted bytes, the
IV and the page number (4 bytes, little-endian); AES-256-CBC under the raw key; page 1 starts
with the 16-byte salt, from which the HMAC key is derived (PBKDF2-HMAC-SHA512, 2 rounds, over
the raw key with the salt XOR 0x3a).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
SALT = 16
IV = 16
MAC = 64
RESERVE = IV + MAC
WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass(frozen=True)
class Hit:
    file: str
    where: str  # "page 7", "WAL frame 3 (page 7)"


class Decrypter:
    def __init__(self, key: bytes, salt: bytes) -> None:
        self.key = key
        self.mac_key = hashlib.pbkdf2_hmac("sha512", key, bytes(b ^ 0x3A for b in salt), 2, 32)

    def page(self, raw: bytes, number: int) -> bytes:
        """One page in the clear; raises when its HMAC fails (wrong key, or not a page)."""
        start = SALT if number == 1 else 0
        body, iv, mac = raw[start:PAGE - RESERVE], raw[PAGE - RESERVE:PAGE - MAC], raw[-MAC:]
        expected = hmac.new(self.mac_key, body + iv + struct.pack("<I", number),
                            hashlib.sha512).digest()
        if not hmac.compare_digest(mac, expected):
            raise ValueError(f"page {number}: HMAC check failed")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(iv)).decryptor()
        return decryptor.update(body) + decryptor.finalize()


def _pages(db: bytes, dec: Decrypter) -> Iterator[tuple[str, bytes]]:
    for index in range(len(db) // PAGE):
        yield f"page {index + 1}", dec.page(db[index * PAGE:(index + 1) * PAGE], index + 1)


def _frames(wal: bytes, dec: Decrypter) -> Iterator[tuple[str, bytes]]:
    offset, n = WAL_HEADER, 0
    while offset + FRAME_HEADER + PAGE <= len(wal):
        n += 1
        number = struct.unpack(">I", wal[offset:offset + 4])[0]
        raw = wal[offset + FRAME_HEADER:offset + FRAME_HEADER + PAGE]
        yield f"WAL frame {n} (page {number})", dec.page(raw, number)
        offset += FRAME_HEADER + PAGE


def plain_pages(path: Path, key: bytes) -> Iterator[tuple[str, str, bytes]]:
    """(file, where, plain bytes) for every page of ``path`` and of its ``-wal`` beside it."""
    db = path.read_bytes()
    if len(db) % PAGE:
        raise ValueError(f"{path.name} is not a whole number of {PAGE}-byte pages")
    dec = Decrypter(key, db[:SALT])
    for where, plain in _pages(db, dec):
        yield path.name, where, plain
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        for where, plain in _frames(wal.read_bytes(), dec):
            yield wal.name, where, plain


def scan(path: Path, key: bytes, *texts: str) -> list[Hit]:
    """Where any of ``texts`` appears in the plain pages, matched without regard to case (the
    search index keeps words folded to lower case)."""
    needles = [t.casefold().encode("utf-8") for t in texts]
    hits = []
    for name, where, plain in plain_pages(path, key):
        folded = plain.lower()
        if any(needle in folded for needle in needles):
            hits.append(Hit(name, where))
    return hits


def page_count(path: Path, key: bytes) -> int:
    """How many pages decrypt (every one must, or ``plain_pages`` raises)."""
    return sum(1 for _ in plain_pages(path, key))


def opened_files(directory: Path, keys: list[bytes]
                 ) -> Iterator[tuple[sqlcipher3.Connection, set[str]]]:
    """Every database file in ``directory`` opened with every key of ``keys`` that opens it, as
    an attacker with those keys would (SQLCipher's own reader): the connection and its tables."""
    for path in sorted(directory.glob("*.db")):
        for key in keys:
            conn = sqlcipher3.connect(str(path))
            try:
                conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                conn.execute("PRAGMA cipher_log_level = NONE")
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE "
                                                     "type = 'table'")}
            except sqlcipher3.dbapi2.DatabaseError:
                conn.close()
                continue
            try:
                yield conn, tables
            finally:
                conn.close()
