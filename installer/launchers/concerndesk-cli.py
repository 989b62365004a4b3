"""PyInstaller entry point for the headless commands (the same as ``concerndesk-cli``)."""

import sys

from app.cli.main import main

sys.exit(main())
