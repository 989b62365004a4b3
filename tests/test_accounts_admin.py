"""An admin changes an account's roles and disables accounts: audited, admin only, never the
admin's own account or the last admin; a disabled account cannot sign in but stays on record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.concerns import ConcernDraft, get_concern, record_concern
from app.domain.pupils import list_pupils
from app.errors import AccessDenied, InputError, NotFound, UnlockError
from app.store.audit import events
from app.store.keys import TEST_KDF
from app.store.users import add_user, change_role, disable_user, list_accounts, remove_user
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool


def test_an_admin_changes_roles_but_never_leaves_the_school_without_an_admin(
        school: SmallSchool) -> None:
    with school.open("admin") as admin:
        user = change_role(admin, "teacher", "staff,dsl")
        assert user.roles == ("staff", "dsl")
        with pytest.raises(InputError, match="role"):
            change_role(admin, "teacher", ["staff", "dsl"])  # changes nothing
        with pytest.raises(InputError, match="unknown role"):
            change_role(admin, "teacher", "headteacher")
        with pytest.raises(InputError, match="role"):
            change_role(admin, "teacher", "")
        with pytest.raises(NotFound):
            change_role(admin, "nobody", "staff")
        with pytest.raises(InputError, match="last admin"):
            change_role(admin, "admin", "dsl")
        changes = [e.detail for e in events(admin.conn) if e.action == "user"]
        assert {"change": "roles changed", "roles": ["staff", "dsl"], "was": ["staff"]} in changes
    with school.open("teacher") as teacher:
        assert teacher.user.roles == ("staff", "dsl")
        from app.store.roles import Perm

        assert teacher.can(Perm.READ_ALL_RECORDS)
    for name in ("dsl", "teacher2", "office"):
        with school.open(name) as someone, pytest.raises(AccessDenied):
            change_role(someone, "teacher2", "admin")
    with school.open("admin") as admin:
        add_user(admin, "second", "Sam Second", "admin", STAFF_PASS, kdf=TEST_KDF)
        assert change_role(admin, "admin", "admin,dsl").roles == ("admin", "dsl")
        assert change_role(admin, "second", "staff").roles == ("staff",)


def test_a_disabled_account_cannot_sign_in_and_keeps_its_name_on_its_records(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        child = list_pupils(teacher)[0]
        concern = record_concern(teacher, ConcernDraft(
            children=[(child.id, "subject")], categories=["neglect"], text="Hungry at lunch",
            occurred_at=teacher.clock.now() - timedelta(hours=1))).id
    with school.open("admin") as admin:
        disable_user(admin, "teacher")
        listed = {a.username: a for a in list_accounts(admin)}
        assert listed["teacher"].disabled_at is not None
        assert listed["teacher2"].disabled_at is None
        assert [a.username for a in list_accounts(admin)][-1] == "teacher"  # disabled last
        with pytest.raises(InputError, match="disabled"):
            disable_user(admin, "teacher")
        with pytest.raises(InputError, match="disabled"):
            change_role(admin, "teacher", "dsl")
        with pytest.raises(InputError, match="your own"):
            disable_user(admin, "admin")
        with pytest.raises(InputError, match="existed"):  # a disabled name is never reused
            add_user(admin, "teacher", "Someone Else", "staff", STAFF_PASS, kdf=TEST_KDF)
        with pytest.raises(NotFound):
            disable_user(admin, "nobody")
        assert any(e.detail.get("change") == "disabled" for e in events(admin.conn)
                   if e.action == "user")
    with pytest.raises(UnlockError):
        school.open("teacher")
    with school.open("dsl") as dsl:
        assert get_concern(dsl, concern).reporter == "Terry Teach"
        with pytest.raises(AccessDenied):
            disable_user(dsl, "teacher2")
    with school.open("teacher2") as staff, pytest.raises(AccessDenied):
        list_accounts(staff)


def test_the_last_admin_cannot_be_removed_or_disabled(school: SmallSchool) -> None:
    with school.open("admin") as admin:
        add_user(admin, "second", "Sam Second", "admin", STAFF_PASS, kdf=TEST_KDF)
    from app.store.access import unlock

    with unlock(school.directory, "second", STAFF_PASS, clock=school.clock) as second:
        disable_user(second, "admin")  # another admin is left: second
        with pytest.raises(InputError, match="your own"):
            remove_user(second, "second")
    with pytest.raises(UnlockError):
        unlock(school.directory, "admin", ADMIN_PASS, clock=school.clock)
