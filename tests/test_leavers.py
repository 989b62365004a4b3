"""Leavers (issue #19, #20): a child leaves by the roster or by the DSL's word, keeps their file,
is shown apart from children on roll, and their file is read-only until review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.leavers import leavers, leaving_of
from app.domain.pupils import child_by_upn, import_roster, list_pupils
from app.domain.roster_csv import write_canonical_csv
from app.errors import AccessDenied, InputError
from app.transfer.leaving import back_on_roll, mark_left
from tests.conftest import PUPILS, SmallSchool

ZOFIA, TOMASZ, OLU = (p.upn for p in PUPILS)


def _roster(extra_header: str = "", rows: dict[str, str] | None = None) -> bytes:
    """The conftest roster as a CSV, with leaving columns when asked."""
    lines = write_canonical_csv(PUPILS).decode("utf-8").splitlines()
    if extra_header:
        lines[0] += "," + extra_header
        lines[1:] = [line + "," + (rows or {}).get(line.split(",")[0], ",") for line in
                     lines[1:]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_roster_with_a_leaving_date_and_destination_makes_a_leaver(
        school: SmallSchool) -> None:
    with school.open("admin") as admin:
        result = import_roster(admin, _roster("Leaving date,Destination",
                                              {ZOFIA: "20/03/2026,Oak Academy"}))
        assert result.left == 1 and "1 child has left" in result.leavers_note()
        zofia = child_by_upn(admin, ZOFIA)
        leaving = leaving_of(admin.conn, zofia.id)
        assert leaving is not None and leaving.source == "roster"
        assert leaving.words == "Left on 20 Mar 2026 for Oak Academy"
        # The same file again changes nothing; a file without the date puts her back on roll.
        assert import_roster(admin, _roster("Leaving date,Destination",
                                            {ZOFIA: "20/03/2026,Oak Academy"})).left == 0
        import_roster(admin, _roster())
        assert leaving_of(admin.conn, zofia.id) is None


def test_a_child_dropped_from_a_whole_roster_leaves_and_keeps_their_file(
        school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        olu = child_by_upn(dsl, OLU)
        record_concern(dsl, ConcernDraft([(olu.id, "subject")], ["neglect"],
                                         "Came in without a coat again.",
                                         school.clock.now() - timedelta(hours=1)))
    without_olu = b"\n".join(line for line in _roster().splitlines()
                             if not line.startswith(OLU.encode())) + b"\n"
    with school.open("admin") as admin:
        result = import_roster(admin, without_olu)
        assert result.left == 1
        # Still there: in the roster table, apart from the children on roll.
        assert OLU in {c.upn for c in list_pupils(admin)}
        assert [x.child_id for x in leavers(admin)] == [olu.id]
        assert leavers(admin)[0].words.endswith("(next school not known)")
    with school.open("dsl") as dsl:
        assert len(chronology(dsl, olu.id)) == 1


def test_no_new_concern_about_a_leaver_but_the_dsl_can_still_add_an_entry(
        school: SmallSchool) -> None:
    now = school.clock.now()
    with school.open("dsl") as dsl:
        zofia = child_by_upn(dsl, ZOFIA)
        mark_left(dsl, zofia.id, date(2026, 2, 27), "Oak Academy")
        assert chronology(dsl, zofia.id) == []  # leaving alone starts no file
    with school.open("teacher") as teacher:
        with pytest.raises(InputError) as caught:
            record_concern(teacher, ConcernDraft([(zofia.id, "subject")], ["neglect"],
                                                 "Seen at the gate.", now))
        assert "left on 27 Feb 2026" in str(caught.value)
        assert "read-only until it is reviewed" in str(caught.value)
        with pytest.raises(AccessDenied):
            mark_left(teacher, zofia.id, date(2026, 2, 27), None)
    with school.open("dsl") as dsl:
        add_entry(dsl, [zofia.id], "contact", "Phoned Oak Academy's DSL about the move.", now)
        # A roster that still lists her does not undo the DSL's word.
    with school.open("admin") as admin:
        import_roster(admin, _roster())
        assert leaving_of(admin.conn, zofia.id) is not None
    with school.open("dsl") as dsl:
        back_on_roll(dsl, zofia.id)
        record_concern(dsl, ConcernDraft([(zofia.id, "subject")], ["neglect"], "Back again.",
                                         now))
        with pytest.raises(InputError, match="on roll already"):
            back_on_roll(dsl, zofia.id)
