"""What a signed-in account holds, beyond the school store's key: the keys its grants opened
(docs/keys.md). A session's effective roles follow from these, not from the users table alone."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.store.keys import PersonalKeys


@dataclass(frozen=True)
class HeldKeys:
    split: bool = False  # the store has a DSL store of its own (key hierarchy 2)
    personal: PersonalKeys | None = None  # the account's own keys (None: a system session)
    dsl_key: bytes | None = None  # the DSL store's key: attached as a file when held
    office_private: bytes | None = None  # the office team's private keys (released packs)
    dsl_key_next: bytes | None = None  # staged by a re-key that may not have finished
    school_key_next: bytes | None = None  # the same for the school store (app/store/rekey.py)
    owner: str | None = None  # the account whose personal keys these are
    recovery_signing: Ed25519PrivateKey | None = None  # a recovery session's audit signer

    @property
    def dsl_store_open(self) -> bool:
        return self.split and self.dsl_key is not None


LEGACY = HeldKeys()  # a store from before the key hierarchy: one key opens everything


def effective_roles(roles: tuple[str, ...], held: HeldKeys) -> tuple[str, ...]:
    """The roles the app honours: on a split store, ``dsl`` only with the DSL store's key and
    ``office`` only with the office team key, whatever the users table says."""
    if not held.split:
        return roles
    kept = tuple(r for r in roles if not (r == "dsl" and held.dsl_key is None)
                 and not (r == "office" and held.office_private is None))
    return kept or ("staff",)
