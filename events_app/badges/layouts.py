"""Print layouts: how badges sit on pages.

``a6``
    One badge per A6 page (105 x 148 mm), full size: for badge printers and A6 card stock.
``a4-4up``
    Four badges per A4 portrait page, two by two, with cut marks. Four full-size A6 badges
    fill an A4 sheet exactly, leaving no room for marks or the printer's unprintable border,
    so on A4 a badge is drawn at 90 % (94.5 x 133.2 mm, which slides into an A6 holder) with
    9 mm between badges; the crop marks sit at each corner, outside the badge.
``fold``
    Fold-over, double-sided badges from a single-sided printer: an A4 portrait page holds two
    vertical strips (left and right, same 90 % size). Each strip is the front (the badge) on
    top and the back (the person's sessions) below it, the back rotated 180 degrees. Cut the
    strips out along the crop marks, fold each one backwards along the middle (the fold marks
    in the margins): the back then reads the right way up when the badge turns round on its
    lanyard.

Badges are placed in the order given (sorted by surname by the service): row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from events_app.badges.pdf import BADGE_H, BADGE_W, Badge, BadgePainter, BadgeStyle
from events_app.badges.text import REGULAR, register_fonts

LAYOUTS = ("a6", "a4-4up", "fold")
A4_SCALE = 0.9
GUTTER = 9 * mm
MARK_OFFSET, MARK_LENGTH = 1.5 * mm, 3 * mm
Progress = Callable[[int, int], None]
Box = tuple[float, float, float, float]  # x, y, width, height


def _grid(columns: int, rows: int, width: float, height: float) -> list[Box]:
    """Boxes of ``width`` x ``height`` centred on A4, ``GUTTER`` apart, row by row from the top."""
    page_w, page_h = A4
    left = (page_w - columns * width - (columns - 1) * GUTTER) / 2
    bottom = (page_h - rows * height - (rows - 1) * GUTTER) / 2
    return [(left + col * (width + GUTTER), bottom + (rows - 1 - row) * (height + GUTTER), width, height)
            for row in range(rows) for col in range(columns)]


def _crop_marks(canvas: Canvas, boxes: list[Box]) -> None:
    canvas.setStrokeColor(HexColor("#000000"))
    canvas.setLineWidth(0.3)
    for x, y, w, h in boxes:
        for cx, dx in ((x, -1), (x + w, 1)):
            for cy, dy in ((y, -1), (y + h, 1)):
                canvas.line(cx + dx * MARK_OFFSET, cy, cx + dx * (MARK_OFFSET + MARK_LENGTH), cy)
                canvas.line(cx, cy + dy * MARK_OFFSET, cx, cy + dy * (MARK_OFFSET + MARK_LENGTH))


def _fold_marks(canvas: Canvas, boxes: list[Box]) -> None:
    canvas.setStrokeColor(HexColor("#777777"))
    canvas.setLineWidth(0.3)
    canvas.setDash(1.2 * mm, 0.8 * mm)
    for x, y, w, h in boxes:
        middle = y + h / 2
        canvas.line(x - MARK_OFFSET - MARK_LENGTH, middle, x - MARK_OFFSET, middle)
        canvas.line(x + w + MARK_OFFSET, middle, x + w + MARK_OFFSET + MARK_LENGTH, middle)
    canvas.setDash()
    canvas.setFillColor(HexColor("#777777"))
    canvas.setFont(REGULAR, 6)
    canvas.drawCentredString(A4[0] / 2, 5 * mm, "Cut along the corner marks, fold each strip backwards "
                             "along the dashed marks.")


def render_layout(badges: Sequence[Badge], style: BadgeStyle, layout: str, *,
                  progress: Progress | None = None, title: str = "Badges") -> bytes:
    """The PDF of ``badges`` in ``layout`` (one of LAYOUTS). ``progress(done, total)`` is called
    after each badge, and with ``(total, total)`` once the file is complete.

    CPU-bound (about 2 ms per badge, most of it making the QR code): run it in a worker
    thread from async code.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(BADGE_W, BADGE_H) if layout == "a6" else A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("events_app badges")
    painter = BadgePainter(canvas, style)
    total = len(badges)

    def tick(done: int) -> None:
        if progress is not None and done < total:
            progress(done, total)

    if not badges:
        canvas.setFont(REGULAR, 12)
        width, height = canvas._pagesize
        canvas.drawCentredString(width / 2, height / 2, "No badges match these filters.")
        canvas.showPage()
    elif layout == "a6":
        for done, badge in enumerate(badges, start=1):
            painter.front(badge)
            canvas.showPage()
            tick(done)
    elif layout == "a4-4up":
        boxes = _grid(2, 2, BADGE_W * A4_SCALE, BADGE_H * A4_SCALE)
        _paged(canvas, painter, badges, boxes, _crop_marks, tick, fold=False)
    else:
        boxes = _grid(2, 1, BADGE_W * A4_SCALE, 2 * BADGE_H * A4_SCALE)
        _paged(canvas, painter, badges, boxes, lambda c, b: (_crop_marks(c, b), _fold_marks(c, b)), tick,
               fold=True)
    canvas.save()
    if progress is not None:
        progress(total, total)
    return buffer.getvalue()


def _paged(canvas: Canvas, painter: BadgePainter, badges: Sequence[Badge], boxes: list[Box],
           marks: Callable[[Canvas, list[Box]], object], tick: Callable[[int], None], *, fold: bool) -> None:
    per_page = len(boxes)
    canvas.beginForm("page-marks", 0, 0, *A4)
    marks(canvas, boxes)
    canvas.endForm()
    for first in range(0, len(badges), per_page):
        canvas.doForm("page-marks")
        for badge, (x, y, _w, h) in zip(badges[first:first + per_page], boxes, strict=False):
            canvas.saveState()
            if fold:
                canvas.translate(x, y + h / 2)  # the front: the upper half of the strip
            else:
                canvas.translate(x, y)
            canvas.scale(A4_SCALE, A4_SCALE)
            painter.front(badge)
            canvas.restoreState()
            if fold:  # the back: the lower half, turned 180 degrees about its centre
                canvas.saveState()
                canvas.translate(x + BADGE_W * A4_SCALE, y + h / 2)
                canvas.rotate(180)
                canvas.scale(A4_SCALE, A4_SCALE)
                painter.back(badge)
                canvas.restoreState()
        canvas.showPage()
        tick(min(first + per_page, len(badges)))
