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
mkdir -p "$XDG_DATA_HOME/keyrings"
echo -n "concerndesk-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
