"""Operation Encompass police notifications (issue #20): recorded once for several children,
seen by the DSL team only, in each child's chronology, searchable, counted for governors, in
the pack, replicated, and filled from a pasted police email. All data invented."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.chronology import add_entry, amend_entry, chronology
from app.domain.encompass import (
    ENTRY_KIND,
    Notification,
    add_notification,
    amend_notification,
    get_notification,
    notifications,
)
from app.domain.encompass_paste import parse_email, read_date, read_time
from app.domain.search import search
from app.domain.stats import statistics
from app.errors import AccessDenied, InputError
from tests.conftest import SmallSchool

INCIDENT = datetime(2026, 3, 1, 22, 40, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 2, 7, 45, tzinfo=UTC)


def _ids(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {upn: cid for cid, upn in session.conn.execute("SELECT id, upn FROM children")}


def _notification(**changes: object) -> Notification:
    values: dict[str, object] = dict(
        received_at=RECEIVED, received_how="secure-email", incident_at=INCIDENT,
        told="Class teachers of both children, so they can offer a quiet start today",
        officer="PC 4471 Rhys Morgan", force="Westshire Police",
        police_reference="WS/24816/26", incident_place="Home address",
        child_present="yes", child_where="Upstairs in her bedroom",
        child_words="I put my headphones on so I couldn't hear.",
        circumstances="Verbal argument between adults KESTRELMARK; neighbour called police.",
        welfare_check="Spoke with Zosia at breakfast club; she said she was tired.",
        welfare_by="Dana Lead", welfare_at=datetime(2026, 3, 2, 8, 20, tzinfo=UTC))
    values.update(changes)
    return Notification(**values)  # type: ignore[arg-type]


def _add(school: SmallSchool, **changes: object) -> str:
    with school.open("dsl") as dsl:
        ids = _ids(dsl)
        version = add_notification(dsl, [(ids["B801200005001"], "subject"),
                                         (ids["Q801200005002"], "sibling")],
                                   _notification(**changes))
    return version.record_id


def test_who_was_told_is_required_with_a_clear_message(school: SmallSchool) -> None:
    with school.open("dsl") as dsl, pytest.raises(InputError) as refused:
        add_notification(dsl, [(_ids(dsl)["B801200005001"], "subject")],
                         _notification(told="   "))
    assert refused.value.field == "told"
    assert "who in school was told" in str(refused.value) and "required" in str(refused.value)
    with school.open("dsl") as dsl:
        assert notifications(dsl) == []


def test_other_mistakes_are_named(school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        child = _ids(dsl)["B801200005001"]
        for changes, field in (({"received_how": "carrier pigeon"}, "received_how"),
                               ({"incident_at": RECEIVED + timedelta(hours=2)}, "incident_at"),
                               ({"child_present": "maybe"}, "child_present")):
            with pytest.raises(InputError) as refused:
                add_notification(dsl, [(child, "subject")], _notification(**changes))
            assert refused.value.field == field
        with pytest.raises(InputError):
            add_notification(dsl, [], _notification())
        # The general entry form cannot make one without its fields.
        with pytest.raises(InputError, match="own form"):
            add_entry(dsl, [child], ENTRY_KIND, "text", INCIDENT)


def test_linked_siblings_each_see_it_in_event_order(school: SmallSchool) -> None:
    record_id = _add(school)
    with school.open("dsl") as dsl:
        ids = _ids(dsl)
        # An entry written earlier about something later: the notification sorts before it.
        add_entry(dsl, [ids["B801200005001"]], "contact", "Phoned mum", RECEIVED)
        for upn, role in (("B801200005001", "subject"), ("Q801200005002", "sibling")):
            items = chronology(dsl, ids[upn])
            mine = [i for i in items if i.record_id == record_id]
            assert len(mine) == 1 and mine[0].child_role == role
            assert mine[0].kind == ENTRY_KIND and mine[0].occurred_at == INCIDENT
            assert mine[0].significant and mine[0].categories == ("domestic-abuse",)
            assert dict(mine[0].details)["police_reference"] == "WS/24816/26"
            assert "Told in school: Class teachers" in mine[0].summary
        order = [i.kind for i in chronology(dsl, ids["B801200005001"])]
        assert order == [ENTRY_KIND, "contact"]
        assert chronology(dsl, ids["U801200005004"]) == []
        # Recorded once: one record, two links.
        assert dsl.conn.execute("SELECT count(*) FROM record_children WHERE record_id = ?",
                                (record_id,)).fetchone()[0] == 2


def test_amended_as_a_new_version_with_a_reason(school: SmallSchool) -> None:
    record_id = _add(school)
    with school.open("dsl") as dsl:
        with pytest.raises(InputError, match="own form"):
            amend_entry(dsl, record_id, "typo", summary="changed")
        view = get_notification(dsl, record_id)
        fixed = Notification(**{**view.notification.__dict__,
                                "police_reference": "WS/24817/26"})
        with pytest.raises(InputError):
            amend_notification(dsl, record_id, "", fixed)
        amend_notification(dsl, record_id, "The officer corrected the reference", fixed)
        again = get_notification(dsl, record_id)
        assert again.amended and again.notification.police_reference == "WS/24817/26"
        assert again.version.reason == "The officer corrected the reference"
        assert again.notification.told == view.notification.told
        assert [c.upn for c, _ in again.children] == ["B801200005001", "Q801200005002"]


def test_a_teacher_cannot_read_it(school: SmallSchool) -> None:
    record_id = _add(school)
    with school.open("teacher") as teacher:
        child = _ids(teacher)["B801200005001"]
        with pytest.raises(AccessDenied):
            notifications(teacher)
        with pytest.raises(AccessDenied):
            get_notification(teacher, record_id)
        with pytest.raises(AccessDenied):
            chronology(teacher, child)
        with pytest.raises(AccessDenied):
            add_notification(teacher, [(child, "subject")], _notification())
        # Not in the teacher's workspace at all: their own search finds nothing of it.
        assert list(search(teacher, "KESTRELMARK")) == []
        assert teacher.conn.execute("SELECT count(*) FROM records WHERE kind = 'entry'"
                                    ).fetchone()[0] == 0


def test_the_dsl_team_finds_it_by_reference_and_words(school: SmallSchool) -> None:
    record_id = _add(school)
    with school.open("deputy") as deputy:
        for words in ("KESTRELMARK", "WS 24816", "Westshire", "headphones"):
            hits = search(deputy, words)
            assert [h.record_id for h in hits] == [record_id], words
        assert hits[0].children == ["Zosia Wiśniewska", "Tomasz Wiśniewski"]


def test_counted_on_the_governors_dashboard(school: SmallSchool) -> None:
    _add(school)
    _add(school, police_reference="WS/30000/26", incident_at=INCIDENT - timedelta(days=40))
    with school.open("dsl") as dsl:
        stats = statistics(dsl)
    assert stats.notifications_total == 2
    assert stats.notified_children == 2  # the same two siblings both times
    months = {c.label: c.count for c in stats.notifications_by_month}
    assert months["2026-03"] == 1 and months["2026-01"] == 1
    # Notifications are not concerns: the concern counts are unchanged.
    assert stats.concerns_total == 0


def test_replicated_to_another_dsl_pc_with_its_fields(school: SmallSchool) -> None:
    from app.hub.apply import apply_snapshot
    from app.hub.apply_checks import BadPayload
    from app.hub.replicate import Snapshot

    record_id = _add(school)
    with school.open("dsl") as dsl:
        snap = Snapshot(dsl.conn, dsl.user.id)
        snap.add_record(record_id)
        payload = json.loads(json.dumps(snap.payload()))
        version = payload["records"][0]["versions"][0]
        assert version["details"]["told"].startswith("Class teachers")

        def copy(number: int) -> dict:  # type: ignore[type-arg]
            other = json.loads(json.dumps(payload))
            other["records"][0]["id"] = f"00000000-0000-4000-8000-00000000000{number}"
            other["records"][0]["versions"][0]["id"] = \
                f"00000000-0000-4000-8000-00000000001{number}"
            return other

        with dsl.tx():
            apply_snapshot(dsl.conn, copy(1))
        arrived = get_notification(dsl, "00000000-0000-4000-8000-000000000001")
        assert arrived.notification == get_notification(dsl, record_id).notification
        # A copy without "who was told" is refused, whoever sent it.
        bad = copy(2)
        del bad["records"][0]["versions"][0]["details"]["told"]
        with pytest.raises(BadPayload), dsl.tx():
            apply_snapshot(dsl.conn, bad)


def test_paste_fills_three_forces_templates() -> None:
    westshire = parse_email(
        "From: Operation Encompass <encompass@westshire.police.example.org>\n"
        "Subject: OPERATION ENCOMPASS - NOTIFICATION\n\n"
        "Police reference: WS/24816/26\nDate of incident: 01/03/2026\nTime: 22:40\n"
        "Location: Home address\nChild present: Yes - upstairs in her bedroom\n"
        "Child's words: \"I put my headphones on.\"\n"
        "Circumstances: Verbal argument between adults.\nNeighbour called police.\n\n"
        "Notifying officer: PC 4471 Rhys Morgan\nForce: Westshire Police\n")
    assert westshire.values == {
        "police_reference": "WS/24816/26", "incident_date": "2026-03-01",
        "incident_time": "22:40", "incident_place": "Home address", "child_present": "yes",
        "child_where": "upstairs in her bedroom", "child_words": "\"I put my headphones on.\"",
        "circumstances": "Verbal argument between adults.\nNeighbour called police.",
        "officer": "PC 4471 Rhys Morgan", "force": "Westshire Police"}
    assert westshire.labels["incident_date"] == "Date of incident"
    northmoor = parse_email(
        "Crime/Incident ref - NM-2026-003311\n"
        "Incident date and time - 2nd March 2026 at 7.15pm\n"
        "Address of incident - 14 Example Road, Northmoor\n"
        "Were any children present? No\nWhere were the children? At their grandparents'\n"
        "Details of incident - Ex-partner attended in breach of an order.\n"
        "Officer - DC Priya Shah\nPolice force - Northmoor Constabulary\n")
    assert northmoor.values == {
        "police_reference": "NM-2026-003311", "incident_date": "2026-03-02",
        "incident_time": "19:15", "incident_place": "14 Example Road, Northmoor",
        "child_present": "no", "child_where": "At their grandparents'",
        "circumstances": "Ex-partner attended in breach of an order.",
        "officer": "DC Priya Shah", "force": "Northmoor Constabulary"}
    eastvale = parse_email(
        "URN\tEV26/0091\nDATE\t2026-03-01\nTIME\t0730hrs\n"
        "VENUE\tCar park, Eastvale retail park\nCHILDREN PRESENT\tY\n"
        "VOICE OF THE CHILD\tDad was shouting at mum in the car\n"
        "SUMMARY\tArgument in a vehicle.\nOIC\tPC 2210 Sam Okafor\n"
        "Tel  01632 960123\n")
    assert eastvale.values == {
        "police_reference": "EV26/0091", "incident_date": "2026-03-01",
        "incident_time": "07:30", "incident_place": "Car park, Eastvale retail park",
        "child_present": "yes", "child_words": "Dad was shouting at mum in the car",
        "circumstances": "Argument in a vehicle.", "officer": "PC 2210 Sam Okafor"}


def test_paste_never_guesses() -> None:
    # Unlabelled prose fills nothing, however much it mentions.
    assert parse_email("Hi, there was an incident at 10pm on 01/03/2026 at the family home; "
                       "Zosia was present. Ref WS/1/26. Thanks, Rhys").values == {}
    assert parse_email("").values == {}
    # A value that does not read one clear way is left empty.
    unclear = parse_email("Date of incident: last night\nTime: 22:40 or 23:10\n"
                          "Child present: possibly\nPolice reference: WS/1/26\n"
                          "Police reference: WS/2/26\n")
    assert unclear.values == {}
    assert read_date("31/02/2026") is None and read_date("2026-03-01") is not None
    assert read_time("7pm") is not None and read_time("late evening") is None


# -- the command line -------------------------------------------------------------------------

WESTSHIRE_EMAIL = """Subject: OPERATION ENCOMPASS - NOTIFICATION

