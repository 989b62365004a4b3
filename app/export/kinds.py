"""What an export holds: one JSON Lines file per table, its columns and how each is written,
and the JSON Schema (2020-12) of one line, made from the same list so they cannot drift apart.

Rows keep their ids and are written in the order they were stored (SQLite's rowid), so an
import puts them back with the same identity and the same order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

FORMAT = "concerndesk-export"
FORMAT_VERSION = 1
SCHEMA_BASE = "https://concerndesk.example/schemas/export-1/"

# How a column is written: the stored text/number as it is, a JSON text as the JSON value it
# holds, 0/1 as a boolean, the comma-separated roles as an array.
TEXT, TEXT_OR_NULL, INT, INT_OR_NULL, BOOL, JSON, JSON_OR_NULL, ROLES, TIME, TIME_OR_NULL = (
    "text", "text?", "int", "int?", "bool", "json", "json?", "roles", "time", "time?")


@dataclass(frozen=True)
class Column:
    name: str
    codec: str
    about: str = ""


@dataclass(frozen=True)
class Kind:
    name: str  # the file: <name>.jsonl, the schema: schema/<name>.schema.json
    table: str  # as the session's connection names it
    columns: tuple[Column, ...]
    about: str
    dsl: bool  # held in the DSL team's store: only a DSL's export has it
    file_column: str | None = None  # a BLOB written as a file beside the JSONL, not in a line
    where: str = ""  # the rows of the table that belong in the export

    @property
    def filename(self) -> str:
        return f"{self.name}.jsonl"

    def schema(self) -> dict[str, Any]:
        props = {c.name: {**_TYPE[c.codec], **({"description": c.about} if c.about else {})}
                 for c in self.columns}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"{SCHEMA_BASE}{self.name}.schema.json",
                "title": f"ConcernDesk export: one line of {self.filename}",
                "description": self.about, "type": "object", "additionalProperties": False,
                "required": [c.name for c in self.columns], "properties": props}


_TYPE: dict[str, dict[str, Any]] = {
    TEXT: {"type": "string"}, TEXT_OR_NULL: {"type": ["string", "null"]},
    INT: {"type": "integer"}, INT_OR_NULL: {"type": ["integer", "null"]},
    BOOL: {"type": "boolean"}, JSON: {}, JSON_OR_NULL: {},
    ROLES: {"type": "array", "items": {"enum": ["staff", "dsl", "office", "admin"]}},
    TIME: {"type": "string", "format": "date-time"},
    TIME_OR_NULL: {"type": ["string", "null"], "format": "date-time"},
}


def _c(spec: str) -> tuple[Column, ...]:
    """``"id:text user:text? ..."`` -> columns (terse, so the whole format fits on a page)."""
    return tuple(Column(*part.split(":", 1)) for part in spec.split())


_AUDIT = _c("seq:int id:text at:time actor:text? action:text object_type:text? "
            "object_id:text? detail:json prev_hash:text hash:text signer:text? signature:text?")
_STATUS = "id:text {0}:text status:text actor_id:text at:time note:text?"

KINDS: tuple[Kind, ...] = (
    Kind("users", "users", _c("id:text username:text display_name:text roles:roles "
                              "created_at:time removed_at:time? disabled_at:time?"),
         "Staff accounts: names and roles only (no keys, no passphrase verifiers).", False),
    Kind("settings", "main.meta", _c("key:text value:text"),
         "The school's settings (address, phone, DSL's name ...), keys starting 'setting:'.",
         False, where="key LIKE 'setting:%'"),
    Kind("children", "children", _c(
        "id:text upn:text legal_forename:text legal_surname:text preferred_forename:text? "
        "date_of_birth:text gender:text year_group:text nhs_number:text? updated_at:time "
        "admission_number:text?"), "The roster: each child's current row.", False),
    Kind("child_history", "child_history", _c("id:int child_id:text changed_at:time "
                                              "changed_by:text previous:json"),
         "Every earlier roster row of a child ('previous'), with who changed it and when.",
         False),
    Kind("leavers", "leavers", _c("id:text child_id:text left_on:text? destination:text? "
                                  "source:text recorded_by:text recorded_at:time"),
         "Children who left (docs/transfer.md): events, the latest per child standing; a "
         "null left_on means back on roll.", False),
    Kind("records", "records", _c("id:text kind:text created_by:text created_at:time"),
         "Concerns and chronology entries; what they say is in record_versions.", True),
    Kind("record_versions", "record_versions", _c(
        "id:text record_id:text version:int supersedes:text? author_id:text written_at:time "
        "reason:text? occurred_at:time entry_kind:text categories:json location:text? "
        "summary:text child_words:text? action_taken:text? witnesses:text? significant:bool "
        "body_marks:json details:json?"),
         "Every version of a record; an amendment supersedes the one it corrects, with a "
         "reason. 'summary' is what was seen or heard.", True),
    Kind("record_children", "record_children", _c("record_id:text child_id:text role:text"),
         "Which children each record is about, and in which role.", True),
    Kind("record_status", "record_status", _c(_STATUS.format("record_id")),
         "A concern's status events (acknowledged, assigned, actioned, closed); for "
         "'assigned' the note is the assignee's user id.", True),
    Kind("record_links", "record_links", _c("record_id:text further_to:text"),
         "Further information: the concern record_id adds to the concern further_to.", True),
    Kind("child_flag_events", "child_flag_events", _c(
        "id:text child_id:text flag:text value:bool actor_id:text at:time note:text?"),
         "Safeguarding flags (CP plan, CIN, looked after ...) set and cleared.", True),
    Kind("profile_items", "profile_items", _c(
        "id:text child_id:text kind:text item_key:text value:json? source:text "
        "source_note:text? author_id:text at:time"),
         "The child's profile, append-only: the latest item of a (kind, item_key) is the "
         "current word; a null value means removed.", True),
    Kind("attachments", "attachments", _c(
        "id:text record_id:text filename:text media_type:text size:int sha256:text "
        "added_by:text added_at:time"),
         "Files attached to records; the bytes are attachments/<sha256>.", True, "data"),
    Kind("referrals", "referrals", _c("id:text child_id:text created_by:text created_at:time"),
         "Referrals to the local authority's front door.", True),
    Kind("referral_versions", "referral_versions", _c(
        "id:text referral_id:text version:int author_id:text written_at:time form:json "
        "entry_ids:json"), "Every version of a referral's form and the entries it cites.", True),
    Kind("referral_status", "referral_status", _c(_STATUS.format("referral_id")),
         "A referral's status events (approved, released, queued, sent, receipted ...).", True),
    Kind("referral_packs", "referral_packs", _c(
        "id:text referral_id:text referral_version_id:text created_by:text created_at:time "
        "sha256:text twin:json"),
         "Released referral packs: the PDF as released is referral_packs/<id>.pdf, its "
         "machine-readable twin (docs/pack-schema.json) is 'twin'.", True, "pdf"),
    Kind("retention_decisions", "retention_decisions", _c(
        "id:text child_id:text decision:text until:text? reason:text actor_id:text at:time"),
         "The DSL's decisions at retention review (docs/retention.md): 'extend' (to the date "
         "'until'), 'hold' or 'release', each with its reason.", True),
    Kind("destroyed_items", "destroyed_items", _c(
        "id:text kind:text child_id:text destroyed_at:time"),
         "The ids of rows destroyed at retention review, by kind, so an older copy is never "
         "brought back; no content.", True),
    Kind("transfers", "transfers", _c(
        "id:text child_id:text direction:text route:text school:text "
        "receipt_code_sha256:text? contents:json created_by:text created_at:time"),
         "CP files sent to or received from other schools (docs/transfer.md).", True),
    Kind("transfer_events", "transfer_events", _c(_STATUS.format("transfer_id")),
         "A transfer's steps: prepared, sent, received, accepted, rejected, receipt "
         "confirmed (the note of the last: who read the code back).", True),
    Kind("file_retention", "file_retention", _c(
        "id:text child_id:text decision:text keep_until:text? reason:text? decided_by:text "
        "at:time"), "What the school decided to keep of a CP file it sent.", True),
    Kind("transfer_peers", "transfer_peers", _c(
        "transfer_id:text envelope_id:text peer:text peer_bundle:json peer_team:json"),
         "For a CP file sent to a ConcernDesk school: the envelope, and that school's key and "
         "DSL team key (its answers are checked against them).", True),
    Kind("incoming_files", "incoming_files", _c(
        "id:text envelope_id:text sender_transfer:text peer:text peer_team:json school:text "
        "child_name:text child_upn:text received_at:time state:text transfer_id:text? "
        "decided_at:time?"),
         "CP files received from ConcernDesk schools: waiting, accepted or rejected (the file "
         "itself is not exported: once accepted it is in the chronology).", True),
    Kind("received_entries", "received_entries", _c(
        "record_id:text transfer_id:text school:text author:text kind:text "
        "recorded_at:text?"),
         "Chronology entries that came from the child's previous school in a CP file, with "
         "their original author, kind and time; such an entry is read-only.", True),
    Kind("audit_school", "main.audit", _AUDIT,
         "The school store's audit trail, hash-chained: hash = SHA-256(bytes of prev_hash || "
         "canonical JSON of [id, at, actor, action, object_type, object_id, detail, "
         "prev_hash]) (docs/export.md).", False),
    Kind("audit_dsl", "dsl.audit", _AUDIT,
         "The DSL team's audit trail, chained the same way.", True),
)
BY_NAME = {k.name: k for k in KINDS}


def blob_path(kind: Kind, item: dict[str, Any]) -> str:
    """Where a kind's file column goes: attachments by their SHA-256 (a file attached twice is
    written once), released packs by id."""
    return f"attachments/{item['sha256']}" if kind.name == "attachments" else \
        f"referral_packs/{item['id']}.pdf"


def encode(kind: Kind, row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row as one JSON line's object."""
    out: dict[str, Any] = {}
    for col, value in zip(kind.columns, row, strict=True):
        if value is not None and col.codec in (JSON, JSON_OR_NULL):
            value = json.loads(value)
        elif col.codec == BOOL:
            value = bool(value)
        elif col.codec == ROLES:
            value = [r for r in value.split(",") if r]
        out[col.name] = value
    return out


