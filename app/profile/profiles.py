"""Keeping and reading a child's profile: append-only items with where each came from.

Each item is one row of ``profile_items``: a fact (ethnicity, GP …), an address, a contact, a
household member, a professional or a previous name, under a key that stays the same while
the item changes (a contact's key comes from their name, so the MIS export and the CTF speak of
the same person). The item's current value is its latest row, in the one event order every PC
shares (time, then id); a row whose value is NULL says the item was removed. Nothing is
updated or deleted in place, so the whole history stays answerable.

An import never clears what another source said: an empty field in the file leaves the stored
one alone, and a row is written only when the value changes, so the same file twice changes
nothing. A person's edit replaces the item (they may clear a field), with their name on it.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.clock import iso, parse_iso
from app.domain.pupils import child_by_id
from app.errors import InputError, NotFound
from app.identifiers import check_nhs_number
from app.profile.model import (
    FACT_NAMES,
    SEN_STATUS,
    SOURCES,
    Address,
    Contact,
    Facts,
    HouseholdMember,
    Professional,
    ProfileUpdate,
    PupilLink,
    Source,
    address_from_json,
    contact_from_json,
    facts_from_json,
    household_from_json,
    professional_from_json,
    to_json,
)
from app.store.roles import Perm
from app.store.session import Session

KINDS = ("fact", "address", "contact", "household", "professional", "name")
HOME = "home"  # the key of the child's main address
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
_SOURCE_WORDS = {"mis": "MIS import", "ctf": "Common Transfer File", "person": "typed in",
                 "cp-file": "CP file"}


@dataclass(frozen=True)
class Provenance:
    """Where an item's current value came from."""
    source: str  # one of SOURCES
    note: str | None  # "SIMS contacts export", "CTF from …", or a person's reason
    author: str  # display name
    at: datetime

    @property
    def text(self) -> str:
        words = _SOURCE_WORDS[self.source]
        if self.source == "person":
            return f"{words} by {self.author}"
        return f"{words}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Profile:
    child_id: str
    facts: Facts = field(default_factory=Facts)
    home: Address | None = None
    other_addresses: tuple[tuple[str, Address], ...] = ()
    contacts: tuple[tuple[str, Contact], ...] = ()  # by priority, then name
    household: tuple[tuple[str, HouseholdMember], ...] = ()
    professionals: tuple[tuple[str, Professional], ...] = ()
    previous_names: tuple[tuple[str, str], ...] = ()
    provenance: dict[tuple[str, str], Provenance] = field(default_factory=dict)

    def source_of(self, kind: str, key: str) -> Provenance | None:
        return self.provenance.get((kind, key))

    @property
    def is_empty(self) -> bool:
        return not self.provenance


@dataclass(frozen=True)
class ProfileChange:
    """One row of a profile's history, for the DSL to read back."""
    at: datetime
    kind: str
    key: str
    value: Any  # JSON data; None: removed
    source: str
    note: str | None
    author: str


def item_key(kind: str, value: object) -> str:
    """The key an item keeps while its details change: made from the name (and a
    professional's role), so two sources naming one person agree."""
    if kind == "contact" and isinstance(value, Contact):
        return "c:" + _norm(_untitled(value.name))
    if kind == "household" and isinstance(value, HouseholdMember):
        return "h:" + _norm(_untitled(value.name))
    if kind == "professional" and isinstance(value, Professional):
        return "p:" + _norm(value.name) + ":" + _norm(value.role)
    if kind == "name" and isinstance(value, str):
        return "n:" + _norm(value)
    if kind == "address" and isinstance(value, Address):
        return "a:" + _norm(value.text)
    raise ValueError(f"no key for a {kind}")


_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|rev|sir|dame|lady|lord)\.?\s+", re.I)


def _untitled(name: str) -> str:
    """"Mrs Zoë Jones" and "Zoë Jones" are one person: an MIS export names contacts with
    their title, a CTF without."""
    return _TITLE.sub("", name.strip())


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", "", folded) or uuid.uuid5(uuid.NAMESPACE_URL, text).hex


# -- reading ------------------------------------------------------------------------------------

