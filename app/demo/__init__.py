"""The demo school: a synthetic roster, names and times (``synthetic``, ``roll``, ``text``,
``times``: reproducible from a seed, no real person) replayed through the core's own operations
(``school``), for the demo, the benchmark and the tests."""
