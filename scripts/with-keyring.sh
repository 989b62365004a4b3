#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring: the real
# Secret Service, as on a staff PC's desktop, without touching the caller's own keyring.
set -euo pipefail
if [ -z "${CONCERNDESK_KEYRING_SESSION:-}" ]; then
  export CONCERNDESK_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
export HOME="${CONCERNDESK_TEST_HOME:-$(mktemp -d)}"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
# The daemon keeps its control socket in the runtime dir and quits if that vanishes: keep it
# private to this session, not in a /tmp that other cleaners may sweep.
export XDG_RUNTIME_DIR="$HOME/.runtime"
mkdir -p "$XDG_DATA_HOME/keyrings"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
echo -n "concerndesk-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

# The daemon outlives the bus unless told: stop the one(s) serving this session when done.
stop_daemon() {
  for pid in $(pgrep -f gnome-keyring-daemon || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null \
        | grep -qxF "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}
trap stop_daemon EXIT
set +e
"$@"
status=$?
exit $status
