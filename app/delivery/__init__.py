"""Delivery of envelopes (filled in by a later commit)."""
