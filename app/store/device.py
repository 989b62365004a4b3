"""The device's secrets in the OS keyring: a secret mixed into every passphrase wrap, and the
Ed25519 key that signs what this device sends (and signed the audit heads of older stores; the
secret now derives their key: app/store/audit.py).

There is deliberately no fallback: if no real keyring backend exists we stop and say how to get
one, rather than keep device secrets in a plain file (as ``keyrings.alt`` would, silently).
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import keyring
import keyring.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.errors import KeyringUnavailable

SERVICE = "ConcernDesk"
T = TypeVar("T")

HOW_TO_GET_A_KEYRING = (
    "No usable OS keyring was found, and ConcernDesk will not keep its device secrets in a "
    "plain file. On Windows and macOS the system keyring is built in; on Linux start a "
    "Secret Service (GNOME Keyring or KWallet) in your desktop session and unlock it, then "
    "try again.")


def check_keyring() -> None:
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        raise KeyringUnavailable(HOW_TO_GET_A_KEYRING)
    if getattr(backend, "priority", 1) <= 0:
        raise KeyringUnavailable(HOW_TO_GET_A_KEYRING)


# A Secret Service that dies mid-call (gnome-keyring aborts on some client races) is started
# again by D-Bus activation or systemd within a moment: a call is tried again before the person
# is told that there is no keyring.
_RETRY_DELAYS_S = (0.2, 1.0)


def _backend_errors() -> tuple[type[Exception], ...]:
    """What a keyring call can fail with: keyring's own errors, and on Linux the Secret Service
    client's, which keyring passes through unwrapped from some calls (an item or collection the
    daemon is reloading: "Object does not exist at path ...")."""
    try:
        from secretstorage.exceptions import SecretStorageException
    except ImportError:  # Windows and macOS: keyring's own errors only
        return (keyring.errors.KeyringError,)
    return (keyring.errors.KeyringError, SecretStorageException)


_FAILED = _backend_errors()


def _call(operation: Callable[[], T]) -> T:
    check_keyring()
    for delay in _RETRY_DELAYS_S:
        try:
            return operation()
        except (keyring.errors.KeyringLocked, keyring.errors.PasswordDeleteError):
            raise  # an answer, not a failure
        except _FAILED:
            time.sleep(delay)
    return operation()


def _get(name: str) -> str | None:
    try:
        return _call(lambda: keyring.get_password(SERVICE, name))
    except keyring.errors.KeyringLocked as exc:
        raise KeyringUnavailable("The OS keyring is locked: unlock it (sign in to your "
                                 "desktop session) and try again.") from exc
    except _FAILED as exc:
        raise KeyringUnavailable(f"The OS keyring could not be read: {type(exc).__name__}. "
                                 + HOW_TO_GET_A_KEYRING) from exc


def _set(name: str, value: str) -> None:
    try:
        _call(lambda: keyring.set_password(SERVICE, name, value))
    except _FAILED as exc:
        raise KeyringUnavailable(f"The OS keyring refused to store a secret: "
                                 f"{type(exc).__name__}. " + HOW_TO_GET_A_KEYRING) from exc


def _delete(name: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        _call(lambda: keyring.delete_password(SERVICE, name))


@dataclass(frozen=True)
class DeviceKeys:
    """What this device holds for one store."""

    secret: bytes
    signing_key: Ed25519PrivateKey
    hpke_key: X25519PrivateKey

    def signing_public(self) -> bytes:
        return self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def hpke_public(self) -> bytes:
        return self.hpke_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _names(store_id: str) -> tuple[str, str, str]:
    return (f"{store_id}:device-secret", f"{store_id}:signing-key", f"{store_id}:hpke-key")


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def create_device_keys(store_id: str, secret: bytes | None = None) -> DeviceKeys:
    """Make (or, given the recovered ``secret``, re-make) this device's keys for a store."""
    keys = DeviceKeys(secret or secrets.token_bytes(32), Ed25519PrivateKey.generate(),
                      X25519PrivateKey.generate())
    secret_name, signing_name, hpke_name = _names(store_id)
    enc = base64.b64encode
    _set(secret_name, enc(keys.secret).decode())
    _set(signing_name, enc(_raw_private(keys.signing_key)).decode())
    _set(hpke_name, enc(_raw_private(keys.hpke_key)).decode())
    return keys


def load_device_keys(store_id: str) -> DeviceKeys | None:
    """This device's keys for the store, or None when this PC has never held them."""
    secret_name, signing_name, hpke_name = _names(store_id)
    secret, signing, hpke = _get(secret_name), _get(signing_name), _get(hpke_name)
    if secret is None or signing is None or hpke is None:
        return None
    dec = base64.b64decode
    return DeviceKeys(dec(secret), Ed25519PrivateKey.from_private_bytes(dec(signing)),
                      X25519PrivateKey.from_private_bytes(dec(hpke)))


def forget_device_keys(store_id: str) -> None:
    for name in _names(store_id):
        _delete(name)
