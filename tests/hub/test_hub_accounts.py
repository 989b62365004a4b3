"""A role changed or an account disabled on the admin's PC reaches the PCs that joined."""

from __future__ import annotations

import pytest

from app.errors import UnlockError
from app.store.access import unlock
from app.store.users import change_role, disable_user
from tests.conftest import STAFF_PASS
from tests.hub.conftest import HubSchool


def test_role_changes_and_disabled_accounts_reach_the_joined_pcs(school4: HubSchool) -> None:
    with school4.main.open("admin") as admin:
        change_role(admin, "teacher", "staff,dsl")
        disable_user(admin, "teacher2")
    school4.sync("dsl", "admin")
    school4.sync("deputy")
    school4.sync("teacher2", "teacher")
    with school4.open("deputy", "teacher") as session:
        assert session.user.roles == ("staff", "dsl")
    with pytest.raises(UnlockError):
        unlock(school4.dirs["teacher2"], "teacher2", STAFF_PASS, clock=school4.clock)
    with school4.open("deputy") as deputy:  # kept for the record on the joined PC too
        assert deputy.conn.execute("SELECT display_name FROM users WHERE username = "
                                   "'teacher2'").fetchone() == ("Tess Teach",)
