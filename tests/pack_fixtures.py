"""Synthetic referral packs for the pack tests (invented people only), and a small JSON Schema
checker used when the ``jsonschema`` package is not installed."""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.pack.model import (
    BodyMark,
    HouseholdMember,
    PackAttachment,
    PackChild,
    PackContact,
    PackData,
    PackEntry,
    Professional,
    ReferralForm,
    Referrer,
    SchoolInfo,
)

GENERATED_AT = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
CHILD_FORENAME = "Zofia"
CHILD_SURNAME = "Wiśniewska-Kowalczyk"
# Invented names in the scripts a school roll holds; all must come back out of the PDF.
NAMES_LTR = [
    "Zofia Wiśniewska-Kowalczyk",
    "Nguyễn Thị Minh Anh",
    "Çağla Öztürk",
    "Αλέξανδρος Παπαδόπουλος",
    "Дмитрий Соколов",
    "Łukasz Żółtowski",
    "Ștefan Bălănescu",
    "Jiří Dvořák",
    "Siobhán Ní Bhriain",
    "Trần Văn Đức",
]
NAMES_RTL = ["زینب خان", "محمد الأحمد", "عائشہ بی بی"]
CATEGORIES = ["Neglect", "Emotional abuse", "Physical abuse", "Domestic abuse",
              "Online safety", "Attendance / children missing education", "Mental health"]
KINDS = ["concern", "action", "contact", "meeting", "referral", "outcome", "note"]
PACK_ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"


def at_day(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, 9, 1, hour, minute, tzinfo=UTC) + timedelta(days=day)


def sample_entries() -> list[PackEntry]:
    long_summary = "\n\n".join(
        f"Paragraph {i}: Zofia arrived at 08:50 without a coat and said she had not had "
        "breakfast. Her class teacher noticed that she was tired and withdrawn during the "
        "morning and that her uniform had not been washed for several days. " * 3
        for i in range(1, 9)
    )
    return [
        PackEntry(
            entry_id="e-003", occurred_at=at_day(30, 13, 5), recorded_at=at_day(33, 10),
            kind="concern", categories=["Physical abuse", "Domestic abuse"],
            summary="Bruise seen on the left upper arm during PE. Zofia said it happened at "
                    "home. Αλέξανδρος Παπαδόπουλος (classmate) was present.",
            child_words="Dad got angry when the dinner was late.\n\nPlease don't tell him "
                        "I said.",
            author="Ms Çağla Öztürk", significant=True,
            body_marks=[BodyMark("front", 0.18, 0.30, "Bruise 3 cm, yellow-green"),
                        BodyMark("back", 0.55, 0.42, "Red mark near spine")],
        ),
        PackEntry(
            entry_id="e-001", occurred_at=at_day(2), recorded_at=at_day(2, 9, 20), kind="concern",
            categories=["Neglect"], summary=long_summary, author="Mr Дмитрий Соколов",
        ),
        PackEntry(
            entry_id="e-002", occurred_at=at_day(10, 15), recorded_at=at_day(10, 15, 30),
            kind="contact", categories=[],
            summary="Phoned mother زینب خان with an interpreter; she said that she would "
                    "come in on Friday.",
            author="Nguyễn Thị Minh Anh", amended=True,
            amendment_note="Corrected the date of the meeting (was Thursday).",
        ),
        PackEntry(
            entry_id="e-004", occurred_at=at_day(40, 11), recorded_at=at_day(40, 11, 45),
            kind="meeting", categories=["Mental health"],
            summary="محمد الأحمد قال إن الطفلة تبكي كل ليلة ولا تريد العودة إلى البيت. "
                    "اجتمعنا مع الأسرة في المدرسة وناقشنا خطة الدعم للأسابيع القادمة.",
            child_words="میں گھر نہیں جانا چاہتی",
            author="Ms Siobhán Ní Bhriain",
        ),
    ]