def _current(session: Session, child_id: str) -> dict[tuple[str, str], tuple[Any, tuple]]:
    """(kind, key) -> (value, row) for every item, removed ones included (value None)."""
    out: dict[tuple[str, str], tuple[Any, tuple]] = {}
    for row in session.conn.execute(
            "SELECT p.kind, p.item_key, p.value, p.source, p.source_note, "
            "coalesce(u.display_name, p.author_id), p.at FROM profile_items p LEFT JOIN users u "
            "ON u.id = p.author_id WHERE p.child_id = ? ORDER BY p.at, p.id", (child_id,)):
        out[(row[0], row[1])] = (json.loads(row[2]) if row[2] is not None else None, row)
    return out


def profile(session: Session, child_id: str, *, audit: bool = True) -> Profile:
    """The child's profile as it stands; every view is audited."""
    session.require(Perm.READ_ALL_RECORDS)
    child_by_id(session, child_id)
    current = _current(session, child_id)
    fact_values: dict[str, Any] = {}
    homes: Address | None = None
    others: list[tuple[str, Address]] = []
    contacts: list[tuple[str, Contact]] = []
    household: list[tuple[str, HouseholdMember]] = []
    professionals: list[tuple[str, Professional]] = []
    names: list[tuple[str, str]] = []
    provenance: dict[tuple[str, str], Provenance] = {}
    for (kind, key), (value, row) in current.items():
        if value is None:
            continue
        provenance[(kind, key)] = Provenance(row[3], row[4], row[5], parse_iso(row[6]))
        if kind == "fact":
            fact_values[key] = tuple(value) if isinstance(value, list) else value
        elif kind == "address":
            if key == HOME:
                homes = address_from_json(value)
            else:
                others.append((key, address_from_json(value)))
        elif kind == "contact":
            contacts.append((key, contact_from_json(value)))
        elif kind == "household":
            household.append((key, household_from_json(value)))
        elif kind == "professional":
            professionals.append((key, professional_from_json(value)))
        elif kind == "name":
            names.append((key, str(value)))
    contacts.sort(key=lambda kc: (kc[1].priority is None, kc[1].priority or 0,
                                  kc[1].name.casefold()))
    household.sort(key=lambda kh: kh[1].name.casefold())
    professionals.sort(key=lambda kp: (kp[1].role.casefold(), kp[1].name.casefold()))
    facts = Facts(**{k: v for k, v in fact_values.items() if k in FACT_NAMES})
    if audit:
        session.audited("view", "child-profile", child_id)
    return Profile(child_id, facts, homes, tuple(others), tuple(contacts), tuple(household),
                   tuple(professionals), tuple(names), provenance)


def profile_history(session: Session, child_id: str) -> list[ProfileChange]:
    """Every change to the child's profile, oldest first; audited as a view."""
    session.require(Perm.READ_ALL_RECORDS)
    child_by_id(session, child_id)
    rows = session.conn.execute(
        "SELECT p.at, p.kind, p.item_key, p.value, p.source, p.source_note, "
        "coalesce(u.display_name, p.author_id) FROM profile_items p LEFT JOIN users u ON "
        "u.id = p.author_id WHERE p.child_id = ? ORDER BY p.at, p.id", (child_id,)).fetchall()
    session.audited("view", "child-profile-history", child_id, count=len(rows))
    return [ProfileChange(parse_iso(r[0]), r[1], r[2], json.loads(r[3]) if r[3] else None,
                          r[4], r[5], r[6]) for r in rows]


# -- writing ------------------------------------------------------------------------------------

