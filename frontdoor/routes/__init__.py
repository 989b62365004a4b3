"""The front door's routes, a module per resource, each with its ``ROUTES``: ``envelopes`` (store
one, fetch one, the inbox) and ``keys`` (the service's key, enrolment requests, holdings, the
directory, the OpenAPI document). Every signed route authenticates through the one dependency,
``frontdoor.service.signed``; ``frontdoor.app`` only assembles them."""
