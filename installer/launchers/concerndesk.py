"""PyInstaller entry point for the desktop app (the same as the ``concerndesk`` script)."""

import sys

from ui.main import main

sys.exit(main())
