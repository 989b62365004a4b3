"""An account made before the school had a hub (so with no passphrase verifier) gets one at its
next sign-in, and from then on can sign in on PCs that joined, before or after."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.clock import FakeClock
from app.errors import UnlockError
from app.hub.provisional import sign_in
from app.store.verifier import load_verifiers
from tests.conftest import STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import Service
from tests.hub.conftest import make_school


def forget_verifier(main: SmallSchool, username: str = "dsl") -> None:
    """What a store from before verifiers existed holds: the account, no verifier."""
    with main.open("admin") as admin, admin.tx() as conn:
        conn.execute("DELETE FROM user_verifiers WHERE user_id = (SELECT id FROM users WHERE "
                     "username = ?)", (username,))


def made_at_sign_in(directory: Path, clock: FakeClock) -> int:
    with sign_in(directory, "admin", "admin passphrase one", clock=clock) as admin:
        return int(admin.conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'user' AND detail LIKE "
            "'%verifier made at sign-in%'").fetchone()[0])


def test_an_old_account_signs_in_once_and_then_on_joined_pcs(tmp_path: Path,
                                                             hub: Service) -> None:
    school = make_school(tmp_path, hub, FakeClock(), before_hub=forget_verifier)
    # Provisioned without a verifier: the deputy's PC cannot let 'dsl' in.
    with pytest.raises(UnlockError, match="no account 'dsl'"):
        sign_in(school.dirs["deputy"], "dsl", STAFF_PASS, clock=school.clock)

    school.sync("dsl")  # signs in on the admin's PC: the verifier is made and sent
    with school.open("dsl") as dsl:
        assert dsl.user.id in load_verifiers(dsl.conn)
    assert made_at_sign_in(school.dirs["dsl"], school.clock) == 1  # once, not at each sign-in

    school.sync("deputy")  # a PC approved before: the accounts update brings it
    with school.open("deputy", "dsl") as there:
        assert there.user.username == "dsl"
    school.join("dsl2", "dsl")  # a PC approved after: provisioning carries it
    with school.open("dsl2", "dsl") as there:
        assert there.user.username == "dsl"


def test_no_verifier_is_made_for_a_school_without_a_hub(tmp_path: Path) -> None:
    clock = FakeClock()
    main = SmallSchool(tmp_path / "single", clock)
    forget_verifier(main)
    with main.open("dsl") as dsl:
        assert dsl.user.id not in load_verifiers(dsl.conn)
