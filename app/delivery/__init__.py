"""Getting envelopes out and knowing they arrived: the outbox drained with backoff
(``outbox``), the services it talks to (``services``: the LA front door and the school hub),
this store's identity and the team keys envelopes are sealed to (``identity``, ``team_keys``),
queueing a referral for the LA (``referral``) and what became of it (``outcomes``), whether a
concern reached the DSL team (``delivered``), and the sync state in words (``status``). Built on
protocol/, store/ and domain/; the hub builds on it, never the reverse."""
