"""One chronology entry as a row of four columns that splits cleanly across pages.

A platypus Table re-wraps every paragraph each time it is measured, split or drawn; a 500-entry
chronology then spends seconds re-measuring. This row wraps each paragraph once per width, and
when it does not fit it splits the columns' paragraphs line by line, so a long entry continues
on the next page under the repeated column headings.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph

from app.pack.styles import INK, RULE

PAD_X = 3.0
PAD_TOP = 3.0
PAD_BOTTOM = 4.0
# Below this much room a row goes to the next page whole rather than leave a sliver behind.
MIN_SPLIT_HEIGHT = 36.0
# With this much room or more, even a fixed column may split (it would not fit on any page).
_WHOLE_PAGEISH = 400.0


class EntryRow(Flowable):
    def __init__(self, columns: list[list[Flowable]], widths: tuple[float, ...], *,
                 significant: bool = False, continuation: list[Flowable] | None = None,
                 flowing_column: int | None = None) -> None:
        super().__init__()
        self.columns = columns
        # The one column whose text may run on to the next page; the others (date, kind,
        # author) stay whole on the first page, as a reader looks for them there.
        self.flowing_column = flowing_column
        self.widths = widths
        self.significant = significant
        # What the first column shows when this row continues on the next page.
        self.continuation = continuation
        self._sizes: list[list[tuple[float, float]]] = []
        self._wrapped_for: float | None = None

    def _inner(self, col: int) -> float:
        return self.widths[col] - 2 * PAD_X

    def _measure(self) -> None:
        if self._sizes:
            return
        for col, flowables in enumerate(self.columns):
            self._sizes.append([f.wrap(self._inner(col), 1e6) for f in flowables])

    def _column_height(self, col: int) -> float:
        flowables, sizes = self.columns[col], self._sizes[col]
        total = 0.0
        for i, (f, (_, h)) in enumerate(zip(flowables, sizes, strict=True)):
            total += h
            if i:
                total += max(flowables[i - 1].getSpaceAfter(), f.getSpaceBefore())
        return total

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._measure()
        body = max((self._column_height(c) for c in range(len(self.columns))), default=0.0)
        self.width = sum(self.widths)
        self.height = body + PAD_TOP + PAD_BOTTOM
        return self.width, self.height

    def draw(self) -> None:
        self._measure()
        canvas = self.canv
        x = 0.0
        for col, flowables in enumerate(self.columns):
            y = self.height - PAD_TOP
            for i, (f, (_, h)) in enumerate(zip(flowables, self._sizes[col], strict=True)):
                if i:
                    y -= max(flowables[i - 1].getSpaceAfter(), f.getSpaceBefore())
                y -= h
                f.drawOn(canvas, x + PAD_X, y)
            x += self.widths[col]
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(0, 0, self.width, 0)
        if self.significant:
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(2.5)
            canvas.line(-3.5, 0, -3.5, self.height)  # in the margin, clear of the text
        canvas.restoreState()

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        parts = self._split(availHeight)
        if not parts:
            # A Paragraph that tried and failed to split has dropped its wrapped lines
            # (reportlab deletes blPara): measure again before this row is drawn whole.
            self._sizes = []
        return parts

    def _split(self, availHeight: float) -> list[Flowable]:
        room = availHeight - PAD_TOP - PAD_BOTTOM
        if availHeight < MIN_SPLIT_HEIGHT:
            return []
        self._measure()
        firsts: list[list[Flowable]] = []
        rests: list[list[Flowable]] = []
        for col, flowables in enumerate(self.columns):
            if col != self.flowing_column and self.flowing_column is not None:
                if self._column_height(col) > room and availHeight < _WHOLE_PAGEISH:
                    return []  # move the row rather than split its date or author
                if self._column_height(col) <= room:
                    firsts.append(list(flowables))
                    rests.append([])
                    continue
            first, rest = self._split_column(col, flowables, room)
            if first is None:
                return []
            firsts.append(first)
            rests.append(rest)
        if not any(rests) or not any(firsts):
            return []
        if self.continuation is not None and not rests[0]:
            rests[0] = list(self.continuation)
        return [
            EntryRow(firsts, self.widths, significant=self.significant,
                     flowing_column=self.flowing_column),
            EntryRow(rests, self.widths, significant=self.significant,
                     continuation=self.continuation, flowing_column=self.flowing_column),
        ]

    def _split_column(self, col: int, flowables: list[Flowable], room: float
                      ) -> tuple[list[Flowable] | None, list[Flowable]]:
        used = 0.0
        for i, (f, (_, h)) in enumerate(zip(flowables, self._sizes[col], strict=True)):
            gap = max(flowables[i - 1].getSpaceAfter(), f.getSpaceBefore()) if i else 0.0
            if used + gap + h <= room:
                used += gap + h
                continue
            left = room - used - gap
            parts = f.split(self._inner(col), left) if left > 0 else []
            if len(parts) == 2:
                return [*flowables[:i], parts[0]], [parts[1], *flowables[i + 1:]]
            if i == 0 and isinstance(f, Paragraph):
                return None, []  # not even one line fits: move the whole row
            return list(flowables[:i]), list(flowables[i:])
        return list(flowables), []
