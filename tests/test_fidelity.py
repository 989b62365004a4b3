"""Nothing a person typed is lost or cut short on its way to the people who need it: every field
of a concern, its body-map marks with their full place, and the DSL's words on each status
change reach the chronology (core and ``chronology --json`` / text), search (for the DSL team
only) and the pack PDF and its JSON twin; the pack's id is one id everywhere."""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.cli.main import main
from app.domain.chronology import chronology
from app.domain.concerns import (
    ConcernDraft,
    assign,
    get_concern,
    my_concerns,
    record_concern,
    set_status,
)
from app.domain.pupils import child_by_upn
from app.domain.records import BodyMark
from app.domain.referrals import approve_referral, create_referral
from app.domain.referrals import update_referral as update
from app.domain.search import search, search_child
from app.pack.assembly import child_pack_data, release_referral, write_pack
from app.store.verify import verify_store
from tests.conftest import STAFF_PASS, SmallSchool
from tests.pack_fixtures import schema_errors

UPN = "B801200005001"
# Synthetic words, each unusual enough to be found only where it was written.
TEXT = "Saw a fresh graze on the knuckles during the Tuesday assembly"
WORDS = "I fell off the trampoline at Kestrelwood"
ACTION = "Cleaned the graze and told the office first aider Quillon"
WHERE = "Outside the Brackenford music room"
WITNESSES = "Teaching assistant Marisol Penhallow"
MARK_NOTE = "Purple bruise the size of a coin"
ACTIONED = "Telephoned grandmother Wilhelmina about the bruising"
OUTCOME = "Early help assessment opened with the Marchbanks family hub"


@dataclass
class Course:
    concern_id: str
    child_id: str


def _record_course(school: SmallSchool) -> Course:
    with school.open("teacher") as teacher:
        child = child_by_upn(teacher, UPN)
        view = record_concern(teacher, ConcernDraft(
            children=[(child.id, "subject")], categories=["neglect", "physical-abuse"],
            text=TEXT, occurred_at=school.clock.now() - timedelta(hours=2), location=WHERE,
            child_words=WORDS, action_taken=ACTION, witnesses=WITNESSES,
            body_marks=(BodyMark("front", 0.81, 0.31, MARK_NOTE, "Left arm"),)))
    with school.open("dsl") as dsl:
        school.clock.advance(600)
        set_status(dsl, view.id, "acknowledged")
        school.clock.advance(60)
        assign(dsl, view.id, "deputy")
        school.clock.advance(3600)
        set_status(dsl, view.id, "actioned", ACTIONED)
        school.clock.advance(3600)
        set_status(dsl, view.id, "closed", OUTCOME)
    return Course(view.id, child.id)


@pytest.fixture
def course(school: SmallSchool) -> Course:
    return _record_course(school)


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        *args: str) -> str:
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space as one space (lines wrap anywhere)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


# -- 1. the DSL's words on a status change -------------------------------------------------------
def test_status_changes_are_items_of_the_chronology_in_event_order(
        school: SmallSchool, course: Course) -> None:
    with school.open("dsl") as dsl:
        items = chronology(dsl, course.child_id)
        significant = chronology(dsl, course.child_id, categories={"neglect"})
    assert [(i.kind, i.summary, i.author) for i in items] == [
        ("concern", TEXT, "Terry Teach"),
        ("status", "Acknowledged", "Dana Lead"),
        ("status", "Assigned to Dev Deputy", "Dana Lead"),
        ("status", f"Actioned — {ACTIONED}", "Dana Lead"),
        ("status", f"Closed — {OUTCOME}", "Dana Lead"),
    ]
    assert [i.note for i in items[1:]] == [None, None, ACTIONED, OUTCOME]
    assert all(i.record_id == course.concern_id for i in items)
    assert [i.occurred_at for i in items] == sorted(i.occurred_at for i in items)
    assert len(significant) == 5  # a status change goes with its concern through a filter


def test_the_inbox_detail_carries_the_notes_for_the_dsl_team_only(
        school: SmallSchool, course: Course) -> None:
    with school.open("dsl") as dsl:
        view = get_concern(dsl, course.concern_id)
    assert [e.text for e in view.events][-2:] == [f"Actioned — {ACTIONED}",
                                                   f"Closed — {OUTCOME}"]
    assert view.events[-1].actor == "Dana Lead"
    with school.open("teacher") as teacher:
        assert my_concerns(teacher)[0].events == ()


