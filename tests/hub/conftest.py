"""One school, many PCs: a real school hub (``concerndesk-frontdoor serve`` in school mode) on
127.0.0.1 and the school's stores — the admin's DSL PC where the hub was first set, a deputy
DSL PC and two staff PCs that joined through the hub."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.clock import FakeClock, SystemClock
from app.delivery.services import set_service
from app.delivery.team_keys import device_fingerprint, ensure_team_keys
from app.hub.backfill import backfill
from app.hub.join import join_school, provision_from_hub
from app.hub.provision import approve_device
from app.hub.provisional import sign_in
from app.hub.sync import HubReport, sync_hub
from app.store.session import Session
from frontdoor import keys
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import PASSPHRASE, Service, _make_service


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    os.environ[keys.PASSPHRASE_ENV] = PASSPHRASE
    service = _make_service(tmp_path_factory.mktemp("hub"), "school", None)
    service.max_body = 1024 * 1024
    service.start()
    yield service
    service.stop()


def enrol(hub: Service, fingerprint: str, name: str) -> None:
    """What ``concerndesk-frontdoor enrol`` does, without unsealing the hub's key each time
    (tests/frontdoor covers the command itself)."""
    storage = hub.storage()
    try:
        record = storage.get_key(fingerprint)
        assert record is not None, "the device never asked to enrol"
        storage.set_key(record.bundle, name, "enrolled", SystemClock().now())
    finally:
        storage.close()


def passphrase_for(username: str) -> str:
    return ADMIN_PASS if username == "admin" else STAFF_PASS


@dataclass
class HubSchool:
    """The school's PCs by name: ``dsl`` (the admin's, first), ``deputy``, ``teacher``,
    ``teacher2`` (and any joined later)."""

    root: Path
    hub: Service
    clock: FakeClock
    main: SmallSchool
    dirs: dict[str, Path] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)

    def open(self, pc: str, username: str | None = None) -> Session:
        return sign_in(self.dirs[pc], username or pc, passphrase_for(username or pc),
                      clock=self.clock)

    def sync(self, pc: str, username: str | None = None) -> HubReport:
        with self.open(pc, username) as session:
            return sync_hub(session)

    def join(self, pc: str, purpose: str, *, approve: bool = True) -> str:
        """A new PC joins through the hub; the hub's admin enrols it and (unless told not
        to) the school's admin approves it and the new PC runs its first sync."""
        directory = self.root / pc
        joined = join_school(directory, self.hub.url, self.hub.info.fingerprint,
                             admin_fingerprint=self.fingerprints["dsl"],
                             name=f"Synthetic {pc} PC", clock=self.clock)
        self.dirs[pc], self.fingerprints[pc] = directory, joined.fingerprint
        enrol(self.hub, joined.fingerprint, f"Synthetic {pc} PC")
        if approve:
            with self.main.open("admin") as admin:
                approve_device(admin, joined.fingerprint, purpose)
                assert all(d.outcome == "receipted" for d in sync_hub(admin).sent)
            assert provision_from_hub(directory, clock=self.clock).done
        return joined.fingerprint


def make_school(root: Path, hub: Service, clock: FakeClock,
                before_hub: Callable[[SmallSchool], None] | None = None, *,
                split: bool = False) -> HubSchool:
    """``before_hub`` acts on the admin's store before the school has a hub. ``split``: the
    admin's PC keyed as ``init`` makes it now (its maker holds the DSL store until the first
    DSL signs in there); else the single-key store hub schools were made with before."""
    main = SmallSchool(root / "dsl", clock, split=split)
    if before_hub is not None:
        before_hub(main)
    school = HubSchool(root, hub, clock, main, {"dsl": main.directory})
    with main.open("admin") as admin:
        set_service(admin, "hub", hub.url, hub.info.fingerprint)
        # A keyed store's team keys were made by the first session holding its DSL store.
        assert ensure_team_keys(admin) or split
        backfill(admin)
        school.fingerprints["dsl"] = device_fingerprint(admin)
    enrol(hub, school.fingerprints["dsl"], "Synthetic DSL PC")
    school.join("deputy", "dsl")
    school.join("teacher", "staff")
    school.join("teacher2", "staff")
    return school


@pytest.fixture
def school4(tmp_path: Path, hub: Service) -> HubSchool:
    return make_school(tmp_path, hub, FakeClock())
