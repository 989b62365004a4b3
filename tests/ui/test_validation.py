"""Bad input gets an inline message at the field, and nothing typed is lost."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt

from app.identifiers import make_upn
from tests.ui.conftest import settle, sign_in, wait_for

DATA = Path(__file__).resolve().parent.parent / "data"


def test_empty_and_future_concerns_are_refused_inline(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    page = window.workspace.show_page("record")
    page.submit()
    assert page.messages["child"].isVisible()
    assert page.messages["text"].isVisible()
    assert page.messages["category"].isVisible()

    qtbot.keyClicks(page.picker.search, "Y5")
    wait_for(qtbot, lambda: page.picker.results.count() > 0)
    qtbot.keyClick(page.picker.search, Qt.Key.Key_Return)
    page.categories.set_codes(["neglect"])
    qtbot.keyClicks(page.what, "Came in without a coat again.")
    page.when.setDateTime(QDateTime.currentDateTime().addDays(2))
    page.submit()
    settle(qtbot, window)
    assert "future" in page.messages["occurred"].text()
    assert not page.messages["text"].isVisible()
    # Nothing typed was lost.
    assert page.what.toPlainText() == "Came in without a coat again."
    assert page.children_table.ids and page.categories.codes() == ["neglect"]


def test_unknown_and_malformed_upns_are_explained_at_the_field(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    page = window.workspace.show_page("record")
    unknown = make_upn(999, 9999, 26, 999)  # valid check letter, not on the roster
    qtbot.keyClicks(page.picker.search, unknown)
    wait_for(qtbot, lambda: page.picker.message.isVisible())
    assert "No pupil on the roster has that UPN" in page.picker.message.text()
    assert page.picker.search.text() == unknown

    page.picker.search.clear()
    wrong = ("A" if unknown[0] != "A" else "B") + unknown[1:]
    qtbot.keyClicks(page.picker.search, wrong)
    wait_for(qtbot, lambda: page.picker.message.isVisible())
    assert "check letter" in page.picker.message.text().lower()


def test_a_future_date_of_birth_in_a_roster_is_listed_and_nothing_imported(
        qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.show_page("admin")
    settle(qtbot, window)
    roster = tmp_path / "roster.csv"
    lines = (DATA / "roster_sims.csv").read_text(encoding="utf-8-sig").splitlines()
    future = date.today() + timedelta(days=400)
    cells = lines[1].split(",")
    cells[8] = future.strftime("%d/%m/%Y")
    roster.write_text("\n".join([lines[0], ",".join(cells), *lines[2:4]]) + "\n",
                      encoding="utf-8")
    admin.import_file(roster)
    settle(qtbot, window)
    assert "Nothing was imported" in admin.roster_result.text()
    problems = [admin.roster_problems.item(i).text()
                for i in range(admin.roster_problems.count())]
    assert any("future" in p for p in problems)


def test_an_older_windows_1252_roster_imports_and_says_how_it_was_read(
        qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.show_page("admin")
    settle(qtbot, window)
    header = (DATA / "roster_sims.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    upn = make_upn(975, 4100, 20, 41)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(f"{header}\r\n009001,{upn},Lefèvre,Zoë,Zoë,Lefèvre,Zoë,F,02/03/2016,5,"
                       "5A,Information not yet obtained\r\n".encode("cp1252"))
    admin.import_file(roster)
    settle(qtbot, window)
    text = admin.roster_result.text()
    assert "Read as Windows-1252 (an older export)" in text and "1 pupil's name has" in text


def test_a_common_transfer_file_is_refused_in_the_same_words_as_the_cli(
        qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.domain.roster_csv import CTF_REFUSAL

    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.show_page("admin")
    settle(qtbot, window)
    ctf = tmp_path / "transfer.xml"
    ctf.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<CTfile><Header/></CTfile>\n')
    admin.import_file(ctf)
    settle(qtbot, window)
    assert admin.roster_result.text() == "⚠ T" + CTF_REFUSAL[1:] + ". Nothing was imported."
    assert "no column" not in admin.roster_result.text()
