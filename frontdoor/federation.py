"""Two LA front doors that trust each other (issue #19): each lists the other's enrolled schools
in its directory, and relays CP files between them.

Trust is explicit on both sides (``peers add`` with the other front door's URL and the
fingerprint of its service key, checked out of band), and mutual in effect: a front door
answers a peer's calls only while it trusts that peer, so one side alone sees nothing.

**Directory.** A front door asks each trusted peer for its directory (``GET /v1/directory``,
signed with this front door's service key) and keeps the answer in memory: asked again when a
school reads the directory and the copy is older than ``FRESH`` seconds, not before
``BACKOFF`` seconds after a failed ask, and a peer that is down leaves its last copy in use
(for up to ``STALE`` seconds) and never breaks the local directory. The peer signs its answer
with its service key over the request's nonce (``ANSWER_SIGNATURE``), so neither a network in
between nor a replayed old answer can add or bring back a school. A school fingerprint or a
DSL team key also enrolled here, or listed by two peers, is left out: it could not be routed.

**Relay.** An envelope a local school sends to a team key a peer's school holds goes to that
peer as it is (``PUT /v1/relay/{id}``, signed by this front door); this front door gives its
own receipt only once the peer's verified receipt is in, and the peer stores by envelope id, so
a relay cut off and tried again (the school's outbox retries) stores nothing twice.
"""

from __future__ import annotations

import base64
import json
import math
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import InputError
from app.protocol import httpsig
from app.protocol.client import FrontDoorClient, FrontDoorError, Refused
from app.protocol.fingerprint import KeyBundle, normalise_fingerprint
from frontdoor.keys import ServiceInfo
from frontdoor.peer_storage import PeerRecord
from frontdoor.storage import Storage

ANSWER_SIGNATURE = "ConcernDesk-Answer-Signature"
DIRECTORY_DOMAIN = b"concerndesk-peer-directory-v1"
FRESH = 5.0  # a peer's directory younger than this is used without asking again
BACKOFF = 30.0  # after a failed ask, the peer is not asked again for this long
STALE = 24 * 3600.0  # a down peer's last directory is used for at most this long
TIMEOUT = 10.0  # seconds for a directory ask, so a hung peer cannot hold a school's sync
RELAY_TIMEOUT = 60.0  # an envelope is up to 8 MiB


class PeerUnavailable(FrontDoorError):
    """A peer front door did not answer, or answered what does not check out (or its CA file
    cannot be read here): worth trying again later."""

    retryable = True


@dataclass(frozen=True)
class PeerSchool:
    """A school enrolled at a peer front door, as its directory gave it."""

    peer: str  # the peer front door's fingerprint
    fingerprint: str
    name: str
    status: str  # enrolled | removed
    bundle: KeyBundle
    team_keys: tuple[KeyBundle, ...]
    updated: str


@dataclass
class _Copy:
    schools: list[PeerSchool] = field(default_factory=list)
    fetched: float = -math.inf
    failed: float = -math.inf


def sign_answer(signing_key: Ed25519PrivateKey, nonce: str, body: bytes) -> str:
    """The signature a front door puts on the directory it gives a peer: over the nonce of the
    peer's request and the body, so the answer is for that request only."""
    message = DIRECTORY_DOMAIN + b"\x00" + nonce.encode("ascii") + b"\x00" + body
    return base64.b64encode(signing_key.sign(message)).decode("ascii")


def _tls(peer: PeerRecord) -> ssl.SSLContext | bool:
    """The peer's certificate is checked with the CA file its operator gave, else the system's."""
    if not peer.ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=peer.ca_file)
    except (OSError, ssl.SSLError):
        raise PeerUnavailable(f"cannot read its CA file {peer.ca_file}") from None


