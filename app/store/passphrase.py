"""What a passphrase must be before we accept it for an account.

Why these rules: the passphrase is stretched with Argon2id (128 MiB, ~0.2 s here) and mixed
with a device secret from the OS keyring, so guessing it offline needs the keyring too — but an
attacker who has both (a stolen laptop whose keyring opens with the Windows or desktop login)
can still guess at memory-hard speeds, on the order of a thousand guesses a second per GPU.
We therefore ask for what zxcvbn (Dropbox's estimator, which knows common passwords, names,
keyboard walks, dates, repeats and l33t) estimates at 10^10 guesses or more — its top score,
months of a GPU's time at that speed — and at least 10 characters. Four or five ordinary words
pass easily; "Summer2026!!" does not. The school's name and the account's own names, given as
``context``, count as dictionary words.

Only the demo school (synthetic data, marked DEMO) may use a weak passphrase such as "demo":
its callers pass ``demo=True`` / ``weak_ok=True`` and never reach this check.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from app.errors import InputError

MIN_LENGTH = 10
MIN_GUESSES_LOG10 = 10.0
# zxcvbn refuses more than 72 characters (its cost grows quickly with length); a longer
# passphrase is scored on its first 72, which is already far past the bar when it is a sentence.
SCORED_PREFIX = 72
ADVICE = "a short sentence of four or five ordinary words is strong and easy to remember"


def passphrase_problem(passphrase: str, context: Iterable[str] = ()) -> str | None:
    """Why ``passphrase`` is too weak, or None. Never repeats the passphrase itself."""
    if len(passphrase) < MIN_LENGTH:
        return (f"use at least {MIN_LENGTH} characters (it has {len(passphrase)}); "
                f"{ADVICE}")
    if not passphrase.strip():
        return f"must not be only spaces; {ADVICE}"
    words = [w for item in context for w in str(item).lower().split() if len(w) >= 3]
    estimate = zxcvbn(passphrase[:SCORED_PREFIX], user_inputs=words)
    if float(estimate["guesses_log10"]) >= MIN_GUESSES_LOG10:
        return None
    warning = str(estimate["feedback"].get("warning") or "").strip().rstrip(".")
    reason = f" ({warning[:1].lower() + warning[1:]})" if warning else ""
    return f"is too easy to guess{reason}; {ADVICE}"


def check_passphrase_strength(passphrase: str, field: str = "passphrase", *,
                              context: Iterable[str] = ()) -> None:
    """Raises InputError(field, why) unless the passphrase is strong enough for an account."""
    problem = passphrase_problem(passphrase, context)
    if problem:
        raise InputError(field, problem)
