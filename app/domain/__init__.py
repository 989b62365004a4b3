"""The safeguarding domain (filled in by a later commit)."""
