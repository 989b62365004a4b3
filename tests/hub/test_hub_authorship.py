"""Forged authorship through the school hub (issue #15, "Must show"): a teacher with a shell on
a staff PC, holding their own passphrase and the PC's device key, sends a concern in another
teacher's name; the DSL PC refuses it and audits it. Honest concerns still arrive, and an
account whose verifier is from before format 2 is taken as before but audited as not
verifiable, until its verifier is upgraded and its staff PC certifies it (docs/keys.md)."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from app.clock import FakeClock, iso
from app.domain.attachments import add_attachment
from app.hub.authorship import UNVERIFIABLE, sign_records, version_message
from app.hub.provisional import sign_in
from app.hub.replicate import Snapshot, queue_to_team, user_rows
from app.hub.sync import sync_hub
from app.store.authorship import CERT, RESEND
from app.store.keyfile import KeyFile
from app.store.keys import b64e
from app.store.session import Session
from app.store.verifier import load_verifiers
from tests.conftest import STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, make_school
from tests.hub.test_hub_sync import record

FORGED = "the concern claims to be by teacher2 but is not signed by their key"


def _user_id(session: Session, username: str) -> str:
    return str(session.conn.execute("SELECT id FROM users WHERE username = ?", (username,)
                                    ).fetchone()[0])


def _in_the_name_of(session: Session, payload: dict[str, Any], victim: str, *,
                    signed_by_me: bool) -> dict[str, Any]:
    """The attacker's own concern rewritten as a new one by ``victim``: new ids, the victim as
    author of the record, its version and its status. ``signed_by_me``: signed as honestly as
    the attacker can, by their own personal key with their own certificate."""
    forged = copy.deepcopy(payload)
    forged["by"] = victim
    forged["users"] = user_rows(session.conn, [victim, session.user.id])
    r = forged["records"][0]
    r.update(id=str(uuid.uuid4()), created_by=victim)
    for v in r["versions"]:
        v.update(id=str(uuid.uuid4()), author_id=victim, summary="Forged FORGEDMARK")
        v.pop("signature", None)
    for s in r["statuses"]:
        s.update(id=str(uuid.uuid4()), actor_id=victim)
    if signed_by_me:
        assert session.held.personal is not None and "author" in r
        for v in r["versions"]:
            v["signature"] = b64e(session.held.personal.signing.sign(version_message(r, v)))
    else:
        r.pop("author", None)
    return forged


def _refused_as_forged(session: Session) -> int:
    return int(session.conn.execute(
        "SELECT count(*) FROM audit WHERE action = 'sync' AND detail LIKE '%refused%' AND "
        "detail LIKE ?", (f"%{FORGED}%",)).fetchone()[0])


def _file_in_the_name_of(session: Session, victim: str, record_id: str) -> dict[str, Any]:
    """A file the attacker attaches to the victim's concern as if the victim had added it."""
    data = b"FORGEDFILE"
    meta = {"id": str(uuid.uuid4()), "record_id": record_id, "filename": "note.txt",
            "media_type": "text/plain", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "added_by": victim,
            "added_at": iso(session.clock.now())}
    return {"v": 1, "type": "attachment-chunk", "users": user_rows(session.conn, [victim]),
            "attachment": meta, "index": 0, "count": 1, "data": b64e(data)}


