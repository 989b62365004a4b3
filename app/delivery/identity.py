"""This store's (this device's) public identity, as hubs and front doors enrol it."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from app.errors import ConcernDeskError
from app.protocol.fingerprint import fingerprint
from app.store.device import load_device_keys


@dataclass(frozen=True)
class Identity:
    fingerprint: str
    signing_public: bytes
    hpke_public: bytes

    @property
    def signing_public_b64(self) -> str:
        return base64.b64encode(self.signing_public).decode()

    @property
    def hpke_public_b64(self) -> str:
        return base64.b64encode(self.hpke_public).decode()


def store_identity(store_id: str) -> Identity:
    device = load_device_keys(store_id)
    if device is None:
        raise ConcernDeskError("This PC does not hold the device keys for this store; re-open "
                               "it with the recovery key first (concerndesk-cli recover).")
    signing, hpke = device.signing_public(), device.hpke_public()
    return Identity(fingerprint(signing + hpke), signing, hpke)
