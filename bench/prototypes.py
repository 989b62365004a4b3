"""Proposed core changes, applied by monkeypatching so their effect can be measured before
anyone edits app/ (``python -m bench --prototype NAME``). Each says what it changes and why;
bench/README.md has the before/after figures. Prototypes adopted into the core were removed:
memory security off, the inbox in SQL and set-based, the pack split fix, and the search rank
window (app/domain/search.py RANK_WINDOW). None is pending now."""

from __future__ import annotations

from collections.abc import Callable

PROTOTYPES: dict[str, Callable[[], None]] = {}


def apply(name: str) -> None:
    PROTOTYPES[name]()