def decode(kind: Kind, item: dict[str, Any]) -> tuple[Any, ...]:
    """One JSON line's object as the row to store (the inverse of ``encode``)."""
    values: list[Any] = []
    for col in kind.columns:
        value = item[col.name]
        if value is not None and col.codec in (JSON, JSON_OR_NULL):
            value = json.dumps(value, ensure_ascii=False)
        elif col.codec == BOOL:
            value = int(bool(value))
        elif col.codec == ROLES:
            value = ",".join(value)
        values.append(value)
    return tuple(values)


MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_BASE}manifest.schema.json",
    "title": "ConcernDesk export: manifest.json",
    "description": "What the export is, who made it, and the SHA-256 of every other file.",
    "type": "object", "additionalProperties": False,
    "required": ["format", "format_version", "school", "store_id", "demo", "exported_at",
                 "exported_by", "scope", "counts", "files"],
    "properties": {
        "format": {"const": FORMAT}, "format_version": {"const": FORMAT_VERSION},
        "school": {"type": "string"}, "store_id": {"type": "string"},
        "demo": {"type": "boolean", "description": "synthetic data (the demo school)"},
        "exported_at": {"type": "string", "format": "date-time"},
        "exported_by": {"type": "object", "required": ["username", "display_name", "roles"],
                        "properties": {"username": {"type": "string"},
                                       "display_name": {"type": "string"},
                                       "roles": _TYPE[ROLES]}},
        "scope": {"enum": ["everything", "school-store-only"],
                  "description": "school-store-only: made by an account without the DSL "
                                 "store, so no safeguarding records are in it"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "files": {"type": "object", "additionalProperties": {
            "type": "string", "pattern": "^[0-9a-f]{64}$"},
            "description": "every file of the export but this one: path -> SHA-256 (hex)"},
    },
}


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema of the format, by its file name under schema/."""
    found = {f"{k.name}.schema.json": k.schema() for k in KINDS}
    found["manifest.schema.json"] = MANIFEST_SCHEMA
    return found


if __name__ == "__main__":  # python -m app.export.kinds docs/export-schema: the published copy
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, schema in schemas().items():
        (folder / file_name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
