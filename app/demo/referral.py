"""The demo's worked referral: a draft a DSL would be proud of, for one child whose profile
the MIS filled in, so the Referrals screen and its pack show what a complete one looks like.
Every word is invented."""

from __future__ import annotations

from collections import Counter

from app.demo.synthetic import ConcernSeed
from app.domain.referrals import create_referral
from app.domain.roster_csv import RosterRow
from app.profile.model import ProfileUpdate
from app.store.session import Session

_FORM = (
    ("immediate_risk", "no"),
    ("kind", "safeguarding"),
    ("parents_aware", "yes"),
    ("consent_given", "yes"),
    ("consent_scope", "Sharing this referral and the school's chronology with the MASH and "
                      "the professionals it names"),
    ("child_aware", "yes"),
    ("child_views", "Says she wants things at home to be calmer and would like someone to "
                    "talk to at school."),
    ("parent_views", "Mother agrees the family needs support and has asked for help with "
                     "routines and with the child's sleep."),
    ("withhold_from_family", "Nothing"),
    ("worries", "Repeated unexplained bruising over six weeks, tiredness in the morning and "
                "a fall in attendance to 86%. The child has twice said she was scared to go "
                "home."),
    ("impact", "Withdrawn in class, falling behind in reading, and not eating breakfast."),
    ("history", "Known to early help last year for attendance; the plan closed in July."),
    ("disclosures", "To her class teacher, 3 weeks ago and again last week (recorded the "
                    "same day; see the chronology)."),
    ("parenting_capacity", "Mother is caring but struggling after a house move; father "
                           "works away and is not at home in the week."),
    ("strengths", "Good relationship with her class teacher; attends breakfast club when "
                  "offered; a supportive grandmother nearby."),
    ("child_voice", "\u201cI don't like it when it's loud at home. I like being at school.\u201d"
                    " She drew her family and put herself at the edge of the page."),
    ("threshold_level", "3"),
    ("risk_view", "medium"),
    ("risk_reasons", "A pattern rather than one incident: bruising, fear of going home and "
                     "falling attendance together, with support offered and not enough."),
    ("previous_social_care", "None known to the school."),
    ("early_help", "Early help assessment completed last year; closed in July."),
    ("support_offered", "Breakfast club, a weekly check-in with the learning mentor, and a "
                        "referral to the school nurse; attendance has not improved."),
)


def worked_referral(dsl: Session, pupils: list[RosterRow], updates: list[ProfileUpdate],
                    concerns: list[ConcernSeed], child_ids: dict[str, str]) -> str | None:
    """Drafts the referral for the pupil with the most concerns among those with an NHS
    number and another professional involved; returns its id."""
    counts = Counter(link.index for c in concerns for link in c.children)
    candidates = [i for i, (row, update) in enumerate(zip(pupils, updates, strict=True))
                  if row.nhs_number and update.professionals and update.contacts]
    if not candidates:
        return None
    index = max(candidates, key=lambda i: (counts[i], -i))
    first = updates[index].contacts[0]
    fields = [*_FORM, ("consent_by", f"{first.name} ({first.relationship})")]
    return create_referral(dsl, child_ids[pupils[index].upn], fields).id
