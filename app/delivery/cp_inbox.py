"""CP files and their answers arriving from another ConcernDesk school (issue #19), taken from
the LA front door's inbox at a DSL PC's sync beside the LA's answers (la_answers.py).

A ``cp-file`` is taken only when its sender is a school the front door's directory lists as
enrolled and its signature verifies with that school's key, and it opens with a DSL team key
this PC holds and reads as a CP file. It then waits in the DSL store (``incoming_files``) for
the DSL to accept or reject it (cp_decide.py), and a signed ``received`` answer is queued to
the sender, in one transaction. A file that came in chunks (payload.py) is read with every
chunk fetched from the front door by id, each verified as the file's own (same sender, same
key, its signature), and kept with its bytes put inline; while a chunk has not arrived the file
waits, off the cursor, in ``WAITING_META`` and is tried again at each sync (``retry_waiting``):
nothing of it is kept and no answer goes back until the whole verifies, and one still incomplete
after ``WAIT_DAYS`` is refused. A ``cp-file-answer`` is taken only from the school the file was
sent to (the key pinned when it was sent) and for a transfer this school sent: it becomes the
transfer's next step and an entry in the child's chronology. Anything else is refused and
audited, nothing of it is kept, and the cursor moves past it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from app.clock import iso, parse_iso
from app.delivery.identity import store_identity
from app.delivery.inbox_marks import already_applied, mark_applied
from app.delivery.la_answers import AnswerReceived, Refused, dsl_team_keys, set_cursor
from app.delivery.outbox import enqueue
from app.delivery.services import Service
from app.domain.chronology import add_entry
from app.domain.pupils import child_by_upn
from app.errors import ConcernDeskError, InputError, NotFound
from app.identifiers import normalise_upn
from app.protocol.client import DirectoryEntry, FrontDoorClient, InboxItem
from app.protocol.client import Refused as ServiceRefused
from app.protocol.cp_file import (
    ANSWER_KIND,
    CHUNK_KIND,
    FILE_KIND,
    CpAnswer,
    read_cp_answer,
    read_cp_file,
    seal_cp_answer,
)
from app.protocol.envelope import Envelope, EnvelopeError, open_payload, parse, verify_signature
from app.protocol.fingerprint import KeyBundle, KeyPairs
from app.protocol.payload import Chunk, inlined, read_chunk, read_referral
from app.store.session import Session
from app.transfer.model import add_step, load
from app.wording import date_text

Directory = Callable[[], list[DirectoryEntry]]
WAITING_META = "cp_files_waiting"  # {envelope id: first seen}: files whose chunks are not all in
WAIT_DAYS = 14  # a chunk not at the front door by then is not coming: the file is refused


class Waiting(ConcernDeskError):
    """A chunked file whose chunks have not all reached the front door yet."""


def directory_once(client: FrontDoorClient) -> Directory:
    """The front door's directory, asked for at most once per sync round."""
    kept: list[list[DirectoryEntry]] = []

    def get() -> list[DirectoryEntry]:
        if not kept:
            kept.append(client.directory())
        return kept[0]
    return get


def _open(item: InboxItem, sender_key: Callable[[Envelope], KeyBundle],
          keys: list[KeyPairs]) -> tuple[Envelope, bytes]:
    try:
        env = parse(item.body)
        if env.id != item.id:
            raise Refused("the front door listed it under another id")
        held = {p.fingerprint: p for p in keys}.get(env.header.recipient)
        if held is None:
            raise Refused("it is not sealed to a DSL team key this PC holds")
        verify_signature(env, sender_key(env).signing_key())
        return env, open_payload(env, held.hpke)
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None


def answer_to(session: Session, team_text: str, answer: CpAnswer, service: Service,
              object_id: str) -> None:
    """Queues a signed answer to the other school's DSL team key; inside a transaction."""
    body = seal_cp_answer(answer, store_identity(session.store_id).fingerprint,
                          session.device.signing_key, KeyBundle.from_text(team_text))
    enqueue(session, [body], service.fingerprint, "incoming-file", object_id)


def _applied(session: Session, item: InboxItem) -> None:
    """Inside the applying transaction; ``_stop_waiting`` follows once it has committed
    (app/delivery/inbox_marks.py)."""
    mark_applied(session, item.id, item.kind)
    if item.cursor:  # a waiting file tried again is past the cursor already
        set_cursor(session, item.cursor)


def _waiting(session: Session) -> dict[str, str]:
    found = json.loads(session.meta(WAITING_META) or "{}")
    return found if isinstance(found, dict) else {}


def _unwait(session: Session, envelope_id: str) -> None:
    waiting = _waiting(session)
    if waiting.pop(envelope_id, None) is not None:
        session.set_meta(WAITING_META, json.dumps(waiting, sort_keys=True))


def _stop_waiting(session: Session, envelope_id: str) -> None:
    """After the transaction that applied it has committed."""
    if envelope_id in _waiting(session):
        with session.tx():
            _unwait(session, envelope_id)


