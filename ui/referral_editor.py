"""Referrals (DSL): a form prefilled from the child's record, the chronology entries to send,
the consent section; then approve, release for print (the office's queue) or send to the LA
front door, with each referral's delivery state (queued, refused, received with the receipt's
time). Built over ``app.domain.referrals``, ``app.delivery.referral`` and ``app.delivery.outbox``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock, parse_iso
from app.delivery import la_routes
from app.delivery.outbox import OutboxItem
from app.delivery.outbox import items as outbox_items
from app.delivery.outcomes import LaAnswerEvent, la_answers
from app.delivery.referral import queue_referral
from app.delivery.status import summary as sync_summary
from app.domain import referrals as core
from app.domain.chronology import ChronologyItem, chronology
from app.domain.la_profiles import LaProfile, chosen_profile, editor_layout
from app.domain.pupils import child_by_id
from app.domain.referral_form import FIELDS, SECTIONS
from app.errors import InputError, InputErrors, NotFound
from app.pack.assembly import PrintedMark, printed_marks, release_referral
from ui.chronology_model import KIND_WORDS, first_line
from ui.clipboard import Clipboard
from ui.errors import FieldMessage, message_for
from ui.keys import save_key
from ui.ops import Db
from ui.referral_form_widget import ReferralFormWidget
from ui.referral_routes import RouteButtons
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading

STATUS_WORDS = {"draft": "Draft", "approved": "Approved by the DSL",
                "released": "Released to the office for print", "queued": "Queued for the LA",
                "sent": "Sent to the LA", "receipted": "Received by the LA",
                "rejected": "Rejected by the LA"}


NO_FRONT_DOOR_SHORT = "Cannot send: no LA front door is set up (Admin → Services)."
NO_FRONT_DOOR = ("No LA front door is set up on this PC, so referrals cannot be sent yet. "
                 "Ask your admin to set up the LA front door (Admin → Services).")
Loaded = tuple[Any, Any, list[ChronologyItem], list[OutboxItem], bool, list[PrintedMark],
               LaProfile, la_routes.RouteState, list[LaAnswerEvent]]


def deliveries(session: Any) -> dict[str, list[OutboxItem]]:
    """Each referral's envelopes in the outbox, in the order they go."""
    found: dict[str, list[OutboxItem]] = {}
    for item in outbox_items(session):
        if item.object_type == "referral" and item.object_id:
            found.setdefault(item.object_id, []).append(item)
    return found


def received_at(item: OutboxItem) -> str | None:
    """When the LA's signed receipt says it arrived (the receipt was verified on delivery)."""
    try:
        return local_time(parse_iso(json.loads(item.receipt or "")["received"]))
    except (ValueError, KeyError, TypeError):
        return None


def delivery_state(envelopes: Iterable[OutboxItem]) -> tuple[str, str]:
    """(a word for the list, a sentence for the editor) for one referral's envelopes."""
    envelopes = list(envelopes)
    if not envelopes:
        return "", "Not sent to the LA front door."
    refused = [e for e in envelopes if e.state == "failed"]
    if refused:
        why = refused[-1].last_error or "no reason given"
        return "Refused by the LA", (f"Refused by the LA front door: {why}. When that is put "
                                     "right, use Sync now (Alt+Y) to send it again.")
    if all(e.state == "receipted" for e in envelopes):
        when = received_at(envelopes[-1]) or "an unknown time"
        return (f"Received by the LA {when}",
                f"Received by the LA front door at {when} (signed receipt).")
    waiting = next((e.last_error for e in envelopes if e.last_error), None)
    return "Queued for the LA", ("Queued for the LA front door: it goes with the next sync."
                      + (f" Last try: {waiting}." if waiting else ""))


def _load(session: Any, referral_id: str) -> Loaded:
    referral = core.get_referral(session, referral_id)
    return (referral, child_by_id(session, referral.child_id),
            chronology(session, referral.child_id), deliveries(session).get(referral.id, []),
            "frontdoor" in sync_summary(session).services,
            printed_marks(session, referral.id), chosen_profile(session),
            la_routes.route_state(session, referral.id), la_answers(session, referral.id))


