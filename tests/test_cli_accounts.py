"""``user role`` and ``user disable``: the contract's exit codes (0/1/2/3/4), run as a script
would run them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import PASS, run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli-accounts") / "store"
    assert run("init", "--data", str(data), "--school", "Larkfield Test Primary",
               "--admin", "head").returncode == 0
    for name, role in (("dsl", "dsl"), ("teach", "staff"), ("leaver", "staff")):
        added = run("user", "add", "--data", str(data), "--user", "head", "--name", name,
                    "--role", role, new=PASS)
        assert added.returncode == 0, added.stderr
    return data


def test_user_role_and_disable_keep_the_contracts_exit_codes(store: Path) -> None:
    d = str(store)
    ok = run("user", "role", "--data", d, "--user", "head", "--name", "teach",
             "--role", "staff", "--role", "dsl")
    assert ok.returncode == 0, ok.stderr
    assert "teach now has the roles staff, dsl." in ok.stdout
    bad = run("user", "role", "--data", d, "--user", "head", "--name", "teach",
              "--role", "caretaker")
    assert bad.returncode == 2 and "unknown role 'caretaker'" in bad.stderr
    assert "Traceback" not in bad.stderr
    last = run("user", "role", "--data", d, "--user", "head", "--name", "head", "--role", "dsl")
    assert last.returncode == 2 and "last admin" in last.stderr
    missing = run("user", "disable", "--data", d, "--user", "head", "--name", "nobody")
    assert missing.returncode == 2 and "no account 'nobody'" in missing.stderr
    denied = run("user", "disable", "--data", d, "--user", "dsl", "--name", "leaver")
    assert denied.returncode == 3, denied.stderr
    wrong = run("user", "disable", "--data", d, "--user", "head", "--name", "leaver",
                passphrase="not the passphrase")
    assert wrong.returncode == 4
    usage = run("user", "disable", "--data", d, "--user", "head")
    assert usage.returncode == 2  # --name is required
    own = run("user", "disable", "--data", d, "--user", "head", "--name", "head")
    assert own.returncode == 2 and "your own account" in own.stderr

    gone = run("user", "disable", "--data", d, "--user", "head", "--name", "leaver")
    assert gone.returncode == 0, gone.stderr
    assert "Disabled leaver" in gone.stdout
    refused = run("pupils", "list", "--data", d, "--user", "leaver")
    assert refused.returncode == 4
    again = run("user", "disable", "--data", d, "--user", "head", "--name", "leaver")
    assert again.returncode == 2 and "disabled" in again.stderr
    for command in (["user", "role"], ["user", "disable"]):
        helped = run(*command, "--help")
        assert helped.returncode == 0 and "--name" in helped.stdout
