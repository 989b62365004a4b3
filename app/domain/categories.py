"""The taxonomy of concern categories: loading it, ordering it for display, resolving what staff
type (a code, a label or a known alias, any case) to a category.

Codes are stable: they are what records store, so a school may relabel a category but never
recode it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.errors import InputError
from app.paths import resource_path

MAX_CATEGORIES = 3
"""A concern carries one to three categories (DOMAIN.md)."""

_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    description: str
    common: bool = False
    aliases: tuple[str, ...] = ()
    serious: bool = False  # risk of significant harm: first in the DSL team's inbox


def load_categories(path: Path | None = None) -> list[Category]:
    """The categories in display order: common ones first, each group in file order. The
    shipped default is read once per process (it cannot change while the app runs)."""
    if path is None:
        return list(_default_categories())
    return _read_categories(path)


@functools.cache
def _default_categories() -> tuple[Category, ...]:
    return tuple(_read_categories(resource_path("categories.json")))


def _read_categories(path: Path) -> list[Category]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        problem = f"cannot read the category file ({error.strerror})"
        raise InputError("categories", problem) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("categories", "the category file is not valid UTF-8 JSON") from None
    entries = raw.get("categories") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError("categories", "the category file has no list of categories")
    categories = [_category(number, entry) for number, entry in enumerate(entries, start=1)]
    _refuse_clashes(categories)
    return sorted(categories, key=lambda c: not c.common)  # stable: keeps file order within


def _category(number: int, entry: object) -> Category:
    def fail(problem: str) -> InputError:
        return InputError("categories", f"entry {number}: {problem}")

    if not isinstance(entry, dict):
        raise fail("is not an object")
    code, label = entry.get("code"), entry.get("label")
    if not isinstance(code, str) or not _CODE.match(code):
        raise fail("code must be lower-case letters, digits and single hyphens")
    if not isinstance(label, str) or not label.strip():
        raise fail("has no label")
    description = entry.get("description", "")
    common = entry.get("common", False)
    aliases = entry.get("aliases", [])
    if not isinstance(description, str):
        raise fail("description must be text")
    if not isinstance(common, bool):
        raise fail("common must be true or false")
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise fail("aliases must be a list of text")
    serious = entry.get("serious", False)
    if not isinstance(serious, bool):
        raise fail("serious must be true or false")
    names = tuple(a.strip() for a in aliases)
    return Category(code, label.strip(), description.strip(), common, names, serious)


def _refuse_clashes(categories: Sequence[Category]) -> None:
    owner: dict[str, str] = {}
    for category in categories:
        for name in {_key(n) for n in _names(category)}:
            if owner.setdefault(name, category.code) != category.code:
                raise InputError(
                    "categories", f"'{name}' names both {owner[name]} and {category.code}"
                )


def _names(category: Category) -> Iterable[str]:
    yield category.code
    yield category.label
    yield from category.aliases


def _key(text: str) -> str:
    """Case-, space- and hyphen-insensitive form for matching."""
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


@functools.lru_cache(maxsize=8)
def _lookup(categories: tuple[Category, ...]) -> dict[str, Category]:
    """Every name (code, label, alias) → its category; built once per taxonomy."""
    return {_key(name): c for c in categories for name in _names(c)}


def resolve_category(text: str, categories: Sequence[Category]) -> Category:
    """The category a code, label or alias names (any case), or InputError with close matches."""
    wanted = _key(text)
    by_name = _lookup(tuple(categories))
    if wanted in by_name:
        return by_name[wanted]
    shown = _printable(text)
    if not wanted:
        raise InputError("category", "is empty")
    close = difflib.get_close_matches(wanted, list(by_name), n=8, cutoff=0.6)
    # Also offer categories whose label or alias contains what was typed ("abuse", "online").
    close += [n for n in by_name if len(wanted) >= 3 and wanted in n]
    suggestions: list[Category] = []
    for name in close:
        if by_name[name] not in suggestions:
            suggestions.append(by_name[name])
    if suggestions:
        listed = ", ".join(f"{c.label} ({c.code})" for c in suggestions[:4])
        raise InputError("category", f"unknown category '{shown}'; did you mean: {listed}")
    codes = ", ".join(c.code for c in categories)
    raise InputError("category", f"unknown category '{shown}'; the categories are: {codes}")


def resolve_categories(texts: Iterable[str], categories: Sequence[Category]) -> list[Category]:
    """One to MAX_CATEGORIES distinct categories, in the order given."""
    chosen: list[Category] = []
    for text in texts:
        category = resolve_category(text, categories)
        if category not in chosen:
            chosen.append(category)
    if not chosen:
        raise InputError("category", "choose at least one category")
    if len(chosen) > MAX_CATEGORIES:
        problem = f"{len(chosen)} categories chosen; a concern can have at most {MAX_CATEGORIES}"
        raise InputError("category", problem)
    return chosen


def _printable(text: str, limit: int = 40) -> str:
    """What the user typed, safe to echo: no control characters, not too long."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text.strip())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
