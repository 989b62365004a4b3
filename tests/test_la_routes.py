"""Issue #18, the school's side: LA profiles, the pack in the LA's own form, and a referral sent
by portal assist and by secure email, each ending with the LA's reference and its outcome in
the chronology. Real store, real PDFs read back with pypdf."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.cli.main import main as cli
from app.delivery import la_routes
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.la_profiles import (
    EXTRA_SECTION,
    GENERIC,
    builtin_profiles,
    choose_profile,
    chosen_profile,
    editor_layout,
    get_profile,
    parse_profile,
)
from app.domain.pupils import child_by_upn
from app.domain.referrals import approve_referral, create_referral, get_referral
from app.errors import AccessDenied, InputError, InputErrors, NotFound
from app.hub.replicate import referral_snapshot
from app.pack import render_pack
from app.pack.assembly import referral_pack_data
from app.paths import resource_path
from tests.conftest import ADMIN_PASS, STAFF_PASS, SmallSchool
from tests.pack_fixtures import schema_errors

ROOT = Path(__file__).resolve().parent.parent

READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("consent_by", "Mother"),
         ("worries", "Arrives hungry most mornings"), ("risk_view", "medium"),
         ("child_address", "1 Synthetic Row, Testford")]


@pytest.fixture
def referral_id(school: SmallSchool) -> str:
    """An approved referral for a synthetic pupil with one concern on file."""
    with school.open("teacher") as teacher:
        child = child_by_upn(teacher, "B801200005001")
        record_concern(teacher, ConcernDraft(
            children=[(child.id, "subject")], categories=["neglect"],
            text="No breakfast again", child_words="There was no food at home",
            occurred_at=school.clock.now() - timedelta(days=2)))
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, child.id, READY)
        approve_referral(dsl, referral.id)
    return referral.id


def _choose(school: SmallSchool, profile_id: str) -> None:
    with school.open("admin") as admin:
        choose_profile(admin, profile_id)


def _text(pdf: bytes, password: str | None = None) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    if password is not None:
        reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def _chronology_text(school: SmallSchool, referral_id: str) -> str:
    with school.open("dsl") as dsl:
        child_id = get_referral(dsl, referral_id).child_id
        return "\n".join(i.summary for i in chronology(dsl, child_id))


# -- profiles -----------------------------------------------------------------------------------

def test_shipped_profiles_parse_and_say_what_is_unconfirmed() -> None:
    profiles = {p.id: p for p in builtin_profiles()}
    assert {GENERIC, "eastwold", "northmoor", "westbrook"} <= set(profiles)
    assert profiles[GENERIC].unconfirmed == []  # our own composite: nothing to confirm
    assert {p.route for p in profiles.values()} == {"frontdoor", "portal", "email"}
    for p in profiles.values():
        if p.id != GENERIC:  # modelled on published forms; names and numbers made up
            assert p.fictional and p.modelled_on and p.unconfirmed
            assert p.phone_in_hours and p.phone_out_of_hours


def test_shipped_profiles_meet_the_published_schema() -> None:
    schema = json.loads((ROOT / "docs" / "la-profile.schema.json").read_text("utf-8"))
    for path in sorted(resource_path("la-profiles").glob("*.json")):
        assert schema_errors(json.loads(path.read_text("utf-8")), schema) == [], path.name


def test_a_bad_profile_lists_every_problem() -> None:
    with pytest.raises(InputErrors) as caught:
        parse_profile({"format": 1, "id": "Bad Id", "version": "1", "phones": {},
                       "route": {"kind": "portal", "portal_url": "http://x"},
                       "form": {"title": "F", "sections": [{"title": "S", "questions": [
                           {"asks": "Q", "fields": ["shoe_size"], "confirmed": "yes"}]}]}},
                      "test.json")
    problems = "\n".join(caught.value.problems)
    for expected in ("'id' may hold only", "'version' must be a int", "portal_url",
                     "unknown field(s) shoe_size", "'confirmed' must be true or false",
                     "'in_hours'"):
        assert expected in problems


def test_only_the_admin_chooses_the_school_la_and_it_is_audited(school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        assert chosen_profile(dsl).id == GENERIC
        with pytest.raises(AccessDenied):
            choose_profile(dsl, "eastwold")
    _choose(school, "eastwold")
    with school.open("admin") as admin:
        assert chosen_profile(admin).id == "eastwold"
        row = admin.conn.execute("SELECT detail FROM audit WHERE object_id = 'la_profile'"
                                 ).fetchone()
        assert row is not None and "eastwold" in row[0]
        with pytest.raises(NotFound):
            get_profile(admin, "nowhere")


def test_the_editor_follows_the_profile_order_and_wording() -> None:
    westbrook = next(p for p in builtin_profiles() if p.id == "westbrook")
    layout = editor_layout(westbrook)
    titles = [title for title, _ in layout]
    assert titles[0] == "1. Consent" and titles[-1] == EXTRA_SECTION
    first = layout[0][1][0]
    assert first[1].startswith("Has consent been sought from parents/carers")
    placed = [spec.name for _, rows in layout for spec, _ in rows]
    assert len(placed) == len(set(placed))  # every field once, none lost


# -- the pack in the LA's form ------------------------------------------------------------------

def test_the_pack_follows_the_chosen_profile(school: SmallSchool, referral_id: str) -> None:
    with school.open("dsl") as dsl:
        generic = _text(render_pack(referral_pack_data(dsl, get_referral(dsl, referral_id)),
                                    generated_at=school.clock.now()))
    _choose(school, "westbrook")
    with school.open("dsl") as dsl:
        pdf = render_pack(referral_pack_data(dsl, get_referral(dsl, referral_id)),
                          generated_at=school.clock.now())
    text = _text(pdf)
    assert "1. Urgency" in generic and "1. Consent" not in generic
    westbrook = next(p for p in builtin_profiles() if p.id == "westbrook")
    positions = [text.index(s.title) for s in westbrook.sections]
    assert positions == sorted(positions)  # the LA's sections, in its order
    assert "Why are you contacting us" in text  # the LA's wording
    assert "Arrives hungry most mornings" in text and "1. Urgency" not in text
    assert "Inter-agency referral form" in text  # the LA's form's title on the cover


# -- portal assist ------------------------------------------------------------------------------

def test_a_referral_sent_through_portal_assist(school: SmallSchool, referral_id: str) -> None:
    _choose(school, "eastwold")
    with school.open("dsl") as dsl:
        profile, sections = la_routes.portal_form(dsl, referral_id)
        assert [s.title for s in sections][:len(profile.sections)] == [
            s.title for s in profile.sections]
        answers = {a.asks: a.answer for s in sections for a in s.answers}
        assert answers["First name"] == "Zofia"
        assert answers["What are you worried about?"] == "Arrives hungry most mornings"
        for section in profile.sections:
            la_routes.tick_section(dsl, referral_id, section.title)
        state = la_routes.route_state(dsl, referral_id)
        assert state.sections_done == [s.title for s in profile.sections]
        assert state.route is None and get_referral(dsl, referral_id).status == "approved"
        with pytest.raises(InputError, match="reference and outcome once"):
            la_routes.record_reference(dsl, referral_id, "EW-1")
        la_routes.confirm_sent(dsl, referral_id, "portal")
        la_routes.record_reference(dsl, referral_id, "EW-2026-00417")
        school.clock.advance(86400)
        state = la_routes.record_outcome(dsl, referral_id, "Section 17 assessment",
                                         "Allocated to a social worker")
        assert get_referral(dsl, referral_id).status == "sent"
        assert state.route == "portal" and state.reference == "EW-2026-00417"
        assert "portal" in state.summary and "Section 17 assessment" in state.summary
    text = _chronology_text(school, referral_id)
    assert "by the LA's portal to https://portal.eastwold.example" in text
    assert "The LA's reference for the referral: EW-2026-00417." in text
    assert "The LA's decision on the referral: Section 17 assessment." in text


# -- secure email -------------------------------------------------------------------------------

def test_a_referral_sent_by_secure_email(school: SmallSchool, referral_id: str,
                                         tmp_path: Path) -> None:
    _choose(school, "northmoor")
    out = tmp_path / "referral.pdf"
    with school.open("dsl") as dsl:
        with pytest.raises(InputError, match="not through a portal"):
            la_routes.portal_form(dsl, referral_id)
        password = la_routes.save_email_pack(dsl, referral_id, out)
        # Saved is not sent: only the DSL's confirmation marks it sent.
        assert get_referral(dsl, referral_id).status == "approved"
        assert la_routes.route_state(dsl, referral_id).pack_saved_at is not None
        tables = [f"{db}.{name}" for db in ("main", "dsl") for (name,) in dsl.conn.execute(
            f"SELECT name FROM {db}.sqlite_master WHERE type = 'table' AND name IN "
            "('audit', 'referral_status', 'meta', 'record_versions')")]
        stored = "\n".join(str(r) for t in tables for r in dsl.conn.execute(f"SELECT * FROM {t}"))
        assert password not in stored  # shown once to the DSL, kept nowhere
        la_routes.confirm_sent(dsl, referral_id, "email")
        la_routes.record_reference(dsl, referral_id, "NM/88231")
        state = la_routes.record_outcome(dsl, referral_id, "Early help")
        assert state.route == "email" and state.to == "mash@northmoor.gov.example"
    pdf = out.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.is_encrypted and reader.decrypt("wrong-password") == 0
    assert reader._encryption is not None and reader._encryption.V == 5  # AES-256
    text = _text(pdf, password)
    assert "Consent & confidentiality" in text and "Northmoor MASH" in text
    chron = _chronology_text(school, referral_id)
    assert "by secure email to mash@northmoor.gov.example at" in chron
    assert "NM/88231" in chron and "The LA's decision on the referral: Early help." in chron


def test_route_events_replicate_with_the_referral(school: SmallSchool,
                                                  referral_id: str) -> None:
    _choose(school, "eastwold")
    with school.open("dsl") as dsl:
        la_routes.confirm_sent(dsl, referral_id, "phone", "Duty social worker")
        la_routes.record_reference(dsl, referral_id, "PH-1")
        snapshot, _users, _children = referral_snapshot(dsl.conn, referral_id)
    statuses = [s["status"] for s in snapshot["statuses"]]
    assert "sent" in statuses and "la-reference" in statuses


# -- the command line ---------------------------------------------------------------------------

def _run(school: SmallSchool, user: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", ADMIN_PASS if user == "admin" else STAFF_PASS)
    words = [a for a in args[:3] if not a.startswith("--")]  # the command, then options
    return cli([*words, "--data", str(school.directory), "--user", user, *args[len(words):]])


def test_cli_la_and_email_route(school: SmallSchool, referral_id: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(school, "admin", "la", "list", monkeypatch=monkeypatch) == 0
    assert "* generic-marf" in capsys.readouterr().out
    assert _run(school, "dsl", "la", "choose", "--id", "northmoor",
                monkeypatch=monkeypatch) == 3
    assert _run(school, "admin", "la", "choose", "--id", "nowhere",
                monkeypatch=monkeypatch) == 2
    assert "no LA profile 'nowhere'" in capsys.readouterr().err
    assert _run(school, "admin", "la", "choose", "--id", "northmoor",
                monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert _run(school, "admin", "la", "show", "--json", monkeypatch=monkeypatch) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "northmoor" and shown["route"] == "email"
    out = tmp_path / "pack.pdf"
    assert _run(school, "dsl", "referral", "route", "email", "--id", referral_id, "--out",
                str(out), monkeypatch=monkeypatch) == 0
    printed = capsys.readouterr().out
    password = printed.strip().splitlines()[-1]
    assert "BY PHONE" in printed and PdfReader(io.BytesIO(out.read_bytes())).decrypt(password)
    assert _run(school, "dsl", "referral", "route", "portal", "--id", referral_id,
                monkeypatch=monkeypatch) == 2
    assert "not through a portal" in capsys.readouterr().err
    assert _run(school, "dsl", "referral", "route", "email", "--id", referral_id, "--sent",
                monkeypatch=monkeypatch) == 0
    assert _run(school, "dsl", "referral", "reference", "--id", referral_id, "--ref",
                "NM/1", monkeypatch=monkeypatch) == 0
    assert _run(school, "dsl", "referral", "outcome", "--id", referral_id, "--outcome",
                "No further action", "--note", "Advice given", monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert _run(school, "dsl", "referral", "route", "status", "--id", referral_id, "--json",
                monkeypatch=monkeypatch) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["route"] == "email" and state["reference"] == "NM/1"
    assert state["outcome"] == "No further action"


def test_phone_route_and_entries_kind(school: SmallSchool, referral_id: str) -> None:
    with school.open("dsl") as dsl:
        state = la_routes.confirm_sent(dsl, referral_id, "phone")
        assert state.to == chosen_profile(dsl).phone_in_hours
        with pytest.raises(InputError, match="already sent"):
            la_routes.confirm_sent(dsl, referral_id, "phone")
        child_id = get_referral(dsl, referral_id).child_id
        add_entry(dsl, [child_id], "note", "unrelated", school.clock.now())
        kinds = [i.kind for i in chronology(dsl, child_id)]
    assert "referral" in kinds


def test_the_front_door_route_ends_the_same_way(school: SmallSchool, referral_id: str) -> None:
    """A referral the front door receipted (app/delivery/outcomes.py records that) takes the
    LA's reference and outcome like the other routes; queued alone is not sent."""
    from app.delivery.outcomes import record_delivery

    with school.open("dsl") as dsl:
        with dsl.tx():
            record_delivery(dsl, referral_id, "queued", "envelope-1")
        assert la_routes.route_state(dsl, referral_id).route is None
        with pytest.raises(InputError):
            la_routes.record_reference(dsl, referral_id, "FD-1")
        with dsl.tx():
            record_delivery(dsl, referral_id, "receipted", "envelope-1")
        la_routes.record_reference(dsl, referral_id, "FD-1")
        state = la_routes.record_outcome(dsl, referral_id, "Section 47 enquiry")
    assert state.route == "frontdoor" and state.reference == "FD-1"
    assert "Sent by the LA front door (ConcernDesk)" in state.summary
    assert "Section 47 enquiry" in _chronology_text(school, referral_id)


def test_a_school_adds_its_own_profile(school: SmallSchool, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    raw = json.loads(resource_path("la-profiles", "westbrook.json").read_text("utf-8"))
    raw.update(id="ourla", name="Our LA (synthetic)", version=2)
    good, bad = tmp_path / "ourla.json", tmp_path / "bad.json"
    good.write_text(json.dumps(raw), encoding="utf-8")
    bad.write_text(json.dumps({**raw, "route": {"kind": "fax"}}), encoding="utf-8")
    assert _run(school, "admin", "la", "add", "--file", str(bad), monkeypatch=monkeypatch) == 2
    assert "route 'kind' must be one of frontdoor, portal, email" in capsys.readouterr().err
    assert _run(school, "dsl", "la", "add", "--file", str(good), monkeypatch=monkeypatch) == 3
    assert _run(school, "admin", "la", "add", "--file", str(good), monkeypatch=monkeypatch) == 0
    assert _run(school, "admin", "la", "choose", "--id", "ourla", monkeypatch=monkeypatch) == 0
    with school.open("dsl") as dsl:
        chosen = chosen_profile(dsl)
    assert chosen.id == "ourla" and chosen.version == 2 and not chosen.builtin
