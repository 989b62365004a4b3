"""Promise 1: after a full scenario, no child's data is readable in any file we wrote."""

from __future__ import annotations

import os
from pathlib import Path

from tests.test_cli import PASS, run

SECRETS = ["Quillonby", "Marguerite-Osei", "zebra-striped lunchbox", "the blue door at nan's",
           "B801200005001"]


def _scan(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for secret in SECRETS:
                for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le"),
                                secret.lower().encode("utf-8")):
                    if encoded in data:
                        found.append(f"{path}: {secret}")
    return found


def test_full_scenario_leaves_no_plaintext(tmp_path: Path) -> None:
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    env = {"TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config")}
    data = tmp_path / "store"

    def cli(*args: str, **kw: str) -> None:
        result = run(*args, extra_env=env, **kw)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stderr

    cli("init", "--data", str(data), "--school", "Larkfield Test Primary", "--admin", "head")
    cli("user", "add", "--data", str(data), "--user", "head", "--name", "dsl", "--role", "dsl",
        new=PASS)
    roster = tmp_path / "roster-in.csv"
    roster.write_text("upn,legal_forename,legal_surname,preferred_forename,date_of_birth,"
                      "gender,year_group,nhs_number\nB801200005001,Quillonby,Marguerite-Osei,,"
                      "2016-05-04,F,5,\n", encoding="utf-8")
    cli("pupils", "import", "--data", str(data), "--user", "head", "--csv", str(roster))
    roster.unlink()  # the school's own export is theirs to keep or delete
    cli("concern", "add", "--data", str(data), "--user", "dsl", "--child", "B801200005001",
        "--category", "neglect", "--text", "Came in with a zebra-striped lunchbox, empty",
        "--child-words", "I slept at the blue door at nan's")
    for args in (["chronology", "--child", "B801200005001"], ["search", "zebra"],
                 ["pupils", "list"]):
        cli(*args, "--data", str(data), "--user", "dsl")
    cli("backup", "--data", str(data), "--user", "dsl", "--out", str(tmp_path / "b.zip"))
    cli("verify", "--data", str(data))

    leaks = _scan(tmp_path) + _scan(Path(os.environ.get("HOME", "/nonexistent")))
    assert leaks == []
    # Nothing but the encrypted stores, their WALs, and key wraps: no logs, no caches (the
    # unlock lock is an empty file).
    assert {p.name for p in data.iterdir()} <= {"keys.json", "store.db", "store.db-wal",
                                               "store.db-shm", "dsl.db", "dsl.db-wal",
                                               "dsl.db-shm", "unlock-state.json",
                                               "unlock.lock", "last-backup.json",
                                               "audit-highwater.bin"}
