"""Admin → Services: the LA front door and the school hub, each set by its address and the key
fingerprint its own admin reads out; this PC's fingerprint, to read back to them; and once a hub
is set, the PCs of this school (``ui.devices_widget``).

``app.delivery.services.set_service`` fetches the service's key and refuses one whose fingerprint
does not match (nothing is saved): that message appears at the fingerprint field. The hub is set as
``hub set`` sets it (``app.hub.devices.set_hub``): an admin's first hub also makes the team keys,
so this PC can approve others.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.delivery.identity import store_identity
from app.delivery.services import ROLES, Service, get_service, set_service
from app.errors import InputError, NotFound
from app.hub.devices import HubSet, set_hub
from app.protocol.client import FingerprintMismatch
from ui.devices_widget import SchoolPcsBox
from ui.errors import FieldMessage, message_for
from ui.keys import save_key
from ui.ops import Db

NAMES = {"frontdoor": "LA front door", "hub": "School hub"}
PURPOSE = {"frontdoor": "where approved referrals go (the local authority's service)",
           "hub": "keeps the DSL team's PCs in step (the school's own service)"}


def _services(session: Any) -> tuple[str, dict[str, Service | None]]:
    found: dict[str, Service | None] = {}
    for role in ROLES:
        try:
            found[role] = get_service(session, role)
        except NotFound:
            found[role] = None
    return store_identity(session.store_id).fingerprint, found


class ServiceBox(QGroupBox):
    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(f"{NAMES[role]}: {PURPOSE[role]}", parent)
        self.role = role
        self.current = QLabel("Not set up.", self)
        self.current.setWordWrap(True)
        self.current.setAccessibleName(f"{NAMES[role]} now")
        self.url = QLineEdit(self)
        self.url.setAccessibleName(f"{NAMES[role]} address")
        self.url.setPlaceholderText("https://…")
        self.fingerprint = QLineEdit(self)
        self.fingerprint.setAccessibleName(f"{NAMES[role]} key fingerprint")
        self.fingerprint.setPlaceholderText("as read out or printed by its admin")
        self.messages = {"url": FieldMessage(self), "fingerprint": FieldMessage(self)}
        self.messages["url"].clear_when_changed(self.url)
        self.messages["fingerprint"].clear_when_changed(self.fingerprint)
        self.saved: Service | None = None
        self.save = QPushButton("Check and save the front &door" if role == "frontdoor" else
                                "Check and save the sc&hool hub", self)
        self.save.setAccessibleName(f"Check and save the {NAMES[role]}")
        save_key(self.save, self)
        form = QFormLayout(self)
        form.addRow(self.current)
        form.addRow("Address", self.url)
        form.addRow("", self.messages["url"])
        form.addRow("Key fingerprint", self.fingerprint)
        form.addRow("", self.messages["fingerprint"])
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addStretch(1)
        form.addRow("", buttons)

    def show_service(self, service: Service | None, *, fill: bool = True) -> None:
        self.saved = service
        if service is None:
            self.current.setText("Not set up.")
            return
        self.current.setText(f"Set up: {service.url} · fingerprint {service.fingerprint}")
        if fill:
            self.url.setText(service.url)
            self.fingerprint.setText(service.fingerprint)

    def clear_messages(self) -> None:
        for message in self.messages.values():
            message.clear_message()

    def say(self, error: BaseException) -> None:
        """At the field it concerns: a mismatched key at the fingerprint, the rest at the URL."""
        if isinstance(error, FingerprintMismatch):
            field = "fingerprint"
        elif isinstance(error, InputError) and error.field in self.messages:
            field = error.field
        else:
            field = "url"
        self.messages[field].say(message_for(error))
        (self.fingerprint if field == "fingerprint" else self.url).setFocus()


class ServicesTab(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        intro = QLabel("Enter each service's address and the key fingerprint its admin gives "
                       "you (read aloud or printed). ConcernDesk fetches the service's key and "
                       "trusts it only if the fingerprints match. Then read this PC's "
                       "fingerprint to that admin so they can enrol it. Without them "
                       "ConcernDesk works fully offline.", self)
        intro.setWordWrap(True)
        self.own = QLineEdit(self)
        self.own.setReadOnly(True)
        self.own.setAccessibleName("This PC's fingerprint")
        own_row = QFormLayout()
        own_label = QLabel("&This PC's fingerprint", self)
        own_label.setBuddy(self.own)
        own_row.addRow(own_label, self.own)
        self.boxes = {role: ServiceBox(role, self) for role in ROLES}
        for role, box in self.boxes.items():
            box.save.clicked.connect(lambda _checked=False, r=role: self.save(r))
        self.pcs = SchoolPcsBox(db, self)
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.addWidget(intro)
        inner.addLayout(own_row)
        for box in self.boxes.values():
            inner.addWidget(box)
        inner.addWidget(self.pcs)
        inner.addStretch(1)
        # The PCs' list and form make it taller than a small screen.
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setAccessibleName("Services and school PCs")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)

    def refresh(self) -> None:
        self.db.op(self, _services).success(self._show).run()
        self.pcs.refresh()

    def _show(self, result: tuple[str, dict[str, Service | None]]) -> None:
        own, services = result
        self.own.setText(own)
        for role, box in self.boxes.items():
            box.show_service(services.get(role))

    def save(self, role: str) -> None:
        box = self.boxes[role]
        box.clear_messages()
        url, fingerprint = box.url.text(), box.fingerprint.text()
        if not fingerprint.strip():
            box.say(InputError("fingerprint", "give the fingerprint its admin read out"))
            return
        box.setEnabled(False)
        box.current.setText("Fetching the service's key and checking its fingerprint…")

        def done(result: Service | HubSet) -> None:
            box.setEnabled(True)
            made = ""
            if isinstance(result, HubSet):
                if result.made_team_keys:
                    made = (" This PC made the DSL team's and the office's keys, so PCs that "
                            "join are approved here; its existing records "
                            f"({result.queued} envelopes) go to the DSL team's PCs.")
                result = result.service
                self.pcs.refresh()
            box.show_service(result)
            self.db.notify(f"The {NAMES[role]} is set up. Read this PC's fingerprint to its "
                           f"admin so they can enrol it.{made}")
            self.db.changed.emit()  # the sync thread starts using it

        def failed(error: BaseException) -> None:
            box.setEnabled(True)
            box.show_service(box.saved, fill=False)  # nothing was saved; what was typed stays
            box.say(error)

        def save(session: Any) -> Service | HubSet:
            if role == "hub":
                return set_hub(session, url, fingerprint)
            return set_service(session, role, url, fingerprint)

        self.db.op(self, save).success(done).failure(failed).run()
