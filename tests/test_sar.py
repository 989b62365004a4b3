"""Subject access requests (issue #20, docs/sar.md): a child's records drafted for a parent
with every third party redacted by default, the DSL's review, and a response PDF whose text,
extracted back out, holds none of the redacted names."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from datetime import timedelta
from pathlib import Path

import pymupdf
import pytest

from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.errors import AccessDenied, InputError
from app.profile.model import Contact, HouseholdMember, Phone
from app.profile.profiles import put_item
from app.sar.drafts import (
    LOG_HEADING,
    draft_sar,
    drafts_for,
    keep_in_text,
    load_draft,
    redact_span,
    withhold,
)
from app.sar.model import SarDraft, redacted_text
from app.sar.names import NameFinder, Person, name_variants
from app.sar.respond import produce_response
from app.store.session import Session
from tests.conftest import SmallSchool

OLU, ZOFIA, TOMASZ = "U801200005004", "B801200005001", "Q801200005002"
GRANDMOTHER = "فاطمة الزهراء"
ARABIC_WORDS = "جدتي فَاطِمة تعتني بي بعد المدرسة"  # "my grandmother Fatima looks after me"
EVICTED = "12 Acacia Road"


def _extract(pdf: bytes) -> str:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return "\n".join(page.get_text() for page in doc)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _setup(dsl: Session) -> tuple[str, dict[str, str]]:
    """Olu, with concerns naming two other children, his mother (who asks), his father (do
    not contact) and his grandmother (named in Arabic script)."""
    olu = child_by_upn(dsl, OLU).id
    zofia, tomasz = child_by_upn(dsl, ZOFIA).id, child_by_upn(dsl, TOMASZ).id
    put_item(dsl, olu, "contact", Contact("Mrs Grace Adeyemi-Harte", "Mother", True, True,
                                          (Phone("07700 900123", "mobile"),), priority=1))
    put_item(dsl, olu, "contact", Contact(
        "Mr Daniel Okafor", "Father", True, False, (Phone("07700 900456", "mobile"),),
        "dan.okafor@example.com", priority=2, do_not_contact=True,
        do_not_contact_reason="Court order: no contact"))
    put_item(dsl, olu, "household", HouseholdMember(GRANDMOTHER, "Grandmother"))
    now = dsl.clock.now()
    ids = {}
    ids["bag"] = record_concern(dsl, ConcernDraft(
        children=[(olu, "subject"), (zofia, "witness"), (tomasz, "other")],
        categories=["bullying"],
        text="Olu told Ms Patel that TOMASZ WISNIEWSKI took his bag while Zosia watched. "
             "Olu's dad Daniel Okafor phoned on 07700900456 asking about it.",
        child_words="Tomasz said he would hurt me if I told. Mr Okafor shouted at mum.",
        occurred_at=now - timedelta(days=20))).id
    ids["arabic"] = record_concern(dsl, ConcernDraft(
        children=[(olu, "subject")], categories=["neglect"],
        text="Olu said in Arabic who looks after him; Zofia Wiśniewska translated.",
        child_words=ARABIC_WORDS, occurred_at=now - timedelta(days=10))).id
    ids["home"] = record_concern(dsl, ConcernDraft(
        children=[(olu, "subject")], categories=["neglect"],
        text=f"Olu disclosed that the family were evicted from {EVICTED} last week.",
        occurred_at=now - timedelta(days=5))).id
    add_entry(dsl, [olu], "note", "Called CAMHS about the family's worker Jan Kowal.",
              now - timedelta(days=2))
    return olu, ids


def _range(dsl: Session) -> tuple:
    today = dsl.clock.now().date()
    return today - timedelta(days=30), today


def test_the_draft_redacts_other_children_and_adults_by_default(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        olu, _ = _setup(dsl)
        draft = draft_sar(dsl, olu, "1", *_range(dsl))  # his mother asks
        assert draft.requester.name == "Mrs Grace Adeyemi-Harte"
        assert [e.kind for e in draft.entries] == ["concern", "concern", "concern", "note"]
        bag = draft.entries[0]
        shown = bag.redacted(0)
        assert "TOMASZ" not in shown and "WISNIEWSKI" not in shown and "Zosia" not in shown
        assert "Okafor" not in shown and "Daniel" not in shown and "900456" not in shown
        assert "Olu told Ms Patel" in shown  # his own name and the staff's stay
        assert shown.count("[redacted: third party]") == 4
        words = bag.redacted(1)
        assert words == ("[redacted: third party] said he would hurt me if I told. "
                         "[redacted: third party] shouted at mum.")
        # Why each was matched, for the DSL's review
        reasons = {r.who for r in bag.redactions}
        assert any("Tomasz Wiśniewski" in w for who in reasons for w in who)
        assert any("father: Daniel Okafor" in w for who in reasons for w in who)
        # Polish diacritics: the roster's Wiśniewska matches as written
        assert "Wiśniewska" not in draft.entries[1].redacted(0)
        # Arabic script, vowel marks and all
        arabic = draft.entries[1].redacted(1)
        assert "فَاطِمة" not in arabic and "[redacted: third party]" in arabic
        assert "تعتني بي" in arabic
        # Saved, and resumed as it was
        assert load_draft(dsl, draft.id) == draft
        assert drafts_for(dsl, olu)[0].id == draft.id
        assert SarDraft.from_json(draft.to_json()) == draft


def test_the_response_pdf_holds_no_redacted_name_and_the_log_is_in_the_chronology(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    with keyed_school.open("dsl") as dsl:
        olu, _ = _setup(dsl)
        draft = draft_sar(dsl, olu, "Grace Adeyemi-Harte", *_range(dsl))
        home = draft.entries[2]
        start = home.segments[0].text.index(EVICTED)
        redact_span(dsl, draft.id, 3, start, start + len(EVICTED),
                    "where the family lives now: risk of serious harm", ground="other")
        withhold(dsl, draft.id, 4, "names a professional's work with another family")
        with pytest.raises(InputError):
            withhold(dsl, draft.id, 1, "  ")  # a reason is required
        out = tmp_path / "response.pdf"
        produced = produce_response(dsl, draft.id, out)
        assert out.read_bytes() == produced.pdf
        text = _extract(produced.pdf)
        flat = _folded(text)
        for name in ("Tomasz", "Wiśniewski", "Wiśniewska", "Zosia", "Zofia", "Daniel",
                     "Okafor", "900456", "okafor@example.com", "Acacia", "CAMHS", "Kowal"):
            assert _folded(name) not in flat, name
        assert "فاطمة" not in text and "فَاطِمة" not in text
        assert "[redacted: third party]" in text and "[redacted]" in text
        assert "said he would hurt me if I told" in text  # the child's own words
        assert "Olu told Ms Patel" in text and "OFFICIAL-SENSITIVE" in text
        assert "Mrs Grace Adeyemi-Harte (mother)" in text
        assert "1 entry left out in full" in text
        assert "Child-on-child abuse" in text and "bullying" not in text  # words, not codes
        # the log, in the chronology, says what was withheld and why
        log = chronology(dsl, olu)[-1]
        assert log.summary.startswith(LOG_HEADING) and log.kind == "action"
        assert "withheld in full: names a professional's work with another family" in log.summary
        assert "redacted by the DSL: where the family lives now" in log.summary
        assert "another child's name (another child: Tomasz Wiśniewski (Y3))" in log.summary
        assert EVICTED not in log.summary  # where, never the words
        # audited; and the produced draft is closed to change
        audit = dsl.conn.execute("SELECT count(*) FROM dsl.audit WHERE action = 'export' AND "
                                 "object_type = 'sar-response'").fetchone()[0]
        assert audit == 1
        with pytest.raises(InputError):
            redact_span(dsl, draft.id, 1, 0, 3, "too late")
        # a later draft withholds the earlier response's log by default
        again = draft_sar(dsl, olu, "child", *_range(dsl))
        assert again.entries[-1].withheld is not None
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(out),
                            str(tmp_path / "page")], check=True)


def test_a_dsl_can_keep_an_automatic_match_in_the_text_with_a_reason(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        olu, _ = _setup(dsl)
        draft = draft_sar(dsl, olu, "child", *_range(dsl))  # Olu asks: his mother is a third
        words = draft.entries[0].redacted(1)                # party to him, by default
        assert "Tomasz" not in words
        which = next(n for n, r in enumerate(draft.entries[0].redactions, start=1)
                     if r.segment == 1 and "Okafor" in draft.entries[0].segments[1].text[
                         r.start:r.end])
        kept = keep_in_text(dsl, draft.id, 1, which, "his father's own words to him")
        assert "Mr Okafor shouted" in kept.entries[0].redacted(1)
        father = draft_sar(dsl, olu, "2", *_range(dsl))  # "contact 2" in profile show
        assert father.requester.name == "Mr Daniel Okafor"
        assert father.requester.caution and "DO NOT CONTACT" in father.requester.caution
        with pytest.raises(InputError):
            draft_sar(dsl, olu, "7", *_range(dsl))


def test_a_teacher_is_refused(keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        olu, _ = _setup(dsl)
        draft = draft_sar(dsl, olu, "1", *_range(dsl))
    with keyed_school.open("teacher") as teacher:
        with pytest.raises(AccessDenied):
            draft_sar(teacher, olu, "1", *_range(teacher))
        with pytest.raises(AccessDenied):
            load_draft(teacher, draft.id)


def test_matching_is_whole_word_and_folds_case_accents_and_arabic_marks() -> None:
    finder = NameFinder([Person("a", "another child's name",
                                name_variants("Łukasz Żółć", forenames=["Łukasz"],
                                              surname="Żółć")),
                         Person("b", "another person's name", name_variants("فاطمة",
                                                                            forenames=["فاطمة"]))],
                        protected=["Zolc"])
    text = "LUKASZ and lukaszek met Łukasz Zolc; e\u0301 فَاطِمَة."
    spans = [text[m.start:m.end] for m in finder.find(text)]
    assert spans == ["LUKASZ", "Łukasz Zolc", "فَاطِمَة"]  # not "lukaszek"; "Zolc" alone kept
    decomposed = unicodedata.normalize("NFD", "Łukasz Żółć")
    [m] = finder.find(decomposed)
    assert (m.start, m.end) == (0, len(decomposed))  # the accents go with the letters
    assert redacted_text("ab cd", []) == "ab cd"


def test_the_cli_drafts_reviews_and_renders_and_refuses_a_teacher(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    from tests.test_cli_parity import cli

    with keyed_school.open("dsl") as dsl:
        _setup(dsl)
        since, until = (d.isoformat() for d in _range(dsl))
    made = cli(keyed_school, "sar draft", "--child", OLU, "--requester", "1", "--from", since,
               "--to", until)
    assert made.returncode == 0, made.stderr
    draft_id = made.stdout.strip().splitlines()[-1]
    shown = cli(keyed_school, "sar show", "--draft", draft_id, "--json")
    assert shown.returncode == 0, shown.stderr
    as_text = cli(keyed_school, "sar show", "--draft", draft_id).stdout
    assert "redaction 1: field 1" in as_text and "as the response shows it:" in as_text
    home = json.loads(shown.stdout)["entries"][2]["segments"][0]["text"]
    start = home.index(EVICTED)
    redacted = cli(keyed_school, "sar redact", "--draft", draft_id, "--entry", "3", "--span",
                   f"{start}:{start + len(EVICTED)}", "--reason", "risk", "--ground", "other")
    assert redacted.returncode == 0 and EVICTED not in redacted.stdout, redacted.stderr
    bad = cli(keyed_school, "sar redact", "--draft", draft_id, "--entry", "3", "--span",
              "9:2", "--reason", "risk")
    assert bad.returncode == 2 and "span" in bad.stderr
    held = cli(keyed_school, "sar withhold", "--draft", draft_id, "--entry", "4", "--reason",
               "about another family")
    assert held.returncode == 0, held.stderr
    refused = cli(keyed_school, "sar show", "--draft", draft_id, user="teacher")
    assert refused.returncode == 3 and "subject access" in refused.stderr
    out = tmp_path / "response.pdf"
    rendered = cli(keyed_school, "sar render", "--draft", draft_id, "--out", str(out))
    assert rendered.returncode == 0, rendered.stderr
    text = _folded(_extract(out.read_bytes()))
    assert "tomasz" not in text and "acacia" not in text and "[redacted]" in text
    listed = cli(keyed_school, "sar list", "--child", OLU)
    assert "produced" in listed.stdout


def test_a_single_key_store_keeps_drafts_too(single_key_school: SmallSchool) -> None:
    with single_key_school.open("dsl") as dsl:
        olu, _ = _setup(dsl)
        draft = draft_sar(dsl, olu, "child", *_range(dsl))
        assert load_draft(dsl, draft.id) == draft
