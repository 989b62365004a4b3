"""The wire format, shared with frontdoor/: key bundles and fingerprints, envelopes,
payloads, signed requests (HTTP message signatures), receipts, enrolment, and the client for an
LA front door or a school hub (docs/protocol.md). It knows nothing of the store or the domain:
frontdoor/ imports it, and only it (with app/errors.py and app/clock.py)."""
