"""Replication through the school hub (filled in by a later commit)."""
