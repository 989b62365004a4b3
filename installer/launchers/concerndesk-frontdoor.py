"""PyInstaller entry point for the front-door service (the same as ``concerndesk-frontdoor``)."""

import sys

from frontdoor.cli import main

sys.exit(main())
