"""The school's two team keys: the DSL team's (concerns, entries, referral states) and the
office print queue's (released packs).

Each is an Ed25519 + X25519 pair like a device's. The pairs are made once, on the admin's PC
(when the school hub is first set, or by the first session holding its DSL store); every PC keeps
their public halves in the school store's ``team_keys``. One model for the private halves
(docs/keys.md): on a store with a DSL store of its own they live only inside it
(``dsl.held_team_keys``, opened by DSL accounts alone), so a DSL PC's teacher holds none of
them; on a single-key store (from before) they sit in ``team_keys`` beside the public half.
Staff PCs hold only the public bundles, so they can seal to the team but never read what it
holds.
"""

from __future__ import annotations

import json
from datetime import datetime

from app.clock import iso
from app.errors import ConcernDeskError
from app.protocol.fingerprint import KeyBundle, KeyPairs, b64d, fingerprint
from app.store.db import Connection, has_dsl_store
from app.store.dsl_store import attached as dsl_attached
from app.store.roles import Perm
from app.store.session import Session

TEAMS = ("dsl", "office")
KEYS_BEFORE = "dsl_team_keys_before"  # meta, briefly: see move_private_halves
FINGERPRINTS_BEFORE = "dsl_team_fingerprints_before"  # meta: see dsl_team_fingerprints


def team_bundle(conn: Connection, team: str) -> KeyBundle | None:
    row = conn.execute("SELECT bundle FROM main.team_keys WHERE team = ?", (team,)).fetchone()
    return KeyBundle.from_json(json.loads(row[0])) if row else None


def dsl_team_fingerprints(conn: Connection) -> list[str]:
    """The DSL team key's fingerprint now, then those it had before each rotation (newest
    first): what this PC sent before a rotation went to one of them."""
    bundle = team_bundle(conn, "dsl")
    row = conn.execute("SELECT value FROM main.meta WHERE key = ?", (FINGERPRINTS_BEFORE,)
                       ).fetchone()
    return ([bundle.fingerprint] if bundle else []) + (json.loads(row[0]) if row else [])


