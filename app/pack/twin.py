"""The pack's machine-readable twin: JSON for the LA's case management system.

The shape is documented by docs/pack-schema.json; bump SCHEMA_VERSION on any change to it.
Every value the PDF shows is here exactly as recorded (the PDF may reshape or reorder
right-to-left text for display; this never does).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.clock import iso
from app.pack.model import PackData, number_marks

# 1.1: every field of an entry (where, action taken, witnesses), a concern's status changes
# as entries of kind "status" with the DSL's note, and each body-map mark's named place.
# 1.2: the child's profile (issue #17): DfE codes beside the words, SEN, looked after, the
# previous school, every contact in full, the school's DSL, and a "cin" block in the Children
# in Need census's own item names and codes (docs/pack.md, "For the LA's systems").
# 1.3: police notifications (Operation Encompass, issue #20): chronology entries of kind
# "police-notification", whose fields (police reference, officer, force, how and when it came,
# child present and where, welfare check, who in school was told and why) are in the entry's
# new "details" object; every other entry has "details": null.
SCHEMA_VERSION = "1.3"
# CIN census GenderCurrent: 0 not known, 1 male, 2 female, 9 not specified.
_CIN_GENDER = {"M": "1", "F": "2", "X": "9", "U": "0"}
# CIN census disability codes; a profile's disability written as these codes is passed on.
_CIN_DISABILITIES = {"NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH",
                     "CON", "AUT", "DDA"}
MARKING = "OFFICIAL-SENSITIVE"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def pack_json(data: PackData, *, generated_at: datetime) -> dict[str, Any]:
    """The twin of ``render_pack(data, generated_at=...)`` as a JSON-ready dict."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    c, f, r, s = data.child, data.form, data.referrer, data.school
    entries = data.entries_in_order()
    marks: dict[int, list[dict[str, Any]]] = {}
    for m in number_marks(entries):
        marks.setdefault(m.entry_number, []).append({
            "number": m.number, "side": m.mark.side, "x": m.mark.x, "y": m.mark.y,
            "region": m.mark.named_region, "place": m.mark.place,
            "note": m.mark.note,
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "marking": MARKING,
        "pack_id": data.pack_id,
        "generated_at": iso(generated_at),
        "school": {"name": s.name, "address": s.address, "phone": s.phone,
                   "secure_email": s.secure_email, "dsl_name": s.dsl_name,
                   "dsl_phone": s.dsl_phone},
        "child": {
            "legal_forename": c.legal_forename, "legal_surname": c.legal_surname,
            "preferred_forename": c.preferred_forename, "aliases": list(c.aliases),
            "date_of_birth": _day(c.date_of_birth), "gender": c.gender,
            "ethnicity": c.ethnicity, "religion": c.religion,
            "first_language": c.first_language, "interpreter_needed": c.interpreter_needed,
            "disability": c.disability, "address": c.address, "phone": c.phone, "gp": c.gp,
            "upn": c.upn, "nhs_number": c.nhs_number, "year_group": c.year_group,
            "flags": list(c.flags), "ethnicity_code": c.ethnicity_code,
            "first_language_code": c.first_language_code, "sen": c.sen,
            "sen_status": c.sen_status, "sen_needs": list(c.sen_needs),
            "looked_after": c.looked_after, "previous_school": c.previous_school,
        },
        "cin": _cin(data),
        "contacts": [{
            "name": k.name, "relationship": k.relationship,
            "parental_responsibility": k.parental_responsibility,
            "lives_with_child": k.lives_with_child, "phones": list(k.phones), "email": k.email,
            "address": k.address, "priority": k.priority, "do_not_contact": k.do_not_contact,
            "do_not_contact_reason": k.do_not_contact_reason,
        } for k in data.contacts],
        "household": [{
            "name": m.name, "relationship": m.relationship,
            "date_of_birth": _day(m.date_of_birth), "address": m.address,
            "parental_responsibility": m.parental_responsibility, "notes": m.notes,
        } for m in data.household],
        "referrer": {"name": r.name, "role": r.role, "school": r.school, "phone": r.phone,
                     "secure_email": r.secure_email, "date": _day(r.date)},
        "form": {
            "urgency": {"immediate_risk": f.immediate_risk, "phoned_whom": f.phoned_whom,
                        "phoned_when": f.phoned_when, "kind": f.kind},
            "consent": {
                "parents_aware": f.parents_aware, "consent_given": f.consent_given,
                "consent_by": f.consent_by, "consent_scope": f.consent_scope,
                "no_consent_reason": f.no_consent_reason, "child_aware": f.child_aware,
                "child_views": f.child_views, "parent_views": f.parent_views,
                "withhold_from_family": f.withhold_from_family,
            },
            "reason": {
                "worries": f.worries, "impact": f.impact, "harm_types": list(f.harm_types),
                "history": f.history, "disclosures": f.disclosures,
                "parenting_capacity": f.parenting_capacity, "strengths": f.strengths,
                "child_voice": f.child_voice,
            },
            "risk": {"threshold_level": f.threshold_level, "risk_view": f.risk_view,
                     "risk_reasons": f.risk_reasons},
            "history_support": {"previous_social_care": f.previous_social_care,
                                "early_help": f.early_help,
                                "support_offered": f.support_offered},
            "professionals": [{"name": p.name, "role": p.role, "organisation": p.organisation,
                               "contact": p.contact} for p in f.professionals],
        },
        "chronology": [{
            "number": number, "entry_id": e.entry_id, "occurred_at": iso(e.occurred_at),
            "recorded_at": iso(e.recorded_at), "kind": e.kind, "categories": list(e.categories),
            "summary": e.summary, "child_words": e.child_words, "author": e.author,
            "amended": e.amended, "amendment_note": e.amendment_note,
            "significant": e.significant, "body_marks": marks.get(number, []),
            "location": e.location, "action_taken": e.action_taken, "witnesses": e.witnesses,
            "record_id": e.record_id, "status": e.status, "note": e.note,
            "details": dict(e.details) or None,
        } for number, e in enumerate(entries, start=1)],
        "attachments": [{"filename": a.filename, "size": a.size, "sha256": a.sha256.lower(),
                         "description": a.description} for a in data.attachments],
    }


def _cin(data: PackData) -> dict[str, Any]:
    """The child in the Children in Need census's item names and codes, so an LA's case
    system loads them without re-keying; ``None`` where the school does not know."""
    c = data.child
    codes = [d.strip().upper() for d in (c.disability or "").replace(";", ",").split(",")
             if d.strip()]
    return {
        "UPN": c.upn,
        "PersonBirthDate": _day(c.date_of_birth),
        "GenderCurrent": _CIN_GENDER.get((c.gender or "U")[:1].upper(), "0"),
        "Ethnicity": c.ethnicity_code,
        "Disabilities": codes if codes and set(codes) <= _CIN_DISABILITIES else None,
        "NHSNumber": "".join(d for d in c.nhs_number if d.isdigit()) or None
        if c.nhs_number else None,
    }
