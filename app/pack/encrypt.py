"""Password protection of a rendered pack: AES-256 through pypdf, in memory.

reportlab's own encryption is RC4 or a malformed AES-256 (see ENVIRONMENT.md), so the pack is
rendered unencrypted into memory and pypdf encrypts those bytes before anything is written.
"""

from __future__ import annotations

import io
import secrets

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject

from app.errors import InputError

MIN_PASSWORD_LENGTH = 8


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """``pdf`` encrypted with AES-256 (security handler revision 6); the password is needed to
    open it.

    Revision 6 is a PDF 2.0 feature, also defined for PDF 1.7 as Adobe extension level 8: the
    file says so in its header and catalog, so a reader knows what it holds. The owner password
    (which would lift the permissions) is random and never shown: no one can unlock more than
    the person with the user password can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = b"%PDF-1.7"
    writer._root_object[NameObject("/Extensions")] = DictionaryObject({
        NameObject("/ADBE"): DictionaryObject({
            NameObject("/BaseVersion"): NameObject("/1.7"),
            NameObject("/ExtensionLevel"): NumberObject(8)})})
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(32),
                   algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
