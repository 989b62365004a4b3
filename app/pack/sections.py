"""The pack's cover and referral form sections 1–9 as platypus flowables, and the pieces every
section uses (paragraphs that lose no character, label/value tables, grids, the child's words)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import ps2tt
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table
from reportlab.platypus import TableStyle as TS
from reportlab.platypus.paraparser import ParaFrag

from app.pack import dates, fonts, text
from app.pack.model import PackData
from app.pack.styles import (
    ALERT,
    ALERT_SHADE,
    BODY_WIDTH,
    HEADER_SHADE,
    QUOTE_BAR,
    QUOTE_SHADE,
    RULE,
    SHADE,
    Styles,
)

NOT_RECORDED = "Not recorded"
# A question the form's own answers make moot is said to be so, not "not recorded": the LA
# reads "not recorded" as a gap to chase.
NOT_APPLICABLE = "Not applicable"
_CELL_PAD = 3
LABEL_WIDTH = 52 * mm

SECTION_TITLES = {
    1: "Urgency",
    2: "Consent",
    3: "The child",
    4: "Household and family",
    5: "Referrer",
    6: "Reason for the referral",
    7: "Risk and threshold",
    8: "History and support",
    9: "Other professionals involved",
    10: "Chronology",
    11: "Body map",
    12: "Attachments",
    13: "In the child's own words",
}

_rtl_styles: dict[str, ParagraphStyle] = {}


def _rtl_style(style: ParagraphStyle) -> ParagraphStyle:
    if style.name not in _rtl_styles:
        _rtl_styles[style.name] = ParagraphStyle(
            style.name + "-rtl", parent=style, alignment=TA_RIGHT
        )
    return _rtl_styles[style.name]


class Builder:
    """Makes flowables with one set of styles; ``width`` arguments are in points."""

    def __init__(self, styles: Styles) -> None:
        self.s = styles

    # -- small pieces ---------------------------------------------------------------------
    def para(self, value: str, style: ParagraphStyle, width: float, *, bold: bool = False
             ) -> Paragraph:
        if text.is_rtl(value):
            markup = text.rtl_markup(value, width=width, size=style.fontSize, bold=bold)
            return Paragraph(markup, _rtl_style(style))
        markup = text.markup(value, bold=bold)
        if "<" in markup or "&" in markup:
            return Paragraph(markup, style)
        return _plain_paragraph(markup, style)

    def paras(self, value: str | None, style: ParagraphStyle, width: float) -> list[Flowable]:
        """One Paragraph per blank-line-separated block, or "Not recorded"."""
        if value is None or not value.strip():
            return [Paragraph(NOT_RECORDED, self.s.missing)]
        blocks = [b.strip("\n") for b in value.replace("\r\n", "\n").split("\n\n")]
        return [self.para(b, style, width) for b in blocks if b.strip()]

    def value(self, value: object, width: float) -> list[Flowable]:
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        elif isinstance(value, datetime):
            value = dates.fmt_datetime(value)
        elif isinstance(value, date):
            value = dates.fmt_date(value)
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value) if value else None
        return self.paras(None if value is None else str(value), self.s.value, width)

    def heading(self, number: int) -> list[Flowable]:
        """A section heading that never ends a page alone."""
        return [CondPageBreak(45 * mm),
                Paragraph(f"{number}. {SECTION_TITLES[number]}", self.s.h1)]

    def kv_table(self, rows: Iterable[tuple[str, object]]) -> Table:
        value_width = BODY_WIDTH - LABEL_WIDTH
        data = [
            [Paragraph(text.markup(label), self.s.label),
             self.value(value, value_width - 2 * _CELL_PAD)]
            for label, value in rows
        ]
        table = Table(data, colWidths=[LABEL_WIDTH, value_width], splitInRow=1)
        table.setStyle(TS([
            # Cells set a font even when they hold only paragraphs; never the unembedded default.
            ("FONT", (0, 0), (-1, -1), fonts.BODY, 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE),
            ("BACKGROUND", (0, 0), (0, -1), SHADE),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PAD),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return table

    def grid(self, headings: list[str], rows: Sequence[Sequence[object]], widths: list[float]
             ) -> Table:
        data: list[list[object]] = [
            [Paragraph(h, self.s.cell_head) for h in headings]
        ]
        for row in rows:
            data.append([
                self.paras(None if v is None else str(v), self.s.cell, w - 2 * _CELL_PAD)
                for v, w in zip(row, widths, strict=True)
            ])
        table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(TS([
            # Cells set a font even when they hold only paragraphs; never the unembedded default.
            ("FONT", (0, 0), (-1, -1), fonts.BODY, 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_SHADE),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("BOX", (0, 0), (-1, -1), 0.6, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PAD),
        ]))
        return table

    def narrative(self, title: str, value: str | None) -> list[Flowable]:
        return [Paragraph(title, self.s.h2), *self.paras(value, self.s.body, BODY_WIDTH)]

    def child_words(self, words: str, width: float, style: ParagraphStyle) -> list[Flowable]:
        """The child's words verbatim, set apart: labelled, indented, shaded, in quotes."""
        quote_style = ParagraphStyle(
            style.name + "-quote", parent=style, leftIndent=7, rightIndent=2,
            backColor=QUOTE_SHADE, borderColor=QUOTE_BAR, borderWidth=0,
            borderPadding=(2, 2, 2, 5), spaceBefore=1, spaceAfter=3,
        )
        label = ParagraphStyle(
            "quote-label-in", parent=self.s.quote_label, leftIndent=7, spaceBefore=4,
        )
        blocks = [b for b in words.replace("\r\n", "\n").split("\n\n") if b.strip()]
        out: list[Flowable] = [Paragraph("IN THE CHILD'S OWN WORDS", label)]
        for i, block in enumerate(blocks):
            # Drawn right to left, the quote that opens a right-to-left block sits on the right.
            left, right = ("”", "“") if text.is_rtl(block) else ("“", "”")
            opening = left if i == 0 else ""
            closing = right if i == len(blocks) - 1 else ""
            out.append(self.para(f"{opening}{block.strip()}{closing}", quote_style, width - 9))
        return out

    # -- cover ----------------------------------------------------------------------------
    def cover(self, data: PackData) -> list[Flowable]:
        s, form, child = self.s, data.form, data.child
        story: list[Flowable] = [
            Paragraph(text.markup(data.title), s.title),
            Paragraph(text.markup(f"Prepared by {data.school.name}"), s.subtitle),
        ]
        if form.immediate_risk:
            phoned = ", ".join(v for v in (form.phoned_whom, form.phoned_when) if v)
            urgency = "IMMEDIATE RISK"
            urgency_note = f"Already phoned: {phoned}" if phoned else "Not yet phoned"
        elif form.immediate_risk is False:
            urgency, urgency_note = "Not immediate risk", ""
        else:
            urgency, urgency_note = "Urgency not recorded", ""
        kind = {"safeguarding": "Safeguarding referral", "early help": "Early help request"}.get(
            form.kind or "", "Type of referral not recorded"
        )
        risk = f"Referrer's view of risk: {form.risk_view.upper()}" if form.risk_view else (
            "Referrer's view of risk: not recorded")
        threshold = (f"Threshold: level {form.threshold_level} of 4" if form.threshold_level
                     else "Threshold level: not recorded")
        banner = Table(
            [[
                [Paragraph(urgency, s.banner),
                 Paragraph(text.markup(urgency_note), s.banner_note) if urgency_note
                 else Spacer(0, 0),
                 Paragraph(kind, s.banner_note_bold)],
                [Paragraph(risk, s.banner), Paragraph(threshold, s.banner_note_bold)],
            ]],
            colWidths=[BODY_WIDTH / 2, BODY_WIDTH / 2],
        )
        urgent = bool(form.immediate_risk)
        high = form.risk_view == "high"
        banner.setStyle(TS([
            # Cells set a font even when they hold only paragraphs; never the unembedded default.
            ("FONT", (0, 0), (-1, -1), fonts.BODY, 8.5),
            ("BOX", (0, 0), (0, 0), 2.5 if urgent else 0.8, ALERT if urgent else RULE),
            ("BOX", (1, 0), (1, 0), 2.5 if high else 0.8, ALERT if high else RULE),
            ("BACKGROUND", (0, 0), (0, 0), ALERT_SHADE if urgent else SHADE),
            ("BACKGROUND", (1, 0), (1, 0), ALERT_SHADE if high else SHADE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ]))
        if data.has_form:  # urgency and risk come from the form: none to show without one
            story += [banner, Spacer(0, 5 * mm)]

        born = child.date_of_birth
        dob = dates.fmt_date(born)
        if born and data.referrer.date:
            dob = f"{dob} (age {dates.age_on(born, data.referrer.date)})"
        consent = self._consent_summary(data)
        entries = data.chronology
        marks = sum(len(e.body_marks) for e in entries)
        rows: list[tuple[str, object]] = [
            ("Child", child.full_name),
            ("Known as", child.preferred_forename or "Legal name"),
            ("Date of birth", dob),
            ("UPN / NHS number", " / ".join(v or NOT_RECORDED for v in
                                           (child.upn, child.nhs_number))),
            ("School, year group", ", ".join(v for v in (data.school.name, child.year_group) if v)),
            ("Referrer", ", ".join(v for v in (data.referrer.name, data.referrer.role,
                                                data.referrer.phone) if v)),
        ]
        if data.has_form:
            rows += [("Date of referral", data.referrer.date), ("Consent", consent)]
            if form.withhold_from_family:
                rows.append(("KEEP FROM THE FAMILY", form.withhold_from_family))
        else:
            rows[-1] = ("Prepared by", rows[-1][1])
            rows += [("Date prepared", data.referrer.date), ("Flags", child.flags or "None set")]
        rows.append((
            "In this pack",
            # Sections keep their numbers in every pack: "section 11" is always the body map.
            (f"The LA's form ({len(data.la_form)} sections); chronology" if data.la_form else
             "Form sections 1–9; chronology" if data.has_form else "Chronology (section 10)") +
            f" of {len(entries)} "
            f"entr{'y' if len(entries) == 1 else 'ies'} "
            f"({sum(e.significant for e in entries)} significant); "
            f"{marks} body-map mark{'s' if marks != 1 else ''}; "
            f"{len(data.attachments)} attachment{'s' if len(data.attachments) != 1 else ''}.",
        ))
        story.append(self.kv_table(rows))
        if not data.has_form:
            return story
        story.append(Paragraph("The risk the referrer sees", s.h2))
        story += self.paras(form.risk_reasons, s.body, BODY_WIDTH)
        if form.worries:
            story.append(Paragraph("What the referrer is worried about", s.h2))
            story += self.paras(form.worries, s.body, BODY_WIDTH)
        return story

    @staticmethod
    def _consent_summary(data: PackData) -> str:
        f = data.form

        def yn(v: bool | None) -> str:
            return NOT_RECORDED.lower() if v is None else ("yes" if v else "no")

        consent = f"Consent: {yn(f.consent_given)}"
        if f.consent_given and f.consent_by:
            consent += f" (given by {f.consent_by})"
        parts = [f"Parents/carers aware: {yn(f.parents_aware)}.", consent + "."]
        if f.consent_given is False:
            reason = (f.no_consent_reason or NOT_RECORDED.lower()).strip().rstrip(".")
            parts.append(f"Why not: {reason}.")
        parts.append(f"Child knows of the referral: {yn(f.child_aware)}.")
        return " ".join(parts)

    # -- form sections 1–9 ----------------------------------------------------------------
    def form(self, data: PackData) -> list[Flowable]:
        f, c, r = data.form, data.child, data.referrer
        kind = {"safeguarding": "Safeguarding", "early help": "Early help"}.get(f.kind or "")
        not_urgent = NOT_APPLICABLE + " (no immediate risk)" if f.immediate_risk is False \
            else None
        story: list[Flowable] = [*self.heading(1), self.kv_table([
            ("Immediate risk", f.immediate_risk),
            ("Already phoned (whom)", f.phoned_whom or not_urgent),
            ("When phoned", f.phoned_when or not_urgent),
            ("Safeguarding or early help", kind),
        ])]
        consented = NOT_APPLICABLE + " (consent given)" if f.consent_given else None
        story += [*self.heading(2), self.kv_table([
            ("Parents/carers aware", f.parents_aware),
            ("Consent given", f.consent_given),
            ("Consent given by", f.consent_by),
            ("What the consent covers", f.consent_scope),
            ("If no consent, why not", f.no_consent_reason or consented),
            ("Child knows of the referral", f.child_aware),
        ])]
        story += self.narrative("The child's views", f.child_views)
        story += self.narrative("The parents' or carers' views", f.parent_views)
        story += self.narrative("Anything to keep from the family", f.withhold_from_family)

        born = c.date_of_birth
        story += [*self.heading(3), self.kv_table([
            ("Legal name", c.full_name),
            ("Preferred name", c.preferred_forename or "Same as legal name"),
            ("Other names and aliases", c.aliases or "None known"),
            ("Date of birth", born),
            ("Gender", c.gender),
            ("Ethnicity", c.ethnicity),
            ("Religion", c.religion),
            ("First language", c.first_language),
            ("Interpreter needed", c.interpreter_needed),
            ("Disability", c.disability),
            ("Special educational needs", c.sen),
            ("Address", c.address),
            ("Phone", c.phone),
            ("School", data.school.name),
            ("Year group", c.year_group),
            ("GP", c.gp),
            ("UPN", c.upn),
            ("NHS number", c.nhs_number),
            ("Flags", c.flags or "None set"),
        ])]

        story += self.heading(4)
        if data.household:
            widths = [36 * mm, 25 * mm, 22 * mm, 19 * mm, 38 * mm]
            widths.append(BODY_WIDTH - sum(widths))
            rows = [[
                m.name, m.relationship, dates.fmt_date(m.date_of_birth),
                None if m.parental_responsibility is None else
                ("Yes" if m.parental_responsibility else "No"),
                m.address, m.notes,
            ] for m in data.household]
            story.append(self.grid(
                ["Name", "Relationship", "Date of birth", "Parental resp.", "Address", "Notes"],
                rows, widths,
            ))
        else:
            story.append(Paragraph(NOT_RECORDED, self.s.missing))

        story += [*self.heading(5), self.kv_table([
            ("Name", r.name), ("Role", r.role), ("School", r.school or data.school.name),
            ("Phone", r.phone), ("Secure email", r.secure_email), ("Date", r.date),
            ("School's DSL", ", ".join(v for v in (
                data.school.dsl_name,
                f"direct line {data.school.dsl_phone}" if data.school.dsl_phone else None)
                if v) or None),
            ("School address", data.school.address), ("School phone", data.school.phone),
            ("School secure email", data.school.secure_email),
        ])]

        story += [*self.heading(6), self.kv_table([("Type of harm", f.harm_types)])]
        story += self.narrative("What the referrer is worried about", f.worries)
        story += self.narrative("The impact on the child", f.impact)
        story += self.narrative("History", f.history)
        story += self.narrative("Disclosures (by whom, when)", f.disclosures)
        story += self.narrative("Parenting capacity", f.parenting_capacity)
        story += self.narrative("What is going well (strengths)", f.strengths)
        story += self.narrative("The child's voice, wishes and feelings", f.child_voice)

        level = f"Level {f.threshold_level} of 4" if f.threshold_level else None
        story += [*self.heading(7), self.kv_table([
            ("Threshold level (continuum of need)", level),
            ("Referrer's view of risk", f.risk_view.upper() if f.risk_view else None),
        ])]
        story += self.narrative("Reasons for that view", f.risk_reasons)

        story += self.heading(8)
        story += self.narrative("Earlier social care involvement", f.previous_social_care)
        story += self.narrative("Early help assessment", f.early_help)
        story += self.narrative("Support offered and its outcome", f.support_offered)

        story += self.heading(9)
        if f.professionals:
            widths = [40 * mm, 35 * mm, 45 * mm]
            widths.append(BODY_WIDTH - sum(widths))
            story.append(self.grid(
                ["Name", "Role", "Organisation", "Contact"],
                [[p.name, p.role, p.organisation, p.contact] for p in f.professionals], widths,
            ))
        else:
            story.append(Paragraph(NOT_RECORDED, self.s.missing))
        return story

    def la_form(self, data: PackData) -> list[Flowable]:
        """The LA's own form, its sections in its order and its questions in its words."""
        story: list[Flowable] = []
        for section in data.la_form or []:
            story += [CondPageBreak(45 * mm), Paragraph(text.markup(section.title), self.s.h1),
                      self.kv_table([(a.asks, a.answer) for a in section.answers])]
        return story


def _plain_paragraph(plain: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of text without markup, skipping reportlab's markup parser: the same
    fragment the parser would make, at a fraction of the cost (thousands per pack)."""
    _, bold, italic = ps2tt(style.fontName)
    frag = ParaFrag(
        rise=0, greek=0, link=[], fontName=style.fontName, bold=bold, italic=italic,
        fontSize=style.fontSize, textColor=style.textColor, us_lines=[], text=plain,
    )
    return Paragraph(plain, style, frags=[frag])
