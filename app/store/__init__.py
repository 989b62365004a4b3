"""The encrypted store and who may open it: the SQLCipher database (``db``) and its schema
and migrations (``schema``), the data key and its wraps (``keys``, ``keyfile``), this PC's device
secrets in the keyring (``device``), passphrase rules and verifiers (``passphrase``, ``verifier``),
creating, unlocking and recovering a store with rate-limited guesses (``access``, ``ratelimit``),
the open ``session`` every operation takes (and through which operations report what they
changed), accounts and roles (``users``, ``accounts``, ``roles``), settings and drafts, and the
integrity of it all: the signed audit trail, the high-water mark, ``verify`` and ``backup``.
It imports nothing above it: no domain, no delivery, no hub."""
