"""Subject access requests (issue #20): a draft of a child's records for the child or a
parent who asked for them, with every third party's name and contact details redacted by
default (``names``, ``drafts``), the DSL's review (more redactions, entries withheld, each
with a reason), and the response: a PDF from which redacted words are removed, not covered
(``render``), with a log of what was withheld and why kept in the child's chronology
(``respond``). DSL only; docs/sar.md."""
