"""Coverage-guided fuzzing (atheris, libFuzzer) of the parsers that take bytes from outside:
the roster CSV, the child identifiers, the recovery key, the envelope, the referral payload and
chunk, and the request-signature headers. The only acceptable failure is a ConcernDeskError
(a clear message); anything else is a crash that libFuzzer reports with the input that caused it.

Not collected by pytest (hypothesis covers the same parsers in CI, test_fuzz_input.py); run by
hand for as long as you like, after `.venv/bin/pip install atheris`:

    .venv/bin/python tests/reliability/atheris_parsers.py -max_total_time=120
    .venv/bin/python tests/reliability/atheris_parsers.py -runs=200000 -only_ascii=0
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris

with atheris.instrument_imports():
    from app.domain.roster_csv import parse_roster
    from app.errors import ConcernDeskError
    from app.identifiers import check_nhs_number, check_upn
    from app.protocol import httpsig
    from app.protocol.envelope import parse as parse_envelope
    from app.protocol.payload import read_chunk, read_referral
    from app.store.keys import parse_recovery_key

TODAY = date(2026, 3, 2)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 6)
    rest = fdp.ConsumeBytes(fdp.remaining_bytes())
    text = rest.decode("utf-8", "surrogateescape")
    try:
        if target == 0:
            parse_roster(rest, today=TODAY)
        elif target == 1:
            check_upn(text)
            check_nhs_number(text)
        elif target == 2:
            parse_recovery_key(text)
        elif target == 3:
            parse_envelope(rest)
        elif target == 4:
            read_referral(rest)
        elif target == 5:
            read_chunk(rest)
        else:
            head, _, tail = text.partition("\n")
            httpsig.parse_signature({"signature-input": head, "signature": tail,
                                     "content-digest": tail[:60]})
    except ConcernDeskError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
