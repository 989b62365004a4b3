"""The school hub keeps each PC's latest audit head, so a PC whose store comes back older (an
old copy of its files put back, or events cut from the end and the head re-signed) is caught
at its next sync, before it sends or takes anything.

Each sync round, before anything else, the PC asks the hub which heads it keeps for it and
checks that its own trail still runs through each one (the event at that seq has that hash:
each hash covers every event before it). Then it reports its current heads, which the hub
keeps when newer and refuses (``rolled-back``) when older or forked. Either way a store that
does not run through what the hub saw is refused: the sync stops, nothing is sent, and the
refusal is audited. Another process on this PC may report a newer head between our two
requests; a refusal naming a head our trail runs through is that, not a roll-back.

A store restored from a backup on purpose (``app/store/backup.py`` audits the restore) is
older than the hub saw too: the hub's administrator acknowledges it with
``concerndesk-frontdoor acknowledge-restore``, the hub forgets the heads it kept for that PC,
and the next sync starts again from the restored store's head. docs/hub-sync.md says more.
"""

from __future__ import annotations

from app.delivery.team_keys import device_fingerprint
from app.protocol.client import AuditHead, FrontDoorClient, HeadRolledBack
from app.store.audit import holds_event, latest
from app.store.session import Session

SCHEMAS = {"school": "main", "dsl": "dsl"}


def _chains(session: Session) -> dict[str, str]:
    """The chains this session holds: the school store's, and the DSL team's when open."""
    return {c: s for c, s in SCHEMAS.items() if s == "main" or session.held.dsl_store_open}


def local_heads(session: Session) -> list[AuditHead]:
    heads = []
    for chain, schema in _chains(session).items():
        last = latest(session.conn, schema)
        if last is not None:
            heads.append(AuditHead(chain, *last))
    return heads


def rolled_back_words(kept: AuditHead, fingerprint: str) -> str:
    trail = " of the DSL team's trail" if kept.chain == "dsl" else ""
    return (f"This PC's store is older than the copy the school hub last saw (event "
            f"{kept.seq}{trail}): it may have been restored from an old file or tampered with. "
            "Tell your DSL or the school's admin; nothing has been sent. (If the school's "
            "admin restored it from a backup on purpose, the hub's administrator runs "
            f"'concerndesk-frontdoor acknowledge-restore --fingerprint {fingerprint}'.)")


def check_heads(session: Session, client: FrontDoorClient) -> str | None:
    """None when this PC's trails run through every head the hub kept (it now keeps the
    current ones); else the words for people, with the refusal audited. Network errors pass
    to the caller, as for the rest of a sync."""
    chains = _chains(session)
    ours = {h.chain: h for h in local_heads(session)}
    behind = next((k for k in client.audit_heads() if k.chain in chains
                   and not holds_event(session.conn, k.seq, k.hash, chains[k.chain])), None)
    if behind is None and ours:
        try:
            client.report_audit_heads(list(ours.values()))
        except HeadRolledBack as exc:
            kept = exc.kept
            if kept.chain not in chains or not holds_event(session.conn, kept.seq, kept.hash,
                                                           chains[kept.chain]):
                behind = kept
    if behind is None:
        return None
    mine = ours.get(behind.chain)
    with session.tx():
        session.audit("sync", "audit-head", behind.chain, outcome="rolled-back",
                      hub_seq=behind.seq, seq=mine.seq if mine else 0)
    return rolled_back_words(behind, device_fingerprint(session))