def _schools(peer: str, obj: Any) -> list[PeerSchool]:
    try:
        found = [PeerSchool(peer=peer, fingerprint=normalise_fingerprint(k["fingerprint"]),
                            name=str(k["name"]), status=str(k["status"]),
                            bundle=KeyBundle.from_json(k["bundle"]),
                            team_keys=tuple(KeyBundle.from_json(t)
                                            for t in k.get("team_keys", [])),
                            updated=str(k.get("updated", "")))
                 for k in obj["keys"]]
    except (KeyError, TypeError, AttributeError, InputError) as exc:
        raise PeerUnavailable(f"its directory is malformed: {exc}") from None
    if any(s.bundle.fingerprint != s.fingerprint for s in found):
        raise PeerUnavailable("its directory has a fingerprint that does not match its keys")
    return found


class Federation:
    """The peers' directories as this front door last saw them, and the relay to them. Its
    methods block on the network: routes call them through ``Service.db`` (a worker thread)."""

    def __init__(self, info: ServiceInfo, signing_key: Ed25519PrivateKey, storage: Storage,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.info, self._key, self.storage, self._clock = info, signing_key, storage, clock
        self._copies: dict[str, _Copy] = {}

    # the peers' directories -----------------------------------------------------------------

    def fetch(self, peer: PeerRecord) -> list[PeerSchool]:
        """Asks ``peer`` for its directory now; ``Refused`` when it does not trust this front
        door, ``PeerUnavailable`` when it cannot be reached or its answer does not check."""
        import httpx

        with httpx.Client(base_url=peer.url.rstrip("/"), timeout=TIMEOUT, verify=_tls(peer),
                          follow_redirects=False) as http:
            request = http.build_request("GET", "/v1/directory")
            raw_path, _, query = request.url.raw_path.decode("ascii").partition("?")
            headers = httpsig.sign_request("GET", raw_path, query, b"", self.info.fingerprint,
                                           self._key, service=peer.fingerprint)
            request.headers.update(headers)
            nonce = httpsig.parse_signature(request.headers).nonce
            try:
                response = http.send(request)
            except httpx.HTTPError as exc:
                raise PeerUnavailable(f"cannot reach it ({type(exc).__name__})") from None
        if 400 <= response.status_code < 500 and response.status_code != 429:
            try:
                detail = str(response.json()["detail"])
            except (ValueError, KeyError, TypeError):
                detail = response.reason_phrase
            raise Refused(response.status_code, "refused", detail)
        if response.status_code != 200:
            raise PeerUnavailable(f"it answered HTTP {response.status_code}")
        try:
            signature = base64.b64decode(response.headers.get(ANSWER_SIGNATURE, ""),
                                         validate=True)
            message = DIRECTORY_DOMAIN + b"\x00" + nonce.encode("ascii") + b"\x00" \
                + response.content
            peer.bundle.signing_key().verify(signature, message)
        except (ValueError, InvalidSignature):
            raise PeerUnavailable("its directory is not signed by its service key") from None
        try:
            obj = json.loads(response.content)
        except ValueError:
            raise PeerUnavailable("its directory is not JSON") from None
        return _schools(peer.fingerprint, obj)

    def schools(self, peer: PeerRecord, *, fresh: float = FRESH) -> list[PeerSchool]:
        """``peer``'s schools: the copy kept when younger than ``fresh`` seconds, else asked
        for again; a peer that is down leaves its last copy (or none) in use, and one that no
        longer trusts this front door has its copy dropped."""
        copy = self._copies.setdefault(peer.fingerprint, _Copy())
        now = self._clock()
        if now - copy.fetched < fresh or now - copy.failed < BACKOFF:
            return copy.schools if now - copy.fetched < STALE else []
        try:
            copy.schools, copy.fetched = self.fetch(peer), now
        except Refused:
            copy.schools, copy.failed = [], now
        except PeerUnavailable:
            copy.failed = now
        return copy.schools if now - copy.fetched < STALE else []

    def peer_schools(self, *, fresh: float = FRESH) -> list[PeerSchool]:
        """The schools of every trusted peer that can be routed to: those whose fingerprint or
        DSL team key is also enrolled here, or listed by two peers, are left out."""
        listed = [s for peer in self.storage.trusted_peers()
                  for s in self.schools(peer, fresh=fresh)]
        local = {k.fingerprint for k in self.storage.list_keys()}
        local_teams = {b.fingerprint for held in self.storage.team_keys().values()
                       for b in held}
        seen: dict[str, set[str]] = {}
        for s in listed:
            for fp in (s.fingerprint, *(t.fingerprint for t in s.team_keys)):
                seen.setdefault(fp, set()).add(s.peer)
        return [s for s in listed
                if s.fingerprint not in local and len(seen[s.fingerprint]) == 1
                and not any(t.fingerprint in local_teams or len(seen[t.fingerprint]) > 1
                            for t in s.team_keys)]

    def directory_entries(self) -> list[dict[str, Any]]:
        """The peers' schools as entries of this front door's directory, each saying which LA
        (peer front door) it is at."""
        names = {p.fingerprint: p.name for p in self.storage.trusted_peers()}
        return [{"fingerprint": s.fingerprint, "name": s.name, "status": s.status,
                 "bundle": s.bundle.to_json(), "updated": s.updated,
                 "team_keys": [t.to_json() for t in s.team_keys],
                 "at": {"name": names.get(s.peer, ""), "fingerprint": s.peer}}
                for s in self.peer_schools()]

    # routing --------------------------------------------------------------------------------

    def route(self, recipient: str) -> PeerRecord | None:
        """The trusted peer one of whose enrolled schools holds the team key ``recipient``;
        asked again (at most every second) when no copy kept names it."""
        for fresh in (math.inf, 1.0):
            for school in self.peer_schools(fresh=fresh):
                if school.status == "enrolled" \
                        and recipient in {t.fingerprint for t in school.team_keys}:
                    return self.storage.get_peer(school.peer)
        return None

    def untrusted_holder(self, recipient: str) -> PeerRecord | None:
        """A peer no longer trusted whose last directory named ``recipient``: to say so."""
        for fingerprint, copy in self._copies.items():
            if any(recipient in {t.fingerprint for t in s.team_keys} for s in copy.schools):
                peer = self.storage.get_peer(fingerprint)
                if peer is not None and peer.status != "trusted":
                    return peer
        return None

    def sender(self, peer: PeerRecord, fingerprint: str) -> KeyBundle | None:
        """The key of ``fingerprint`` when it is a school enrolled at ``peer`` (asked again, at
        most every second, when the copy kept does not name it)."""
        for fresh in (math.inf, 1.0):
            for school in self.schools(peer, fresh=fresh):
                if school.fingerprint == fingerprint and school.status == "enrolled":
                    return school.bundle
        return None

    def forget(self, peer: PeerRecord) -> None:
        """Drops ``peer``'s copy: it said it no longer trusts this front door."""
        self._copies[peer.fingerprint] = _Copy(failed=self._clock())

    # the relay ------------------------------------------------------------------------------

    def relay(self, peer: PeerRecord, body: bytes) -> None:
        """Gives the envelope, unchanged, to ``peer``; returns once its receipt verifies with
        the peer's pinned key. ``Refused`` when the peer refuses it; any other
        ``FrontDoorError`` when it may succeed later."""
        try:
            client = FrontDoorClient(peer.url, self._key, self.info.fingerprint,
                                     service_bundle=peer.bundle, timeout=RELAY_TIMEOUT,
                                     verify=_tls(peer), name=peer.name)
        except InputError as exc:
            raise PeerUnavailable(str(exc)) from None
        with client:
            client.relay_envelope(body)


__all__ = ["ANSWER_SIGNATURE", "Federation", "FrontDoorError", "PeerSchool", "PeerUnavailable",
           "Refused", "sign_answer"]
