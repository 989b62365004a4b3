"""ConcernDesk sync: key bundles and fingerprints, envelopes, signed requests, receipts, and
the client for a front door or school hub (docs/protocol.md)."""