def _chunks(client: FrontDoorClient, env: Envelope, sender: KeyBundle, keys: list[KeyPairs],
            ids: list[str]) -> dict[str, Chunk]:
    """The file's chunks from the front door, each checked as this file's own; ``Waiting``
    while any has not arrived, ``Refused`` when one is not what it should be."""
    held = {p.fingerprint: p for p in keys}[env.header.recipient]  # _open found it
    found: dict[str, Chunk] = {}
    for number, cid in enumerate(ids, 1):
        try:
            body = client.fetch(cid)
        except ServiceRefused as exc:
            if exc.status == 404:  # not uploaded yet (or never will be: WAIT_DAYS)
                continue
            raise
        try:
            piece = parse(body)
            if piece.id != cid or piece.header.kind != CHUNK_KIND \
                    or piece.header.sender != env.header.sender \
                    or piece.header.recipient != env.header.recipient:
                raise Refused(f"chunk {number} of {len(ids)} is not one of this file's")
            verify_signature(piece, sender.signing_key())
            found[cid] = read_chunk(open_payload(piece, held.hpke))
        except EnvelopeError as exc:
            raise Refused(f"chunk {number} of {len(ids)}: {exc.reason}") from None
    if len(found) < len(ids):
        raise Waiting(f"{len(ids) - len(found)} of its {len(ids)} chunks have not reached the "
                      "LA front door yet")
    return found


def _take_file(session: Session, item: InboxItem, service: Service, keys: list[KeyPairs],
               directory: Directory, client: FrontDoorClient) -> str:
    def sender_key(env: Envelope) -> KeyBundle:
        found = [e for e in directory() if e.fingerprint == env.header.sender]
        if not found or found[0].status != "enrolled":
            raise Refused("its sender is not a school enrolled at the LA front door")
        return found[0].bundle

    env, payload = _open(item, sender_key, keys)
    try:
        ids = read_referral(payload).chunk_ids
        if ids:
            payload = inlined(payload, _chunks(client, env, sender_key(env), keys, ids))
        cp = read_cp_file(payload)
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None
    child, team = cp.child, cp.payload.reply_to
    assert team is not None  # read_cp_file refuses a file without it
    # A school at another LA's front door (issue #19) is named with that LA, as the directory
    # this file was verified against names it.
    at = next((e.at for e in directory() if e.fingerprint == env.header.sender), "")
    school = f"{cp.from_school} (at {at})" if at else cp.from_school
    name = " ".join(str(child.get(k) or "") for k in ("legal_forename", "legal_surname"))
    incoming_id = str(uuid.uuid4())
    with session.tx():
        session.conn.execute(
            "INSERT INTO incoming_files (id, envelope_id, sender_transfer, peer, peer_team, "
            "school, child_name, child_upn, received_at, payload) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (incoming_id, env.id, cp.transfer_id, env.header.sender, team.to_text(),
             school,
             name.strip() or "(no name)", normalise_upn(str(child["upn"])),
             iso(session.clock.now()), payload))
        answer_to(session, team.to_text(),
                  CpAnswer(cp.transfer_id, "received", "", session.school_name,
                           session.user.display_name, session.clock.now()), service,
                  incoming_id)
        on_roll = _child_with(session, str(child["upn"]))
        if on_roll is not None:  # the arrival is in their chronology before the decision
            add_entry(session, [on_roll], "contact",
                      f"CP file from {school} arrived through the LA front door: "
                      "waiting for the DSL team to accept or reject it.", session.clock.now())
        _applied(session, item)
        session.audit("sync", "cp-file", incoming_id, outcome="received", envelope=item.id,
                      sender=env.header.sender, entries=len(cp.entries),
                      attachments=len(cp.payload.attachments))
    return f"CP file from {school}: waiting to be accepted or rejected"


def _child_with(session: Session, upn: str) -> str | None:
    try:
        return child_by_upn(session, upn).id
    except (NotFound, InputError):
        return None


def _take_answer(session: Session, item: InboxItem, keys: list[KeyPairs]) -> str:
    def sender_key(env: Envelope) -> KeyBundle:
        row = session.conn.execute("SELECT peer_bundle FROM transfer_peers WHERE peer = ? "
                                   "LIMIT 1", (env.header.sender,)).fetchone()
        if row is None:
            raise Refused("it comes from a school this school sent no CP file to")
        return KeyBundle.from_text(row[0])

    env, payload = _open(item, sender_key, keys)
    try:
        answer = read_cp_answer(payload)
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None
    row = session.conn.execute("SELECT 1 FROM transfer_peers WHERE transfer_id = ? AND peer = ?",
                               (answer.transfer, env.header.sender)).fetchone()
    if row is None:
        raise Refused("it answers a CP file this school did not send to that school")
    transfer = load(session, answer.transfer)
    if transfer.step(answer.status) is not None:
        with session.tx():
            _applied(session, item)
        return f"already {answer.status}"
    with session.tx():
        if transfer.step("sent") is None:  # their answer came before the front door's receipt
            add_step(session, transfer.id, "sent", "their answer came first")
        if answer.status != "received" and transfer.step("received") is None:
            # Answers are uploaded side by side and may arrive in any order: a signed decision
            # is a receipt too, and the separate receipt, when it comes, changes nothing.
            add_step(session, transfer.id, "received", "signed with their decision")
        add_step(session, transfer.id, answer.status, answer.note or None)
        said = {"received": "received the CP file (their signed receipt)",
                "accepted": "accepted the CP file into their records",
                "rejected": f"rejected the CP file: {answer.note or 'no reason given'}"}
        add_entry(session, [transfer.child_id], "contact",
                  f"{transfer.school} {said[answer.status]} ({answer.by}, "
                  f"{date_text(answer.at.date())}).", session.clock.now(),
                  significant=answer.status == "rejected")
        _applied(session, item)
        session.audit("sync", "cp-file-answer", item.id, outcome="applied",
                      transfer=transfer.id, status=answer.status)
    return f"{transfer.school} {answer.status} the CP file"


