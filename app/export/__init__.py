"""The school's data is the school's (issue #20): everything a store holds, written out in a
documented open format (JSON Lines, one JSON Schema per kind, attachments and packs as the
original files; docs/export.md), encrypted with a passphrase unless the admin confirms plain
output, audited; and a fresh store built back from such an export (the round trip)."""
