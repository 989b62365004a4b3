"""The words of the synthetic school's concerns: sentence templates from
resources/demo/texts.json, filled with a child's first name and pronouns. All invented.

Texts fit the child's age on the day: a template marked "[11+] " is only used for a child of 11
or more, and children under five (nursery and reception) get the "early_years" set (situations
of their age: nappies, bites in the sand tray, drop-off) and only its categories. A sentence
saying when it happened, taken from the concern's own time, keeps two accounts of the same kind
of event from reading word for word alike."""

from __future__ import annotations

import random
import re
from datetime import date, datetime
from typing import Any

from app.domain.roster_csv import RosterRow
from app.uktime import uk_time

EARLY_YEARS_BELOW = 5  # nursery and reception children are under five on most days
_PRONOUNS = {
    "M": ("he", "him", "his", "himself"),
    "F": ("she", "her", "her", "herself"),
}
_DEFAULT_PRONOUNS = ("they", "them", "their", "themselves")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MIN_AGE = re.compile(r"^\[(\d+)\+\] ")
_PHASED = ("staff", "locations", "observations", "follow_ups", "long_paragraphs", "child_words",
           "actions", "actions_child_on_child")


def first_name(row: RosterRow) -> str:
    return row.preferred_forename or row.legal_forename


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def school_start(born: date) -> date:
    """The September a child starts nursery (N1): the one after their second birthday's
    academic year, so a child born in October 2022 starts in September 2025."""
    cohort = born.year if born.month >= 9 else born.year - 1
    return date(cohort + 3, 9, 1)


def min_age(template: str) -> int:
    found = _MIN_AGE.match(template)
    return int(found.group(1)) if found else 0


def plain(template: str) -> str:
    return _MIN_AGE.sub("", template)


def fitting(templates: list[str], age: int) -> list[str]:
    return [t for t in templates if min_age(t) <= age]


def choose(rng: random.Random, templates: list[str], age: int) -> str:
    """One template that fits ``age`` (without its age mark)."""
    return plain(rng.choice(fitting(templates, age) or templates))


def for_age(texts: dict[str, Any], age: int) -> dict[str, Any]:
    """The templates for a child of ``age``: the early-years set under five, else the school's."""
    if age < EARLY_YEARS_BELOW and "early_years" in texts:
        return {**texts, **{k: v for k, v in texts["early_years"].items() if k in _PHASED}}
    return texts


def categories_for(texts: dict[str, Any], age: int) -> set[str]:
    """The categories a child of ``age`` can be given: those with an account that fits."""
    return {code for code, found in for_age(texts, age)["observations"].items()
            if fitting(found, age)}


def location(rng: random.Random, texts: dict[str, Any], age: int) -> str:
    places = {k: w for k, w in for_age(texts, age)["locations"].items() if min_age(k) <= age}
    return plain(rng.choices(list(places), weights=list(places.values()))[0])


def _period(clock: int) -> str:
    hour = clock // 60
    if hour < 9:
        return "before school"
    if clock < 10 * 60 + 30:
        return "in the morning"
    if clock < 11 * 60:
        return "at break"
    if hour < 12:
        return "late in the morning"
    if hour < 13 or clock < 13 * 60 + 15:
        return "at lunchtime"
    if clock < 15 * 60 + 15:
        return "in the afternoon"
    return "after school"


def slots(
    rng: random.Random, texts: dict[str, Any], main: RosterRow, other: RosterRow | None,
    *, age: int = 99, when: datetime | None = None,
) -> dict[str, str]:
    he, him, his, himself = _PRONOUNS.get(main.gender, _DEFAULT_PRONOUNS)
    filled = {
        "name": first_name(main),
        "other": first_name(other) if other else "another pupil",
        "he": he, "him": him, "his": his, "himself": himself,
        "He": he.capitalize(), "His": his.capitalize(),
        "adult": rng.choice(texts["adults"]),
        "staff": choose(rng, for_age(texts, age)["staff"], age),
        "day": rng.choice(_WEEKDAYS[:5]),
    }  # fmt: skip
    if when is not None:
        local, _zone = uk_time(when)
        filled.update(clock=f"{local:%H:%M}", period=_period(local.hour * 60 + local.minute),
                      weekday=_WEEKDAYS[local.weekday()])
    return filled


def concern_text(
    rng: random.Random, texts: dict[str, Any], category: str, slots: dict[str, str],
    age: int = 99,
) -> str:
    """1–7 sentences; about one in twenty runs on into extra paragraphs."""
    phase = for_age(texts, age)
    accounts = phase["observations"].get(category) or texts["observations"][category]
    sentences = [choose(rng, accounts, age)]
    if "clock" in slots and rng.random() < 0.6:
        sentences.append(rng.choice(texts["time_notes"]))
    follow_ups = [plain(f) for f in fitting(phase["follow_ups"], age)]
    count = rng.choices(range(6), (20, 30, 25, 15, 7, 3))[0]
    sentences += rng.sample(follow_ups, min(count, len(follow_ups)))
    # A slot such as {staff} ("the form tutor") may open a sentence: capitalise after filling.
    text = " ".join(capitalised(s.format_map(slots)) for s in sentences)
    if rng.random() < 0.05:
        paragraphs = [plain(p) for p in fitting(phase["long_paragraphs"], age)]
        if paragraphs:
            paragraphs = rng.sample(paragraphs, min(len(paragraphs), rng.randrange(1, 3)))
            text += "\n\n" + "\n\n".join(capitalised(p.format_map(slots)) for p in paragraphs)
    return text


def capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def child_words(
    rng: random.Random, texts: dict[str, Any], category: str, slots: dict[str, str],
    age: int = 99,
) -> str | None:
    if rng.random() < 0.45:
        return None
    said = for_age(texts, age)["child_words"]
    options = fitting(said.get(category) or [], age) or said["default"]
    return choose(rng, options, age).format_map(slots)


def action(rng: random.Random, texts: dict[str, Any], slots: dict[str, str], age: int,
           pair: bool) -> str:
    phase = for_age(texts, age)
    return choose(rng, phase["actions_child_on_child" if pair else "actions"], age).format_map(
        slots)