def full_pack(entries: list[PackEntry] | None = None) -> PackData:
    return PackData(
        pack_id=PACK_ID,
        school=SchoolInfo("Oakfield Primary School", "1 Example Road, Exampleton EX1 2AB",
                          "01632 960000", "dsl@oakfield.example.sch.uk",
                          "Ms Çağla Öztürk", "01632 960001"),
        child=PackChild(
            legal_forename=CHILD_FORENAME, legal_surname=CHILD_SURNAME,
            preferred_forename="Zosia", aliases=["Zofia Kowalczyk"],
            date_of_birth=date(2016, 5, 14), gender="Female", ethnicity="White - Other",
            religion=None, first_language="Polish", interpreter_needed=False,
            disability=None, address="12 Sample Street, Exampleton EX1 3CD",
            phone="07700 900123", gp="Dr Jiří Dvořák, Exampleton Health Centre",
            upn="B801200005001", nhs_number="943 476 5870", year_group="Year 4",
            flags=["Child in need"], ethnicity_code="WOTH", first_language_code="POL",
            sen="SEN support: SLCN", sen_status="K", sen_needs=["SLCN"], looked_after=False,
            previous_school="Brookside Infant School (999/2001)",
        ),
        contacts=[
            PackContact("Marta Wiśniewska", "Mother", True, True,
                        ["07700 900456 (mobile)"], "marta@example.org",
                        "12 Sample Street, Exampleton EX1 3CD", 1),
            PackContact("Tomasz Kowalczyk", "Father", True, True, [], None, None, 2,
                        True, "Alleged perpetrator: the school must not call him."),
        ],
        household=[
            HouseholdMember("Marta Wiśniewska", "Mother", date(1988, 2, 1),
                            "12 Sample Street", True, None),
            HouseholdMember("Tomasz Kowalczyk", "Father (alleged perpetrator)",
                            date(1985, 7, 9), "12 Sample Street", True,
                            "Works nights; not aware of the referral."),
            HouseholdMember("Ola Kowalczyk", "Sister", date(2020, 1, 3), None, None, None),
        ],
        referrer=Referrer("Ms Çağla Öztürk", "Designated Safeguarding Lead",
                          "Oakfield Primary School", "01632 960001",
                          "c.ozturk@oakfield.example.sch.uk", date(2026, 3, 9)),
        form=ReferralForm(
            immediate_risk=True, phoned_whom="Police (101) and the MASH duty line",
            phoned_when="09 Mar 2026 10:15", kind="safeguarding",
            parents_aware=False, consent_given=False,
            no_consent_reason="Increased risk of significant harm to the child.",
            child_aware=True,
            child_views="Zofia said she is scared to go home when her father is there.",
            parent_views=None,
            withhold_from_family="Do not tell the father that Zofia spoke to staff.",
            worries="Repeated bruising, tiredness and hunger over six months.",
            impact="Attendance has fallen to 82%; she is withdrawn in class.",
            harm_types=["Physical abuse", "Neglect"],
            history="Two earlier concerns in Year 2 (see the chronology).",
            disclosures="To the class teacher on 01 Oct 2025 (see entry #3).",
            parenting_capacity="Mother struggles with her own mental health.",
            strengths="Good friendships; engages well with the learning mentor.",
            child_voice="Zofia wants to feel safe at home and to stay at this school.",
            threshold_level=4, risk_view="high",
            risk_reasons="Escalating injuries with a consistent account from the child "
                         "naming her father; the mother is not able to protect her.",
            previous_social_care="Child in need plan in 2023, closed 2024.",
            early_help=None,
            support_offered="Breakfast club, learning mentor weekly.",
            professionals=[Professional("Dana Roe", "School nurse", "Exampleton NHS Trust",
                                        "01632 960123"),
                           Professional("PC Alex Smith", "Police", "Exampleton Police",
                                        "101 ext 4455")],
        ),
        chronology=sample_entries() if entries is None else entries,
        attachments=[
            PackAttachment("bodymap-photo-notes.pdf", 48_213,
                           hashlib.sha256(b"notes").hexdigest(), "Scanned handwritten notes"),
            PackAttachment("letter to parent – Łódź.docx", 1_204_800,
                           hashlib.sha256(b"letter").hexdigest(), None),
        ],
    )


def big_pack(count: int = 500, seed: int = 7) -> PackData:
    """A pack of ``count`` entries: multi-paragraph, many scripts, some late, some amended."""
    rng = random.Random(seed)
    names = NAMES_LTR + NAMES_RTL
    sentences = [
        "She arrived late and said she had walked on her own.",
        "He was seen crying in the playground at lunchtime.",
        "Mother phoned to say the family is moving next month.",
        "The learning mentor met her for twenty minutes.",
        "She said that an older boy had messaged her online.",
        "Her coat and shoes were wet and she had no spare clothes.",
    ]
    entries = []
    for i in range(count):
        occurred = at_day(i // 3, 8 + i % 9, (i * 7) % 60)
        late = rng.random() < 0.15
        paragraphs = [
            f"{rng.choice(names)}: "
            + " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
            for _ in range(rng.randint(1, 4))
        ]
        entries.append(PackEntry(
            entry_id=str(uuid.UUID(int=rng.getrandbits(128))),
            occurred_at=occurred,
            recorded_at=occurred + (timedelta(days=rng.randint(1, 5)) if late
                                    else timedelta(minutes=20)),
            kind=rng.choice(KINDS),  # type: ignore[arg-type]
            categories=rng.sample(CATEGORIES, rng.randint(0, 3)),
            summary="\n\n".join(paragraphs),
            child_words=("I don't want to go home tonight." if rng.random() < 0.1 else None),
            author=rng.choice(names),
            amended=rng.random() < 0.05,
            amendment_note="Recategorised by the DSL.",
            significant=rng.random() < 0.1,
            body_marks=([BodyMark(rng.choice(["front", "back"]), rng.random(), rng.random(),
                                  "Bruise")] if rng.random() < 0.03 else []),
        ))
    return full_pack(entries)


# -- a small JSON Schema checker (the subset docs/pack-schema.json uses) ------------------
_FORMATS = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "uuid": re.compile(r"^[0-9a-fA-F-]{36}$"),
}
_TYPES: dict[str, Any] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool,
    "null": type(None), "array": list, "object": dict,
}


def schema_errors(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
                  where: str = "$") -> list[str]:
    """Problems found checking ``instance`` against ``schema`` (empty when it conforms)."""
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_errors(instance, target, root, where)
    errors: list[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(instance, _TYPES[t]) and not (
            t in ("integer", "number") and isinstance(instance, bool)) for t in types)
        if not ok:
            return [f"{where}: {instance!r} is not of type {types}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{where}: {instance!r} not in {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{where}: {instance!r} is not {schema['const']!r}")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            errors.append(f"{where}: {instance!r} is shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{where}: {instance!r} does not match {schema['pattern']}")
        fmt = _FORMATS.get(schema.get("format", ""))
        if fmt and not fmt.match(instance):
            errors.append(f"{where}: {instance!r} is not a {schema['format']}")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{where}: {instance} < {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{where}: {instance} > {schema['maximum']}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors += schema_errors(item, schema["items"], root, f"{where}[{i}]")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{where}: missing {key}")
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                errors += schema_errors(value, props[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected {key}")
    return errors
