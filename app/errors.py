"""The one hierarchy of expected errors.

Every error a person can cause or fix is a ``ConcernDeskError`` with a message fit to show as it
is (never a child's data: messages name fields and problems, not values). Front ends map
``exit_code`` to the CLI contract's exit statuses and show ``str(error)`` in one place; anything
else is a bug and gets a generic report.
"""

from __future__ import annotations


class ConcernDeskError(Exception):
    """An expected failure with a message for the user. Exit status 1: the operation failed."""

    exit_code = 1


class InputError(ConcernDeskError):
    """Bad usage or bad input; ``field`` names what was wrong. Exit status 2."""

    exit_code = 2

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class InputErrors(ConcernDeskError):
    """Several bad inputs found at once (e.g. every bad row of a roster). Exit status 2."""

    exit_code = 2

    def __init__(self, summary: str, problems: list[str]) -> None:
        self.summary = summary
        self.problems = problems
        super().__init__(summary + "\n" + "\n".join(problems))


class AccessDenied(ConcernDeskError):
    """The acting user's role does not allow this. Exit status 3."""

    exit_code = 3


class UnlockError(ConcernDeskError):
    """Wrong passphrase, unknown user, or an account held back by the rate limit. Exit status 4."""

    exit_code = 4


class StoreDamaged(ConcernDeskError):
    """The store file fails its integrity checks; restore from a backup."""


class StoreRekeyed(ConcernDeskError):
    """The school store's key was changed (an account was removed) by another session on this
    PC while this one was open: this session's key opens nothing now; sign in again."""


class NotFound(ConcernDeskError):
    """A record, child or file the user named does not exist (or is not theirs to see)."""

    exit_code = 2


class KeyringUnavailable(ConcernDeskError):
    """No usable OS keyring: we refuse to fall back to keeping device secrets in plain files."""


class NotYet(ConcernDeskError):
    """A feature that is planned but not built yet; says so plainly instead of failing oddly."""
