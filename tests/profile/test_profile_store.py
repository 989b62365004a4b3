"""The child's profile on a real store: imports from the MIS's contact exports, a DSL's edits
with their history and sources, who may read it, and that it lives only where the DSL store's
key opens it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.clock import FakeClock
from app.domain.pupils import child_by_upn, import_roster
from app.errors import AccessDenied, InputError, InputErrors, NotFound
from app.profile.imports import import_contacts, import_profile_file
from app.profile.model import Address, Contact, Phone, Professional
from app.profile.profiles import (
    profile,
    profile_history,
    put_item,
    read_transferred,
    remove_item,
    set_fact,
)
from app.store.session import Session
from tests.conftest import SmallSchool

DATA = Path(__file__).resolve().parents[1] / "data"
SIMS_UPN = "M976405426001"  # Jessica Jones in roster_sims.csv
ZOE = "Zo\u00eb Jones"


def _sims(dsl: Session) -> None:
    import_roster(dsl, (DATA / "roster_sims.csv").read_bytes())


def test_a_sims_contact_export_fills_the_profile_and_twice_changes_nothing(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        _sims(dsl)
        result = import_contacts(dsl, (DATA / "mis" / "sims_contacts.csv").read_bytes())
        assert result.what == "SIMS contact export" and result.changes > 0
        assert "Windows-1252" in result.summary
        child = child_by_upn(dsl, SIMS_UPN)
        known = profile(dsl, child.id)
        names = [c.name for _, c in known.contacts]
        assert names[0].endswith(ZOE)  # priority 1 first
        mother = known.contacts[0][1]
        assert mother.relationship == "Mother" and mother.parental_responsibility is True
        assert Phone("07700 900101", "mobile") in mother.phones
        father = known.contacts[1][1]
        assert father.parental_responsibility is False and father.lives_with_child is False
        source = known.source_of("contact", known.contacts[0][0])
        assert source is not None and source.text == "MIS import (SIMS contact export)"

        again = import_contacts(dsl, (DATA / "mis" / "sims_contacts.csv").read_bytes())
        assert again.changes == 0 and again.summary.startswith("Nothing changed")
        assert profile(dsl, child.id, audit=False) == known
        audit = dsl.conn.execute("SELECT count(*) FROM dsl.audit WHERE action = 'import' AND "
                                 "object_type = 'profiles'").fetchone()[0]
        assert audit == 2  # each import is audited, even one that changed nothing


def test_a_contact_for_a_pupil_not_on_the_roster_imports_nothing(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:  # the small school's roster lacks the SIMS pupils
        with pytest.raises(InputErrors) as refused:
            import_profile_file(dsl, (DATA / "mis" / "sims_contacts.csv").read_bytes())
        assert "not on the roster" in refused.value.summary
        assert all("no pupil on the roster has this" in p for p in refused.value.problems)
        assert not any("Jones" in p or SIMS_UPN in p for p in refused.value.problems)
        assert dsl.conn.execute("SELECT count(*) FROM profile_items").fetchone()[0] == 0


def test_a_row_linked_only_by_admission_number_finds_its_pupil(
        keyed_school: SmallSchool) -> None:
    csv = (b"Adno,Contact Forename,Contact Surname,Relationship,Priority\r\n"
           b"1001,Ewa,Kaminska,Mother,1\r\n")
    with keyed_school.open("dsl") as dsl:
        _sims(dsl)
        import_contacts(dsl, csv)  # the roster said 001001: the zeros do not matter
        child = child_by_upn(dsl, "B976405424000")
        assert [c.name for _, c in profile(dsl, child.id).contacts] == ["Ewa Kaminska"]


def test_a_dsls_edits_keep_history_and_say_who(keyed_school: SmallSchool,
                                              clock: FakeClock) -> None:
    with keyed_school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        set_fact(dsl, child.id, "gp", "Dr A Example, Exampleton Health Centre")
        set_fact(dsl, child.id, "interpreter_needed", "yes")
        with pytest.raises(InputError, match="NHS number"):
            set_fact(dsl, child.id, "nhs_number", "943 476 5871")
        key = put_item(dsl, child.id, "contact", Contact(
            "Marta Example", "Mother", True, True, (Phone("07700 900456", "mobile"),)))
        put_item(dsl, child.id, "contact", Contact(
            "Marta Example", "Mother", True, True, (Phone("07700 900457", "mobile"),)), key)
        put_item(dsl, child.id, "address", Address(("12 Sample Street", "Exampleton"),
                                                   "ZZ99 9AB"))
        put_item(dsl, child.id, "professional", Professional(
            "Sam Worker", "Social worker", "Exampleton Children's Services", "01632 960555"))
        with pytest.raises(InputError, match="say why"):
            remove_item(dsl, child.id, "contact", key, "  ")
        with pytest.raises(InputError, match="say why the school must not contact"):
            put_item(dsl, child.id, "contact", Contact("Tom Example", "Father",
                                                       do_not_contact=True))
        known = profile(dsl, child.id)
        assert known.facts.gp.startswith("Dr A Example") and known.facts.interpreter_needed
        assert known.home is not None and known.home.postcode == "ZZ99 9AB"
        assert known.contacts[0][1].phones == (Phone("07700 900457", "mobile"),)
        assert known.source_of("fact", "gp").text == "typed in by Dana Lead"
        remove_item(dsl, child.id, "contact", key, "Moved away; no longer a contact")
        assert profile(dsl, child.id).contacts == ()
        history = [(h.kind, h.value is None) for h in profile_history(dsl, child.id)]
        assert history.count(("contact", False)) == 2 and ("contact", True) in history
        with pytest.raises(NotFound):
            remove_item(dsl, child.id, "contact", key, "twice")


def test_staff_office_and_admin_neither_read_nor_change_a_profile(
        keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        set_fact(dsl, child.id, "religion", "Quaker")
    for name in ("teacher", "office", "admin"):
        with keyed_school.open(name) as other:
            with pytest.raises(AccessDenied):
                profile(other, child.id)
            with pytest.raises(AccessDenied):
                set_fact(other, child.id, "religion", "None")
            with pytest.raises(AccessDenied):
                import_profile_file(other, b"UPN,Contact Name\r\n")


def test_the_profile_is_only_in_the_dsl_store(keyed_school: SmallSchool) -> None:
    with keyed_school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        set_fact(dsl, child.id, "religion", "Zoroastrian-Quakerish")
        dsl.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        where = [r[0] for r in dsl.conn.execute(
            "SELECT 'main' FROM main.sqlite_master WHERE name = 'profile_items' UNION ALL "
            "SELECT 'dsl' FROM dsl.sqlite_master WHERE name = 'profile_items'")]
        assert where == ["dsl"]
    with keyed_school.open("teacher") as teacher:  # the workspace: same table, empty
        assert teacher.conn.execute("SELECT count(*) FROM profile_items").fetchone()[0] == 0


def test_a_single_file_store_keeps_the_profile_too(single_key_school: SmallSchool) -> None:
    with single_key_school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        set_fact(dsl, child.id, "first_language", "Polish")
        assert profile(dsl, child.id).facts.first_language == "Polish"


def test_a_ctf_adds_a_new_pupil_and_enriches_the_profile_once(
        keyed_school: SmallSchool) -> None:
    data = (DATA / "ctf" / "small.xml").read_bytes()
    with keyed_school.open("dsl") as dsl:
        result = import_profile_file(dsl, data)  # told apart from a CSV by being XML
        assert result.what == "Common Transfer File 25.0 from Testford Park Academy " \
            "(" + result.what.split("(")[1]
        assert result.children_added == result.pupils > 0
        ada = child_by_upn(dsl, "B975410020001")
        assert ada.legal_forename == "Ada"  # on the roster now, for every role
        known = profile(dsl, ada.id)
        assert known.facts.ethnicity_code == "WBRI" and known.facts.ethnicity
        assert known.facts.previous_school and "Sampleton Junior School" in \
            known.facts.previous_school
        parents = [c for _, c in known.contacts if c.parental_responsibility]
        assert {c.relationship for c in parents} and all(c.name for c in parents)
        assert known.source_of("fact", "ethnicity_code").source == "ctf"

        again = import_profile_file(dsl, data)
        assert again.changes == 0 and again.children_added == 0
    with keyed_school.open("teacher") as teacher:  # the roster entry, never the profile
        assert child_by_upn(teacher, "B975410020001").legal_surname == "Testperson"


@pytest.mark.parametrize(("roster", "export", "system"), [
    ("roster_sims.csv", "sims_contacts.csv", "SIMS"),
    ("roster_arbor.csv", "arbor_contacts.csv", "Arbor"),
    ("roster_sims.csv", "bromcom_contacts.csv", "Bromcom"),
])
def test_each_mis_export_is_imported_end_to_end(keyed_school: SmallSchool, roster: str,
                                               export: str, system: str) -> None:
    with keyed_school.open("dsl") as dsl:
        import_roster(dsl, (DATA / roster).read_bytes())
        result = import_profile_file(dsl, (DATA / "mis" / export).read_bytes())
        assert result.what == f"{system} contact export"
        assert result.children_changed == result.pupils > 0
        with_contacts = dsl.conn.execute(
            "SELECT count(DISTINCT child_id) FROM profile_items WHERE kind = 'contact'"
        ).fetchone()[0]
        assert with_contacts == result.pupils
        assert import_profile_file(dsl, (DATA / "mis" / export).read_bytes()).changes == 0


@pytest.mark.parametrize("body", [
    {"facts": {"gp": 7}},
    {"facts": {"looked_after": "SECRETVALUE"}},
    {"contacts": [["c:x", {"relationship": "SECRETVALUE"}]]},  # no name
    {"contacts": [["c:x", {"name": "A", "date_of_birth": "SECRETVALUE"}]]},
    {"household": "SECRETVALUE"},
])
def test_a_previous_schools_profile_that_does_not_read_says_why_without_its_values(
        body: dict[str, object]) -> None:
    with pytest.raises(ValueError) as caught:
        read_transferred(body)
    assert str(caught.value) and "SECRETVALUE" not in str(caught.value)
