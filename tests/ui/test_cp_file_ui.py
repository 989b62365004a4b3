"""The receiving DSL's accept screen for a CP file from another ConcernDesk school: a card above
the inbox, the dialog that accepts it into the child with its UPN (a chosen child with another
UPN is refused inline, nothing taken in) or rejects it. Real widgets on a real demo store; the
file is a real ``cp-file`` payload sealed and opened by the protocol code. Set
CP_FILE_SCREENSHOTS=DIR to save what they look like."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.clock import iso
from app.delivery.cp_decide import waiting_files
from app.domain.chronology import chronology
from app.domain.pupils import list_pupils
from app.protocol.cp_file import FILE_KIND, transfer_extra
from app.protocol.envelope import open_payload, parse
from app.protocol.fingerprint import KeyPairs
from app.protocol.payload import Attachment, seal_referral
from app.store.access import unlock
from tests.ui.conftest import PASSPHRASE, settle, sign_in
from ui.cp_file_dialogs import IncomingFileDialog


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("CP_FILE_SCREENSHOTS")
    if folder:
        widget.grab().save(str(Path(folder) / f"cp-file-{name}.png"))


def _file_waiting(demo_store: Path) -> tuple[str, str]:
    """A CP file from "Elm Park Primary" for a demo child, waiting; (its id, the child's id)."""
    sender, team, service = KeyPairs.generate(), KeyPairs.generate(), KeyPairs.generate()
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        child = list_pupils(session)[0]
        pack = {"child": {"upn": child.upn, "legal_forename": child.legal_forename,
                          "legal_surname": child.legal_surname},
                "chronology": [{"occurred_at": "2026-03-02T10:15:00.000000Z",
                                "recorded_at": "2026-03-02T11:00:00.000000Z",
                                "kind": "concern", "author": "Pat Elm",
                                "summary": "Came in hungry again", "significant": True}]}
        envelope = seal_referral(
            pack, b"%PDF-1.4\n% synthetic\n%%EOF\n",
            [Attachment("note.txt", "text/plain", b"synthetic")], sender.fingerprint,
            sender.signing, team.bundle, reply_to=sender.bundle, kind=FILE_KIND,
            pdf_name="chronology.pdf",
            extra=transfer_extra(str(uuid.uuid4()), "Elm Park Primary",
                                 ["chronology", "twin", "attachments"], None))[-1]
        payload = open_payload(parse(envelope), team.hpke)
        incoming_id = str(uuid.uuid4())
        now = iso(session.clock.now())
        with session.tx() as conn:
            conn.execute("INSERT INTO services (role, url, fingerprint, key_bundle, set_by, "
                         "set_at) VALUES ('frontdoor', 'http://127.0.0.1:9', ?, ?, ?, ?)",
                         (service.fingerprint, json.dumps(service.bundle.to_json()),
                          session.user.id, now))
            conn.execute("INSERT INTO incoming_files (id, envelope_id, sender_transfer, peer, "
                         "peer_team, school, child_name, child_upn, received_at, payload) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (incoming_id, str(uuid.uuid4()), str(uuid.uuid4()), sender.fingerprint,
                          sender.bundle.to_text(), "Elm Park Primary", child.legal_name,
                          child.upn, now, payload))
        return incoming_id, child.id


def test_the_receiving_dsl_accepts_a_cp_file(qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    _incoming_id, child_id = _file_waiting(demo_store)
    window = make_window()
    sign_in(qtbot, window, "dsl")
    inbox = window.workspace.show_page("inbox")
    window.resize(1200, 800)
    settle(qtbot, window)
    [card] = inbox.incoming.cards
    assert card.accessibleName().startswith("CP file from Elm Park Primary for ")
    _shot(inbox, "card")
    button = next(b for b in card.children() if getattr(b, "text", None)
                  and b.text() == "Accept or reject…")
    button.click()
    settle(qtbot, window)
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible()
                  and isinstance(d, IncomingFileDialog))
    _shot(dialog, "accept-dialog")
    # Another child: refused inline, nothing taken in.
    wrong = next(i for i in range(1, dialog.child.count())
                 if dialog.child.itemData(i) != child_id)
    dialog.child.setCurrentIndex(wrong)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert save.text() == "Accept"
    save.click()
    settle(qtbot, window)
    assert dialog.isVisible() and "UPN is not this child's UPN" in dialog.message.text()
    _shot(dialog, "accept-refused")
    dialog.child.setCurrentIndex(0)  # the child with the file's UPN
    save.click()
    settle(qtbot, window)
    assert not dialog.isVisible()
    assert not inbox.incoming.isVisible()
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        assert waiting_files(session) == []
        texts = [i.summary or "" for i in chronology(session, child_id)]
        assert any(t.startswith("From Elm Park Primary (concern, recorded by Pat Elm") and
                   "Came in hungry again" in t for t in texts)
        assert any(t.startswith("CP file received from Elm Park Primary") for t in texts)
