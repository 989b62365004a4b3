"""A synthetic school for the demo and the benchmark: pupils, staff, concerns and chronology
entries, all invented and all reproducible from one seed.

Nothing here is a real person, place or identifier:
- names are random combinations of a given name and a surname from resources/demo/names.json
  (plus invented surnames and school names made from invented word parts);
- UPNs use an LA code of 960–989, which no local authority uses (England's run 201–943, Wales'
  660–681), with invented establishment numbers; the check letter is real, so they validate;
- NHS numbers come only from 999 000 0000–999 999 9999, the range kept for test data;
- addresses are in "ZZ99 9xx": ZZ is not a Royal Mail postcode area (NHS systems use some
  "ZZ99 3xx" codes as pseudo-postcodes, e.g. ZZ99 3VZ for no fixed abode, so we keep to 9xx);
- phone numbers are from Ofcom's ranges kept for drama: 01632 960000–960999 and
  07700 900000–900999.

Determinism: every method draws from its own ``random.Random`` seeded by the school's seed and
the method's arguments (never the global ``random``), so results do not depend on call order.
The roll depends on (seed, the academic year of ``today``): pupils' ages follow their year
groups, so the demo stays sensible in later years.

Scale: ``iter_concerns`` and ``iter_entries`` are generators, so 100,000 records never need to
be held at once; ``concerns`` and ``entries`` are the list forms for smaller runs. With the
default ``per_concern=0.8``, 55,000 concerns bring about 46,000 entries: 1,500 pupils and
~100,000 records take about 3–4 s here (2 cores), ~85 MB as lists, ~16 MB streamed.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.clock import SystemClock
from app.demo import roll, times
from app.demo import text as phrasing
from app.demo.roll import YEAR_GROUPS
from app.domain.roster_csv import RosterRow
from app.identifiers import make_nhs_number

SYNTHETIC_NOTE = "DEMO: a synthetic school. Every name, identifier and event is invented."


ROLE_SUBJECT = "subject"  # the concern is about this child
ROLE_HARMED = "harmed"
ROLE_HARMED_OTHERS = "harmed others"
ROLE_WITNESS = "witness"

ENTRY_KINDS = ("action", "contact", "meeting", "referral", "outcome", "note")
_ENTRY_STAGE = {"action": 0, "contact": 1, "note": 1, "meeting": 2, "referral": 2, "outcome": 3}
_ENTRY_KIND_WEIGHTS = {"action": 4, "contact": 5, "note": 4, "meeting": 2, "referral": 1.5,
                       "outcome": 1.5}  # fmt: skip
_SIGNIFICANT_CHANCE = {"action": 0.2, "contact": 0.3, "note": 0.05, "meeting": 0.8,
                       "referral": 0.9, "outcome": 0.85}  # fmt: skip

# How often each category is the main one on a single-child concern (roughly what schools'
# annual safeguarding reports show: wellbeing, family and neglect worries dominate).
CATEGORY_WEIGHTS: dict[str, float] = {
    "mental-health": 16, "neglect": 12, "family-circumstances": 10, "domestic-abuse": 9,
    "emotional-abuse": 7, "physical-abuse": 7, "online-safety": 6, "self-harm": 6,
    "attendance": 6, "substance-misuse": 3, "bereavement": 3, "other": 3, "young-carer": 2,
    "sexual-abuse": 1.5, "cce": 1.5, "cse": 1, "missing": 1, "radicalisation": 0.5,
    "forced-marriage": 0.3, "private-fostering": 0.3, "fgm": 0.2, "trafficking": 0.2,
    "fii": 0.2,
}  # fmt: skip
_GIRLS_ONLY = {"fgm"}

REPORTERS = {"teacher": 40, "teacher2": 35, "dsl": 10, "deputy": 15}
DSL_TEAM = {"dsl": 60, "deputy": 40}
_REPORTER_NAMES, _REPORTER_CUM = list(REPORTERS), list(itertools.accumulate(REPORTERS.values()))
_DSL_NAMES, _DSL_CUM = list(DSL_TEAM), list(itertools.accumulate(DSL_TEAM.values()))
_KIND_NAMES = list(_ENTRY_KIND_WEIGHTS)
_KIND_CUM = list(itertools.accumulate(_ENTRY_KIND_WEIGHTS.values()))

_FICTITIOUS_LA_CODES = range(960, 990)
_SHOWCASE = (
    ("greek", "preferred"),
    ("ukrainian_russian", "legal"),
    ("pakistani", "preferred"),
    ("bangladeshi", "preferred"),
)


@dataclass(frozen=True)
class StaffSeed:
    username: str
    display_name: str
    roles: tuple[str, ...]
    job_title: str


@dataclass(frozen=True)
class ChildLink:
    index: int  # position in the pupils list
    role: str  # ROLE_SUBJECT, ROLE_HARMED, ROLE_HARMED_OTHERS or ROLE_WITNESS


@dataclass(frozen=True)
class ConcernSeed:
    id: str  # a UUID made from the seed: stable across runs
    occurred_at: datetime  # aware UTC
    recorded_at: datetime  # aware UTC, never before occurred_at
    reporter: str  # username
    children: tuple[ChildLink, ...]
    categories: tuple[str, ...]  # 1..3 category codes
    location: str
    text: str
    child_words: str | None
    action_taken: str
    witnesses: str | None


@dataclass(frozen=True)
class EntrySeed:
    id: str
    concern_id: str | None
    child_index: int
    kind: str  # one of ENTRY_KINDS
    occurred_at: datetime
    recorded_at: datetime
    author: str  # username: dsl or deputy
    summary: str
    significant: bool


def academic_year_start(day: date) -> int:
    """The calendar year in which the academic year holding ``day`` began (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def _weighted(rng: random.Random, items: Sequence[Any], cumulative: Sequence[float]) -> Any:
    """rng.choices(items, cum_weights=cumulative)[0], without its per-call overhead."""
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class _Family:
    group: str
    surname: str  # may be "masc|fem"
    native_surname: str | None
    address: str


class SyntheticSchool:
    """A reproducible all-through (N1–Y13) school. See the module docstring for guarantees."""

    def __init__(self, seed: int, *, today: date | None = None) -> None:
        self.seed = seed
        self.today = today or SystemClock().now().date()
        rng = self._rng("school")
        self.la_code: int = rng.choice(_FICTITIOUS_LA_CODES)
        self.establishment: int = rng.randrange(4000, 5000)
        self._feeders = rng.sample(range(2000, 3999), 6)  # invented primaries for in-year joiners
        self._name = self._invent_school_name(rng)
        self._family_of: dict[str, int] = {}  # upn -> family number, filled by pupils()
        self._address_of_family: dict[int, str] = {}
        self._families: dict[int, _Family] = {}

    # -- the school ------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(["concerndesk-synthetic", str(self.seed), *map(str, parts)]))

    def school_name(self) -> str:
        return self._name

    def _invent_school_name(self, rng: random.Random) -> str:
        places = roll.demo_resource("names.json")["places"]
        place = rng.choice(places["first"]) + rng.choice(places["second"])
        return f"{place} {rng.choice(places['third'])} {rng.choice(places['school_kinds'])}"

    def school_address(self) -> str:
        return self._address(self._rng("school-address"))

    def school_phone(self) -> str:
        return roll.drama_phone(self._rng("school-phone"), mobile=False)

    def home_address(self, upn: str) -> str:
        """The home address of a pupil from ``pupils()`` (siblings share one)."""
        family = self._family_of.get(upn)
        if family is None:
            return self._address(self._rng("address", upn))
        return self._address_of_family[family]

    def _address(self, rng: random.Random) -> str:
        places = roll.demo_resource("names.json")["places"]
        letters = "ABDEFGHJLNPQRSTUWXY"  # the letters Royal Mail uses in inward codes
        postcode = f"ZZ99 9{rng.choice(letters)}{rng.choice(letters)}"
        street = rng.choice(places["streets"])
        return f"{rng.randrange(1, 200)} {street}, {rng.choice(places['towns'])} {postcode}"

    # -- staff -----------------------------------------------------------------------------

    def staff(self) -> list[StaffSeed]:
        """The six demo accounts of the CLI contract, with generated display names."""
        rng = self._rng("staff")
        accounts = (
            ("admin", ("admin",), "School business manager"),
            ("dsl", ("dsl",), "Designated Safeguarding Lead"),
            ("deputy", ("dsl",), "Deputy Designated Safeguarding Lead"),
            ("teacher", ("staff",), "Class teacher"),
            ("teacher2", ("staff",), "Form tutor"),
            ("office", ("office",), "Office manager"),
        )
        seen: set[str] = set()
        result = []
        for username, roles, title in accounts:
            name = self._adult_name(rng)
            while name in seen:
                name = self._adult_name(rng)
            seen.add(name)
            result.append(StaffSeed(username, name, roles, title))
        return result

    def _adult_name(self, rng: random.Random) -> str:
        _, group = roll.pick_group(rng)
        female = rng.random() < 0.7  # school staff are mostly women
        given = rng.choice(group["female" if female else "male"])
        return f"{given} {roll.surname_form(rng.choice(group['surnames']), female)}"

    # -- pupils ----------------------------------------------------------------------------

    def pupils(self, n: int) -> list[RosterRow]:
        """n pupils spread over N1–Y13, sorted by year group then name; unique valid UPNs,
        about 30% with an NHS number from the test range; families of 1–4 siblings."""
        if n < 0:
            raise ValueError("n must be >= 0")
        rng = self._rng("pupils", n, academic_year_start(self.today))
        remaining = roll.cohort_sizes(n)
        upns = roll.UpnAllocator(self.la_code, [self.establishment, *self._feeders])
        nhs_seen: set[str] = set()
        made: list[tuple[RosterRow, int]] = []
        family_number = 0
        self._address_of_family = {}
        self._families = {}
        # Larger rolls always show each script the UI and PDFs must handle (Greek, Cyrillic,
        # Arabic, Bengali), including one legal name held in its own script.
        showcase = list(_SHOWCASE) if n >= 50 else []
        while len(made) < n:
            shown = showcase.pop(0) if showcase else None
            family = self._new_family(rng, shown)
            self._address_of_family[family_number] = family.address
            self._families[family_number] = family
            size = min(n - len(made), rng.choices((1, 2, 3, 4), (70, 22, 7, 1))[0])
            used_years: list[str] = []
            twin_of: RosterRow | None = None
            for _ in range(size):
                year = roll.pick_year(rng, remaining, avoid=used_years)
                remaining[year] -= 1
                used_years.append(year)
                twin = twin_of if twin_of and twin_of.year_group == year else None
                row = self._pupil(rng, family, year, upns, nhs_seen, twin, shown)
                shown = None  # only the first child of a showcase family
                made.append((row, family_number))
                twin_of = row
            family_number += 1
        made.sort(key=lambda m: (roll.YEAR_ORDER[m[0].year_group], m[0].legal_surname,
                                 m[0].legal_forename, m[0].upn))  # fmt: skip
        self._family_of = {row.upn: fam for row, fam in made}
        return [row for row, _ in made]

    def family_of(self, upn: str) -> tuple[int, str, str] | None:
        """(family number, name group, family surname) of a pupil from ``pupils()``."""
        number = self._family_of.get(upn)
        if number is None:
            return None
        family = self._families[number]
        return number, family.group, family.surname

    def siblings(self, pupils: Sequence[RosterRow]) -> list[tuple[int, ...]]:
        """Index groups of siblings (2+) among ``pupils`` as made by ``pupils()``."""
        groups: dict[int, list[int]] = {}
        for index, row in enumerate(pupils):
            family = self._family_of.get(row.upn)
            if family is not None:
                groups.setdefault(family, []).append(index)
        return [tuple(g) for g in groups.values() if len(g) > 1]

    def _new_family(self, rng: random.Random, shown: tuple[str, str] | None = None) -> _Family:
        group_name, group = roll.pick_group(rng)
        if shown:
            group_name, group = shown[0], roll.demo_resource("names.json")["groups"][shown[0]]
        surname = rng.choice(group["surnames"])
        if shown and shown[1] == "legal":
            surname = rng.choice([s for s in group["surnames"] if s in group["native"]])
            return _Family(group_name, surname, group["native"][surname], self._address(rng))
        if group_name == "english" and rng.random() < 0.12:
            parts = roll.demo_resource("names.json")["invented_surname_parts"]
            surname = rng.choice(parts["first"]) + rng.choice(parts["second"])
        if rng.random() < 0.05:  # a hyphenated family name, often across two heritages
            _, other = roll.pick_group(rng)
            second = rng.choice(other["surnames"])
            if second != surname:
                surname = roll.hyphenate(surname, second)
        native = group["native"].get(surname)
        return _Family(group_name, surname, native, self._address(rng))

    def _pupil(
        self,
        rng: random.Random,
        family: _Family,
        year: str,
        upns: roll.UpnAllocator,
        nhs_seen: set[str],
        twin: RosterRow | None,
        shown: tuple[str, str] | None = None,
    ) -> RosterRow:
        group = roll.demo_resource("names.json")["groups"][family.group]
        female = rng.random() < 0.5
        given_pool = group
        if family.group != "english" and rng.random() < 0.15:
            # British-born, with an English given name
            given_pool = roll.demo_resource("names.json")["groups"]["english"]
        elif family.group == "english" and rng.random() < 0.03:
            given_pool = roll.pick_group(rng)[1]
        forename = rng.choice(given_pool["female" if female else "male"])
        surname = roll.surname_form(family.surname, female)
        preferred = roll.preferred(rng, given_pool, forename, female)
        if shown:
            given_pool = group
            natives = [g for g in group["female" if female else "male"] if g in group["native"]]
            forename = rng.choice(natives)
            preferred = group["native"][forename]
        native_given = given_pool["native"].get(forename)
        legal_in_script = shown is not None and shown[1] == "legal"
        if native_given and family.native_surname and (legal_in_script or rng.random() < 0.15):
            # A recent arrival whose legal name the MIS holds in the family's own script.
            preferred = forename
            forename = native_given
            surname = roll.surname_form(family.native_surname, female)
        dob = twin.date_of_birth if twin else self._birth_date(rng, year)
        upn = upns.allocate(rng, self._entry_year(year, rng))
        nhs = None
        if rng.random() < 0.3:
            nhs = make_nhs_number(rng)
            while nhs in nhs_seen:
                nhs = make_nhs_number(rng)
            nhs_seen.add(nhs)
        gender = "F" if female else "M"
        return RosterRow(upn, forename, surname, preferred, dob, gender, year, nhs, 0)

    def _birth_date(self, rng: random.Random, year: str) -> date:
        offset = dict((code, k) for code, k, _ in YEAR_GROUPS)[year]
        first = date(academic_year_start(self.today) - 5 - offset, 9, 1)
        last = date(first.year + 1, 8, 31)
        return first + timedelta(days=rng.randrange((last - first).days + 1))

    def _entry_year(self, year: str, rng: random.Random) -> tuple[int, bool]:
        """(the 2-digit year the UPN was allocated, whether another school allocated it). A UPN
        is allocated on first entry to school: this school's nursery or Reception for most,
        another school for in-year joiners."""
        offset = dict((code, k) for code, k, _ in YEAR_GROUPS)[year]
        start = academic_year_start(self.today)
        if offset < 0:  # in our nursery now: N1 joined this year, N2 last year
            return (start - (offset + 2)) % 100, False
        reception = start - offset
        if offset > 0 and rng.random() < 0.2:
            return reception % 100, True
        from_nursery = rng.random() < 0.5
        return (reception - rng.choice((1, 2)) if from_nursery else reception) % 100, False

    # -- concerns --------------------------------------------------------------------------

    def concerns(
        self, pupils: Sequence[RosterRow], *, start: date, end: date, count: int
    ) -> list[ConcernSeed]:
        """``iter_concerns`` as a list, in the order they were recorded."""
        made = list(self.iter_concerns(pupils, start=start, end=end, count=count))
        return sorted(made, key=lambda c: c.recorded_at)

    def iter_concerns(
        self, pupils: Sequence[RosterRow], *, start: date, end: date, count: int
    ) -> Iterator[ConcernSeed]:
        """``count`` concerns about ``pupils`` (indexes into it), occurring from ``start`` and
        recorded before ``end`` (UTC midnight; pass today to keep everything in the past).
        Yielded in no particular order; a handful of pupils attract most concerns. Concerns
        about siblings need ``pupils`` to come from this object's ``pupils()``."""
        if not pupils or end <= start:
            return
        rng = self._rng("concerns", len(pupils), start, end, count)
        texts = roll.demo_resource("texts.json")
        window = times.Window(start, end)
        weights = times.propensities(rng, len(pupils))
        sibling_groups = self.siblings(pupils)
        sibling_of = {i: g for g in sibling_groups for i in g}
        codes = list(CATEGORY_WEIGHTS)
        code_weights = list(itertools.accumulate(CATEGORY_WEIGHTS.values()))
        year_mates: dict[str, list[int]] = {}
        for index, pupil in enumerate(pupils):
            year_mates.setdefault(pupil.year_group, []).append(index)
        for _ in range(count):
            # A concern happens while the child is at the school (from nursery on): a past
            # date before a young child started is drawn again, then another child tried.
            for _attempt in range(40):
                child = bisect.bisect(weights, rng.random() * weights[-1])
                occurred, recorded = window.event_times(rng)
                born = pupils[child].date_of_birth
                if occurred.date() >= phrasing.school_start(born):
                    break
            day = occurred.date()
            age = phrasing.age_on(born, day)
            allowed = phrasing.categories_for(texts, age)
            kind = rng.random()
            if kind < 0.12 and len(pupils) > 1 and "child-on-child" in allowed:
                links, primary = self._child_on_child(rng, child, year_mates, pupils), \
                    "child-on-child"
            elif kind < 0.18 and len(at_school := self._at_school(
                    pupils, sibling_of.get(child, ()), child, day)) > 1:
                links = tuple(ChildLink(i, ROLE_SUBJECT) for i in at_school)
                primary = rng.choice(("neglect", "family-circumstances", "domestic-abuse"))
            else:
                links = (ChildLink(child, ROLE_SUBJECT),)
                primary = _weighted(rng, codes, code_weights)
                while primary not in allowed or (primary in _GIRLS_ONLY and
                                                  pupils[child].gender != "F"):
                    primary = _weighted(rng, codes, code_weights)
            categories = [primary]
            for _ in range(rng.choices((0, 1, 2), (65, 28, 7))[0]):
                extra = _weighted(rng, codes, code_weights)
                if extra not in categories and extra not in _GIRLS_ONLY and extra in allowed:
                    categories.append(extra)
            main = pupils[links[0].index]
            other = pupils[links[1].index] if len(links) > 1 else None
            slots = phrasing.slots(rng, texts, main, other, age=age, when=occurred)
            yield ConcernSeed(
                id=_uuid(rng),
                occurred_at=occurred,
                recorded_at=recorded,
                reporter=_weighted(rng, _REPORTER_NAMES, _REPORTER_CUM),
                children=links,
                categories=tuple(categories),
                location=phrasing.location(rng, texts, age),
                text=phrasing.concern_text(rng, texts, primary, slots, age),
                child_words=phrasing.child_words(rng, texts, primary, slots, age),
                action_taken=phrasing.action(rng, texts, slots, age, len(links) > 1),
                witnesses=phrasing.choose(rng, phrasing.for_age(texts, age)["staff"], age)
                if rng.random() < 0.35 else None,
            )

    @staticmethod
    def _at_school(pupils: Sequence[RosterRow], family: Iterable[int], child: int, day: date
                   ) -> list[int]:
        """The siblings (``child`` first) who had started at the school by ``day``."""
        started = [i for i in family if day >= phrasing.school_start(pupils[i].date_of_birth)]
        return sorted(started, key=lambda i: i != child)

    def _child_on_child(self, rng: random.Random, child: int, year_mates: dict[str, list[int]],
                        pupils: Sequence[RosterRow]) -> tuple[ChildLink, ...]:
        """The child harmed, one who harmed them from the same year group (any pupil in a year
        of one) and sometimes a witness from that year too."""
        mates = [i for i in year_mates[pupils[child].year_group] if i != child] or \
            [i for i in range(len(pupils)) if i != child]
        other = rng.choice(mates)
        links = [ChildLink(child, ROLE_HARMED), ChildLink(other, ROLE_HARMED_OTHERS)]
        if len(mates) > 1 and rng.random() < 0.25:
            witness = rng.choice(mates)
            if witness not in (child, other):
                links.append(ChildLink(witness, ROLE_WITNESS))
        return tuple(links)

    # -- chronology entries ----------------------------------------------------------------

    def entries(
        self,
        concerns: Iterable[ConcernSeed],
        pupils: Sequence[RosterRow],
        *,
        end: date,
        per_concern: float = 0.8,
    ) -> list[EntrySeed]:
        """``iter_entries`` as a list."""
        return list(self.iter_entries(concerns, pupils, end=end, per_concern=per_concern))

    def iter_entries(
        self,
        concerns: Iterable[ConcernSeed],
        pupils: Sequence[RosterRow],
        *,
        end: date,
        per_concern: float = 0.8,
    ) -> Iterator[EntrySeed]:
        """DSL chronology entries following each concern (about ``per_concern`` each, 0–4),
        for the child it was about (for child-on-child, sometimes also the other child, each
        entry on one child's chronology only). Each occurs after its concern and before
        ``end``."""
        rng = self._rng("entries", end, per_concern)
        texts = roll.demo_resource("texts.json")
        end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)
        chance = min(per_concern / 4, 1.0)
        for concern in concerns:
            k = sum(rng.random() < chance for _ in range(4))
            if not k:
                continue
            targets = [concern.children[0].index]
            second = concern.children[1] if len(concern.children) > 1 else None
            if second and second.role == ROLE_HARMED_OTHERS and rng.random() < 0.4:
                targets.append(second.index)
            for child in targets:
                yield from self._entries_for(rng, texts, concern, child, pupils, k, end_at)

    def _entries_for(
        self,
        rng: random.Random,
        texts: dict[str, Any],
        concern: ConcernSeed,
        child: int,
        pupils: Sequence[RosterRow],
        k: int,
        end_at: datetime,
    ) -> Iterator[EntrySeed]:
        kinds = rng.choices(_KIND_NAMES, cum_weights=_KIND_CUM, k=k)
        kinds.sort(key=_ENTRY_STAGE.__getitem__)
        at = times.working_time_after(rng, concern.occurred_at, max_days=3)
        age = phrasing.age_on(pupils[child].date_of_birth, concern.occurred_at.date())
        slots = phrasing.slots(rng, texts, pupils[child], None, age=age)
        for kind in kinds:
            if at >= end_at:
                return
            recorded = times.recorded_after(rng, at, end_at)
            yield EntrySeed(
                id=_uuid(rng),
                concern_id=concern.id,
                child_index=child,
                kind=kind,
                occurred_at=at,
                recorded_at=recorded,
                author=_weighted(rng, _DSL_NAMES, _DSL_CUM),
                summary=phrasing.choose(rng, texts["entries"][kind], age).format_map(slots),
                significant=rng.random() < _SIGNIFICANT_CHANCE[kind],
            )
            at = times.working_time_after(rng, at, max_days=21)

    def heavy_child(
        self,
        pupils: Sequence[RosterRow],
        child_index: int,
        *,
        start: date,
        end: date,
        items: int = 500,
    ) -> tuple[list[ConcernSeed], list[EntrySeed]]:
        """A long chronology for one child: exactly ``items`` records, a fifth of them concerns
        (about this child alone) and the rest DSL entries linked to them, all between ``start``
        and ``end``. For the benchmark's "chronology of a child with 500 entries"."""
        rng = self._rng("heavy", child_index, start, end, items)
        texts = roll.demo_resource("texts.json")
        end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)
        solo = [pupils[child_index]]
        n_concerns = max(1, items // 5)
        # With one pupil every concern is about that child alone: no other child is involved.
        concerns = [
            dataclasses.replace(c, children=(ChildLink(child_index, ROLE_SUBJECT),))
            for c in self.iter_concerns(solo, start=start, end=end, count=n_concerns)
        ]
        concerns.sort(key=lambda c: c.occurred_at)
        age = phrasing.age_on(pupils[child_index].date_of_birth, start)
        slots = phrasing.slots(rng, texts, pupils[child_index], None, age=age)
        entries = []
        for i in range(items - len(concerns)):
            concern = concerns[i % len(concerns)]
            room = (end_at - concern.occurred_at).total_seconds() / 60 - 0.5  # minutes, >= 0.5
            at = concern.occurred_at + timedelta(minutes=rng.uniform(0.5, min(room, 90 * 24 * 60)))
            kind = _weighted(rng, _KIND_NAMES, _KIND_CUM)
            entries.append(
                EntrySeed(
                    id=_uuid(rng),
                    concern_id=concern.id,
                    child_index=child_index,
                    kind=kind,
                    occurred_at=at,
                    recorded_at=times.recorded_after(rng, at, end_at),
                    author=_weighted(rng, _DSL_NAMES, _DSL_CUM),
                    summary=phrasing.choose(rng, texts["entries"][kind], age).format_map(slots),
                    significant=rng.random() < _SIGNIFICANT_CHANCE[kind],
                )
            )
        return concerns, entries


# -- helpers ---------------------------------------------------------------------------------
