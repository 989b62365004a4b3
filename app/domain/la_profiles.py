"""LA profiles: which local authority the school refers to, how it takes referrals, and its
referral form's sections and questions in its own order and wording, mapped to our fields.

A profile is a small versioned JSON file (resources/la-profiles/*.json; the format is
docs/la-profile.schema.json, explained in docs/la-profiles.md). A school may add its own with
``add_profile``: it is kept in the store's settings, so a backup carries it. Profiles hold no
child's data. The admin chooses the school's LA; the referral editor, the pack and portal assist
follow that profile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.referral_form import BY_NAME, FIELDS, FieldSpec
from app.errors import InputError, InputErrors, NotFound
from app.paths import resource_path
from app.store.roles import Perm
from app.store.session import Session

FORMAT = 1  # the profile format this code reads ("format" in each file)
ROUTES = ("frontdoor", "portal", "email")
GENERIC = "generic-marf"
_SETTING = "setting:la_profile"
_CUSTOM = "la_profile_custom:"  # + id: a profile the school added, as JSON

# What a question's answer may be made of: the form's own fields (app/domain/referral_form.py)
# and the child's, the referrer's and the school's details that the pack fills in itself.
RECORD_SOURCES = {
    "child.name": "the child's legal name", "child.forename": "legal forename",
    "child.surname": "legal surname", "child.preferred_name": "preferred forename",
    "child.date_of_birth": "date of birth", "child.age": "age on the referral's date",
    "child.gender": "gender", "child.upn": "UPN", "child.nhs_number": "NHS number",
    "child.school": "the school's name", "child.year_group": "year group",
    "child.sen": "special educational needs", "child.flags": "flags (CP plan, looked after …)",
    "child.ethnicity": "ethnicity", "child.religion": "religion",
    "child.first_language": "first language", "child.interpreter_needed": "interpreter needed",
    "child.disability": "disability", "child.address": "address", "child.phone": "phone",
    "child.gp": "GP", "child.aliases": "other names",
    "referrer.name": "the referrer's name", "referrer.role": "role",
    "referrer.phone": "phone", "referrer.secure_email": "secure email",
    "referrer.date": "date of the referral", "school.address": "the school's address",
    "school.dsl": "the school's DSL and direct line",
    "chronology": "the chronology attached to the pack (a pointer, not the entries)",
}
SOURCES = {**{f.name: f.label for f in FIELDS}, **RECORD_SOURCES}


@dataclass(frozen=True)
class Question:
    asks: str  # the LA's own wording
    fields: tuple[str, ...]  # our sources, in the order the answer joins them
    confirmed: bool  # False: we could not check this mapping against the LA's form
    note: str | None = None


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class LaProfile:
    id: str
    version: int
    name: str  # the LA
    service: str  # its front door's name: "MASH", "Children's Advice and Duty Service" …
    phone_in_hours: str
    phone_out_of_hours: str
    route: str  # frontdoor | portal | email
    portal_url: str | None
    secure_email: str | None
    form_title: str
    sections: tuple[Section, ...]
    modelled_on: str | None  # the published form it follows, or None
    fictional: bool  # the LA's name and numbers are made up (see docs/la-profiles.md)
    builtin: bool = True

    @property
    def unconfirmed(self) -> list[str]:
        return [f"{s.title}: {q.asks}" for s in self.sections for q in s.questions
                if not q.confirmed]

    @property
    def route_words(self) -> str:
        return {"frontdoor": "ConcernDesk front door",
                "portal": f"portal form ({self.portal_url})",
                "email": f"secure email to {self.secure_email}"}[self.route]


def parse_profile(raw: object, where: str, *, builtin: bool = False) -> LaProfile:
    """A profile from its JSON; every problem is listed with where it is."""
    problems: list[str] = []

    def need(obj: Any, key: str, kind: type, at: str) -> Any:
        value = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            what = "non-empty text" if kind is str else kind.__name__
            problems.append(f"{at}: '{key}' must be a {what}")
            return kind()
        return value

    if not isinstance(raw, dict):
        raise InputErrors(f"{where} is not an LA profile:", ["it must be a JSON object"])
    if raw.get("format") != FORMAT:
        problems.append(f"'format' must be {FORMAT}")
    pid = need(raw, "id", str, where)
    if pid and not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", pid):
        problems.append("'id' may hold only lower-case letters, digits and hyphens")
    version = need(raw, "version", int, where)
    phones = need(raw, "phones", dict, where)
    route = need(raw, "route", dict, where)
    kind = route.get("kind")
    if kind not in ROUTES:
        problems.append("route 'kind' must be one of " + ", ".join(ROUTES))
    url, email = route.get("portal_url"), route.get("secure_email")
    if kind == "portal" and not (isinstance(url, str) and url.startswith("https://")):
        problems.append("a portal route needs 'portal_url' starting https://")
    if kind == "email" and not (isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+",
                                                                        email)):
        problems.append("an email route needs a 'secure_email' address")
    form = need(raw, "form", dict, where)
    sections = []
    for i, rs in enumerate(form.get("sections") or []):
        at = f"section {i + 1}"
        questions = []
        for j, rq in enumerate(rs.get("questions") or [] if isinstance(rs, dict) else []):
            qat = f"{at} question {j + 1}"
            fields = rq.get("fields") if isinstance(rq, dict) else None
            if not isinstance(fields, list) or not fields:
                problems.append(f"{qat}: 'fields' must list at least one of our fields")
                fields = []
            unknown = [f for f in fields if f not in SOURCES]
            if unknown:
                problems.append(f"{qat}: unknown field(s) {', '.join(map(str, unknown))}")
            confirmed = rq.get("confirmed") if isinstance(rq, dict) else None
            if not isinstance(confirmed, bool):
                problems.append(f"{qat}: 'confirmed' must be true or false")
            note = rq.get("note") if isinstance(rq, dict) else None
            questions.append(Question(need(rq, "asks", str, qat), tuple(map(str, fields)),
                                      confirmed is True, note if isinstance(note, str) else None))
        if not questions:
            problems.append(f"{at}: needs at least one question")
        sections.append(Section(need(rs, "title", str, at), tuple(questions)))
    if not sections:
        problems.append("form: needs at least one section")
    name, in_hours = need(raw, "name", str, where), need(phones, "in_hours", str, "phones")
    out_of_hours, title = need(phones, "out_of_hours", str, "phones"), need(form, "title", str,
                                                                          "form")
    if problems:
        raise InputErrors(f"{where} is not a valid LA profile:", problems)
    modelled = raw.get("modelled_on")
    return LaProfile(pid, version, name, str(raw.get("service") or "front door"), in_hours,
                     out_of_hours, kind, url if kind == "portal" else None,
                     email if kind == "email" else None, title, tuple(sections),
                     modelled.get("title") if isinstance(modelled, dict) else None,
                     raw.get("fictional") is True, builtin)


def builtin_profiles() -> list[LaProfile]:
    folder = resource_path("la-profiles")
    return [_read(path) for path in sorted(folder.glob("*.json"))]


def _read(path: Path) -> LaProfile:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("profile", f"{path.name} could not be read as JSON "
                         f"({type(exc).__name__})") from None
    return parse_profile(raw, path.name, builtin=True)


def all_profiles(session: Session) -> list[LaProfile]:
    """The shipped profiles and those the school added (a school's own wins on the same id)."""
    own = {p.id: p for p in _custom(session)}
    return [own.pop(p.id, p) for p in builtin_profiles()] + list(own.values())


def _custom(session: Session) -> list[LaProfile]:
    rows = session.conn.execute("SELECT key, value FROM meta WHERE key LIKE ? ORDER BY key",
                                (_CUSTOM + "%",)).fetchall()
    return [parse_profile(json.loads(v), k[len(_CUSTOM):]) for k, v in rows]


def get_profile(session: Session, profile_id: str) -> LaProfile:
    wanted = profile_id.strip().lower()
    for p in all_profiles(session):
        if p.id == wanted:
            return p
    raise NotFound(f"There is no LA profile '{profile_id}'; 'concerndesk-cli la list' shows "
                   "them.")


def chosen_profile(session: Session) -> LaProfile:
    """The school's LA; the generic multi-agency referral form until the admin chooses one."""
    chosen = session.meta(_SETTING) or GENERIC
    try:
        return get_profile(session, chosen)
    except NotFound:  # a profile the school added and later replaced under another id
        return get_profile(session, GENERIC)


def choose_profile(session: Session, profile_id: str) -> LaProfile:
    session.require(Perm.MANAGE_SETTINGS)
    profile = get_profile(session, profile_id)
    with session.tx():
        session.set_meta(_SETTING, profile.id)
        session.audit("settings", "setting", "la_profile", profile=profile.id,
                      version=profile.version)
    return profile


def add_profile(session: Session, text: str) -> LaProfile:
    """Keeps a school's own profile (checked first); the same id again replaces it."""
    session.require(Perm.MANAGE_SETTINGS)
    try:
        raw = json.loads(text)
    except ValueError:
        raise InputError("file", "is not JSON; docs/la-profiles.md shows the format") from None
    profile = parse_profile(raw, "the file")
    with session.tx():
        session.set_meta(_CUSTOM + profile.id, json.dumps(raw, sort_keys=True))
        session.audit("settings", "la-profile", profile.id, version=profile.version)
    return profile


# -- the editor's layout ------------------------------------------------------------------------

EXTRA_SECTION = "Also recorded by ConcernDesk (not asked on this LA's form)"


def editor_layout(profile: LaProfile) -> list[tuple[str, list[tuple[FieldSpec, str]]]]:
    """The form's fields grouped and worded as the LA's form asks them, in its order; fields
    the LA does not ask come last, in our order, so nothing the DSL wrote is hidden."""
    placed: set[str] = set()
    layout: list[tuple[str, list[tuple[FieldSpec, str]]]] = []
    for section in profile.sections:
        rows: list[tuple[FieldSpec, str]] = []
        for q in section.questions:
            ours = [f for f in q.fields if f in BY_NAME and f not in placed]
            for name in ours:
                spec = BY_NAME[name]
                rows.append((spec, q.asks if len(ours) == 1 else f"{q.asks} — {spec.label}"))
                placed.add(name)
        if rows:
            layout.append((section.title, rows))
    rest = [(spec, spec.label) for spec in FIELDS if spec.name not in placed]
    if rest:
        layout.append((EXTRA_SECTION, rest))
    return layout
