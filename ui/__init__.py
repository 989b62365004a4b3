"""The ConcernDesk desktop app (PySide6): thin widgets over the headless core in ``app/``."""
