"""What a school records about its children, and the rules on it: pupils and roster imports,
categories, concerns and chronology entries (records, their versions, views and status),
a child's flags, attachments, search, the DSL dashboard's statistics, and referrals with their
form. Every operation checks the user's role, writes in one transaction with its audit event,
and reports what it changed on the session (``session.changed``); it never knows who reacts
(replication lives in app/hub/, delivery in app/delivery/). Imports only the store and the
shared modules at app/'s top."""
