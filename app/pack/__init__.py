"""The referral pack: PDF for people, JSON twin for the LA's systems, written atomically.
The modules here render a ``PackData`` and know nothing of the store; ``assembly`` builds one
from the domain (a referral, a child's chronology), keeps released packs for the office's print
queue, and releases a referral for print."""

from typing import TYPE_CHECKING, Any

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
from app.pack.twin import SCHEMA_VERSION, pack_json

if TYPE_CHECKING:
    from app.pack.encrypt import encrypt_pdf
    from app.pack.render import render_pack


def __getattr__(name: str) -> Any:
    # reportlab and pypdf load when a PDF is first made, not with everything that names a pack:
    # every command-line call starts half a second sooner. Import these two inside the
    # function that makes a PDF.
    if name == "render_pack":
        from app.pack.render import render_pack

        return render_pack
    if name == "encrypt_pdf":
        from app.pack.encrypt import encrypt_pdf

        return encrypt_pdf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
