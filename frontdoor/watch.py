"""The watched folder (issue #18): each referral that arrives is written once to a folder the
LA's case system imports from — its PDF, its JSON twin (as ``inbox export`` writes them) and,
last, a one-line JSON "contact" record (docs/frontdoor-la.md lists its fields). The contact
record appearing is the sign that the referral's files are all there.

Exactly once, across restarts and several watcher processes: a referral is claimed with a row
lock (``Storage.claim_export``), its files are written whole (hidden temporary file, fsync,
rename, fsync of the folder), and the marker is set in the transaction that held the lock. A
watcher killed between the files and the marker lets its lock go; the next one writes the same
bytes again (a referral always gives the same files) and sets the marker, so a crash costs a
rewrite of identical files, never a second referral or a missing one.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clock import Clock, iso
from app.errors import ConcernDeskError
from app.protocol.envelope import EnvelopeError
from frontdoor.inbox import Inbox, Incomplete, write_files

log = logging.getLogger(__name__)
BATCH = 50


@dataclass(frozen=True)
class Exported:
    envelope_id: str
    outcome: str  # "exported", or "unreadable: …" (nothing written; marked so it is not retried)


def worker_name() -> str:
    """Who set a marker, for the administrator: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def contact_record(files: list[tuple[str, bytes]], envelope_id: str) -> tuple[str, bytes]:
    """The one-line contact record, from the JSON twin already made (never a second reading)."""
    document = json.loads(files[1][1])
    pack: dict[str, Any] = document.get("pack") or {}

    def part(parent: dict[str, Any], name: str) -> dict[str, Any]:
        value = parent.get(name)
        return value if isinstance(value, dict) else {}

    child, referrer, form = part(pack, "child"), part(pack, "referrer"), part(pack, "form")
    urgency, consent = part(form, "urgency"), part(form, "consent")
    envelope = document["envelope"]
    record = {
        "v": 1,
        "referral_id": envelope_id,
        "received": envelope["received"],
        "school": envelope["sender_name"],
        "school_fingerprint": envelope["sender"],
        "child_legal_forename": child.get("legal_forename"),
        "child_legal_surname": child.get("legal_surname"),
        "child_preferred_forename": child.get("preferred_forename"),
        "child_date_of_birth": child.get("date_of_birth"),
        "child_gender": child.get("gender"),
        "child_upn": child.get("upn"),
        "child_nhs_number": child.get("nhs_number"),
        "immediate_risk": urgency.get("immediate_risk"),
        "referral_kind": urgency.get("kind"),
        "consent_given": consent.get("consent_given"),
        "referrer_name": referrer.get("name"),
        "referrer_phone": referrer.get("phone"),
        "pdf_file": files[0][0],
        "json_file": files[1][0],
        "pdf_sha256": document["pdf"]["sha256"],
    }
    line = json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":")) + "\n"
    return f"referral-{envelope_id}.contact.json", line.encode()


def export_pending(inbox: Inbox, out_dir: Path, clock: Clock, worker: str, *,
                   batch: int = BATCH,
                   on_export: Callable[[Exported], None] | None = None) -> list[Exported]:
    """One pass: every referral not yet marked, each claimed, written and marked; those
    another process holds, and those whose chunks have not all arrived, are left for later."""
    done: list[Exported] = []
    storage = inbox.storage
    inbox.refresh()  # a school enrolled since the watcher started is known
    while True:
        pending = storage.pending_exports(inbox.info.fingerprint, batch)
        random.shuffle(pending)  # several watchers: each starts on a different one
        progressed = False
        for envelope_id in pending:
            try:
                with storage.claim_export(envelope_id, worker, clock.now()) as claim:
                    if claim is None:
                        continue
                    try:
                        files = inbox.pack_files(envelope_id)
                    except EnvelopeError as exc:
                        claim.outcome = f"unreadable: {exc.reason}"
                    else:
                        files.append(contact_record(files, envelope_id))
                        write_files(out_dir, files)
            except Incomplete:
                continue  # the claim was let go; its chunks may come later
            result = Exported(envelope_id, claim.outcome)
            progressed = True
            done.append(result)
            if on_export is not None:
                on_export(result)
        if not progressed or len(pending) < batch:
            return done


def watch(inbox: Inbox, out_dir: Path, clock: Clock, *, interval: float, once: bool,
          on_export: Callable[[Exported], None] | None = None) -> int:
    """Export what is pending, then (unless ``once``) look again every ``interval`` seconds
    until stopped. Returns how many referrals this process marked."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConcernDeskError(f"--out {out_dir} is a file, not a folder")
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    worker = worker_name()
    count = 0
    while True:
        count += len(export_pending(inbox, out_dir, clock, worker, on_export=on_export))
        if once:
            return count
        time.sleep(interval)


def describe(result: Exported, at: Clock) -> str:
    """The line ``inbox watch`` prints once a marker is committed (no child's data)."""
    return f"{iso(at.now())}  {result.outcome:<10} {result.envelope_id}"
