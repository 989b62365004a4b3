"""Replication among one school's PCs through its hub: what each reported change queues
(``reactions``, ``replicate``), applying what other PCs sent (``apply``, ``apply_attachments``,
``apply_checks``), one sync with the hub (``sync``, over ``link``), joining a school and the
sign-in that claims a provisioned account (``join``, ``provisional``), and the PCs an admin
approved (``provision``, ``devices``). The domain never calls it: it reacts to
``session.changed`` once ``reactions.install()`` has run (docs/hub-sync.md)."""