def replace_dsl_team_public(conn: Connection, bundle: KeyBundle, now: datetime) -> None:
    """A rotation: the DSL team's new public half becomes the one this PC seals to; the old
    fingerprint is remembered (``dsl_team_fingerprints``). Writes the school store only."""
    before = dsl_team_fingerprints(conn)
    if before and before[0] == bundle.fingerprint:
        return
    conn.execute("UPDATE main.team_keys SET bundle = ?, added_at = ? WHERE team = 'dsl'",
                 (json.dumps(bundle.to_json()), iso(now)))
    conn.execute("INSERT INTO main.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                 "SET value = excluded.value", (FINGERPRINTS_BEFORE, json.dumps(before)))


def team_pairs(conn: Connection, team: str) -> KeyPairs | None:
    """The team's current private keys, when this session holds them: from the DSL store on a
    store that has one (a workspace holds none), else from the single-key store's row."""
    row = conn.execute("SELECT private FROM main.team_keys WHERE team = ? AND private IS NOT "
                       "NULL", (team,)).fetchone()
    if row is None and dsl_attached(conn) and (bundle := team_bundle(conn, team)) is not None:
        row = conn.execute("SELECT private FROM dsl.held_team_keys WHERE team = ? AND "
                           "fingerprint = ?", (team, bundle.fingerprint)).fetchone()
    return KeyPairs.from_private_bytes(bytes(row[0])) if row else None


def is_admin_pc(session: Session) -> bool:
    """The store where the school hub was first set: it made the team keys and was never
    provisioned by another PC. It approves devices and makes the DSL team's new pair when a
    DSL PC or member leaves; everyone else trusts its list. (Asked of the public half: on a
    store with a DSL store, only a session holding it has the private one.)"""
    return session.meta("provisioned_by_device") is None and \
        team_bundle(session.conn, "dsl") is not None


def held_team_pairs(conn: Connection) -> list[tuple[str, KeyPairs]]:
    """(team, key pair) for every team key this session holds: the current ones first, then
    those from before a rotation (``dsl.held_team_keys`` keeps them: what was sealed to them
    must still open), newest first."""
    out = list(held_teams(conn).items())
    if dsl_store_file_attached(conn):
        seen = {pairs.fingerprint for _, pairs in out}
        for team, private in conn.execute("SELECT team, private FROM dsl.held_team_keys ORDER "
                                          "BY added_at DESC, fingerprint").fetchall():
            pairs = KeyPairs.from_private_bytes(bytes(private))
            if pairs.fingerprint not in seen:
                seen.add(pairs.fingerprint)
                out.append((team, pairs))
    return out


def dsl_store_file_attached(conn: Connection) -> bool:
    """The DSL store itself, not a session's in-memory workspace (which holds no key)."""
    return any(row[1] == "dsl" and row[2] for row in conn.execute("PRAGMA database_list"))


def move_private_halves(conn: Connection) -> int:
    """Moves every team key's private half from the school store into the attached DSL store
    (a single-key store being split: app/store/upgrade.py, app/hub/keyed_dsl_pc.py); the
    school store keeps the public bundles. Call inside the split's transaction."""
    rows = conn.execute("SELECT team, bundle, private FROM main.team_keys WHERE private IS NOT "
                        "NULL").fetchall()
    # A DSL PC provisioned after a rotation: the DSL team's earlier private keys, which
    # provisioning parked in the school store's meta until its DSL store exists.
    row = conn.execute("SELECT value FROM main.meta WHERE key = ?", (KEYS_BEFORE,)).fetchone()
    for private_b64 in json.loads(row[0]) if row else []:
        pairs = KeyPairs.from_private_bytes(b64d(private_b64, "team private key"))
        rows.append(("dsl", json.dumps(pairs.bundle.to_json()), pairs.private_bytes()))
    conn.execute("DELETE FROM main.meta WHERE key = ?", (KEYS_BEFORE,))
    for team, bundle, private in rows:
        fp = KeyBundle.from_json(json.loads(bundle)).fingerprint
        conn.execute("INSERT INTO dsl.held_team_keys (fingerprint, team, bundle, private, "
                     "added_at) VALUES (?,?,?,?,datetime('now')) ON CONFLICT (fingerprint) DO "
                     "NOTHING", (fp, team, bundle, private))
    conn.execute("UPDATE main.team_keys SET private = NULL")
    return len(rows)


def held_teams(conn: Connection) -> dict[str, KeyPairs]:
    """team → key pairs, for the teams whose private key this PC holds."""
    return {team: pairs for team in TEAMS if (pairs := team_pairs(conn, team)) is not None}


def save_team_key(conn: Connection, team: str, bundle: KeyBundle, private: bytes | None,
                  now: datetime) -> None:
    """Insert, or add the private half to a public-only row. Never replaces a team's key. On a
    store with its DSL store attached the private half goes into the DSL store."""
    if private is not None and KeyPairs.from_private_bytes(private).bundle != bundle:
        raise ConcernDeskError("The team key received does not match its public half.")
    existing = team_bundle(conn, team)
    if existing is not None and existing != bundle:
        raise ConcernDeskError(f"This PC already knows another {team} team key.")
    if private is not None and has_dsl_store(conn):
        if not dsl_store_file_attached(conn):
            raise ConcernDeskError("Only a session holding the DSL store keeps a team key.")
        conn.execute("INSERT INTO dsl.held_team_keys (fingerprint, team, bundle, private, "
                     "added_at) VALUES (?,?,?,?,?) ON CONFLICT (fingerprint) DO NOTHING",
                     (bundle.fingerprint, team, json.dumps(bundle.to_json()), private,
                      iso(now)))
        private = None
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