def receive_cp(session: Session, item: InboxItem, service: Service, keys: list[KeyPairs],
               client: FrontDoorClient) -> AnswerReceived:
    """One ``cp-file`` or ``cp-file-answer`` from the front door's inbox, applied once; a
    ``chunk`` is passed over (its file fetches it by id)."""
    if item.kind == CHUNK_KIND:
        with session.tx():
            set_cursor(session, item.cursor)
        return AnswerReceived(item.id, item.kind, "already", "a piece of a CP file")
    if already_applied(session, item.id):
        with session.tx():
            set_cursor(session, item.cursor)
        return AnswerReceived(item.id, item.kind, "already", "recorded before")
    try:
        if item.kind == FILE_KIND:
            detail = _take_file(session, item, service, keys, directory_once(client), client)
        elif item.kind == ANSWER_KIND:
            detail = _take_answer(session, item, keys)
        else:
            raise Refused(f"a '{item.kind}' envelope is not a CP file")
    except Waiting as exc:
        with session.tx():
            waiting = _waiting(session)
            waiting.setdefault(item.id, iso(session.clock.now()))
            session.set_meta(WAITING_META, json.dumps(waiting, sort_keys=True))
            set_cursor(session, item.cursor)
            session.audit("sync", FILE_KIND, item.id, outcome="waiting", reason=str(exc))
        return AnswerReceived(item.id, item.kind, "waiting", f"CP file: {exc}; it is taken at "
                              "a later sync, once every chunk has arrived")
    except (Refused, InputError) as exc:
        with session.tx():
            set_cursor(session, item.cursor)
            session.audit("sync", item.kind if item.kind in (FILE_KIND, ANSWER_KIND)
                          else "envelope", item.id, outcome="refused", reason=str(exc))
        return AnswerReceived(item.id, item.kind, "refused", str(exc))
    _stop_waiting(session, item.id)
    return AnswerReceived(item.id, item.kind, "applied", detail)


def retry_waiting(session: Session, client: FrontDoorClient,
                  service: Service) -> list[AnswerReceived]:
    """Each file waiting for its chunks, tried again (its chunks are fetched by id, whether or
    not the inbox has reached them): taken once whole, refused and audited when it is not
    what it should be or still incomplete after WAIT_DAYS. Network errors reach the caller."""
    keys = dsl_team_keys(session)
    results = []
    for envelope_id, since in sorted(_waiting(session).items(), key=lambda kv: kv[1]):
        if already_applied(session, envelope_id):  # taken, then stopped before it stopped waiting
            _stop_waiting(session, envelope_id)
            continue
        try:
            body = client.fetch(envelope_id)
            item = InboxItem("", envelope_id, FILE_KIND, "", "", parse_iso(since), body)
            detail = _take_file(session, item, service, keys, directory_once(client), client)
            _stop_waiting(session, envelope_id)
            results.append(AnswerReceived(envelope_id, FILE_KIND, "applied", detail))
        except Waiting as exc:
            if session.clock.now() - parse_iso(since) < timedelta(days=WAIT_DAYS):
                results.append(AnswerReceived(envelope_id, FILE_KIND, "waiting",
                                              f"CP file: {exc}"))
                continue
            results.append(_refuse_waiting(session, envelope_id, f"{exc} after {WAIT_DAYS} "
                                           "days: ask the sending school to send it again"))
        except ServiceRefused as exc:
            if exc.status != 404:
                raise
            results.append(_refuse_waiting(session, envelope_id,
                                           "the LA front door no longer holds it"))
        except (Refused, InputError) as exc:
            results.append(_refuse_waiting(session, envelope_id, str(exc)))
    return results


def _refuse_waiting(session: Session, envelope_id: str, reason: str) -> AnswerReceived:
    with session.tx():
        _unwait(session, envelope_id)
        session.audit("sync", FILE_KIND, envelope_id, outcome="refused", reason=reason)
    return AnswerReceived(envelope_id, FILE_KIND, "refused", reason)