class _Writer:
    """Appends rows for one child in one transaction, each just after the one before."""

    def __init__(self, session: Session, child_id: str, source: str, note: str | None) -> None:
        if source not in SOURCES:
            raise ValueError(source)
        self.session, self.child_id, self.source, self.note = session, child_id, source, note
        self.current = _current(session, child_id)
        last = max((row[6] for _, row in self.current.values()), default=None)
        self.last = parse_iso(last) if last else None
        self.rows: list[tuple[Any, ...]] = []  # inserted together at finish()

    def value(self, kind: str, key: str) -> Any:
        found = self.current.get((kind, key))
        return None if found is None else found[0]

    def put(self, kind: str, key: str, value: Any) -> None:
        """Appends ``value`` (JSON data, None to remove) unless it is what is there already."""
        if self.value(kind, key) == value:
            return
        now = self.session.clock.now()
        if self.last is not None and self.last >= now:
            now = self.last + timedelta(microseconds=1)
        self.last = now
        self.rows.append((
            str(uuid.uuid4()), self.child_id, kind, key,
            None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True),
            self.source, self.note, self.session.user.id, iso(now)))
        self.current[(kind, key)] = (value, ())

    def merge(self, kind: str, key: str, new: dict[str, Any]) -> None:
        """An import's item: its known fields over the stored ones, never clearing any."""
        old = self.value(kind, key) or {}
        merged = dict(old)
        merged.update({k: v for k, v in new.items() if not _empty(v)})
        self.put(kind, key, merged)

    def finish(self) -> int:
        if self.rows:
            self.session.conn.executemany(
                "INSERT INTO profile_items (id, child_id, kind, item_key, value, source, "
                "source_note, author_id, at) VALUES (?,?,?,?,?,?,?,?,?)", self.rows)
            self.session.audit("amend", "child-profile", self.child_id, source=self.source,
                               changes=len(self.rows))
            self.session.changed("profile", self.child_id)  # to the DSL team (hub-sync.md)
        return len(self.rows)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def apply_update(session: Session, child_id: str, update: ProfileUpdate, source: Source,
                 note: str | None) -> int:
    """Writes what an import says about one child; returns how many items changed. Call inside
    the import's transaction (one per file: nothing is half-imported)."""
    session.require(Perm.KEEP_PROFILES)
    writer = _Writer(session, child_id, source, note)
    for name in FACT_NAMES:
        value = to_json(getattr(update.facts, name))
        if not _empty(value):
            writer.put("fact", name, value)
    for n, address in enumerate(update.addresses):
        key = HOME if n == 0 else item_key("address", address)
        writer.merge("address", key, to_json(address))
    for contact in update.contacts:
        writer.merge("contact", item_key("contact", contact), _contact_json(contact))
    for member in update.household:
        writer.merge("household", item_key("household", member), to_json(member))
    for professional in update.professionals:
        writer.merge("professional", item_key("professional", professional),
                     to_json(professional))
    for name in update.previous_names:
        writer.put("name", item_key("name", name), name)
    return writer.finish()


def read_transferred(body: dict[str, Any]) -> ProfileUpdate:
    """The profile a previous school sent in its CP file (``app/transfer/outgoing.gather``'s
    shape: items as [key, value] pairs) as an update; ValueError names what is wrong. The
    sender's item keys are not trusted: each item gets this school's key again."""
    def items(name: str) -> list[Any]:
        pairs = body.get(name) or []
        if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[1], (dict, str))
                for p in pairs):
            raise ValueError(f"its {name.replace('_', ' ')} are not a list of items")
        return [p[1] for p in pairs]

    facts = body.get("facts") or {}
    if not isinstance(facts, dict):
        raise ValueError("its facts are not an object")
    read_facts = facts_from_json(facts)
    try:  # the parsers' own messages may quote a value: never shown
        home = body.get("home")
        addresses = ([address_from_json(home)] if isinstance(home, dict) else []) + [
            address_from_json(a) for a in items("other_addresses")]
        return ProfileUpdate(
            PupilLink(), read_facts, tuple(addresses),
            tuple(contact_from_json(c) for c in items("contacts")),
            tuple(household_from_json(h) for h in items("household")),
            tuple(professional_from_json(p) for p in items("professionals")),
            tuple(str(n) for n in items("previous_names")))
    except (KeyError, TypeError, AttributeError, ValueError):
        raise ValueError("an item lacks a field or holds a value of the wrong kind") from None


def fill_from_cp_file(session: Session, child_id: str, update: ProfileUpdate,
                      school: str) -> int:
    """What a previous school's CP file says, where this school's profile says nothing yet: a
    fact this school holds, an item it holds (or removed, with its reason), is left as it is;
    the rest is added with its source "CP file (from <school>)". Call inside the accept's
    transaction; returns how many items were added."""
    session.require(Perm.KEEP_PROFILES)
    writer = _Writer(session, child_id, "cp-file", f"from {school}")

    def add(kind: str, key: str, value: Any) -> None:
        if (kind, key) not in writer.current and not _empty(value):
            writer.put(kind, key, value)

    for name in FACT_NAMES:
        add("fact", name, to_json(getattr(update.facts, name)))
    home = writer.value("address", HOME)
    for n, address in enumerate(update.addresses):
        if n == 0 and ("address", HOME) not in writer.current:
            add("address", HOME, to_json(address))
        elif home is None or address_from_json(home).text != address.text:
            add("address", item_key("address", address), to_json(address))
    for contact in update.contacts:
        add("contact", item_key("contact", contact), _contact_json(contact))
    for member in update.household:
        add("household", item_key("household", member), to_json(member))
    for professional in update.professionals:
        add("professional", item_key("professional", professional), to_json(professional))
    for name in update.previous_names:
        add("name", item_key("name", name), name)
    return writer.finish()


