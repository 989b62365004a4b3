"""Canonical JSON: the one byte form of a JSON value that is signed, sealed or hashed (sorted
keys, no spaces, ASCII only), so whoever signs and whoever checks always agree on the bytes."""

from __future__ import annotations

import json


def canonical_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
