"""The referral pack: PDF for people, JSON twin for the LA's systems, written atomically.
The modules here render a ``PackData`` and know nothing of the store; ``assembly`` builds one
from the domain (a referral, a child's chronology), keeps released packs for the office's print
queue, and releases a referral for print."""

from app.pack.encrypt import encrypt_pdf
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
from app.pack.output import write_atomically
from app.pack.render import render_pack
from app.pack.twin import SCHEMA_VERSION, pack_json

__all__ = [
    "SCHEMA_VERSION",
    "BodyMark",
    "HouseholdMember",
    "PackAttachment",
    "PackChild",
    "PackContact",
    "PackData",
    "PackEntry",
    "Professional",
    "ReferralForm",
    "Referrer",
    "SchoolInfo",
    "encrypt_pdf",
    "pack_json",
    "render_pack",
    "write_atomically",
]
