"""Finding third parties' names and contact details in a record's text.

Matching is whole-word, case-insensitive and diacritic-insensitive: "Zosia Wisniewska" in a
note finds "Zosia Wiśniewska" on the roster, "LUKASZ" finds "Łukasz", and Arabic text finds a
name whatever its vowel marks (harakat), tatweel or alef form. Each character of the text is
folded on its own, so a match in the folded text maps back to exact offsets in the original.

A *protected* word (the child's own names, the requester's) is never redacted on its own, so a
sibling who shares the child's surname is redacted by full name and forename, not by surname.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Letters NFKD does not take apart, and Arabic letters that are written several ways.
_EXTRA = str.maketrans({
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ı": "i", "ß": "ss",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d",
    "’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-", "–": "-",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": "",
})
_SEPARATORS = r"[\s\-]+"


def fold_char(ch: str) -> str:
    """One character as the matcher sees it: no case, no accents, no vowel marks."""
    decomposed = unicodedata.normalize("NFKD", ch.translate(_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    return "".join(fold_char(ch) for ch in text)


def _folded_with_index(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in fold_char(ch):
            out.append(c)
            index.append(i)
    return "".join(out), index


def key(text: str) -> str:
    """What two spellings of one name share: folded, without spaces and hyphens."""
    return re.sub(_SEPARATORS, "", fold(text).strip())


@dataclass(frozen=True)
class Person:
    """A third party: who they are (for the DSL's log) and the ways they may be written."""
    who: str  # "another child: Tomasz Wiśniewski (Y3)"
    reason: str  # "another child's name"
    names: tuple[str, ...] = ()  # full names, forenames, surnames, "Mr Jones"
    details: tuple[str, ...] = ()  # phone numbers, email addresses, postcodes


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    reason: str
    who: tuple[str, ...]


@dataclass
class NameFinder:
    """Built once per draft from everyone who is a third party, then run over each text."""
    people: Iterable[Person]
    protected: Iterable[str] = ()
    _pattern: re.Pattern[str] | None = field(init=False, default=None)
    _by_key: dict[str, list[Person]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        guarded = {key(p) for p in self.protected if key(p)}
        patterns: dict[str, str] = {}
        for person in self.people:
            for name in person.names:
                k = key(name)
                if len(k) < 2 or k in guarded:
                    continue
                patterns.setdefault(k, _name_pattern(name))
                self._by_key.setdefault(k, []).append(person)
            for detail in person.details:
                pattern = _detail_pattern(detail)
                k = _detail_key(detail)
                if pattern is None or not k:
                    continue
                patterns.setdefault(k, pattern)
                self._by_key.setdefault(k, []).append(person)
        if patterns:
            ordered = sorted(patterns.values(), key=len, reverse=True)  # longest name first
            self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)")

    def find(self, text: str) -> list[Match]:
        if self._pattern is None or not text:
            return []
        folded, index = _folded_with_index(text)
        found = []
        for m in self._pattern.finditer(folded):
            k = key(m.group())
            people = self._by_key.get(k) or self._by_key.get(_detail_key(m.group())) or []
            if not people:
                continue
            start, end = index[m.start()], index[m.end() - 1] + 1
            while end < len(text) and fold_char(text[end]) == "":  # trailing accents
                end += 1
            found.append(Match(start, end, people[0].reason,
                               tuple(dict.fromkeys(p.who for p in people))))
        return found


def _name_pattern(name: str) -> str:
    words = [w for w in re.split(_SEPARATORS, fold(name).strip()) if w]
    return _SEPARATORS.join(re.escape(w) for w in words)


def _detail_key(detail: str) -> str:
    folded = fold(detail).strip()
    if "@" in folded:
        return folded
    digits = re.sub(r"\D", "", folded)
    if len(digits) >= 6 and re.fullmatch(r"[\d\s\-+()]+", folded):
        return "tel:" + digits
    return "detail:" + re.sub(r"\s+", "", folded)


def _detail_pattern(detail: str) -> str | None:
    """An email as written; a phone number's digits with any spacing; a postcode likewise."""
    k = _detail_key(detail)
    if k.startswith("tel:"):
        return r"[\s\-]?".join(k[4:])
    if k.startswith("detail:"):
        chars = k[len("detail:"):]
        return r"\s?".join(re.escape(c) for c in chars) if len(chars) >= 5 else None
    return re.escape(k)


def name_variants(full: str, *, forenames: Iterable[str] = (), surname: str | None = None,
                  title: str | None = None) -> tuple[str, ...]:
    """The ways one person may be written: the full name, each forename, the surname and the
    parts of a double-barrelled one, and "Title Surname"."""
    out = [full, *forenames]
    if surname:
        out.append(surname)
        parts = [p for p in re.split(r"[\s\-]+", surname) if len(p) >= 3]
        if len(parts) > 1:
            out += parts
        if title:
            out.append(f"{title} {surname}")
    for forename in forenames:
        if forename and surname:
            out.append(f"{forename} {surname}")
    return tuple(dict.fromkeys(n.strip() for n in out if n and n.strip()))


_TITLE = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|rev|sir|dame|lady|lord)\.?\s+", re.I)


def split_name(name: str) -> tuple[str | None, str, list[str], str | None]:
    """(title, name without title, forenames, surname) of a name as an MIS or a person wrote
    it: the last word is taken as the surname."""
    title_match = _TITLE.match(name.strip())
    title = title_match.group(1) if title_match else None
    bare = _TITLE.sub("", name.strip())
    words = bare.split()
    if len(words) < 2:
        return title, bare, words, None
    return title, bare, words[:-1], words[-1]
