"""QR codes drawn as vector rectangles on a reportlab canvas (no bitmap, sharp at any size).

The symbol is made by segno with error correction level M (never boosted, so the level is
what the scanner expects). Each row's dark modules are merged into horizontal runs, and all
runs go into one filled path: one fill operation, so renderers leave no seams between rows.
The path's operators are written once per code, in whole modules (the canvas is scaled), and
handed to ``Canvas.drawPath`` as a ready path: reportlab's per-number formatting of a few
hundred rectangles would cost more than the rest of the badge.
The caller keeps the quiet zone (white space around the symbol, at least 2 modules).
"""

from __future__ import annotations

import re
from functools import lru_cache

import segno
from reportlab.pdfgen.canvas import Canvas

_DARK_RUN = re.compile(rb"\x01+")
QUIET_MODULES = 4  # the white border a scanner wants around the symbol, in modules


def qr_runs(data: str) -> tuple[int, list[tuple[int, int, int]]]:
    """``(modules per side, runs)``; a run is ``(x, y, length)`` in modules, y up from the bottom."""
    matrix = segno.make_qr(data, error="m", boost_error=False).matrix
    size = len(matrix)
    runs = []
    for row_index, row in enumerate(matrix):
        y = size - 1 - row_index
        runs.extend((m.start(), y, m.end() - m.start()) for m in _DARK_RUN.finditer(bytes(row)))
    return size, runs


class RunsPath:
    """A finished path for ``Canvas.drawPath``: the QR's runs as PDF ``re`` operators."""

    __slots__ = ("code", "size")

    def __init__(self, data: str) -> None:
        self.size, runs = qr_runs(data)
        self.code = "n " + " ".join(f"{x} {y} {length} 1 re" for x, y, length in runs)

    def getCode(self) -> str:  # noqa: N802  (the name reportlab's drawPath calls)
        return self.code


@lru_cache(maxsize=2048)
def qr_path(data: str) -> RunsPath:
    return RunsPath(data)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    """Draw the symbol for ``data`` with its lower left corner at (x, y), ``side`` points wide.

    Uses the current fill colour (set it dark); the quiet zone is the caller's.
    """
    path = qr_path(data)
    canvas.saveState()
    canvas.translate(x, y)
    unit = side / path.size
    canvas.scale(unit, unit)  # whole-module coordinates: short operators, exact edges
    canvas.drawPath(path, stroke=0, fill=1)  # type: ignore[arg-type]
    canvas.restoreState()
