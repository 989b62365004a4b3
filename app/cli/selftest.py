"""``self-test``: proves an installed copy works end to end, on the PC it is installed on.

A technician runs it after installing (or a CI job runs it on a freshly built bundle). It uses
the real pieces a school's store uses — the OS keyring, Argon2id at its real cost, SQLCipher with
FTS5, the shipped fonts and category list, reportlab, python-bidi, pypdf's AES-256 — on a
throwaway store in a temporary directory with one invented pupil, and removes everything it made
(including its keyring entries) before it returns. It never touches the school's own store.

Headless on purpose: the desktop app adds its Qt check on top (``concerndesk --self-test``).
"""

from __future__ import annotations

import io
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from pypdf import PdfReader

    from app.domain.pupils import Child
    from app.store.session import Session

Report = Callable[[str], None]

# An invented pupil: the UPN has a valid check letter in a fictitious LA range.
_UPN = "B801200005001"
_FORENAME, _SURNAME = "Robin", "Selfcheck"
_CONCERN = "Self-test: arrived without a coat in the rain."
# Arabic script exercises the reshaper and the bidi algorithm (a compiled extension).
_CHILD_WORDS = "I am cold. أنا بردان"


class _Steps:
    """Runs named steps in order; the first failure stops the rest (they depend on it)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.ok = True

    def run(self, name: str, step: Callable[[], str]) -> None:
        if not self.ok:
            return
        started = time.perf_counter()
        try:
            detail = step()
        except Exception as exc:  # the report is the point: say what broke, keep going to cleanup
            self.ok = False
            self.report(f"FAIL {name}: {type(exc).__name__}: {exc}")
            return
        self.report(f"ok   {name}: {detail} ({time.perf_counter() - started:.2f} s)")


def run_self_test(report: Report = print) -> bool:
    """Runs every step, reporting one line per step; True when all passed."""
    report(f"ConcernDesk {__version__} self-test")
    steps = _Steps(report)
    with tempfile.TemporaryDirectory(prefix="concerndesk-selftest-") as tmp:
        state = _State(Path(tmp) / "store")
        try:
            steps.run("keyring", _check_keyring)
            steps.run("resources", _check_resources)
            steps.run("store", state.create)
            steps.run("concern", state.record)
            steps.run("search", state.search)
            steps.run("pack", state.render_pack)
            steps.run("verify", state.verify)
        finally:
            cleanup = state.cleanup()
        if cleanup:
            steps.ok = False
            report(f"FAIL cleanup: {cleanup}")
    report("self-test passed" if steps.ok else "self-test FAILED")
    return steps.ok


def _check_keyring() -> str:
    import keyring

    from app.store.device import check_keyring

    check_keyring()
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _check_resources() -> str:
    from app.domain.categories import load_categories
    from app.pack.fonts import register_fonts
    from app.paths import resources_dir

    coverage = register_fonts()
    categories = load_categories()
    if not categories:
        raise RuntimeError("the category list is empty")
    return (f"{resources_dir()}: 5 fonts ({len(coverage.body)} body glyphs), "
            f"{len(categories)} categories")


class _State:
    """The throwaway store, and what each step leaves for the next."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.store_id: str | None = None
        self.dsl_passphrase = "self test " + secrets.token_urlsafe(24)
        # Set by the steps that make them; the first failure stops the steps after it.
        self.session: Session | None = None
        self.child: Child | None = None

    def _session(self) -> Session:
        if self.session is None:
            raise RuntimeError("no store is open (an earlier step did not run)")
        return self.session

    def _child(self) -> Child:
        if self.child is None:
            raise RuntimeError("no pupil was read back (an earlier step did not run)")
        return self.child

    def create(self) -> str:
        import sqlcipher3

        from app.domain.pupils import apply_roster
        from app.domain.roster_csv import RosterRow
        from app.hub.provisional import sign_in
        from app.store.access import create_store
        from app.store.users import add_user

        admin_passphrase = "self test " + secrets.token_urlsafe(24)
        made = create_store(self.directory, school_name="Self-test School",
                            admin_username="selftest-admin",
                            admin_display_name="Self-test Admin", passphrase=admin_passphrase)
        self.store_id = made.session.store_id
        with made.session as admin:
            add_user(admin, "selftest-dsl", "Self-test DSL", "dsl", self.dsl_passphrase)
            apply_roster(admin, [RosterRow(_UPN, _FORENAME, _SURNAME, None, date(2016, 5, 4),
                                           "X", "Y5", None, 0)])
        # Unlocking again runs the real passphrase unwrap (Argon2id + the keyring's secret).
        self.session = session = sign_in(self.directory, "selftest-dsl", self.dsl_passphrase)
        version = session.conn.execute("PRAGMA cipher_version").fetchone()[0]
        return f"SQLCipher {version} (sqlite {sqlcipher3.sqlite_version}), Argon2id unlock"

    def record(self) -> str:
        from app.domain.concerns import ConcernDraft, get_concern, record_concern
        from app.domain.pupils import child_by_upn

        session = self._session()
        self.child = child = child_by_upn(session, _UPN)
        draft = ConcernDraft(children=[(child.id, "subject")], categories=["neglect"],
                             text=_CONCERN, occurred_at=datetime.now(UTC),
                             child_words=_CHILD_WORDS)
        made = record_concern(session, draft)
        back = get_concern(session, made.id)
        fields = back.latest.fields
        if fields.summary != _CONCERN or fields.child_words != _CHILD_WORDS:
            raise RuntimeError("the concern read back differs from what was written")
        return "recorded and read back"

    def search(self) -> str:
        from app.domain.search import search

        hits = search(self._session(), "coat")
        if not hits:
            raise RuntimeError("full-text search found nothing")
        return f"FTS5 found {len(hits)} record(s)"

    def render_pack(self) -> str:
        from pypdf import PdfReader

        from app.pack import encrypt_pdf, render_pack
        from app.pack.assembly import child_pack_data

        data = child_pack_data(self._session(), self._child())
        pdf = render_pack(data, generated_at=datetime.now(UTC))
        reader = PdfReader(io.BytesIO(pdf))
        text = "".join(page.extract_text() or "" for page in reader.pages)
        if _SURNAME not in text or "coat" not in text:
            raise RuntimeError("the rendered pack does not contain the concern")
        fonts = _embedded_fonts(reader)
        if not any("NotoSans" in name for name in fonts):
            raise RuntimeError(f"the shipped fonts are not embedded (found {sorted(fonts)})")
        password = secrets.token_urlsafe(12)
        locked = PdfReader(io.BytesIO(encrypt_pdf(pdf, password)))
        if not locked.is_encrypted or not locked.decrypt(password):
            raise RuntimeError("the encrypted pack does not open with its password")
        return (f"{len(reader.pages)} page(s), {len(pdf) // 1024} KiB, fonts embedded, "
                "AES-256 copy opens")

    def verify(self) -> str:
        from app.store.verify import verify_store

        result = verify_store(self._session())
        if not result.ok:
            raise RuntimeError("; ".join(result.problems))
        return f"integrity ok, audit chain of {result.events_checked} events ok"

    def cleanup(self) -> str | None:
        """Locks the store and removes this run's keyring entries; the problem, or None."""
        from app.store.device import forget_device_keys

        try:
            if self.session is not None:
                self.session.lock()
            if self.store_id is not None:
                forget_device_keys(self.store_id)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None


def _embedded_fonts(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont", "")))
    return names