Police reference: WS/55501/26
Date of incident: 01/03/2026
Time: 22:40
Location: Home address
Child present: Yes - upstairs in her bedroom
Circumstances: Argument between adults; OSPREYMARK.
Notifying officer: PC 4471 Rhys Morgan
Force: Westshire Police
"""


def test_cli_round_trip(school: SmallSchool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli_parity import cli

    email = tmp_path / "email.txt"
    email.write_text(WESTSHIRE_EMAIL, encoding="utf-8")
    told = tmp_path / "told.txt"
    told.write_text("Both class teachers, so they can check in with the children today.",
                    encoding="utf-8")
    args = ("--child", "B801200005001", "--child", "Q801200005002",
            "--from-email-file", str(email), "--field", "received_how=secure-email",
            "--field", "received_at=2026-03-02 07:45")
    # What the email filled is shown, and nothing is saved until the DSL accepts it.
    shown = cli(school, "encompass add", *args, "--field-file", f"told={told}")
    assert shown.returncode == 2
    assert "WS/55501/26" in shown.stderr and "filled from the pasted email, check" in \
        shown.stderr
    # "Who was told" is required, with a clear message.
    refused = cli(school, "encompass add", *args, "--accept-filled")
    assert refused.returncode == 2 and "who in school was told" in refused.stderr
    made = cli(school, "encompass add", *args, "--accept-filled", "--field-file",
               f"told={told}")
    assert made.returncode == 0, made.stderr
    record_id = made.stdout.strip().splitlines()[-1]
    assert "filled from the pasted email, check" in made.stdout
    listed = cli(school, "encompass list", "--child", "Q801200005002", "--json")
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)
    assert item["id"] == record_id and item["police_reference"] == "WS/55501/26"
    assert item["incident_at"].startswith("2026-03-01T22:40:00")  # UK time in March is GMT
    assert item["child_present"] == "yes" and item["child_where"] == "upstairs in her bedroom"
    assert [c["role"] for c in item["children"]] == ["subject", "sibling"]
    assert item["told"].startswith("Both class teachers")
    amended = cli(school, "encompass amend", "--id", record_id, "--reason",
                  "Officer rang with the right reference", "--field",
                  "police_reference=WS/55502/26")
    assert amended.returncode == 0, amended.stderr
    shown_now = cli(school, "encompass show", "--id", record_id)
    assert "WS/55502/26" in shown_now.stdout and "version 2" in shown_now.stdout
    assert cli(school, "encompass list", user="teacher").returncode == 3


def test_cli_fill_shows_what_an_email_fills(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from app.cli.main import main

    email = tmp_path / "email.txt"
    email.write_text(WESTSHIRE_EMAIL, encoding="utf-8")
    assert main(["encompass", "fill", "--from-email-file", str(email), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["values"]["police_reference"] == "WS/55501/26"
    email.write_text("Hello, please call me back about last night. Rhys", encoding="utf-8")
    assert main(["encompass", "fill", "--from-email-file", str(email)]) == 0
    assert "nothing is filled" in capsys.readouterr().out


def test_the_pack_prints_it_with_its_fields(school: SmallSchool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    from app.domain.pupils import child_by_upn
    from app.pack import pack_json
    from app.pack.assembly import child_pack_data, write_pack
    from tests.test_pack_render import _validate

    _add(school)
    with school.open("dsl") as dsl:
        data = child_pack_data(dsl, child_by_upn(dsl, "Q801200005002"))
        write_pack(dsl, data, tmp_path / "p.pdf")
    twin = pack_json(data, generated_at=RECEIVED)
    assert _validate(twin) == []
    [entry] = twin["chronology"]
    assert entry["kind"] == "police-notification" and entry["location"] == "Home address"
    assert entry["details"]["police_reference"] == "WS/24816/26"
    assert entry["details"]["told"].startswith("Class teachers")
    assert entry["child_words"] == "I put my headphones on so I couldn't hear."
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        (tmp_path / "p.pdf").read_bytes())).pages).split())
    for words in ("Police notification", "Police reference: WS/24816/26",
                  "PC 4471 Rhys Morgan, Westshire Police", "Child present: Yes",
                  "Told in school: Class teachers", "Welfare check by Dana Lead",
                  "Home address"):
        assert words in text, words
