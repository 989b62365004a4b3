"""The OS keyring's daemon dies in the middle of a call (gnome-keyring aborts on some client
races): the call is tried again once the session has started the daemon again, and the device's
secrets are all still there. Run in a keyring session of its own, so that killing its daemon
cannot disturb the tests running beside it."""

from __future__ import annotations

from tests.conftest import in_a_keyring_session_of_its_own

_KILLED_MID_CALL = """
import json, os, signal, threading, time
from pathlib import Path

from app.store.device import create_device_keys, load_device_keys

def daemon_pid():
    for proc in Path("/proc").iterdir():
        try:
            if not (proc / "cmdline").read_bytes().startswith(b"gnome-keyring-daemon"):
                continue
            environ = (proc / "environ").read_bytes().split(b"\\0")
            if f"HOME={os.environ['HOME']}".encode() in environ:
                return int(proc.name)
        except (OSError, ValueError):
            continue
    return None

made = create_device_keys("probe-store")
first = daemon_pid()
os.kill(first, signal.SIGSTOP)  # the next call waits on it ...
got = {}
reader = threading.Thread(target=lambda: got.update(keys=load_device_keys("probe-store")))
reader.start()
time.sleep(0.5)
os.kill(first, signal.SIGKILL)  # ... and is left without an answer
reader.join(30)
keys = got.get("keys")
print(json.dumps({"same": keys is not None and keys.secret == made.secret
                  and keys.signing_public() == made.signing_public()
                  and keys.hpke_public() == made.hpke_public(),
                  "restarted": daemon_pid() not in (None, first)}))
"""


def test_a_keyring_daemon_killed_mid_call_loses_no_device_secret() -> None:
    got = in_a_keyring_session_of_its_own(_KILLED_MID_CALL)
    assert got == {"same": True, "restarted": True}
