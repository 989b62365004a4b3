"""Password protection of a rendered pack: AES-256 through pypdf, in memory.

reportlab's own encryption is RC4 or a malformed AES-256 (see ENVIRONMENT.md), so the pack is
rendered unencrypted into memory and pypdf encrypts those bytes before anything is written.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from app.errors import InputError

MIN_PASSWORD_LENGTH = 8


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """``pdf`` encrypted with AES-256 (PDF 2.0 security handler, revision 6); the password is
    needed to open it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
