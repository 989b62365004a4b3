"""``/v1/audit-heads`` on both storage engines: the hub keeps each device's newest head per
chain and refuses an older or forked one; an LA front door keeps none; the service schema's
numbered steps bring an older database up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from app.protocol.client import AuditHead, HeadRolledBack, Refused
from frontdoor.storage import SQLITE_FILE, SQLiteStorage
from tests.frontdoor.conftest import Service


def head(seq: int, byte: str = "ab", chain: str = "school") -> AuditHead:
    return AuditHead(chain, seq, byte * 32, f'{{"seq": {seq}, "signature": "x"}}')


def test_the_hub_keeps_the_newest_head_and_refuses_an_older_or_forked_one(
        hub_service: Service) -> None:
    _, client = hub_service.enrolled_device("Synthetic PC")
    with client:
        assert client.audit_heads() == []
        assert client.report_audit_heads([head(5), head(2, chain="dsl")]) == [
            head(2, chain="dsl"), head(5)]
        assert client.report_audit_heads([head(5)]) == [head(2, chain="dsl"), head(5)]
        for older in (head(4), head(5, "cd")):
            with pytest.raises(HeadRolledBack) as caught:
                client.report_audit_heads([head(9, chain="dsl"), older])
            assert caught.value.kept == head(5)
        # All or nothing: the newer DSL head sent beside a refused one was not kept either.
        assert client.audit_heads() == [head(2, chain="dsl"), head(5)]
        assert client.report_audit_heads([head(6, "cd")]) == [head(2, chain="dsl"),
                                                               head(6, "cd")]
    _, other = hub_service.enrolled_device("Another synthetic PC")
    with other:  # heads are kept per device
        assert other.audit_heads() == []
        other.report_audit_heads([head(1)])


@pytest.mark.parametrize("body", [
    {"v": 2, "heads": []}, {"v": 1, "heads": []}, {"v": 1},
    {"v": 1, "heads": [{"chain": "other", "seq": 1, "hash": "ab" * 32, "head": ""}]},
    {"v": 1, "heads": [{"chain": "school", "seq": -1, "hash": "ab" * 32, "head": ""}]},
    {"v": 1, "heads": [{"chain": "school", "seq": True, "hash": "ab" * 32, "head": ""}]},
    {"v": 1, "heads": [{"chain": "school", "seq": 1, "hash": "AB" * 32, "head": ""}]},
    {"v": 1, "heads": [{"chain": "school", "seq": 1, "hash": "ab" * 32, "head": "x" * 5000}]},
    {"v": 1, "heads": [{"chain": "school", "seq": 1, "hash": "ab" * 32, "head": ""}] * 2},
])
def test_a_malformed_report_is_refused(hub_service: Service, body: dict[str, object]) -> None:
    import json

    _, client = hub_service.enrolled_device("Synthetic PC")
    with client, pytest.raises(Refused) as caught:
        client._send("POST", "/v1/audit-heads", body=json.dumps(body).encode())
    assert (caught.value.status, caught.value.code) == (400, "bad-request")


def test_an_la_front_door_keeps_no_heads(la_service: Service) -> None:
    _, client = la_service.enrolled_device()
    with client:
        for call in (client.audit_heads, lambda: client.report_audit_heads([head(1)])):
            with pytest.raises(Refused) as caught:
                call()
            assert caught.value.status == 404


def test_an_unsigned_report_is_refused(hub_service: Service) -> None:
    answer = httpx.post(hub_service.url + "/v1/audit-heads",
                        json={"v": 1, "heads": [head(1).to_json()]})
    assert answer.status_code == 401


def test_acknowledge_restore_forgets_the_heads_kept_for_one_device(
        hub_service: Service) -> None:
    pairs, client = hub_service.enrolled_device("Synthetic PC")
    with client:
        client.report_audit_heads([head(8)])
        assert hub_service.cli("acknowledge-restore", "--fingerprint", pairs.fingerprint) == 0
        assert client.audit_heads() == []
        client.report_audit_heads([head(3)])  # the restored store's head is the new start
        assert client.audit_heads() == [head(3)]
    stranger = "0" * 64
    assert hub_service.cli("acknowledge-restore", "--fingerprint", stranger) != 0


def test_an_older_database_gets_the_new_step_once(tmp_path: Path) -> None:
    path = tmp_path / SQLITE_FILE
    with sqlite3.connect(path) as conn:  # as a service from before audit heads left it
        conn.execute("CREATE TABLE keys (fingerprint TEXT PRIMARY KEY, bundle TEXT NOT NULL, "
                     "name TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL)")
    for _ in range(2):
        storage = SQLiteStorage(path)
        storage.close()
    with sqlite3.connect(path) as conn:
        # Every step once, the later ones (frontdoor/storage.py) included.
        steps = [r[0] for r in conn.execute("SELECT step FROM schema_steps ORDER BY step")]
        assert steps[0] == 1 and steps == list(range(1, len(steps) + 1))
        assert conn.execute("SELECT count(*) FROM audit_heads").fetchone() == (0,)
