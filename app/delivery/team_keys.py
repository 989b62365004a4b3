"""The school's two team keys: the DSL team's (concerns, entries, referral states) and the
office print queue's (released packs).

Each is an Ed25519 + X25519 pair like a device's. The pairs are made once, on the admin's PC,
when the school hub is first set; their private halves live only inside encrypted stores (the
``team_keys`` table): on that PC, on DSL PCs (DSL key) and on office PCs (office key). Staff PCs
hold only the public bundles, so they can seal to the team but never read what it holds.
"""

from __future__ import annotations

import json
from datetime import datetime

from app.clock import iso
from app.errors import ConcernDeskError
from app.protocol.fingerprint import KeyBundle, KeyPairs, fingerprint
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session

TEAMS = ("dsl", "office")


def team_bundle(conn: Connection, team: str) -> KeyBundle | None:
    row = conn.execute("SELECT bundle FROM team_keys WHERE team = ?", (team,)).fetchone()
    return KeyBundle.from_json(json.loads(row[0])) if row else None


def team_pairs(conn: Connection, team: str) -> KeyPairs | None:
    """The team's private keys, when this PC holds them."""
    row = conn.execute("SELECT private FROM team_keys WHERE team = ? AND private IS NOT NULL",
                       (team,)).fetchone()
    return KeyPairs.from_private_bytes(bytes(row[0])) if row else None


def held_teams(conn: Connection) -> dict[str, KeyPairs]:
    """team → key pairs, for the teams whose private key this PC holds."""
    return {team: pairs for team in TEAMS if (pairs := team_pairs(conn, team)) is not None}


def save_team_key(conn: Connection, team: str, bundle: KeyBundle, private: bytes | None,
                  now: datetime) -> None:
    """Insert, or add the private half to a public-only row. Never replaces a team's key."""
    if private is not None and KeyPairs.from_private_bytes(private).bundle != bundle:
        raise ConcernDeskError("The team key received does not match its public half.")
    existing = team_bundle(conn, team)
    if existing is not None and existing != bundle:
        raise ConcernDeskError(f"This PC already knows another {team} team key.")
    conn.execute("INSERT INTO team_keys (team, bundle, private, added_at) VALUES (?,?,?,?) "
                 "ON CONFLICT (team) DO UPDATE SET private = coalesce(team_keys.private, "
                 "excluded.private)", (team, json.dumps(bundle.to_json()), private, iso(now)))


def ensure_team_keys(session: Session) -> bool:
    """Makes the DSL team and office key pairs if this store has none; True when made."""
    session.require(Perm.MANAGE_SETTINGS)
    if team_bundle(session.conn, "dsl") is not None:
        return False
    with session.tx() as conn:
        for team in TEAMS:
            pairs = KeyPairs.generate()
            save_team_key(conn, team, pairs.bundle, pairs.private_bytes(), session.clock.now())
            session.audit("settings", "team-key", team, fingerprint=pairs.fingerprint)
    return True


def device_fingerprint(session: Session) -> str:
    """This PC's own fingerprint, from the keys the session already holds."""
    return fingerprint(session.device.signing_public() + session.device.hpke_public())
