"""docs/keys.md is enough: with the recovery key alone, the school store and the DSL store open
with standard SQLCipher 4 and give back what was written, and a sealed item opens too. The
reading below uses only sqlcipher3, cryptography and the document — no ConcernDesk module."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import sqlcipher3
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.domain.chronology import add_entry
from app.domain.concerns import ConcernDraft, record_concern
from tests.conftest import SmallSchool

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _hkdf(ikm: bytes, salt: bytes | None, info: str) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=salt, info=info.encode()).derive(ikm)


def _recovery_key(text: str) -> bytes:
    cleaned = text.upper().replace("-", "").replace(" ", "").translate(
        str.maketrans("OIL", "011"))
    number = 0
    for ch in cleaned:
        number = number * 32 + ALPHABET.index(ch)
    return number.to_bytes(32, "big")


def _rows(path: Path, key: bytes, sql: str) -> list[tuple[object, ...]]:
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_document_alone_opens_both_stores_with_the_recovery_key(
        keyed_school: SmallSchool) -> None:
    school = keyed_school
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children WHERE upn = 'B801200005001'"
                                     ).fetchone()[0]
        record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"],
            text="Waiting sealed WAITINGWORDS", occurred_at=teacher.clock.now()
            - timedelta(hours=2)))
    with school.open("dsl") as dsl:
        add_entry(dsl, [child], "meeting", "Strategy meeting STRATEGYWORDS",
                  dsl.clock.now() - timedelta(hours=1))
    with school.open("teacher") as teacher:  # one more, still sealed for the DSL team
        record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"],
            text="Still sealed LATERWORDS", occurred_at=teacher.clock.now()
            - timedelta(minutes=30)))

    # -- from here on: docs/keys.md only ------------------------------------------------------
    keys = json.loads((school.directory / "keys.json").read_text())
    store_id = keys["store_id"]
    recovery = X25519PrivateKey.from_private_bytes(
        _hkdf(_recovery_key(school.recovery_key), store_id.encode(),
              "concerndesk/recovery-x25519/v1"))

    def grant(scope: str) -> bytes:
        sealed = base64.b64decode(keys["grants"][scope]["recovery"])
        return SUITE.decrypt(sealed, recovery,
                             f"concerndesk/grant/v1|{store_id}|{scope}|recovery".encode())

    school_key, dsl_key = grant("school"), grant("dsl")
    names = {r[0] for r in _rows(school.directory / "store.db", school_key,
                                 "SELECT username FROM users")}
    assert {"admin", "dsl", "teacher"} <= names
    summaries = {r[0] for r in _rows(school.directory / "dsl.db", dsl_key,
                                     "SELECT summary FROM record_versions")}
    assert {"Waiting sealed WAITINGWORDS", "Strategy meeting STRATEGYWORDS"} <= summaries

    # The concern no DSL has opened yet: sealed to the DSL team's key, held in the DSL store.
    team = {}
    for (private,) in _rows(school.directory / "dsl.db", dsl_key,
                            "SELECT private FROM held_team_keys WHERE team = 'dsl'"):
        team[bytes(private)[32:]] = X25519PrivateKey.from_private_bytes(bytes(private)[32:])
    waiting = _rows(school.directory / "store.db", school_key,
                    "SELECT recipient, body FROM sealed_items WHERE opened_at IS NULL AND "
                    "recipient LIKE 'team:%'")
    assert waiting
    opened = []
    for recipient, body in waiting:
        for private in team.values():
            try:
                plain = SUITE.decrypt(bytes(body), private,
                                      f"concerndesk/sealed/v1|{store_id}|{recipient}".encode())
            except Exception:  # another generation of the team key
                continue
            opened.append(json.loads(plain))
    assert any(v["summary"] == "Still sealed LATERWORDS" for item in opened
               for r in item["payload"]["records"] for v in r["versions"])
