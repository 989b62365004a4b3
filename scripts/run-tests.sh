#!/usr/bin/env bash
# The whole suite: pytest with the real Secret Service (scripts/with-keyring.sh), Qt offscreen,
# and a throwaway PostgreSQL cluster on a loopback port (scripts/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
if [ -x scripts/with-postgres.sh ]; then
  exec scripts/with-keyring.sh scripts/with-postgres.sh .venv/bin/python -m pytest "$@"
fi
exec scripts/with-keyring.sh .venv/bin/python -m pytest "$@"