def test_search_finds_a_status_note_for_the_dsl_team_but_not_for_staff(
        school: SmallSchool, course: Course) -> None:
    with school.open("dsl") as dsl:
        hits = search(dsl, "wilhelmina")
        outcome = search(dsl, "Marchbanks hub")
        in_child = search_child(dsl, course.child_id, "Wilhelmina")
    assert [h.record_id for h in hits] == [course.concern_id]
    assert "[Wilhelmina]" in hits[0].snippet and hits[0].kind == "concern"
    assert hits[0].children == ["Zosia Wiśniewska"]
    assert [h.record_id for h in outcome] == [course.concern_id]
    assert in_child == {course.concern_id}
    with school.open("teacher") as teacher:  # the teacher's own concern, the DSL's note
        assert list(search(teacher, "Wilhelmina")) == []
        assert [h.record_id for h in search(teacher, "Kestrelwood")] == [course.concern_id]


def test_a_status_event_that_arrives_from_the_hub_is_found_too(
        school: SmallSchool, course: Course) -> None:
    # app/hub/apply.py inserts replicated events straight into record_status: the trigger of
    # migration 9 indexes them as it does events made here.
    with school.open("dsl") as dsl, dsl.tx() as conn:
        actor = conn.execute("SELECT id FROM users WHERE username = 'deputy'").fetchone()[0]
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                     "VALUES (?,?,?,?,?,?)", (str(uuid.uuid4()), course.concern_id,
                                              "acknowledged", actor,
                                              "2026-03-02T13:00:00.000000Z",
                                              "Reopened after Yarrowby called"))
    with school.open("dsl") as dsl:
        assert [h.record_id for h in search(dsl, "Yarrowby")] == [course.concern_id]
        assert verify_store(dsl).ok


def test_verify_passes_with_status_notes(school: SmallSchool, course: Course) -> None:
    with school.open("dsl") as dsl:
        report = verify_store(dsl)
    assert report.ok, report.problems


