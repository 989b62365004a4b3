"""CP files and their answers arriving from another ConcernDesk school (issue #19), taken from
the LA front door's inbox at a DSL PC's sync beside the LA's answers (la_answers.py).

A ``cp-file`` is taken only when its sender is a school the front door's directory lists as
enrolled and its signature verifies with that school's key, and it opens with a DSL team key
this PC holds and reads as a CP file. It then waits in the DSL store (``incoming_files``) for
the DSL to accept or reject it (cp_decide.py), and a signed ``received`` answer is queued to
the sender, in one transaction. A ``cp-file-answer`` is taken only from the school the file was
sent to (the key pinned when it was sent) and for a transfer this school sent: it becomes the
transfer's next step and an entry in the child's chronology. Anything else is refused and
audited, nothing of it is kept, and the cursor moves past it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from app.clock import iso
from app.delivery.identity import store_identity
from app.delivery.la_answers import AnswerReceived, Refused, set_cursor
from app.delivery.outbox import enqueue
from app.delivery.services import Service
from app.domain.chronology import add_entry
from app.domain.pupils import child_by_upn
from app.errors import InputError, NotFound
from app.identifiers import normalise_upn
from app.protocol.client import DirectoryEntry, FrontDoorClient, InboxItem
from app.protocol.cp_file import (
    ANSWER_KIND,
    FILE_KIND,
    CpAnswer,
    read_cp_answer,
    read_cp_file,
    seal_cp_answer,
)
from app.protocol.envelope import Envelope, EnvelopeError, open_payload, parse, verify_signature
from app.protocol.fingerprint import KeyBundle, KeyPairs
from app.store.session import Session
from app.transfer.model import add_step, load
from app.wording import date_text

Directory = Callable[[], list[DirectoryEntry]]


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
    session.conn.execute("INSERT INTO inbox_applied (envelope_id, kind, applied_at) VALUES "
                         "(?,?,?)", (item.id, item.kind, iso(session.clock.now())))
    set_cursor(session, item.cursor)


def _take_file(session: Session, item: InboxItem, service: Service, keys: list[KeyPairs],
               directory: Directory) -> str:
    def sender_key(env: Envelope) -> KeyBundle:
        found = [e for e in directory() if e.fingerprint == env.header.sender]
        if not found or found[0].status != "enrolled":
            raise Refused("its sender is not a school enrolled at the LA front door")
        return found[0].bundle

    env, payload = _open(item, sender_key, keys)
    try:
        cp = read_cp_file(payload)
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None
    child, team = cp.child, cp.payload.reply_to
    assert team is not None  # read_cp_file refuses a file without it
    name = " ".join(str(child.get(k) or "") for k in ("legal_forename", "legal_surname"))
    incoming_id = str(uuid.uuid4())
    with session.tx():
        session.conn.execute(
            "INSERT INTO incoming_files (id, envelope_id, sender_transfer, peer, peer_team, "
            "school, child_name, child_upn, received_at, payload) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (incoming_id, env.id, cp.transfer_id, env.header.sender, team.to_text(),
             cp.from_school,
             name.strip() or "(no name)", normalise_upn(str(child["upn"])),
             iso(session.clock.now()), payload))
        answer_to(session, team.to_text(),
                  CpAnswer(cp.transfer_id, "received", "", session.school_name,
                           session.user.display_name, session.clock.now()), service,
                  incoming_id)
        on_roll = _child_with(session, str(child["upn"]))
        if on_roll is not None:  # the arrival is in their chronology before the decision
            add_entry(session, [on_roll], "contact",
                      f"CP file from {cp.from_school} arrived through the LA front door: "
                      "waiting for the DSL team to accept or reject it.", session.clock.now())
        _applied(session, item)
        session.audit("sync", "cp-file", incoming_id, outcome="received", envelope=item.id,
                      sender=env.header.sender, entries=len(cp.entries),
                      attachments=len(cp.payload.attachments))
    return f"CP file from {cp.from_school}: waiting to be accepted or rejected"


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
    """One ``cp-file`` or ``cp-file-answer`` from the front door's inbox, applied once."""
    if session.conn.execute("SELECT 1 FROM inbox_applied WHERE envelope_id = ?",
                            (item.id,)).fetchone():
        with session.tx():
            set_cursor(session, item.cursor)
        return AnswerReceived(item.id, item.kind, "already", "recorded before")
    try:
        if item.kind == FILE_KIND:
            detail = _take_file(session, item, service, keys, directory_once(client))
        elif item.kind == ANSWER_KIND:
            detail = _take_answer(session, item, keys)
        else:
            raise Refused(f"a '{item.kind}' envelope is not a CP file")
    except (Refused, InputError) as exc:
        with session.tx():
            set_cursor(session, item.cursor)
            session.audit("sync", item.kind if item.kind in (FILE_KIND, ANSWER_KIND)
                          else "envelope", item.id, outcome="refused", reason=str(exc))
        return AnswerReceived(item.id, item.kind, "refused", str(exc))
    return AnswerReceived(item.id, item.kind, "applied", detail)