def _contact_json(contact: Contact) -> dict[str, Any]:
    data = to_json(contact)
    if not contact.do_not_contact:
        data.pop("do_not_contact")  # "not said" from an import, never "you may contact"
    return data


# -- a person's edits ----------------------------------------------------------------------------

def _person(session: Session, child_id: str, reason: str | None = None) -> _Writer:
    session.require(Perm.KEEP_PROFILES)
    child_by_id(session, child_id)
    return _Writer(session, child_id, "person", (reason or "").strip() or None)


def set_fact(session: Session, child_id: str, name: str, text: str) -> None:
    """Sets (or, with empty text, clears) one fact, checked as the form checks it."""
    name = name.strip().lower().replace("-", "_")
    if name not in FACT_NAMES:
        raise InputError("field", f"unknown profile field '{name}'; fields are: "
                         + ", ".join(FACT_NAMES))
    value = parse_fact(name, text)
    with session.tx():
        writer = _person(session, child_id)
        writer.put("fact", name, to_json(value) if value not in ("", ()) else None)
        writer.finish()


def parse_fact(name: str, text: str) -> Any:
    """A fact's value from what a person typed; "" clears it."""
    text = text.strip()
    if not text:
        return ""
    if name in {"interpreter_needed", "looked_after"}:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise InputError(name.replace("_", " "), "answer yes or no")
    if name == "nhs_number":
        return check_nhs_number(text)
    if name == "sen_status":
        for code, words in SEN_STATUS.items():
            if text.upper() == code or text.casefold() == words.casefold():
                return code
        raise InputError("SEN status", "one of " + ", ".join(
            f"{c} ({w})" for c, w in SEN_STATUS.items()))
    if name == "sen_needs":
        return tuple(t.strip().upper() for t in text.split(",") if t.strip())
    if name in {"ethnicity_code", "first_language_code"}:
        if not re.fullmatch(r"[A-Za-z]{3,4}", text):
            raise InputError(name.replace("_", " "), "a DfE code of 3 or 4 letters")
        return text.upper()
    return text


def put_item(session: Session, child_id: str, kind: str, item: object,
             key: str | None = None) -> str:
    """Adds an item, or with ``key`` replaces that one; returns its key."""
    if kind not in KINDS or kind == "fact":
        raise InputError("kind", "one of " + ", ".join(k for k in KINDS if k != "fact"))
    _check_item(kind, item)
    with session.tx():
        writer = _person(session, child_id)
        if key is None:
            key = HOME if kind == "address" and writer.value("address", HOME) is None \
                else item_key(kind, item)
        elif writer.value(kind, key) is None:
            raise NotFound("That item is not in the child's profile (it may have been "
                           "removed).")
        writer.put(kind, key, to_json(item))
        writer.finish()
    return key


def _check_item(kind: str, item: object) -> None:
    expected = {"address": Address, "contact": Contact, "household": HouseholdMember,
                "professional": Professional, "name": str}[kind]
    if not isinstance(item, expected):
        raise TypeError(f"a {kind} is a {expected.__name__}")
    name = item if isinstance(item, str) else getattr(item, "name", None)
    if name is not None and not str(name).strip():
        raise InputError("name", "give the person's name")
    if isinstance(item, Address) and not (item.lines or item.postcode):
        raise InputError("address", "give at least one line of the address")
    if isinstance(item, Contact) and item.do_not_contact and not (
            item.do_not_contact_reason or "").strip():
        raise InputError("do not contact", "say why the school must not contact them")


def remove_item(session: Session, child_id: str, kind: str, key: str, reason: str) -> None:
    """Removes an item (its history stays); a reason is required."""
    if not reason.strip():
        raise InputError("reason", "say why this is removed from the profile")
    with session.tx():
        writer = _person(session, child_id, reason)
        if writer.value(kind, key) is None:
            raise NotFound("That item is not in the child's profile (it may have been "
                           "removed).")
        writer.put(kind, key, None)
        writer.finish()