# -- 2 and 3. every field, and the body map's full place ---------------------------------------
def test_chronology_json_and_text_carry_every_field_place_and_note(
        school: SmallSchool, course: Course, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("chronology", "--data", str(school.directory), "--user", "dsl", "--child", UPN)
    items = json.loads(cli(capsys, monkeypatch, *args, "--json"))
    concern = items[0]
    assert (concern["summary"], concern["child_words"], concern["action_taken"],
            concern["location"], concern["witnesses"]) == (TEXT, WORDS, ACTION, WHERE,
                                                           WITNESSES)
    assert concern["body_marks"] == [{"side": "front", "x": 0.81, "y": 0.31,
                                      "region": "Left arm", "place": "Front: Left arm",
                                      "note": MARK_NOTE}]
    assert [(i["kind"], i["status"], i["note"], i["author"]) for i in items[3:]] == [
        ("status", "actioned", ACTIONED, "Dana Lead"), ("status", "closed", OUTCOME,
                                                        "Dana Lead")]
    assert items[3]["summary"] == f"Actioned — {ACTIONED}"
    text = cli(capsys, monkeypatch, *args)
    for words in (TEXT, WORDS, ACTION, WHERE, WITNESSES, "Front: Left arm", MARK_NOTE,
                  f"Actioned — {ACTIONED}", f"Closed — {OUTCOME}", "Assigned to Dev Deputy"):
        assert words in text, words


def test_the_pack_prints_every_field_the_place_and_the_notes(
        school: SmallSchool, course: Course, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    with school.open("dsl") as dsl:
        write_pack(dsl, child_pack_data(dsl, child_by_upn(dsl, UPN)), out)
    text = pdf_text(out.read_bytes())
    for words in (TEXT, ACTION, WHERE, WITNESSES, f"Actioned — {ACTIONED}",
                  f"Closed — {OUTCOME}", "Assigned to Dev Deputy", MARK_NOTE):
        assert words in text, words
    # the chronology row names the place, and so does the body map's table
    assert text.count("Front: Left arm") >= 2
    twin = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    schema = json.loads((Path(__file__).parents[1] / "docs" / "pack-schema.json").read_text())
    assert schema_errors(twin, schema) == []
    first = twin["chronology"][0]
    assert (first["location"], first["action_taken"], first["witnesses"]) == (
        WHERE, ACTION, WITNESSES)
    assert first["body_marks"][0]["place"] == "Front: Left arm"
    assert first["body_marks"][0]["region"] == "Left arm"
    notes = [(e["kind"], e["status"], e["note"]) for e in twin["chronology"][1:]]
    assert ("status", "actioned", ACTIONED) in notes and ("status", "closed", OUTCOME) in notes


def test_a_mark_saved_without_a_region_is_named_by_its_nearest(
        school: SmallSchool, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN)
        view = record_concern(dsl, ConcernDraft(
            [(child.id, "subject")], ["neglect"], "Bruise seen at lunch",
            dsl.clock.now() - timedelta(hours=1),
            body_marks=(BodyMark("back", 0.2, 0.31, "Old mark"),)))
        with dsl.tx() as conn:  # as a mark saved before regions were kept
            conn.execute("UPDATE record_versions SET body_marks = ? WHERE record_id = ?",
                         (json.dumps([{"side": "back", "x": 0.2, "y": 0.31,
                                       "note": "Old mark"}]), view.id))
        write_pack(dsl, child_pack_data(dsl, child), tmp_path / "p.pdf")
    items = json.loads(cli(capsys, monkeypatch, "chronology", "--data",
                           str(school.directory), "--user", "dsl", "--child", UPN, "--json"))
    assert items[0]["body_marks"][0]["place"] == "Back: Left arm"
    assert "Back: Left arm" in pdf_text((tmp_path / "p.pdf").read_bytes())


# -- 4. one pack id everywhere --------------------------------------------------------------------
_PACK_ID = re.compile(r"Pack ([0-9a-f-]{36}) ·")


def _ids_in(pdf: bytes) -> tuple[set[str], str]:
    reader = PdfReader(io.BytesIO(pdf))
    footers = {m for page in reader.pages for m in _PACK_ID.findall(page.extract_text())}
    return footers, str(reader.metadata.title)


@pytest.mark.parametrize("who", ["dsl-child", "dsl-referral", "office"])
def test_the_pack_id_printed_is_the_id_in_the_pdf(
        school: SmallSchool, course: Course, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, who: str) -> None:
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, course.child_id)
        update(dsl, referral.id, [("kind", "safeguarding"), ("immediate_risk", "no"),
                                  ("parents_aware", "yes"), ("consent_given", "yes"),
                                  ("worries", "Bruising"), ("risk_view", "medium")])
        approve_referral(dsl, referral.id)
        released = release_referral(dsl, referral.id)
    out = tmp_path / "pack.pdf"
    which = ["--child", UPN] if who == "dsl-child" else ["--referral", referral.id]
    user = "office" if who == "office" else "dsl"
    printed = cli(capsys, monkeypatch, "pack", "--data", str(school.directory), "--user", user,
                  *which, "--out", str(out))
    pack_id = re.search(r"Pack (\S+) written", printed).group(1)  # type: ignore[union-attr]
    footers, title = _ids_in(out.read_bytes())
    assert footers == {pack_id}
    assert title == f"Referral pack {pack_id}"
    if who == "office":
        assert pack_id == released
    else:
        twin = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        assert twin["pack_id"] == pack_id


# -- end to end --------------------------------------------------------------------------------
def test_every_word_typed_reaches_the_chronology_search_and_the_pack(
        school: SmallSchool, course: Course, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    everything = {"text": TEXT, "child's words": WORDS, "action taken": ACTION,
                  "where": WHERE, "witnesses": WITNESSES, "mark place": "Front: Left arm",
                  "mark note": MARK_NOTE, "actioned note": ACTIONED, "outcome": OUTCOME}
    data = ("--data", str(school.directory))
    chrono = cli(capsys, monkeypatch, "chronology", *data, "--user", "dsl", "--child", UPN,
                 "--json")
    for name, words in everything.items():
        assert words in chrono, f"chronology --json lacks the {name}"
    assert {"neglect", "physical-abuse"} <= set(json.loads(chrono)[0]["categories"])

    for name, words in everything.items():
        if name in {"mark place"}:
            continue  # a place is a region name, not words anyone typed
        query = " ".join(words.split()[-3:])
        found = json.loads(cli(capsys, monkeypatch, "search", *data, "--user", "dsl", query,
                               "--json"))
        assert [h["record_id"] for h in found] == [course.concern_id], f"search: {name}"

    out = tmp_path / "pack.pdf"
    cli(capsys, monkeypatch, "pack", *data, "--user", "dsl", "--child", UPN, "--out", str(out))
    text = pdf_text(out.read_bytes())
    for name, words in {**everything, "category": "Physical abuse"}.items():
        assert words in text, f"the pack lacks the {name}"