def test_a_concern_forged_through_the_hub_in_another_teachers_name_is_refused(
        school4: HubSchool) -> None:
    with school4.open("teacher2") as teacher2:  # the victim has claimed their account
        theirs = record(teacher2, "The victim's own concern")
    school4.sync("teacher2")
    school4.sync("dsl")
    with school4.open("teacher") as attacker:
        honest = record(attacker, "Honest concern HONESTMARK")
        add_attachment(attacker, honest, "honest.txt", b"HONESTFILE")
        victim = _user_id(attacker, "teacher2")
        snap = Snapshot(attacker.conn, attacker.user.id)
        snap.add_record(honest)
        sign_records(attacker, snap.records)
        forgeries = [_in_the_name_of(attacker, snap.payload(), victim, signed_by_me=signed)
                     for signed in (False, True)]
        with attacker.tx():  # put on the hub with this PC's device key, as its sync would
            for forged in forgeries:
                queue_to_team(attacker, "dsl", "record", forged, "record",
                              forged["records"][0]["id"])
            queue_to_team(attacker, "dsl", "attachment",
                          _file_in_the_name_of(attacker, victim, theirs), "attachment", None)
    school4.sync("teacher")
    school4.sync("dsl")

    with school4.open("dsl") as dsl:
        ids = {r[0] for r in dsl.conn.execute("SELECT id FROM records")}
        assert honest in ids  # the attacker's honest concern still arrives
        assert not ids & {f["records"][0]["id"] for f in forgeries}
        # The victim's name is on their own concern only, and on nothing forged.
        by_victim = dsl.conn.execute("SELECT count(*) FROM records WHERE created_by = ?",
                                     (victim,)).fetchone()[0]
        assert by_victim == 1
        assert not dsl.conn.execute("SELECT 1 FROM record_versions WHERE summary LIKE "
                                    "'%FORGEDMARK%'").fetchone()
        assert _refused_as_forged(dsl) == 2
        files = {r[0]: r[1] for r in dsl.conn.execute("SELECT record_id, data FROM attachments")}
        assert files == {honest: b"HONESTFILE"}
        assert dsl.conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'sync' AND detail LIKE ?",
            ("%the file claims to be by teacher2 but is not signed by their key%",)
        ).fetchone()[0] == 1


def _verifier_from_before_v2(username: str) -> Any:
    def act(main: SmallSchool) -> None:
        with main.open("admin") as admin, admin.tx() as conn:
            user_id = _user_id(admin, username)
            verifier = load_verifiers(conn)[user_id]
            del verifier["signing"]
            conn.execute("UPDATE user_verifiers SET verifier = ? WHERE user_id = ?",
                         (json.dumps(verifier, sort_keys=True), user_id))
            conn.execute("DELETE FROM verifier_signing_keys WHERE user_id = ?", (user_id,))
    return act


def test_an_account_with_an_old_verifier_is_audited_until_it_is_upgraded_and_certified(
        tmp_path: Path, hub: Service) -> None:
    school = make_school(tmp_path, hub, FakeClock(),
                         before_hub=_verifier_from_before_v2("teacher2"))
    with school.open("teacher2") as teacher2:  # claimed with the old verifier: no certificate
        assert CERT not in KeyFile.load(school.dirs["teacher2"]).users["teacher2"]
        before = record(teacher2, "Written before the upgrade")
    school.sync("teacher2")
    school.sync("dsl")
    with school.open("dsl") as dsl:
        assert dsl.conn.execute("SELECT 1 FROM records WHERE id = ?", (before,)).fetchone()
        assert dsl.conn.execute("SELECT count(*) FROM audit WHERE action = 'sync' AND detail "
                                "LIKE ?", (f"%{UNVERIFIABLE}%",)).fetchone()[0] == 1

    # Their next sign-in on the admin's PC upgrades the verifier, which travels to every PC.
    with sign_in(school.dirs["dsl"], "teacher2", STAFF_PASS, clock=school.clock):
        pass
    school.sync("dsl")
    with school.open("teacher2") as teacher2:
        sync_hub(teacher2)  # brings the upgraded verifier; this session holds no certificate
        assert "signing" in load_verifiers(teacher2.conn)[teacher2.user.id]
        between = record(teacher2, "Written before the next sign-in")
        sync_hub(teacher2)
    school.sync("dsl")
    with school.open("dsl") as dsl:  # now checkable, and not signed: refused
        assert not dsl.conn.execute("SELECT 1 FROM records WHERE id = ?", (between,)).fetchone()
        assert _refused_as_forged(dsl) == 1

    # The next sign-in on the staff PC certifies its key and sends its concerns again, signed.
    school.sync("teacher2")
    entry = KeyFile.load(school.dirs["teacher2"]).users["teacher2"]
    assert CERT in entry and RESEND not in entry
    school.sync("dsl")
    with school.open("dsl") as dsl:
        assert dsl.conn.execute("SELECT 1 FROM records WHERE id = ?", (between,)).fetchone()
    school.sync("teacher2")  # certified once: no new resend at later sign-ins
    with school.open("teacher2") as teacher2:
        assert teacher2.conn.execute("SELECT count(*) FROM outbox WHERE state != 'receipted'"
                                     ).fetchone()[0] == 0
