"""The child's profile: who the child lives with and who else is involved (addresses, contacts,
household, GP, other professionals, ethnicity, language, SEN, previous names), kept append-only
with where each change came from (MIS import, Common Transfer File, or a person). It lives in
the DSL store, beside the chronology, and fills the referral form. The parsers (``ctf``,
``mis_contacts``) are pure; ``profiles`` keeps and reads it; ``imports`` applies a parsed file.
Imports the store, the domain and the shared modules at app/'s top."""
