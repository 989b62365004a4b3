"""``concerndesk``: the desktop app. ``--version`` answers without starting Qt; ``--self-test``
runs the core's self-test, then checks Qt can build the main window (no store is opened)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
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
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end on a throwaway store, then "
                             "that the window can be built; exit 0 if all is well")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.version:
        print(f"ConcernDesk {__version__}")
        return 0
    if args.self_test:
        return self_test()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from app.hub.reactions import install

    install()  # on a PC that joined a hub, every change replicates (app/hub/reactions.py)

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


def self_test() -> int:
    """The core's self-test, then a main window built and closed without any store."""
    from app.cli.selftest import run_self_test

    def report(line: str) -> None:
        print(line, flush=True)

    if not run_self_test(report):
        return 1
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or
                                                 os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a server or a CI job
    try:
        from PySide6.QtWidgets import QApplication

        from ui import theme
        from ui.app_window import MainWindow

        existing = QApplication.instance()  # typed as the QCoreApplication it may be
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        theme.apply(app)
        with tempfile.TemporaryDirectory(prefix="concerndesk-selftest-ui-") as tmp:
            window = MainWindow(Path(tmp) / "no-store")  # never started: no store is opened
            window.close()
            app.processEvents()
            window.deleteLater()
            app.processEvents()
    except Exception as exc:  # any failure here means the GUI cannot start
        report(f"FAIL desktop window: {type(exc).__name__}")
        return 1
    report("ok   desktop: main window built and closed (Qt platform "
           f"{QApplication.platformName() or 'unknown'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
