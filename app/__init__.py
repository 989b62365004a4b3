"""ConcernDesk core: domain, encrypted store, security, packs and sync. Never imports Qt."""

__version__ = "0.1.0"
