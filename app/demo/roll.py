"""The synthetic school's roll: year groups, names from resources/demo/names.json, UPNs and
phone numbers from ranges no real person or school uses (see app/demo/synthetic.py)."""

from __future__ import annotations

import functools
import json
import random
from typing import Any

from app.identifiers import make_upn
from app.paths import resource_path

# Year groups of an all-through school (3–18), with the age offset from Reception and the
# relative size of each cohort: small nursery, full primary, larger secondary intake, smaller
# sixth form.
YEAR_GROUPS: tuple[tuple[str, int, float], ...] = (
    ("N1", -2, 0.35), ("N2", -1, 0.6), ("R", 0, 1.0),
    *((f"Y{k}", k, 1.0) for k in range(1, 7)),
    *((f"Y{k}", k, 1.3) for k in range(7, 12)),
    ("Y12", 12, 0.75), ("Y13", 13, 0.7),
)  # fmt: skip
YEAR_ORDER = {code: i for i, (code, _, _) in enumerate(YEAR_GROUPS)}

_DRAMA_LANDLINE = "01632 960"
_DRAMA_MOBILE = "07700 900"


@functools.cache
def demo_resource(name: str) -> dict[str, Any]:
    return json.loads(resource_path("demo", name).read_text(encoding="utf-8"))



def drama_phone(rng: random.Random, *, mobile: bool) -> str:
    """A number from Ofcom's drama ranges: it can never ring a real person."""
    return f"{_DRAMA_MOBILE if mobile else _DRAMA_LANDLINE}{rng.randrange(1000):03d}"


def pick_group(rng: random.Random) -> tuple[str, dict[str, Any]]:
    groups = demo_resource("names.json")["groups"]
    names = list(groups)
    name = rng.choices(names, [groups[g]["weight"] for g in names])[0]
    return name, groups[name]


def surname_form(surname: str, female: bool) -> str:
    """'Kowalski|Kowalska' -> the form for this child; hyphenated parts each take theirs."""
    return "-".join(
        (part.split("|")[1] if female else part.split("|")[0]) if "|" in part else part
        for part in surname.split("-")
    )


def hyphenate(first: str, second: str) -> str:
    return f"{first}-{second}"


def preferred(
    rng: random.Random, group: dict[str, Any], forename: str, female: bool
) -> str | None:
    """A preferred name that differs from the legal one, for about one pupil in six."""
    if forename in group["nicknames"] and rng.random() < 0.25:
        return group["nicknames"][forename]
    if forename in group["native"] and rng.random() < 0.2:
        return group["native"][forename]  # the name in the family's own script
    if rng.random() < 0.02:  # known by a middle name, or a name the child chose
        other = rng.choice(group["female" if female else "male"])
        return other if other != forename else None
    return None


def cohort_sizes(n: int) -> dict[str, int]:
    """n split over the year groups by cohort weight (largest remainder, so it sums to n)."""
    total = sum(w for _, _, w in YEAR_GROUPS)
    exact = {code: n * w / total for code, _, w in YEAR_GROUPS}
    sizes = {code: int(x) for code, x in exact.items()}
    short = n - sum(sizes.values())
    for code in sorted(exact, key=lambda c: (sizes[c] - exact[c], YEAR_ORDER[c]))[:short]:
        sizes[code] += 1
    return sizes


def pick_year(rng: random.Random, remaining: dict[str, int], avoid: list[str]) -> str:
    codes = [c for c, left in remaining.items() if left > 0]
    choice = rng.choices(codes, [remaining[c] for c in codes])[0]
    for _ in range(4):  # siblings are usually in different years (twins happen)
        if choice not in avoid:
            break
        choice = rng.choices(codes, [remaining[c] for c in codes])[0]
    return choice


class UpnAllocator:
    """Unique serials per (establishment, year); moves to the next establishment when full."""

    def __init__(self, la_code: int, establishments: list[int]) -> None:
        self._la = la_code
        self._home = establishments[0]
        self._others = establishments[1:]
        self._next: dict[tuple[int, int, bool], int] = {}

    def allocate(self, rng: random.Random, entry: tuple[int, bool]) -> str:
        year, elsewhere = entry
        temporary = rng.random() < 0.01  # a new arrival whose permanent UPN has not come yet
        top = 2299 if temporary else 999
        candidates = [rng.choice(self._others)] if elsewhere else []
        candidates += [self._home, *self._others]
        for establishment in candidates:
            key = (establishment, year, temporary)
            serial = self._next.get(key, 0)
            if serial <= top:
                self._next[key] = serial + 1
                return make_upn(self._la, establishment, year, serial, temporary=temporary)
        # Every establishment full for that year (a roll of many thousands): invent another.
        self._others.append(max(self._others) + 1)
        return self.allocate(rng, entry)


