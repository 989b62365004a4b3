"""``concerndesk-cli``: the headless commands of CONTRACT.md, and the self-test (``selftest``)
that the CLI and the desktop app both run. On top of everything: nothing in app/ imports it."""
