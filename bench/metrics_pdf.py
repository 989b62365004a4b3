"""The referral pack PDF for the 500-entry child, against a bare reportlab table of the same
rows: the least any PDF of those entries could cost with the same library and fonts."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate
from reportlab.platypus.tables import TableStyle

from app.clock import SystemClock
from app.domain.pupils import child_by_id
from app.pack import PackData, render_pack
from app.pack.assembly import child_pack_data
from app.pack.fonts import BODY, register_fonts
from app.pack.styles import BODY_WIDTH, make_styles
from app.store.access import unlock
from bench.data import PASSPHRASE, BuiltStore
from bench.report import Results, median

# The pack's own chronology column widths: date, kind, what happened, author.
_WIDTHS = (24 * mm, 30 * mm, BODY_WIDTH - 86 * mm, 32 * mm)


def measure_pdf(results: Results, store: BuiltStore, reps: int, *,
                log: Callable[[str], None] = print) -> None:
    log("referral pack PDF")
    session = unlock(store.path, "dsl", PASSPHRASE)
    try:
        child = child_by_id(session, store.heavy_child_id)
        now = SystemClock().now()

        def pack() -> tuple[PackData, bytes]:
            data = child_pack_data(session, child)
            return data, render_pack(data, generated_at=now)

        data, pdf = pack()  # warm: fonts, imports
        bare_table(data)
        pack_times, render_times, bare_times = [], [], []
        for _ in range(reps):
            started = time.perf_counter()
            data, pdf = pack()
            pack_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            render_pack(data, generated_at=now)
            render_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            bare = bare_table(data)
            bare_times.append(time.perf_counter() - started)
    finally:
        session.close()
    results.set("pack_pdf_s", median(pack_times), median(bare_times),
                render_only_s=median(render_times), entries=len(data.entries_in_order()),
                pdf_bytes=len(pdf), bare_pdf_bytes=len(bare),
                note="median; store -> PackData -> PDF bytes (cover, form, chronology, body "
                     "map, child's words)")


def bare_table(data: PackData) -> bytes:
    """The same entries as a plain platypus table: date, kind, text, author; nothing else."""
    register_fonts()
    style = make_styles().cell
    rows = [["Date and time", "Kind", "What happened", "Author"]]
    for entry in data.entries_in_order():
        what = entry.summary + (f"\n\u201c{entry.child_words}\u201d" if entry.child_words else "")
        rows.append([entry.occurred_at.strftime("%d/%m/%Y %H:%M"), entry.kind,
                     Paragraph(_escape(what).replace("\n", "<br/>"), style), entry.author])
    table = LongTable(rows, colWidths=_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), BODY, 8),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, invariant=1, pageCompression=1).build([table])
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
