"""The link to the school hub: one TLS context, and a client signed by this PC's device key."""

from __future__ import annotations

import ssl

from app.delivery.services import SERVICE_NAMES
from app.delivery.team_keys import device_fingerprint
from app.protocol.client import FrontDoorClient
from app.protocol.fingerprint import KeyBundle
from app.store.session import Session

_TLS: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """One default TLS context for every hub client: loading the system's CAs costs ~0.15 s,
    too much to repeat for each sync."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


def hub_client(url: str, session: Session, pinned: KeyBundle | None) -> FrontDoorClient:
    """A client signed by this PC's device key (already in the session: no keyring reads)."""
    return FrontDoorClient(url, session.device.signing_key, device_fingerprint(session),
                           service_bundle=pinned, timeout=20.0, verify=tls_context(),
                           name=SERVICE_NAMES["hub"])