class ReferralsPage(QWidget):
    def __init__(self, db: Db, *, clock: Clock | None = None, clipboard: Clipboard | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.clipboard = clipboard or Clipboard()
        self.referral: Any = None
        self.profile: LaProfile | None = None  # the school's LA, as the form is laid out
        self.route_state = la_routes.RouteState()
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Referrals", self))
        self.model = RowsModel([
            Column("Child", lambda r: r[1]),
            Column("Status", lambda r: delivery_state(r[2])[0] or
                   STATUS_WORDS.get(r[0].status, r[0].status)),
            Column("Updated", lambda r: local_time(r[0].updated_at, with_time=False)),
        ], self)
        self.table = rows_table(self.model, "Referrals", self, fit="contents", stretch_last=True)
        self.table.activated.connect(self._open_selected)
        self.table.clicked.connect(self._open_selected)

        editor = QWidget(self)
        self.title = heading("Choose a referral, or “Build a referral” on a child's page",
                             editor, 1.15)
        self.title.setWordWrap(True)
        self.status = QLabel(editor)
        self.delivery = QLabel(editor)
        self.delivery.setWordWrap(True)
        self.delivery.setAccessibleName("Delivery to the LA front door")
        self.route = QLabel(editor)
        self.route.setWordWrap(True)
        self.route.setAccessibleName("How the referral was sent, the LA's reference and outcome")
        self.message = FieldMessage(editor)
        self.form = ReferralFormWidget(FIELDS, SECTIONS, editor)
        self.entries = QListWidget(editor)
        self.entries.setAccessibleName("Chronology entries to include")
        self.entries.setMinimumHeight(self.fontMetrics().height() * 10)
        self.save_button = QPushButton("&Save draft", editor)
        self.save_button.clicked.connect(self.save)
        save_key(self.save_button, self)
        self.approve_button = QPushButton("Appro&ve", editor)
        self.approve_button.clicked.connect(self.approve)
        self.release_button = QPushButton("Release for &print", editor)
        self.release_button.clicked.connect(self.release)
        self.queue_button = QPushButton("Send to the LA front &door", editor)
        self.queue_button.clicked.connect(self.queue)
        self.frontdoor_set = False
        self.queue_reason = QLabel(NO_FRONT_DOOR_SHORT, editor)  # why "Send" is greyed out
        self.queue_reason.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.approve_button, self.release_button,
                       self.queue_button):
            buttons.addWidget(button)
        buttons.addWidget(self.queue_reason, 1)
        # The routes to an LA without our front door, and what ends every route.
        self.routes = RouteButtons(db, self.clipboard, self._failed,
                                   lambda rid: self.open_referral(rid), editor)
        body = QVBoxLayout(editor)
        body.addWidget(self.title)
        body.addWidget(self.status)
        body.addWidget(self.delivery)
        body.addWidget(self.route)
        body.addWidget(self.message)
        body.addWidget(self.form)
        body.addWidget(QLabel("<b>Chronology entries to send</b> (Space ticks or unticks)",
                              editor))
        body.addWidget(self.entries)
        scroll = QScrollArea(self)
        scroll.setAccessibleName("The referral form")
        scroll.setWidgetResizable(True)
        scroll.setWidget(editor)
        self.editor = editor
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.routes)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([440, 800])
        layout.addWidget(splitter, 1)
        self._show_buttons()
        db.synced.connect(self._synced)

    # -- lists and loading ---------------------------------------------------------------------
    def refresh(self) -> None:
        def load(session: Any) -> list[tuple[Any, str, list[OutboxItem]]]:
            rows, sent = core.list_referrals(session), deliveries(session)
            names = {r.child_id: child_by_id(session, r.child_id).display_name for r in rows}
            return [(r, names[r.child_id], sent.get(r.id, [])) for r in rows]

        self.db.op(self, load).success(self.model.set_rows).run()

    def _open_selected(self) -> None:
        row = self.model.row(self.table.currentIndex())
        if row is not None:
            self.open_referral(row[0].id)

    def open_referral(self, referral_id: str) -> None:
        self.db.op(self, lambda s: _load(s, referral_id)).success(self._show).run()

    def start_for_child(self, child_id: str) -> None:
        """Opens the child's draft referral, or starts one prefilled from the record."""
        def start(session: Any) -> Loaded:
            drafts = [r for r in core.list_referrals(session, child_id) if r.status == "draft"]
            referral = drafts[0] if drafts else core.create_referral(session, child_id)
            return _load(session, referral.id)

        self.db.op(self, start).success(self._show).run()

    def _synced(self) -> None:
        """A sync round ended: a sent referral's state may have moved on (its form is read-only,
        so nothing typed is lost by reloading it). Only then: reading is audited."""
        if self.isVisible() and self.referral is not None and \
                self.referral.status in ("queued", "sent"):
            self.open_referral(self.referral.id)

    def _show(self, loaded: Loaded) -> None:
        (referral, child, items, envelopes, self.frontdoor_set, printed, profile,
         self.route_state, answers) = loaded
        self.referral = referral
        self._arrange(profile)
        self.route.setText(f"<b>{profile.name}</b>: {profile.route_words}; phone "
                           f"{profile.phone_in_hours} (out of hours "
                           f"{profile.phone_out_of_hours}).<br>{self.route_state.summary}")
        sentence = delivery_state(envelopes)[1]
        if not envelopes and profile.route != "frontdoor":
            sentence = ""  # the LA takes it another way: its route is shown below
        elif not envelopes and referral.status in ("approved", "released") and \
                not self.frontdoor_set:
            sentence = NO_FRONT_DOOR
        # The LA's acknowledgement and decision, as its signed answers said (issue #18).
        sentence += "".join(f"\n{a.text}" for a in answers)
        self.delivery.setVisible(bool(sentence))
        self.delivery.setText(sentence)
        self.title.setText(f"Referral for {child.display_name}")
        self.status.setText(f"Status: {STATUS_WORDS.get(referral.status, referral.status)} · "
                            f"version {referral.version} · fields marked * are needed to "
                            "approve" + "".join(f" · {m.text}" for m in printed))
        self.message.clear_message()
        self.form.set_form(referral.form)
        self.entries.clear()
        chosen = set(referral.entry_ids)
        for item in items:
            if item.is_status:  # goes with its concern: chosen with it
                continue
            line = QListWidgetItem(f"{local_time(item.occurred_at)} · "
                                   f"{KIND_WORDS.get(item.kind, item.kind)} · "
                                   f"{first_line(item.summary, 100)}")
            line.setData(Qt.ItemDataRole.UserRole, item.record_id)
            line.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable |
                          Qt.ItemFlag.ItemIsSelectable)
            line.setCheckState(Qt.CheckState.Checked if item.record_id in chosen
                               else Qt.CheckState.Unchecked)
            self.entries.addItem(line)
        self._show_buttons()
        self.refresh()

    def _arrange(self, profile: LaProfile) -> None:
        """The form as the school's LA asks it: its sections, order and wording."""
        if self.profile is not None and self.profile == profile:
            return
        self.profile = profile
        new = ReferralFormWidget(FIELDS, SECTIONS, self.editor,
                                 arrangement=editor_layout(profile))
        body = self.editor.layout()
        assert body is not None  # made in __init__
        body.replaceWidget(self.form, new)
        self.form.deleteLater()
        self.form = new

    def _show_buttons(self) -> None:
        status = self.referral.status if self.referral is not None else None
        route = self.profile.route if self.profile is not None else None
        self.routes.show_state(self.referral, self.profile, self.route_state)
        self.save_button.setEnabled(status in ("draft", "approved", "released"))
        self.approve_button.setEnabled(status == "draft")
        self.release_button.setEnabled(status in ("approved", "released"))
        ready = status in ("approved", "released")
        self.queue_button.setEnabled(ready and self.frontdoor_set)
        self.queue_reason.setVisible(ready and not self.frontdoor_set and route == "frontdoor")
        self.queue_button.setToolTip(
            NO_FRONT_DOOR if ready and not self.frontdoor_set else
            "Seals the approved referral for the LA front door and queues it; sync delivers it "
            "and keeps the LA's receipt")
        self.form.setEnabled(status in ("draft", "approved", "released"))

    # -- actions -------------------------------------------------------------------------------
    def _chosen_entries(self) -> list[str]:
        return [self.entries.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.entries.count())
                if self.entries.item(i).checkState() == Qt.CheckState.Checked]

    def _then(self, action: Any) -> None:
        if self.referral is None:
            return
        self.form.clear_messages()
        self.message.clear_message()
        pairs, entry_ids = self.form.assignments(), self._chosen_entries()
        referral_id = self.referral.id

        def run(session: Any) -> Loaded:
            # The whole form is re-applied through the core's checks, then the action.
            core.update_referral(session, referral_id, pairs, entry_ids, replace={})
            if action is not None:
                action(session, referral_id)
            return _load(session, referral_id)

        self.db.op(self, run).success(self._done).failure(self._failed).run()

    def _done(self, loaded: Loaded) -> None:
        self._show(loaded)
        if loaded[0].status == "queued":
            self.db.changed.emit()  # sync sends it now rather than within the minute
        words = {"draft": "The referral was saved as a draft.",
                 "approved": "The referral is approved. Release it for print or queue it.",
                 "released": "Released: the office will find the pack in their print queue.",
                 "queued": "Queued for the LA front door: it is being sent now."}
        self.db.notify(words.get(loaded[0].status, "Saved."))

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, NotFound) and "front door" in str(error):
            self.message.say(NO_FRONT_DOOR)
            return
        if isinstance(error, InputErrors):
            self.message.say(error.summary)
            for problem in error.problems:
                name, _sep, rest = problem.partition(":")
                self.form.say(name.strip(), rest.strip() or problem)
            return
        if isinstance(error, InputError) and self.form.say(error.field, message_for(error)):
            self.message.say("Check the fields marked ⚠.")
            return
        self.message.say(message_for(error))

    def save(self) -> None:
        self._then(None)

    def approve(self) -> None:
        self._then(core.approve_referral)

    def release(self) -> None:
        self._then(release_referral)

    def queue(self) -> None:
        if self.referral is not None and not self.frontdoor_set:
            self.message.say(NO_FRONT_DOOR)  # the core would refuse it too
            return
        self._then(queue_referral)
