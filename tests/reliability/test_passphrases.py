"""Passphrases: guessing is rate-limited (also across processes, for unknown accounts and for
``verify``'s any-account unlock), weak ones are refused when set, and an admin can get a
locked-out colleague back in."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from app.errors import InputError, UnlockError
from app.store.access import create_store, unlock, unlock_any
from app.store.keys import TEST_KDF
from app.store.passphrase import check_passphrase_strength, passphrase_problem
from app.store.ratelimit import MAX_DELAY_SECONDS, STATE_FILE, delay_after
from app.store.users import add_user, change_passphrase, reset_passphrase
from tests.conftest import STAFF_PASS, SmallSchool
from tests.reliability.conftest import LiveSchool, run_cli

WEAK = ["password123", "Password1234", "Summer2026!!", "qwertyuiop12", "aaaaaaaaaaaa",
        "1234567890", "iloveyou2026!", "abcdefghijkl", "          x"]
STRONG = ["correct horse battery staple", "my dog eats toast on fridays",
          "Seven wet ravens queue at noon", "tea, then the long walk to Hebden"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passphrases_are_refused_without_repeating_them(weak: str) -> None:
    with pytest.raises(InputError) as error:
        check_passphrase_strength(weak)
    assert error.value.field == "passphrase"
    assert weak.strip() not in str(error.value)


@pytest.mark.parametrize("strong", STRONG)
def test_a_short_sentence_is_accepted(strong: str) -> None:
    assert passphrase_problem(strong) is None


def test_the_schools_and_persons_own_names_count_as_easy_words() -> None:
    guessable = "LarkfieldPrimary2026"
    assert passphrase_problem(guessable) is None  # strong for a stranger's school...
    assert passphrase_problem(guessable, ["Larkfield Primary", "jdsl"]) is not None


def test_very_long_passphrases_are_scored_quickly_and_accepted() -> None:
    assert passphrase_problem("a" + "walk in the park " * 500) is None


def test_every_way_of_setting_a_passphrase_checks_its_strength(school: SmallSchool,
                                                               tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too easy to guess"):
        create_store(tmp_path / "new", school_name="Larkfield", admin_username="head",
                     admin_display_name="Head", passphrase="Summer2026!!", kdf=TEST_KDF)
    assert not (tmp_path / "new").exists()
    with school.open("admin") as admin:
        with pytest.raises(InputError, match="too easy"):
            add_user(admin, "newbie", "New Bie", "staff", "password123", kdf=TEST_KDF)
        with pytest.raises(InputError, match="too easy"):
            reset_passphrase(admin, "teacher", "qwertyuiop12")
    with school.open("teacher") as teacher, pytest.raises(InputError, match="too easy"):
        change_passphrase(teacher, STAFF_PASS, "iloveyou2026!")
    school.open("teacher").close()  # nothing changed


def test_only_the_demo_school_may_use_a_weak_passphrase(tmp_path: Path) -> None:
    made = create_store(tmp_path / "demo", school_name="Demo", admin_username="admin",
                        admin_display_name="Admin", passphrase="demo", kdf=TEST_KDF, demo=True)
    with made.session as admin:
        add_user(admin, "teacher", "Teacher", "staff", "demo", kdf=TEST_KDF, weak_ok=True)
    unlock(tmp_path / "demo", "teacher", "demo").close()


def test_the_cli_refuses_a_weak_passphrase_for_a_new_store(tmp_path: Path) -> None:
    result = run_cli("init", "--data", str(tmp_path / "s"), "--school", "Larkfield",
                     "--admin", "head", passphrase="Summer2026!!")
    assert result.returncode == 2 and "passphrase" in result.stderr
    assert "Summer2026" not in result.stderr and not (tmp_path / "s").exists()


# -- rate limiting --------------------------------------------------------------------------------
def test_the_delay_doubles_and_is_capped() -> None:
    assert [delay_after(n) for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert delay_after(1000) == MAX_DELAY_SECONDS


def test_guessing_unknown_account_names_is_rate_limited_too(school: SmallSchool) -> None:
    for _ in range(3):
        with pytest.raises(UnlockError, match="no account"):
            unlock(school.directory, "nobody", STAFF_PASS, clock=school.clock)
    with pytest.raises(UnlockError, match="Too many"):
        unlock(school.directory, "nobody", STAFF_PASS, clock=school.clock)


def test_any_account_unlock_is_rate_limited(school: SmallSchool) -> None:
    for _ in range(3):
        with pytest.raises(UnlockError, match="any account"):
            unlock_any(school.directory, "not anyone's passphrase", clock=school.clock)
    with pytest.raises(UnlockError, match="Too many"):
        unlock_any(school.directory, STAFF_PASS, clock=school.clock)
    school.clock.advance(1)
    unlock_any(school.directory, STAFF_PASS, clock=school.clock).close()


def test_a_locked_account_does_not_open_through_the_any_account_door(school: SmallSchool
                                                                      ) -> None:
    for _ in range(4):
        with contextlib.suppress(UnlockError):
            unlock(school.directory, "teacher", "wrong guess here", clock=school.clock)
    with unlock_any(school.directory, STAFF_PASS, clock=school.clock) as session:
        assert session.user.username != "teacher"


def test_the_limit_holds_across_processes(live_school: LiveSchool) -> None:
    answers = [live_school.cli("pupils", "list", user="teacher", passphrase="a wrong guess")
               for _ in range(3)]
    assert [a.returncode for a in answers] == [4, 4, 4]
    # Each attempt was its own process: the third still knows about the first two.
    assert "Wait" not in answers[1].stderr
    assert "Wait 1 second before the next try" in answers[2].stderr
    state = json.loads((live_school.directory / STATE_FILE).read_text())
    assert state["failures"]["teacher"]["count"] == 3
    assert STAFF_PASS not in json.dumps(state) and "wrong guess" not in json.dumps(state)


def test_an_admin_reset_ends_a_lockout(school: SmallSchool) -> None:
    for _ in range(10):
        with contextlib.suppress(UnlockError):
            unlock(school.directory, "teacher", "forgotten it again", clock=school.clock)
    with school.open("admin") as admin:
        reset_passphrase(admin, "teacher", "a brand new passphrase for Terry")
    unlock(school.directory, "teacher", "a brand new passphrase for Terry",
           clock=school.clock).close()


def test_a_lockout_ends_by_itself_and_the_failures_are_audited(school: SmallSchool) -> None:
    for _ in range(6):
        with contextlib.suppress(UnlockError):
            unlock(school.directory, "teacher", "forgotten it again", clock=school.clock)
    school.clock.advance(MAX_DELAY_SECONDS)
    with school.open("teacher") as session:
        failed = session.conn.execute("SELECT count(*) FROM audit WHERE action = "
                                      "'failed-login'").fetchone()[0]
    # Three guesses were tried; the three made during the wait were refused untried.
    assert failed == 3


def _guess_in_parallel(directory: Path, start: object) -> str:
    start.wait()  # type: ignore[attr-defined]
    try:
        unlock(directory, "teacher", "a wrong guess in parallel").close()
    except UnlockError as exc:
        return str(exc)
    return "opened"


def test_parallel_guesses_fare_no_better_than_serial_ones(school: SmallSchool) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    start = ctx.Manager().Barrier(24)
    with ctx.Pool(24) as pool:
        answers = pool.starmap(_guess_in_parallel, [(school.directory, start)] * 24)
    tried = [a for a in answers if "is wrong" in a]
    refused = [a for a in answers if "Too many" in a]
    assert len(tried) + len(refused) == 24
    # In turn, three guesses are free and the rest wait (a slow machine may reach a fourth
    # after the first one-second delay); all at once must not do better, and every guess tried
    # is counted.
    assert len(tried) <= 4
    state = json.loads((school.directory / STATE_FILE).read_text())
    assert state["failures"]["teacher"]["count"] == len(tried)


def test_a_guess_stopped_during_the_key_check_still_counts(school: SmallSchool) -> None:
    from app.store.ratelimit import INTERRUPTED, UnlockState

    # What a guess killed between counting itself and its verdict leaves behind.
    UnlockState(school.directory, school.clock).begin_attempt("teacher")
    assert UnlockState(school.directory, school.clock).failures("teacher") == 1
    with school.open("teacher") as session:
        reasons = [json.loads(r[0])["reason"] for r in session.conn.execute(
            "SELECT detail FROM audit WHERE action = 'failed-login'")]
    assert reasons == [INTERRUPTED]
    # A successful sign-in takes back only its own attempt.
    assert UnlockState(school.directory, school.clock).failures("teacher") == 0
