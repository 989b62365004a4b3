"""Filling a police notification from the pasted text of the police's email (Operation
Encompass). Pure: text in, fields out; nothing here touches a store.

Forces word their templates differently ("Police reference:", "Crime/Incident ref -",
"URN<tab>…"), so a field is filled only from a line that starts with a label this module knows,
followed by a clear separator (a colon, a question mark, " - ", a tab or two spaces). Nothing
is guessed from free text: an unlabelled email fills nothing, a date or time that does not read
one clear way is left empty, and a field given twice with different values is left empty too.
The DSL always sees what was filled, marked, and confirms it before saving.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, time

# Canonical field names (app/domain/encompass.py FIELDS) -> the labels that name them, written
# lower case, single-spaced, without the separator.
LABELS: dict[str, tuple[str, ...]] = {
    "police_reference": (
        "police reference", "police ref", "police reference number", "reference",
        "reference number", "ref", "crime reference", "crime ref", "crime number",
        "incident reference", "incident ref", "incident number", "crime/incident ref",
        "crime/incident reference", "occurrence number", "occurrence reference",
        "occurrence ref", "log number", "log reference", "urn", "storm reference",
        "storm ref", "niche reference", "niche ref"),
    "incident_date": ("date of incident", "incident date", "date"),
    "incident_time": ("time of incident", "incident time", "time"),
    "incident_when": ("incident date and time", "date and time of incident", "date/time",
                      "date and time", "date/time of incident", "incident date/time",
                      "when"),
    "incident_place": ("location", "location of incident", "incident location",
                       "address of incident", "incident address", "place", "place of incident",
                       "venue", "where"),
    "child_present": ("child present", "children present", "child(ren) present",
                      "child/ren present", "was the child present",
                      "were any children present", "were the children present",
                      "children present at incident", "child present at incident",
                      "present at incident"),
    "child_where": ("where was the child", "where were the children",
                    "where was the child during the incident", "child's location",
                    "location of child", "location of children", "child location",
                    "whereabouts of child", "whereabouts of children"),
    "child_words": ("child's words", "childs words", "child's own words", "voice of the child",
                    "what the child said", "words of the child", "child said",
                    "child's account"),
    "circumstances": ("circumstances", "details", "details of incident", "incident details",
                      "summary", "summary of incident", "incident summary", "brief details",
                      "what happened", "brief circumstances"),
    "officer": ("officer", "notifying officer", "reporting officer", "officer name",
                "officer in case", "oic", "attending officer", "sent by officer"),
    "force": ("force", "police force", "constabulary"),
}
_FIELD_OF = {label: name for name, labels in LABELS.items() for label in labels}
# Fields whose value may run on over the next lines (until a blank line or another label).
_RUNS_ON = {"incident_place", "child_where", "child_words", "circumstances"}

_LINE = re.compile(
    r"^\s*(?P<label>[A-Za-z][A-Za-z'’/()&\- ]{0,60}?)\s*"
    r"(?:[:?]\s*|\s+[-–]\s+|\t+\s*|\s{2,})(?P<value>\S.*)?$")
_LABEL_LIKE = re.compile(r"^\s*[A-Za-z][A-Za-z'’/()&\- ]{0,40}(?::|\?)(?:\s|$)")
MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9


@dataclass
class Pasted:
    """What the pasted text filled: ``values`` by field name (dates as YYYY-MM-DD, times as
    HH:MM, child_present as yes / no / not-known), and for each the label it came from."""

    values: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def _label_key(text: str) -> str:
    key = re.sub(r"\s+", " ", text.replace("’", "'").strip().lower())
    return key.rstrip(" ?:.-")


def parse_email(text: str) -> Pasted:
    """The fields the labelled lines of ``text`` fill."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: tuple[str, str, list[str]] | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            name, label, parts = current
            value = "\n".join(parts).strip()
            if value:
                found.setdefault(name, []).append((label, value))
        current = None

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            close()
            continue
        match = _LINE.match(line)
        name = _FIELD_OF.get(_label_key(match.group("label"))) if match else None
        if match and name:
            close()
            current = (name, match.group("label").strip(), [(match.group("value") or "").strip()])
            continue
        if current is not None and current[0] in _RUNS_ON and not _LABEL_LIKE.match(line):
            current[2].append(line.strip())
            continue
        close()  # an unknown label, or a line after a field that does not run on
    close()
    return _read(found)


