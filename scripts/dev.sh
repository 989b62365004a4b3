#!/usr/bin/env bash
# One entry point for a fresh Debian machine: installs what ConcernDesk needs, then
#   scripts/dev.sh demo   starts the desktop app on the built-in demo school
#   scripts/dev.sh test   runs ruff, mypy and the whole test suite (real keyring, real PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_DEBS="python3 python3-venv libgl1 libegl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6
  libglib2.0-0 libxkbcommon0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
  gnome-keyring dbus-daemon dbus-bin fonts-dejavu-core"
TEST_DEBS="xvfb xauth poppler-utils postgresql desktop-file-utils nginx-light chromium chromium-driver"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_debs() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

make_venv() {
  local py=python3
  command -v python3.11 >/dev/null && py=python3.11
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  # The build backend's notes (an editable install's caveats) are not for a person starting
  # the demo: kept in a log, shown only if the install fails.
  if ! .venv/bin/python -m pip install -q -e ".[test]" > .venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    exit 1
  fi
}

case "${1:-}" in
  demo)
    # shellcheck disable=SC2086
    install_debs $RUNTIME_DEBS
    make_venv
    shift
    exec .venv/bin/concerndesk --demo "$@"
    ;;
  test)
    # shellcheck disable=SC2086
    install_debs $RUNTIME_DEBS $TEST_DEBS
    make_venv
    shift
    .venv/bin/ruff check .
    .venv/bin/mypy
    # One worker per core, each taking whole files, so a file's module-scoped services start
    # once (the suite is mostly waiting on subprocesses, Argon2id and real servers).
    exec scripts/run-tests.sh -n auto --dist loadfile "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh demo|test [pytest args]" >&2
    exit 2
    ;;
esac
