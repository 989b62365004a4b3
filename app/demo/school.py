"""The demo school: a synthetic roster and a few years of history, replayed through the core.

Every concern, entry and status change goes through the same core functions staff use, with
the clock set to when it happened, so the demo exercises validation, FTS and the audit trail.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from app.clock import Clock, FakeClock, SystemClock
from app.demo import roll
from app.demo.profiles import demo_profile_updates
from app.demo.referral import worked_referral
from app.demo.synthetic import ConcernSeed, EntrySeed, StaffSeed, SyntheticSchool
from app.domain.chronology import add_entry
from app.domain.concerns import ConcernDraft, record_concern, set_status
from app.domain.pupils import apply_roster
from app.profile.profiles import apply_update
from app.store.access import create_store, load_user, unlock
from app.store.keyfile import KeyFile
from app.store.keys import KdfParams, PersonalKeys
from app.store.session import Session, User
from app.store.settings import (
    SCHOOL_ADDRESS,
    SCHOOL_DSL_NAME,
    SCHOOL_DSL_PHONE,
    SCHOOL_EMAIL,
    SCHOOL_PHONE,
    set_value,
)
from app.store.users import add_user

# A status change the timeline plays: (seed concern id, new status, note).
StatusStep = tuple[str, str, str | None]
TimelineItem = ConcernSeed | EntrySeed | StatusStep


@dataclass(frozen=True)
class DemoSummary:
    school: str
    pupils: int
    concerns: int
    entries: int
    users: list[str]


def build_demo(directory: Path, *, pupils: int = 300, seed: int = 2026, passphrase: str = "demo",
               years: int = 3, clock: Clock | None = None, kdf: KdfParams | None = None,
               split: bool = True) -> DemoSummary:
    real_clock = clock or SystemClock()
    today = real_clock.now().date()
    synth = SyntheticSchool(seed, today=today)
    staff = synth.staff()
    admin_seed = next(s for s in staff if s.username == "admin")
    start = today - timedelta(days=365 * years)
    replay = FakeClock(datetime.combine(start, datetime.min.time()).astimezone())
    made = create_store(directory, school_name=f"{synth.school_name()} (DEMO)",
                        admin_username=admin_seed.username,
                        admin_display_name=admin_seed.display_name, passphrase=passphrase,
                        clock=replay, kdf=kdf, demo=True, split=split)
    with made.session as admin:
        for person in staff:
            if person.username != "admin":
                add_user(admin, person.username, person.display_name, list(person.roles),
                         passphrase, kdf=kdf, weak_ok=True)
        roster = synth.pupils(pupils)
        apply_roster(admin, roster)
        users = {s.username: load_user(admin.conn, s.username) for s in staff}
        concerns = synth.concerns(roster, start=start, end=today, count=int(pupils * 0.9))
        entries = synth.entries(concerns, roster, end=today)
        child_ids = dict(admin.conn.execute("SELECT upn, id FROM children").fetchall())
        ids = [child_ids[row.upn] for row in roster]
        keys = personal_keys(admin, users, passphrase)
        HistoryReplay(admin, replay, users, keys).play(ids, concerns, entries, today)
        replay.set(real_clock.now())  # history is played; what follows happens today
        _school_details(admin, synth, next(s for s in staff if s.username == "dsl"))
        dsl_user = users["dsl"]
        assert dsl_user is not None
        dsl = admin.as_user(dsl_user, keys.get("dsl"))
        profiles = demo_profile_updates(synth, roster)
        with admin.tx():  # as the DSL imports the MIS's contact export: one transaction
            for update, row in zip(profiles, roster, strict=True):
                apply_update(dsl, child_ids[row.upn], update, "mis", "demo MIS export")
        worked_referral(dsl, roster, profiles, concerns, child_ids)
        summary = DemoSummary(admin.school_name, len(roster), len(concerns), len(entries),
                              [s.username for s in staff])
    # As a school's first DSL does: their first sign-in takes the DSL store's key from the
    # account that made the store and re-keys it (docs/keys.md), so the demo starts settled.
    unlock(directory, "dsl", passphrase, clock=real_clock).close()
    return summary


def _school_details(admin: Session, synth: SyntheticSchool, dsl: StaffSeed) -> None:
    """What section 5 of a referral form asks about the school, as its admin sets it up."""
    direct_line = roll.drama_phone(random.Random(f"dsl-line:{synth.seed}"), mobile=False)
    for setting, value in ((SCHOOL_ADDRESS, synth.school_address()),
                           (SCHOOL_PHONE, synth.school_phone()),
                           (SCHOOL_EMAIL, "safeguarding@school.example.org"),
                           (SCHOOL_DSL_NAME, dsl.display_name),
                           (SCHOOL_DSL_PHONE, direct_line)):
        set_value(admin, setting, value)


def personal_keys(admin: Session, users: Iterable[str], passphrase: str
                  ) -> dict[str, PersonalKeys]:
    """Each account's own keys, opened with the passphrase the demo gave it, so what the
    history has it do is audited under its own signature, as if it had signed in."""
    keyfile = KeyFile.load(admin.directory)
    opened = {name: keyfile.unlock_user(name, passphrase, admin.device.secret).personal
              for name in users if name in keyfile.users}
    return {name: personal for name, personal in opened.items() if personal is not None}


class HistoryReplay:
    """Plays synthetic history through the core in the order it was written, as each author,
    with the clock set to each moment; commits every ``batch`` items (all at once if None).
    ``keys``: each author's personal keys, which sign their audit events (without them,
    ``verify`` names those events as not signed by their authors)."""

    def __init__(self, admin: Session, clock: FakeClock, users: dict[str, User | None],
                 keys: dict[str, PersonalKeys] | None = None) -> None:
        self.admin = admin
        self.clock = clock
        keys = keys or {}
        self.sessions = {name: admin.as_user(u, keys.get(name)) for name, u in users.items()
                         if u is not None}
        self.concerns = 0
        self.entries = 0

    def play(self, child_ids: list[str], concerns: list[ConcernSeed],
             entries: list[EntrySeed], today: date, *, batch: int | None = None) -> None:
        made: dict[str, str] = {}  # seed concern id -> record id
        timeline: list[tuple[datetime, int, TimelineItem]] = []
        for concern in concerns:
            timeline.append((concern.recorded_at, 0, concern))
            timeline.extend(status_plan(concern, today))
        timeline.extend((entry.recorded_at, 1, entry) for entry in entries)
        timeline.sort(key=lambda item: (item[0], item[1]))
        size = batch or max(1, len(timeline))
        for start in range(0, len(timeline), size):
            with self.admin.tx():
                for when, _order, item in timeline[start:start + size]:
                    self.clock.set(when)
                    self._one(item, child_ids, made)

    def _one(self, item: TimelineItem, child_ids: list[str], made: dict[str, str]) -> None:
        dsl = self.sessions["dsl"]
        if isinstance(item, ConcernSeed):
            view = record_concern(self.sessions[item.reporter], ConcernDraft(
                children=[(child_ids[link.index], link.role) for link in item.children],
                categories=list(item.categories), text=item.text, occurred_at=item.occurred_at,
                location=item.location, child_words=item.child_words,
                action_taken=item.action_taken, witnesses=item.witnesses))
            made[item.id] = view.id
            self.concerns += 1
        elif isinstance(item, EntrySeed):
            add_entry(self.sessions.get(item.author, dsl), [child_ids[item.child_index]],
                      item.kind, item.summary, item.occurred_at, significant=item.significant)
            self.entries += 1
        else:
            seed_id, status, note = item
            if seed_id in made:
                set_status(dsl, made[seed_id], status, note)


def status_plan(concern: ConcernSeed, today: date
                ) -> Iterable[tuple[datetime, int, StatusStep]]:
    """Older concerns were acknowledged and, mostly, closed; the newest wait in the inbox."""
    age = (today - concern.recorded_at.date()).days
    number = uuid.UUID(concern.id).int
    if age > 3 or number % 3:
        yield concern.recorded_at + timedelta(hours=2), 2, (concern.id, "acknowledged", None)
    if age > 45 and number % 7:
        yield (concern.recorded_at + timedelta(days=14 + number % 30), 2,
               (concern.id, "closed", "Actions complete; no further concerns at review."))
