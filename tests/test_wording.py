"""One date style, counts that agree with their nouns, year groups in school order."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.pack.dates import fmt_date
from app.wording import date_text, date_time_text, month_text, plural, wait_text, year_order


def test_dates_have_one_style_whatever_the_locale() -> None:
    assert date_text(date(2026, 12, 2)) == "02 Dec 2026"
    moment = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    local = moment.astimezone()
    assert date_time_text(moment) == f"{date_text(local.date())} {local:%H:%M}"
    assert len(date_time_text(moment)) == len("02 Dec 2026 14:05")
    assert month_text(2026, 3) == "Mar 2026"
    assert fmt_date(date(2026, 3, 9)) == date_text(date(2026, 3, 9)) == "09 Mar 2026"


def test_counts_agree_with_their_nouns() -> None:
    assert plural(1, "minute") == "1 minute"
    assert plural(2, "minute") == "2 minutes"
    assert plural(0, "entry", "entries") == "0 entries"
    assert plural(1, "entry", "entries") == "1 entry"


def test_waits_are_said_in_their_largest_unit_never_shorter_than_they_are() -> None:
    assert [wait_text(s) for s in (0, 1, 0.2, 30, 59.5)] == [
        "1 second", "1 second", "1 second", "30 seconds", "1 minute"]
    assert [wait_text(s) for s in (60, 61, 120, 3540, 3541, 3599)] == [
        "1 minute", "2 minutes", "2 minutes", "59 minutes", "1 hour", "1 hour"]
    assert [wait_text(s) for s in (3600, 3601, 7200)] == ["1 hour", "2 hours", "2 hours"]


def test_year_groups_sort_in_school_order() -> None:
    shuffled = ["Y10", "R", "Y2", "N2", "Y1", "N1", "Y13", "7"]
    assert sorted(shuffled, key=year_order) == ["N1", "N2", "R", "Y1", "Y2", "7", "Y10", "Y13"]


def test_the_core_sentences_use_the_style() -> None:
    from app.delivery.delivered import DeliveryState
    from app.pack.assembly import PrintedMark

    when = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    shown = date_time_text(when)
    mark = PrintedMark(pack_id="p", printed_by="Olly Office", printed_at=when)
    assert mark.text == f"printed by Olly Office at {shown}"
    state = DeliveryState(state="delivered", delivered_at=when, waiting=1)
    assert state.text == f"delivered to DSL team at {shown} (1 change still to send)"


def test_ordinals_for_birthdays() -> None:
    from app.wording import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 13, 21, 22, 25, 31, 101, 111)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "22nd", "25th", "31st", "101st",
        "111th"]