def _read(found: dict[str, list[tuple[str, str]]]) -> Pasted:
    values: dict[str, set[str]] = {}
    labels: dict[str, str] = {}

    def put(name: str, value: str | None, label: str) -> None:
        if value:
            values.setdefault(name, set()).add(value)
            labels.setdefault(name, label)

    after_yes: list[tuple[str, str]] = []
    for name, hits in found.items():
        for label, value in hits:
            if name == "incident_when":
                day, at = read_date(value, loose=True), read_time(value, loose=True)
                put("incident_date", day.isoformat() if day else None, label)
                put("incident_time", at.strftime("%H:%M") if at else None, label)
            elif name == "incident_date":
                day = read_date(value)
                put(name, day.isoformat() if day else None, label)
            elif name == "incident_time":
                at = read_time(value)
                put(name, at.strftime("%H:%M") if at else None, label)
            elif name == "child_present":
                answer, rest = read_yes_no(value)
                put(name, answer, label)
                if answer == "yes" and rest:  # "Yes - upstairs in her bedroom"
                    after_yes.append((label, rest))
            else:
                put(name, value, label)
    if "child_where" not in values:
        for label, rest in after_yes:
            put("child_where", rest, label)
    # A field given two different ways is not clear: it is left for the DSL to fill.
    pasted = Pasted()
    for name, seen in values.items():
        if len(seen) == 1:
            pasted.values[name] = next(iter(seen))
            pasted.labels[name] = labels[name]
    return pasted


_DMY = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")
_YMD = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORDY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_HM = re.compile(r"\b(\d{1,2})[:.](\d{2})\s*(am|pm)?\b", re.I)
_HHMM = re.compile(r"\b(\d{2})(\d{2})\s*(?:hrs|hours|h)\b", re.I)
_H_AMPM = re.compile(r"\b(\d{1,2})\s*(am|pm)\b", re.I)


def read_date(text: str, *, loose: bool = False) -> date | None:
    """One date written one clear way: 03/03/2026 (day first, as UK forces write it),
    2026-03-03 or 3 March 2026. With ``loose`` the date may sit among other words (a
    "date and time" line); otherwise the value must be the date alone. Two dates: None."""
    candidates: list[date] = []
    spans: list[tuple[int, int]] = []
    for match in _YMD.finditer(text):
        _add_date(candidates, int(match[1]), int(match[2]), int(match[3]))
        spans.append(match.span())
    for match in _DMY.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        year = int(match[3])
        _add_date(candidates, year + 2000 if year < 100 else year, int(match[2]), int(match[1]))
        spans.append(match.span())
    for match in _WORDY.finditer(text):
        month = MONTHS.get(match[2].lower())
        if month:
            _add_date(candidates, int(match[3]), month, int(match[1]))
            spans.append(match.span())
    if len(set(candidates)) != 1:
        return None
    if not loose:
        leftover = text
        for a, b in sorted(spans, reverse=True):
            leftover = leftover[:a] + leftover[b:]
        if re.sub(r"[\s,.()]|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*", "", leftover):
            return None
    return candidates[0]


def _add_date(out: list[date], year: int, month: int, day: int) -> None:
    with contextlib.suppress(ValueError):  # 31/02: not a date, so not clear
        out.append(date(year, month, day))


def read_time(text: str, *, loose: bool = False) -> time | None:
    """One time of day: 22:40, 22.40, 2240hrs, 10:40pm, 10pm. Two different times (or none
    clear): None. Without ``loose`` the value must be the time alone."""
    times: list[time] = []
    rest = _DMY.sub(" ", _YMD.sub(" ", text))  # a date's dots and dashes are not a time
    for match in _HM.finditer(rest):
        _add_time(times, int(match[1]), int(match[2]), match[3])
    for match in _HHMM.finditer(rest):
        _add_time(times, int(match[1]), int(match[2]), None)
    for match in _H_AMPM.finditer(rest):
        _add_time(times, int(match[1]), 0, match[2])
    if len(set(times)) != 1:
        return None
    if not loose:
        leftover = _H_AMPM.sub("", _HHMM.sub("", _HM.sub("", rest)))
        if re.sub(r"[\s,.()]|(?i:approx(imately)?|about|around|hrs|hours)", "", leftover):
            return None
    return times[0]


def _add_time(out: list[time], hour: int, minute: int, half: str | None) -> None:
    if half:
        if not 1 <= hour <= 12:
            return
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        out.append(time(hour, minute))


_YES = {"yes", "y"}
_NO = {"no", "n"}
_NOT_KNOWN = {"not known", "unknown", "n/k", "nk", "not stated"}


def read_yes_no(text: str) -> tuple[str | None, str]:
    """"Yes", "No", "Not known" at the start of the value → yes / no / not-known, and the words
    after it ("Yes - upstairs in bedroom" → "upstairs in bedroom"). Anything else: None."""
    match = re.match(r"^\s*(not known|unknown|n/k|nk|not stated|yes|no|y|n)\b[\s\-–,.:;]*(.*)$",
                     text, re.I | re.S)
    if not match:
        return None, ""
    word, rest = match[1].lower(), match[2].strip()
    answer = "yes" if word in _YES else "no" if word in _NO else \
        "not-known" if word in _NOT_KNOWN else None
    return answer, rest
