#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring: the real
# Secret Service, as on a staff PC's desktop, without touching the caller's own keyring.
#
# gnome-keyring-daemon can die under load (it aborts on some client races). On a desktop,
# D-Bus activation or systemd starts it again; here the private bus does the same: its only
# service directory names the Secret Service, started unlocked over the same keyring files, so
# a secret stored before a crash is still there after it.
set -euo pipefail
if [ -z "${CONCERNDESK_KEYRING_SESSION:-}" ]; then
  export CONCERNDESK_KEYRING_SESSION=1
  export HOME="${CONCERNDESK_TEST_HOME:-$(mktemp -d)}"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config"
  export XDG_CACHE_HOME="$HOME/.cache"
  # The daemon keeps its control socket in the runtime dir and quits if that vanishes: keep it
  # private to this session, not in a /tmp that other cleaners may sweep.
  export XDG_RUNTIME_DIR="$HOME/.runtime"
  mkdir -p "$XDG_DATA_HOME/keyrings"
  mkdir -p -m 700 "$XDG_RUNTIME_DIR"
  # Written afresh each time, and left in place: the bus watches it until its very end.
  bus_dir="$XDG_RUNTIME_DIR/bus"
  mkdir -p "$bus_dir/services"
  cat > "$bus_dir/secret-service" <<EOF
#!/bin/sh
export HOME='$HOME' XDG_DATA_HOME='$XDG_DATA_HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME'
export XDG_CACHE_HOME='$XDG_CACHE_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR'
printf '%s' concerndesk-test | exec gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null
EOF
  chmod 700 "$bus_dir/secret-service"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$bus_dir/secret-service" \
    > "$bus_dir/services/org.freedesktop.secrets.service"
  cat > "$bus_dir/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$bus_dir</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$bus_dir/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
  exec dbus-run-session --config-file="$bus_dir/session.conf" -- "$0" "$@"
fi

# Start it now rather than on the first call, so the first test does not wait for it.
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.StartServiceByName string:org.freedesktop.secrets uint32:0 >/dev/null

# The daemon outlives the bus unless told: stop the one(s) started for this session when done.
stop_daemon() {
  for pid in $(pgrep -f '^(/usr/bin/)?gnome-keyring-daemon' || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qxF "HOME=$HOME"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}
trap stop_daemon EXIT
set +e
"$@"
status=$?
exit $status
