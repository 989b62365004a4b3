"""The reference front-door service: a school hub or an LA front door (docs/protocol.md)."""
