"""The ConcernDesk benchmark: ``python -m bench [--quick] [--json FILE]`` (see README.md)."""
