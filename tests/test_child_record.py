"""Flags, linked children and attachments: the rest of a child's record, role-checked."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from app.domain.attachments import add_attachment, attachment_data, attachments
from app.domain.child_flags import flags, linked_children, set_flag
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.errors import AccessDenied, InputError
from app.pack.assembly import child_pack_data, write_pack
from tests.conftest import SmallSchool


def test_flags_are_set_and_cleared_as_events_by_the_dsl_team(school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001").id
        set_flag(dsl, child, "cp-plan", True, "Plan from ICPC on 3 March")
        set_flag(dsl, child, "eal", True)
        assert flags(dsl, child) == ["cp-plan", "eal"]
        set_flag(dsl, child, "cp-plan", False, "Plan ended at review")
        assert flags(dsl, child) == ["eal"]
        assert dsl.conn.execute("SELECT count(*) FROM child_flag_events").fetchone()[0] == 3
        with pytest.raises(InputError, match="flag"):
            set_flag(dsl, child, "naughty", True)
    with school.open("teacher") as teacher, pytest.raises(AccessDenied):
        flags(teacher, child)


def test_children_in_the_same_incident_are_linked_with_their_own_roles(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        a, b = (child_by_upn(teacher, u).id for u in ("B801200005001", "U801200005004"))
        record_concern(teacher, ConcernDraft(
            children=[(a, "harmed"), (b, "harmed others")], categories=["child-on-child"],
            text="Pushed into the fence", occurred_at=school.clock.now() - timedelta(hours=1)))
    with school.open("dsl") as dsl:
        linked = linked_children(dsl, a)
        assert [(link.child.id, link.shared_records) for link in linked] == [(b, 1)]
        assert linked_children(dsl, child_by_upn(dsl, "Q801200005002").id) == []


def test_attachments_stay_inside_the_store_and_reach_the_pack(school: SmallSchool,
                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    photo = b"\x89PNG\r\n\x1a\n synthetic image bytes"
    with school.open("teacher") as teacher:
        child = child_by_upn(teacher, "B801200005001").id
        view = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text="Note found in bag",
            occurred_at=school.clock.now() - timedelta(hours=1)))
        info = add_attachment(teacher, view.id, "/home/t/Desktop/note.png", photo)
        assert info.filename == "note.png" and info.media_type == "image/png"
        assert attachment_data(teacher, info.id) == photo
        with pytest.raises(InputError, match="empty"):
            add_attachment(teacher, view.id, "empty.txt", b"")
    with school.open("teacher2") as other:
        with pytest.raises(AccessDenied):
            attachments(other, view.id)
        with pytest.raises(AccessDenied):
            attachment_data(other, info.id)
    with school.open("dsl") as dsl:
        set_flag(dsl, child, "young-carer", True)
        write_pack(dsl, child_pack_data(dsl, child_by_upn(dsl, "B801200005001")),
                   tmp_path / "p.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        (tmp_path / "p.pdf").read_bytes())).pages)
    assert "note.png" in text
    assert info.sha256 in "".join(text.split())  # printed in groups of eight
    assert "Young carer" in text
    # No referral form: the cover says so, and no empty form pages or referral date follow.
    assert "Safeguarding chronology (no referral form)" in text
    assert "Date prepared" in text and "Date of referral" not in text
    assert "Form sections" not in text and "The risk the referrer sees" not in text
