"""The receipt slip: the first page of a CP-file pack sent to a school on another product. It
gives the receiving DSL a short code to read back by phone or email, so the sender can record
that the file arrived (KCSIE asks for confirmation of receipt). Rendered in memory."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from app.pack.model import SchoolInfo
from app.pack.render import MARKING
from app.pack.styles import MARGIN_X, make_styles
from app.pack.text import markup
from app.wording import date_text


@dataclass(frozen=True)
class Slip:
    sender: SchoolInfo
    to_school: str
    child_name: str
    born: str
    upn: str
    code: str
    transfer_id: str
    contents: tuple[str, ...]  # what the pack holds, in words
    made_at: datetime


def render_slip(slip: Slip) -> bytes:
    styles = make_styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=18 * mm,
                            bottomMargin=18 * mm, title="Receipt slip", invariant=1)
    sender = slip.sender
    reach = [part for part in (
        f"{sender.dsl_name}" if sender.dsl_name else "the designated safeguarding lead",
        f"on {sender.dsl_phone or sender.phone}" if sender.dsl_phone or sender.phone else "",
        f"or by secure email to {sender.secure_email}" if sender.secure_email else "",
    ) if part]
    story = [
        Paragraph(markup(MARKING), styles.banner),
        Spacer(1, 4 * mm),
        Paragraph(markup("Child protection file: receipt slip"), styles.title),
        Paragraph(markup(f"From {sender.name} to {slip.to_school}, "
                         f"{date_text(slip.made_at.date())}"), styles.subtitle),
        Paragraph(markup(f"{slip.child_name} · born {slip.born} · UPN {slip.upn}"),
                  styles.h2),
        Spacer(1, 6 * mm),
        Paragraph(markup("Please confirm that this file reached you: read this code back to "
                         + " ".join(reach) + "."), styles.body),
        Spacer(1, 3 * mm),
        Paragraph(markup(f"Receipt code  {slip.code}", bold=True), styles.title),
        Spacer(1, 3 * mm),
        Paragraph(markup("The sending school records the code, your name and the date. Keep "
                         "this file separate from the main pupil record, as KCSIE asks."),
                  styles.body),
        Paragraph(markup("What this file holds"), styles.h1),
        *[Paragraph(markup("• " + item), styles.body) for item in slip.contents],
        Spacer(1, 4 * mm),
        Paragraph(markup("Files named above as attached are inside this PDF: open your PDF "
                         "reader's attachments panel (a paper clip) to save them."),
                  styles.small),
        Paragraph(markup(f"Transfer {slip.transfer_id}"), styles.small),
    ]
    doc.build(story)
    return out.getvalue()
