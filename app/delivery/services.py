"""The services this store talks to: the LA front door and the school hub, pinned by key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from app.clock import iso
from app.errors import InputError, NotFound
from app.protocol.fingerprint import KeyBundle, normalise_fingerprint
from app.store.roles import Perm
from app.store.session import Session

if TYPE_CHECKING:  # httpx loads only when a service is contacted, not at app start-up
    from app.protocol.client import FrontDoorClient

ROLES = ("frontdoor", "hub")
# How messages for people name each service ("The hub is busy: …").
SERVICE_NAMES = {"frontdoor": "The LA front door", "hub": "The hub"}
# The hub's body limit as it last told us (``set_service`` and ``sync_hub`` ask); replication
# sizes attachment chunks under it (app/hub/replicate.py).
HUB_LIMIT_META = "hub_max_body"
ClientFactory = Callable[[str, Session, "KeyBundle | None"], "FrontDoorClient"]


@dataclass(frozen=True)
class Service:
    role: str
    url: str
    fingerprint: str
    bundle: KeyBundle


def check_url(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise InputError("url", "give the service's address, e.g. https://frontdoor.example.org")
    return url.strip().rstrip("/")


def make_client(url: str, session: Session, pinned: KeyBundle | None) -> FrontDoorClient:
    from app.protocol.client import FrontDoorClient

    # The session already holds the device keys: no keyring read per sync round.
    device = KeyBundle(session.device.signing_public(), session.device.hpke_public())
    return FrontDoorClient(url, session.device.signing_key, device.fingerprint,
                           service_bundle=pinned, timeout=20.0, name=SERVICE_NAMES["frontdoor"])


def set_service(session: Session, role: str, url: str, fingerprint: str,
                client_factory: ClientFactory = make_client) -> Service:
    """Fetches the service's key; saves it only if it matches the fingerprint given, then asks
    the service to enrol this device (an administrator there approves it by fingerprint)."""
    # An admin sets either; a DSL may set the front door their referrals go to.
    if role == "hub" or not session.can(Perm.MANAGE_REFERRALS):
        session.require(Perm.MANAGE_SETTINGS)
    if role not in ROLES:
        raise InputError("service", "frontdoor or hub")
    if role == "hub" and session.held.split and not session.held.dsl_store_open:
        # Setting the hub makes (or takes) the team keys and sends the history to the DSL
        # team: on a store with a DSL store, only a session holding it can.
        raise InputError("service", "an admin who also holds the DSL store sets the school "
                         "hub (a DSL admin, or the store's maker before the first DSL signs "
                         "in): it carries the DSL team's key (docs/keys.md)")
    url, expected = check_url(url), normalise_fingerprint(fingerprint)
    with client_factory(url, session, None) as client:
        client.name = SERVICE_NAMES[role]
        key = client.check_service(expected)
        client.request_enrolment(KeyBundle(session.device.signing_public(),
                                           session.device.hpke_public()), session.school_name)
    if role == "frontdoor" and key.mode != "la":
        raise InputError("url", "that service is a school hub, not an LA front door")
    if role == "hub" and key.mode != "school":
        raise InputError("url", "that service is an LA front door, not a school hub")
    with session.tx() as conn:
        conn.execute("INSERT INTO services (role, url, fingerprint, key_bundle, set_by, set_at) "
                     "VALUES (?,?,?,?,?,?) ON CONFLICT (role) DO UPDATE SET url = excluded.url,"
                     " fingerprint = excluded.fingerprint, key_bundle = excluded.key_bundle, "
                     "inbox_cursor = NULL, set_by = excluded.set_by, set_at = excluded.set_at",
                     (role, url, key.fingerprint, json.dumps(key.bundle.to_json()),
                      session.user.id, iso(session.clock.now())))
        session.audit("settings", "service", role, url=url, fingerprint=key.fingerprint)
        if role == "hub":  # attachments are chunked to fit it from the first (replicate.py)
            session.set_meta(HUB_LIMIT_META, str(key.max_body))
    return get_service(session, role)


def find_service(session: Session, role: str) -> Service | None:
    """The service set for ``role``, or None."""
    try:
        return get_service(session, role)
    except NotFound:
        return None


def get_service(session: Session, role: str) -> Service:
    row = session.conn.execute("SELECT role, url, fingerprint, key_bundle FROM "
                               "services WHERE role = ?", (role,)).fetchone()
    if row is None:
        what = "LA front door" if role == "frontdoor" else "school hub"
        raise NotFound(f"No {what} is set up yet (concerndesk-cli {role} set).")
    return Service(row[0], row[1], row[2], KeyBundle.from_json(json.loads(row[3])))
