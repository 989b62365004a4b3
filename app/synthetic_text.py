"""The words of the synthetic school's concerns: sentence templates from
resources/demo/texts.json, filled with a child's first name and pronouns. All invented."""

from __future__ import annotations

import random
from typing import Any

from app.roster_csv import RosterRow

_PRONOUNS = {
    "M": ("he", "him", "his", "himself"),
    "F": ("she", "her", "her", "herself"),
}
_DEFAULT_PRONOUNS = ("they", "them", "their", "themselves")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def first_name(row: RosterRow) -> str:
    return row.preferred_forename or row.legal_forename


def slots(
    rng: random.Random, texts: dict[str, Any], main: RosterRow, other: RosterRow | None
) -> dict[str, str]:
    he, him, his, himself = _PRONOUNS.get(main.gender, _DEFAULT_PRONOUNS)
    return {
        "name": first_name(main),
        "other": first_name(other) if other else "another pupil",
        "he": he, "him": him, "his": his, "himself": himself,
        "He": he.capitalize(), "His": his.capitalize(),
        "adult": rng.choice(texts["adults"]),
        "staff": rng.choice(texts["staff"]),
        "day": rng.choice(_WEEKDAYS[:5]),
    }  # fmt: skip


def concern_text(
    rng: random.Random, texts: dict[str, Any], category: str, slots: dict[str, str]
) -> str:
    """1–6 sentences; about one in twenty runs on into extra paragraphs."""
    sentences = [rng.choice(texts["observations"][category])]
    sentences += rng.sample(texts["follow_ups"], rng.choices(range(6), (20, 30, 25, 15, 7, 3))[0])
    # A slot such as {staff} ("the form tutor") may open a sentence: capitalise after filling.
    text = " ".join(capitalised(s.format_map(slots)) for s in sentences)
    if rng.random() < 0.05:
        paragraphs = rng.sample(texts["long_paragraphs"], rng.randrange(1, 3))
        text += "\n\n" + "\n\n".join(capitalised(p.format_map(slots)) for p in paragraphs)
    return text


def capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def child_words(
    rng: random.Random, texts: dict[str, Any], category: str, slots: dict[str, str]
) -> str | None:
    if rng.random() < 0.45:
        return None
    options = texts["child_words"].get(category) or texts["child_words"]["default"]
    return rng.choice(options).format_map(slots)
