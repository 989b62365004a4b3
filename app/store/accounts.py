"""Who can sign in here, and who a concern can be assigned to: small read-only questions the
sign-in screen and the inbox ask, answered by the core."""

from __future__ import annotations

from pathlib import Path

from app.store.keyfile import KeyFile
from app.store.roles import Perm
from app.store.session import Session, User


def account_names(directory: Path) -> list[str]:
    """The accounts that can sign in on this PC (before unlocking: from the key file, and on a
    PC that joined through the hub the accounts provisioned here, before their first sign-in)."""
    from app.store.joinfile import provisional_accounts  # only a joined PC has any

    return sorted(set(KeyFile.load(directory).users) | set(provisional_accounts(directory)))


def dsl_team(session: Session) -> list[User]:
    """The accounts a concern can be assigned to."""
    session.require(Perm.TRIAGE)
    rows = session.conn.execute("SELECT id, username, display_name, roles FROM users WHERE "
                                "removed_at IS NULL ORDER BY display_name").fetchall()
    return [User(r[0], r[1], r[2], tuple(r[3].split(","))) for r in rows
            if "dsl" in r[3].split(",")]
