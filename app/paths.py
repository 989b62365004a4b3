"""Where things live: the shipped resources and the user's data directory."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "ConcernDesk"


def resources_dir() -> Path:
    """``resources/`` beside the code in a checkout, or inside a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A file under resources/."""
    return resources_dir().joinpath(*parts)


def default_data_dir() -> Path:
    """The platform's per-user data directory for the school's store."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "store"


def demo_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "demo"
