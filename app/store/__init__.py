"""The encrypted store (filled in by a later commit)."""
