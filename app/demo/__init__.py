"""The demo school (filled in by a later commit)."""
