"""A subject access draft: plain frozen dataclasses and their JSON, no database code.

A draft holds a copy of each entry's text as it stood when the draft was made, the
redactions over it (found automatically, or marked by the DSL, each with its reason) and the
entries withheld whole (each with its reason). ``redacted_text`` is the only way text leaves
a draft for the response: what a redaction covers is replaced, never drawn over.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from app.errors import InputError

THIRD_PARTY = "third party"
OTHER = "other"
GROUNDS = (THIRD_PARTY, OTHER)  # what the reader of the response is told
PLACEHOLDER = {THIRD_PARTY: "[redacted: third party]", OTHER: "[redacted]"}
AUTO, DSL = "auto", "dsl"


@dataclass(frozen=True)
class Redaction:
    """A span ``[start, end)`` of one segment of an entry's text."""
    segment: int
    start: int
    end: int
    reason: str  # "another child's name" or the DSL's own words
    ground: str = THIRD_PARTY  # a key of PLACEHOLDER
    by: str = AUTO  # AUTO (matched) or DSL (marked by hand)
    who: tuple[str, ...] = ()  # for AUTO: whose name or details matched, for the DSL's log
    lifted: str | None = None  # the DSL's reason for keeping an automatic match in the text

    @property
    def active(self) -> bool:
        return self.lifted is None


@dataclass(frozen=True)
class Segment:
    label: str  # "What happened", "In the child's words" …
    text: str


@dataclass(frozen=True)
class SarEntry:
    number: int  # 1-based, as the DSL and the CLI name it
    record_id: str
    kind: str
    occurred_at: str  # ISO 8601
    author: str  # staff names stay in the response (docs/sar.md)
    categories: tuple[str, ...]
    segments: tuple[Segment, ...]
    redactions: tuple[Redaction, ...] = ()
    withheld: str | None = None  # the DSL's reason for leaving the whole entry out

    def redacted(self, index: int) -> str:
        return redacted_text(self.segments[index].text,
                             [r for r in self.redactions if r.segment == index and r.active])


@dataclass(frozen=True)
class Requester:
    kind: str  # "child" or "contact"
    name: str
    relationship: str | None = None
    caution: str | None = None  # e.g. the contact is marked "do not contact": the DSL is told

    @property
    def text(self) -> str:
        if self.kind == "child":
            return f"{self.name} (the child)"
        return self.name + (f" ({self.relationship.lower()})" if self.relationship else "")


@dataclass(frozen=True)
class SarDraft:
    id: str
    child_id: str
    child_upn: str
    child_name: str
    child_dob: str
    requester: Requester
    since: date
    until: date
    created_at: str
    created_by: str
    entries: tuple[SarEntry, ...]
    produced_at: str | None = None

    def entry(self, number: int) -> SarEntry:
        for e in self.entries:
            if e.number == number:
                return e
        raise InputError("entry", f"this draft has entries 1 to {len(self.entries)}")

    def with_entry(self, entry: SarEntry) -> SarDraft:
        return replace(self, entries=tuple(entry if e.number == entry.number else e
                                           for e in self.entries))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SarDraft:
        entries = tuple(
            SarEntry(e["number"], e["record_id"], e["kind"], e["occurred_at"], e["author"],
                     tuple(e["categories"]), tuple(Segment(**s) for s in e["segments"]),
                     tuple(Redaction(**{**r, "who": tuple(r.get("who") or ())})
                           for r in e["redactions"]), e.get("withheld"))
            for e in data["entries"])
        return cls(data["id"], data["child_id"], data["child_upn"], data["child_name"],
                   data["child_dob"], Requester(**data["requester"]),
                   date.fromisoformat(data["since"]), date.fromisoformat(data["until"]),
                   data["created_at"], data["created_by"], entries, data.get("produced_at"))


def merged(spans: list[Redaction]) -> list[tuple[int, int, str]]:
    """Overlapping or touching spans as one: (start, end, ground), third party winning."""
    out: list[tuple[int, int, str]] = []
    for r in sorted(spans, key=lambda r: (r.start, r.end)):
        if out and r.start <= out[-1][1]:
            start, end, ground = out[-1]
            out[-1] = (start, max(end, r.end), THIRD_PARTY if THIRD_PARTY in (ground, r.ground)
                       else ground)
        else:
            out.append((r.start, r.end, r.ground))
    return out


_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LRM = "\u200e"


def redacted_text(text: str, spans: list[Redaction]) -> str:
    """``text`` with each redacted span replaced by its placeholder: the words are gone. In
    right-to-left text the placeholder is held between left-to-right marks, so its brackets
    are not mirrored and it reads as written."""
    mark = _LRM if _RTL.search(text) else ""
    pieces: list[str] = []
    at = 0
    for start, end, ground in merged(spans):
        pieces += [text[at:start], mark + PLACEHOLDER.get(ground, PLACEHOLDER[OTHER]) + mark]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


# -- the response, as it is drawn (app/sar/render.py): only text that may be disclosed --------
@dataclass(frozen=True)
class ResponseEntry:
    number: int
    occurred_at: datetime
    kind: str
    author: str
    categories: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (label, text already redacted)


@dataclass(frozen=True)
class SarResponse:
    response_id: str
    school: str
    child_name: str
    child_dob: date
    requester: str
    since: date
    until: date
    produced_by: str
    entries: tuple[ResponseEntry, ...]
    withheld: int  # entries left out whole
    redacted: int  # passages replaced by a placeholder
