"""Sign-in for the LA staff page: passwords, session cookies and CSRF tokens.

- Passwords are kept as scrypt hashes (``cryptography``'s Scrypt, n=2**15, r=8, p=1: about a
  tenth of a second here), never in the clear; a check of an unknown name costs the same.
- A session is a cookie the service signs (HMAC-SHA256 under a key derived from its own signing
  key, so every service process of one LA, and a restarted one, accepts it): the staff name, an
  expiry and a random id. It is HttpOnly, SameSite=Strict, Secure behind TLS, and lasts
  ``SESSION_HOURS``; an account disabled since is refused at its next request.
- Every POST carries a CSRF token bound to the session (HMAC of its cookie); the sign-in form's
  token is bound to a short-lived pre-session cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.errors import InputError

MIN_PASSWORD = 12
SESSION_HOURS = 8
_N, _R, _P = 2**15, 8, 1
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # no '.': the cookie's separator
# Checked against when the name is unknown, so the answer takes the same time either way.
_DECOY = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43


def check_staff_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not _NAME_RE.fullmatch(name):
        raise InputError("name", "1-64 of a-z, 0-9, '_' and '-', starting with a letter or "
                         "digit")
    return name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = Scrypt(salt=salt, length=32, n=_N, r=_R, p=_P).derive(password.encode())
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches; an unknown account (None) is checked against a decoy."""
    try:
        scheme, n, r, p, salt, digest = (stored or _DECOY).split("$")
        if scheme != "scrypt":
            return False
        Scrypt(salt=_unb64(salt), length=32, n=int(n), r=int(r), p=int(p)).verify(
            password.encode(), _unb64(digest))
    except (InvalidKey, ValueError):
        return False
    return stored is not None


@dataclass(frozen=True)
class StaffSession:
    name: str
    expires: int  # Unix seconds
    cookie: str  # the signed cookie value, which CSRF tokens are bound to


class Sessions:
    """Signs and checks session cookies and CSRF tokens with one key derived from the
    service's signing key (``session_key``)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_service(cls, signing: Ed25519PrivateKey) -> Sessions:
        raw = signing.private_bytes(serialization.Encoding.Raw,
                                    serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
        key = HKDF(algorithm=SHA256(), length=32, salt=None,
                   info=b"concerndesk-frontdoor/staff-session/v1").derive(raw)
        return cls(key)

    def _mac(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).digest())

    def issue(self, name: str, now: float) -> StaffSession:
        body = f"{name}.{int(now) + SESSION_HOURS * 3600}.{_b64(secrets.token_bytes(12))}"
        cookie = f"{body}.{self._mac('session', body)}"
        return StaffSession(name, int(now) + SESSION_HOURS * 3600, cookie)

    def check(self, cookie: str | None, now: float) -> StaffSession | None:
        """The session a cookie carries, or None when it is missing, forged or expired."""
        if not cookie or len(cookie) > 300:
            return None
        body, _, mac = cookie.rpartition(".")
        if not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            name, expires, _ = body.split(".")
            if int(expires) <= now:
                return None
        except ValueError:
            return None
        return StaffSession(name, int(expires), cookie)

    def csrf(self, bound_to: str) -> str:
        """The token forms carry: bound to the session cookie (or the pre-session cookie)."""
        return self._mac("csrf", bound_to)

    def csrf_ok(self, bound_to: str | None, token: str | None) -> bool:
        return bool(bound_to and token) and hmac.compare_digest(
            str(token), self.csrf(str(bound_to)))


def new_pre_session() -> str:
    return _b64(secrets.token_bytes(18))
