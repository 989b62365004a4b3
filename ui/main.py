"""``concerndesk``: the desktop app. ``--version`` answers without starting Qt."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app import __version__


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="concerndesk",
                                     description="Record and manage safeguarding concerns.")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo school (invented pupils and records)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="the store's directory (default: your user data directory)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.version:
        print(f"ConcernDesk {__version__}")
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtWidgets import QApplication

    from app.paths import default_data_dir, demo_data_dir
    from ui import theme
    from ui.app_window import MainWindow
    from ui.errors import install_excepthook

    app = QApplication(sys.argv[:1])
    app.setApplicationName("ConcernDesk")
    app.setApplicationVersion(__version__)
    theme.apply(app)
    directory = args.data or (demo_data_dir() if args.demo else default_data_dir())
    window = MainWindow(directory, demo=args.demo)
    install_excepthook(window.messages)
    window.show()
    window.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
