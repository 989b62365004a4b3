"""Producing the response: the PDF (redactions removed from the text, withheld entries left
out), written all or nothing, and the log of what was withheld and why as an entry in the
child's chronology, in one audited step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from app.clock import iso, parse_iso
from app.domain.categories import load_categories
from app.domain.chronology import add_entry
from app.pack.output import write_atomically
from app.sar.drafts import LOG_HEADING, load_draft, save
from app.sar.model import AUTO, ResponseEntry, SarDraft, SarResponse, merged
from app.store.roles import Perm
from app.store.session import Session
from app.wording import date_text

LOG_LIMIT = 18_000  # a chronology entry holds 20,000 characters


@dataclass(frozen=True)
class Produced:
    pdf: bytes
    log: str
    entry_id: str  # the chronology entry holding the log


def response_data(session: Session, draft: SarDraft) -> SarResponse:
    """What the PDF shows: only the disclosed text (SarEntry.redacted) of entries kept in."""
    kept = [e for e in draft.entries if e.withheld is None]
    labels = {c.code: c.label for c in load_categories()}  # words, as the pack shows them
    entries = tuple(
        ResponseEntry(n, parse_iso(e.occurred_at), e.kind, e.author,
                      tuple(labels.get(c, c) for c in e.categories),
                      tuple((s.label, e.redacted(i)) for i, s in enumerate(e.segments)))
        for n, e in enumerate(kept, start=1))
    passages = sum(len(merged([r for r in e.redactions if r.segment == i and r.active]))
                   for e in kept for i in range(len(e.segments)))
    return SarResponse(draft.id[:8], session.school_name, draft.child_name,
                       datetime.fromisoformat(draft.child_dob).date(), draft.requester.text,
                       draft.since, draft.until, session.user.display_name, entries,
                       len(draft.entries) - len(kept), passages)


def withheld_log(draft: SarDraft) -> str:
    """The log for the chronology: every redaction and withheld entry, with its reason."""
    lines = [f"{LOG_HEADING} for {draft.requester.text}, covering "
             f"{date_text(draft.since)} to {date_text(draft.until)} "
             f"({len(draft.entries)} entries; draft {draft.id[:8]}).",
             "Withheld and why:"]
    count = 0
    for e in draft.entries:
        when = date_text(parse_iso(e.occurred_at).date())
        if e.withheld is not None:
            lines.append(f"- Entry {e.number} ({when}, {e.kind}) withheld in full: {e.withheld}")
            count += 1
            continue
        for r in e.redactions:
            field = e.segments[r.segment].label
            # Where, not the words: the log is in the chronology, and a DSL's redaction may be
            # what must not be disclosed (the draft keeps the words for the DSL team).
            where = f"{field}, characters {r.start}–{r.end}"
            if r.lifted is not None:
                lines.append(f"- Entry {e.number} ({when}) {where}: an automatic match kept "
                             f"in the text: {r.lifted}")
                continue
            why = (f"{r.reason} ({'; '.join(r.who)})" if r.by == AUTO
                   else f"redacted by the DSL: {r.reason}")
            lines.append(f"- Entry {e.number} ({when}) {where}: {why}")
            count += 1
    if count == 0:
        lines.append("- Nothing was withheld.")
    log = "\n".join(lines)
    if len(log) > LOG_LIMIT:
        cut = log[:LOG_LIMIT].rsplit("\n", 1)[0]
        log = cut + "\n- … the rest of the log is in the draft " + draft.id
    return log


def produce_response(session: Session, draft_id: str, out: Path) -> Produced:
    """Renders the response to ``out`` and records its log in the child's chronology."""
    session.require(Perm.ANSWER_SUBJECT_ACCESS)
    draft = load_draft(session, draft_id, audit=False)
    now = session.clock.now()
    data = response_data(session, draft)
    from app.sar.render import render_response  # reportlab only when a PDF is made

    pdf = render_response(data, generated_at=now)
    log = withheld_log(draft)
    write_atomically(out, pdf)
    version = add_entry(session, [draft.child_id], "action", log, now, significant=False)
    save(session, replace(draft, produced_at=iso(now)), "produce",
         entries=len(data.entries), withheld=data.withheld, redacted=data.redacted,
         chronology=version.record_id)
    session.audited("export", "sar-response", draft.id, child=draft.child_id,
                    requester=draft.requester.kind)
    return Produced(pdf, log, version.record_id)
