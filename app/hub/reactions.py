"""What the hub does when the domain reports a change (``Session.changed``): it queues the
envelopes that replicate it, in the same transaction (docs/hub-sync.md). The domain never calls
the hub; the programs that open a store (the desktop app, ``concerndesk-cli``, the test suite)
call ``install`` once at start-up.
"""

from __future__ import annotations

from app.hub import keyed_dsl_pc, keyed_pc, sealing, team_rotation
from app.hub.provision import replicate_accounts
from app.hub.replicate import (
    replicate_destruction,
    replicate_flags,
    replicate_leaving,
    replicate_pack,
    replicate_profile,
    replicate_record,
    replicate_referral,
    replicate_retention,
    replicate_roster,
)
from app.hub.replicate_attachments import replicate_attachment, resend_signed
from app.store.session import Session, on_change, on_open

_ONE_EACH = {
    "record": replicate_record,  # a concern or entry recorded, amended, triaged or assigned
    "flags": replicate_flags,  # a child's flag set or cleared
    "profile": replicate_profile,  # a child's profile imported or edited
    "referral": replicate_referral,  # created, edited, approved, released, queued, receipted
    "pack": replicate_pack,  # released for print: to the office print queue
    "attachment": replicate_attachment,  # a file attached: to the DSL team, in chunks
    "retention": replicate_retention,  # a review decision: extend, hold, release
    "destruction": replicate_destruction,  # a child's file destroyed at review
    "leaving": replicate_leaving,  # a child left or came back; a CP-file transfer's step
}


def react(session: Session, kind: str, ids: tuple[str, ...]) -> None:
    """Queues what replicates one reported change; a kind the hub does not replicate is
    ignored."""
    if kind == "roster":
        replicate_roster(session, ids)
    elif kind == "accounts":
        replicate_accounts(session)  # to the PCs that joined
        team_rotation.owe_if_dsl_left(session)  # a DSL gone: a new DSL team pair owed
    elif kind in _ONE_EACH:
        for object_id in ids:
            _ONE_EACH[kind](session, object_id)


def install() -> None:
    """Makes every open session's reported changes replicate, seals what an account without
    the DSL store writes (app/hub/sealing.py) and keys a staff PC provisioned before staff PCs
    were keyed (app/hub/keyed_pc.py) and a DSL PC from before DSL PCs were (app/hub/
    keyed_dsl_pc.py); idempotent."""
    on_change(sealing.react, seals=True)
    on_change(react)
    on_open(sealing.on_sign_in)
    on_open(keyed_pc.key_staff_pc)  # a staff PC from before keyed staff PCs: keyed now
    on_open(keyed_dsl_pc.key_dsl_pc)  # a DSL PC from before keyed DSL PCs: split now
    on_open(resend_signed)  # after the sealed copies filled the workspace (sign_in above)
