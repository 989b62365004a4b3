"""A DSL imports a Common Transfer File from the Children page: the summary says what changed,
the new pupil's profile is one click away, and a bad file lists its problems and imports
nothing. Real widgets on a real store; every person here is invented."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.domain.pupils import child_by_upn
from tests.conftest import SmallSchool
from tests.ui.conftest import wait_for
from ui.children_page import ChildrenPage
from ui.clipboard import Clipboard
from ui.ops import Db

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_dsl_imports_a_ctf_and_reads_the_new_pupils_profile(
        qtbot, school: SmallSchool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = Db()
    session = school.open("dsl")
    db.set_session(session)
    page = ChildrenPage(db, Clipboard(), clock=school.clock)
    qtbot.addWidget(page)
    page.resize(1280, 900)
    page.show()
    try:
        box = page.profile_import
        assert box.button.text() == "Import contact&s or a CTF…"

        broken = tmp_path / "broken.xml"
        broken.write_bytes((DATA / "ctf" / "small.xml").read_bytes()[:400])
        box.import_file(broken)
        wait_for(qtbot, lambda: box.result.text().startswith("⚠"))
        assert "XML" in box.result.text() and "Nothing was imported" in box.result.text()

        box.import_file(DATA / "ctf" / "small.xml")
        wait_for(qtbot, lambda: "Imported the Common Transfer File" in box.result.text())
        assert "new pupils added to the roster" in box.result.text()
        ada = child_by_upn(session, "B975410020001")
        page.open(ada.id)
        wait_for(qtbot, lambda: page.page.child is not None)
        bar = page.page.tabs.tabBar()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
        wait_for(qtbot, lambda: page.page.profile_view.profile is not None)
        shown = page.page.profile_view.profile
        assert shown is not None and shown.facts.ethnicity_code == "WBRI"
        assert any(c.parental_responsibility for _, c in shown.contacts)

        box.import_file(DATA / "ctf" / "small.xml")
        wait_for(qtbot, lambda: box.result.text().startswith("Nothing changed"))
    finally:
        db.shutdown()
        session.close()
    with school.open("teacher") as teacher:  # on the roster now, for everyone
        assert child_by_upn(teacher, "B975410020001").legal_forename == "Ada"
