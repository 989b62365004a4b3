"""Importing profiles from a file: the MIS's contact export, or a Common Transfer File.

Every row is read and checked first, then every pupil it names is found on the roster (a CTF
may add a pupil who is new to the school); only then is anything written, in one transaction,
so a bad file imports nothing. Importing the same file again changes nothing (profiles.py
writes only what differs). Messages name lines and pupils' positions, never a child's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.pupils import apply_roster
from app.domain.roster_csv import RosterRow, normalise_admission_number, normalise_year_group
from app.errors import InputError, InputErrors
from app.profile.ctf import CtfFile, CtfPupil, read_ctf
from app.profile.mis_contacts import ContactFile, read_contacts
from app.profile.model import PupilLink
from app.profile.profiles import apply_update
from app.store.roles import Perm
from app.store.session import Session


@dataclass(frozen=True)
class ProfileImportResult:
    what: str  # "SIMS contact export", "Common Transfer File 26.0 from …"
    pupils: int  # pupils the file speaks of
    children_changed: int  # whose profile changed
    changes: int  # items written
    children_added: int = 0  # new to the roster (a CTF only)
    encoding_note: str = ""

    @property
    def summary(self) -> str:
        if not self.changes and not self.children_added:
            head = f"Nothing changed: the {self.what} matches what is on record"
        else:
            head = (f"Imported the {self.what}: {self.children_changed} "
                    f"{_pupils(self.children_changed)}' profiles changed ({self.changes} "
                    f"item{'s' * (self.changes != 1)})")
            if self.children_added:
                head += f"; {self.children_added} new {_pupils(self.children_added)} added to " \
                        "the roster"
        return head + (f" ({self.pupils} {_pupils(self.pupils)} in the file). "
                       ) + self.encoding_note


def _pupils(n: int) -> str:
    return "pupil" if n == 1 else "pupils"


def looks_like_xml(data: bytes) -> bool:
    head = data[:200].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return head.startswith(b"<")


def import_profile_file(session: Session, data: bytes) -> ProfileImportResult:
    """A CTF (XML) or the MIS's contact export (CSV), told apart by what the file is."""
    if looks_like_xml(data):
        return import_ctf(session, data)
    return import_contacts(session, data)


def import_contacts(session: Session, data: bytes) -> ProfileImportResult:
    session.require(Perm.KEEP_PROFILES)
    read: ContactFile = read_contacts(data)
    ids = _resolve(session, [(u.link, f"line {u.line}") for u in read.updates])
    what = f"{read.system} contact export" if read.system != "generic" else "contact export"
    changed = changes = 0
    with session.tx():
        for update, child_id in zip(read.updates, ids, strict=True):
            written = apply_update(session, child_id, update, "mis", what)
            changes += written
            changed += bool(written)
        session.audit("import", "profiles", None, source="mis", system=read.system,
                      pupils=len(read.updates), changed=changed, changes=changes)
    return ProfileImportResult(what, len(read.updates), changed, changes,
                               encoding_note=read.encoding_note())


def import_ctf(session: Session, data: bytes) -> ProfileImportResult:
    session.require(Perm.KEEP_PROFILES)
    ctf: CtfFile = read_ctf(data)
    existing = _lookup(session)
    new_rows = [_roster_row(p, n) for n, p in enumerate(ctf.pupils, start=1)
                if p.upn not in existing.upns]
    what = f"Common Transfer File {ctf.version}" + _from(ctf)
    changed = changes = 0
    with session.tx():
        if new_rows:  # a pupil new to the school: on the roster first, then the profile
            apply_roster(session, new_rows)
            existing = _lookup(session)
        for pupil in ctf.pupils:
            written = apply_update(session, existing.upns[pupil.upn], pupil.update, "ctf", what)
            changes += written
            changed += bool(written)
        session.audit("import", "profiles", None, source="ctf", version=ctf.version,
                      pupils=len(ctf.pupils), added=len(new_rows), changed=changed,
                      changes=changes)
    return ProfileImportResult(what, len(ctf.pupils), changed, changes, len(new_rows))


def _from(ctf: CtfFile) -> str:
    label = ctf.source_school.label
    return f" from {label}" if label else ""


def _roster_row(pupil: CtfPupil, position: int) -> RosterRow:
    try:
        year = normalise_year_group(pupil.nc_year or "X")
    except InputError:
        year = "X"  # a year the CTF names oddly: the MIS's next roster export says
    return RosterRow(pupil.upn, pupil.legal_forename, pupil.legal_surname,
                     pupil.preferred_forename, pupil.date_of_birth, pupil.gender or "U", year,
                     pupil.update.facts.nhs_number, position)


@dataclass(frozen=True)
class _Roster:
    upns: dict[str, str]  # UPN -> child id
    admission_numbers: dict[str, str]


def _lookup(session: Session) -> _Roster:
    upns: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for child_id, upn, number in session.conn.execute(
            "SELECT id, upn, admission_number FROM children"):
        upns[upn] = child_id
        if number:
            numbers[number] = child_id
    return _Roster(upns, numbers)


def _resolve(session: Session, links: list[tuple[PupilLink, str]]) -> list[str]:
    """The child id of each link, or InputErrors naming every row whose pupil is not on the
    roster (nothing is written)."""
    roster = _lookup(session)
    found: list[str] = []
    problems: list[str] = []
    for link, where in links:
        child_id = _find(roster, link)
        if child_id is None:
            by = "UPN" if link.upn else "admission number"
            problems.append(f"{where}: no pupil on the roster has this {by} (import the pupil "
                            "roster first, or check the export)")
        else:
            found.append(child_id)
    if problems:
        raise InputErrors(f"{len(problems)} of {len(links)} pupils in the file are not on the "
                          "roster; nothing was imported:", problems)
    return found


def _find(roster: _Roster, link: PupilLink) -> str | None:
    if link.upn and link.upn in roster.upns:
        return roster.upns[link.upn]
    if link.admission_number:
        return roster.admission_numbers.get(normalise_admission_number(link.admission_number))
    return None
