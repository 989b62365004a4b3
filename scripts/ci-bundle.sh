#!/usr/bin/env bash
# CI step (separate from the main test run: 1¾–4 minutes on 2 cores): builds the
# PyInstaller bundle and the .deb with installer/build-linux.sh, then runs the bundled programs —
# `concerndesk-cli --version`, `concerndesk-cli self-test` under a real Secret Service,
# `concerndesk --self-test` offscreen, the front-door service — and checks the package contents.
#   bash scripts/ci-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CONCERNDESK_BUILD_BUNDLE=1 QT_QPA_PLATFORM=offscreen
exec scripts/with-keyring.sh .venv/bin/python -m pytest -p no:cacheprovider \
  tests/test_installer.py -k test_the_linux_bundle_builds_and_passes_its_self_test "$@"
