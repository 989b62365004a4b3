"""Sending a child's CP file to another ConcernDesk school through the LA front door (issue #19).

The receiving school is found in the front door's directory (the schools it enrolled, each with
the DSL team keys it proved it holds), by name or by a fingerprint its DSL read out: the
school's own or its DSL team key's. The file — the chronology pack PDF and, as the DSL chooses
(everything by default), its JSON twin, every attachment and the child's profile, gathered as
for the encrypted pack (app/transfer/outgoing.py) — is one ``cp-file`` envelope sealed to that
DSL team key, signed by this school's key, and queued in the outbox, which delivers it exactly
once. A file too large for one envelope goes as a referral does: its large files in ``chunk``
envelopes sealed and signed alike, queued before the ``cp-file`` envelope that lists them.
The transfer is ``prepared`` now and ``sent`` when the front door's signed receipt for the
``cp-file`` envelope comes back (outbox.py); the receiving school's answers come back as
``cp-file-answer`` envelopes (cp_inbox.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.delivery.identity import store_identity
from app.delivery.outbox import enqueue
from app.delivery.services import get_service, make_client
from app.delivery.team_keys import team_bundle
from app.domain.chronology import add_entry
from app.domain.pupils import child_by_id
from app.errors import ConcernDeskError, InputError
from app.protocol.cp_file import FILE_KIND, transfer_extra
from app.protocol.envelope import EnvelopeError
from app.protocol.fingerprint import KeyBundle, normalise_fingerprint
from app.protocol.payload import CHUNK_SIZE, INLINE_LIMIT, Attachment, seal_referral
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import add_step, create
from app.transfer.outgoing import FileParts, gather

# Ways to seal, tried in turn: everything inline in one envelope when it fits (the usual
# small file); else files over INLINE_LIMIT in chunks; else every file in chunks (many small
# attachments that together overflow the one envelope).
INLINE_LIMITS = (2**62, INLINE_LIMIT, 0)


@dataclass(frozen=True)
class Destination:
    name: str
    fingerprint: str  # the school's own key: its answers are signed by it
    bundle: KeyBundle
    team: KeyBundle  # its DSL team key: the file is sealed to it
    at: str = ""  # the LA whose front door enrolled it, when not this school's own (issue #19)

    @property
    def label(self) -> str:
        return f"{self.name} (at {self.at})" if self.at else self.name


def school_directory(session: Session) -> list[Destination]:
    """The schools the LA front door enrolled that can receive a CP file (they hold a DSL
    team key), other than this one, then those of the LA front doors it trusts (each with
    ``at``, that LA's name). Asks the front door (network)."""
    session.require(Perm.ADD_ENTRY)
    service = get_service(session, "frontdoor")
    with make_client(service.url, session, service.bundle) as client:
        entries = client.directory()
    own = store_identity(session.store_id).fingerprint
    return [Destination(e.name, e.fingerprint, e.bundle, e.team_keys[0], e.at) for e in entries
            if e.status == "enrolled" and e.team_keys and e.fingerprint != own]


def choose(schools: list[Destination], *, name: str | None = None,
           fingerprint: str | None = None) -> Destination:
    """The destination named, or ``InputError`` saying why none is."""
    if fingerprint:
        try:
            wanted = normalise_fingerprint(fingerprint)
        except InputError:
            raise InputError("to-fingerprint", "is not a key fingerprint: read it again from "
                             "the receiving DSL (concerndesk-cli identity, or the DSL team "
                             "key they read out)") from None
        found = [s for s in schools if wanted in (s.fingerprint, s.team.fingerprint)]
        if not found:
            raise InputError("to-fingerprint", "no school enrolled at this LA front door has "
                             "that fingerprint: check it with the receiving DSL, or make an "
                             "encrypted pack (transfer pack) for a school outside it")
        return found[0]
    wanted_name = " ".join((name or "").split()).casefold()
    if not wanted_name:
        raise InputError("to-school", "name the receiving school or give its fingerprint")
    found = [s for s in schools if s.name.casefold() == wanted_name]
    if len(found) > 1:
        raise InputError("to-school", "more than one school has that name ("
                         + ", ".join(sorted(s.label for s in found)) + "): give the "
                         "receiving DSL's fingerprint instead (--to-fingerprint)")
    if not found:
        known = ", ".join(sorted(s.label for s in schools)) or "none yet"
        raise InputError("to-school", "is not a school enrolled at this LA front door, or at "
                         "one it trusts, that can receive a CP file (those that can: "
                         f"{known}); for a school on another product make an encrypted pack "
                         "(transfer pack)")
    return found[0]


def send_file(session: Session, child_id: str, to: Destination,
              without: tuple[str, ...] = ()) -> str:
    """Seals the child's file to ``to`` and queues it; returns the transfer id."""
    session.require(Perm.READ_ALL_RECORDS)
    session.require(Perm.ADD_ENTRY)
    service = get_service(session, "frontdoor")
    own = store_identity(session.store_id).fingerprint
    if to.fingerprint == own:
        raise InputError("to-school", "that is this school: choose the school the child joins")
    reply_to = team_bundle(session.conn, "dsl")
    if reply_to is None:
        raise ConcernDeskError("This store has no DSL team key yet, so the receiving school "
                               "could not answer: set the school hub or front door first.")
    child = child_by_id(session, child_id)
    now = session.clock.now()
    got = gather(session, child, without, now)
    from app.pack import render_pack  # reportlab only when a PDF is made

    pdf = render_pack(got.data, generated_at=now)
    with session.tx():
        transfer_id = create(session, child.id, "out", "concerndesk", to.name, list(got.parts))
        envelopes = _seal(session, got, child.upn, pdf, own, to, reply_to, transfer_id)
        # The cp-file envelope comes last, after its chunks: it is the one the answers name.
        envelope_id = enqueue(session, envelopes, service.fingerprint, "transfer",
                              transfer_id)[-1]
        session.conn.execute(
            "INSERT INTO transfer_peers (transfer_id, envelope_id, peer, peer_bundle, "
            "peer_team) VALUES (?,?,?,?,?)", (transfer_id, envelope_id, to.fingerprint,
                                               to.bundle.to_text(), to.team.to_text()))
        add_step(session, transfer_id, "prepared")
        add_entry(session, [child.id], "action",
                  f"CP file sent to {to.name} through the LA front door, sealed to their DSL "
                  "team's key: " + "; ".join(got.contents) + ". Waiting for their receipt.",
                  now)
        session.audit("export", "cp-file", transfer_id, parts=list(got.parts),
                      attachments=len(got.attachments), to=to.fingerprint,
                      envelope=envelope_id, envelopes=len(envelopes))
    return transfer_id



def _seal(session: Session, got: FileParts, upn: str, pdf: bytes, own: str, to: Destination,
          reply_to: KeyBundle, transfer_id: str) -> list[bytes]:
    """The file's envelopes, chunks first: as few as fit under the envelope limit."""
    for inline_limit in INLINE_LIMITS:
        try:
            return seal_referral(
                got.twin or {"child": {"upn": upn}}, pdf,
                [Attachment(n, m, d) for n, m, d in got.attachments], own,
                session.device.signing_key, to.team, reply_to=reply_to, kind=FILE_KIND,
                pdf_name="chronology.pdf", inline_limit=inline_limit, chunk_size=CHUNK_SIZE,
                extra=transfer_extra(transfer_id, session.school_name, list(got.parts),
                                     got.profile))
        except EnvelopeError:
            continue  # over the limit this way: chunk more of it
    raise InputError("file", "cannot be sent through the front door even in chunks (its "
                     "chronology alone is over one envelope): leave parts out (--without), "
                     "or make an encrypted pack (transfer pack)")
