"""A sign-in says in words when the account directory did not vouch for a role (issue #15)."""

from __future__ import annotations

from pathlib import Path

from tests.test_account_directory import shell
from tests.ui.conftest import PASSPHRASE, sign_in
from tests.ui.test_staff import nav_titles


def test_a_teacher_who_wrote_themselves_admin_is_told_it_does_not_count(
        qtbot, make_window, demo_store: Path) -> None:  # type: ignore[no-untyped-def]
    conn, _ = shell(demo_store, "teacher", PASSPHRASE)
    conn.execute("UPDATE users SET roles = 'admin,staff' WHERE username = 'teacher'")
    conn.commit()
    conn.close()
    window = make_window()
    sign_in(qtbot, window, "teacher")
    assert "no trusted admin signed that" in window.messages.text
    assert "Admin" not in nav_titles(window)
