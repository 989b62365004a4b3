"""``concerndesk-cli``: the headless commands of CONTRACT.md."""
