"""Text for badges and tickets: the embedded fonts, and lines that fit a width.

``fit_text`` wraps on word boundaries (spaces, and after a hyphen inside a word), shrinking
the font step by step until the text fits the lines allowed; only a word wider than the
width at the smallest size is cut inside, and only text that still does not fit loses its
end to an ellipsis.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
_font_lock = threading.Lock()
_PIECE = re.compile(r"[^-\u2010]+[-\u2010]*|[-\u2010]+")


def register_fonts() -> None:
    """Register DejaVu Sans with reportlab once per process (thread-safe).

    Also writes compressed streams as binary, not ASCII85 (a process-wide reportlab
    setting): a quarter smaller and faster, and every PDF reader takes it.
    """
    if BOLD in pdfmetrics.getRegisteredFontNames():
        return
    with _font_lock:
        if BOLD not in pdfmetrics.getRegisteredFontNames():
            rl_config.useA85 = 0
            pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


@dataclass(frozen=True, slots=True)
class Fitted:
    lines: tuple[str, ...]
    size: float
    font: str

    @property
    def leading(self) -> float:
        return self.size * 1.17

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading if self.lines else 0.0


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Break opportunities: spaces, and after a hyphen inside a word (``joined`` = no space before)."""
    out = []
    for word in text.split():
        out.extend((part, index > 0) for index, part in enumerate(_PIECE.findall(word)))
    return out


def _wrap(pieces: list[tuple[str, bool]], widths: list[float], space: float, width: float,
          size: float) -> list[str] | None:
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for (text, joined), unit in zip(pieces, widths, strict=True):
        wide = unit * size
        if wide > width + 0.01:
            return None
        gap = 0.0 if joined else space * size
        if current and used + gap + wide <= width + 0.01:
            current.append(text if joined else " " + text)
            used += gap + wide
        else:
            if current:
                lines.append("".join(current))
            current, used = [text], wide
    if current:
        lines.append("".join(current))
    return lines


def _split_long(text: str, font: str, size: float, width: float) -> list[str]:
    """Cut a word wider than ``width`` into chunks that fit (only for over-long words)."""
    chunks, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, font, size) > width:
            chunks.append(current)
            current = char
        else:
            current += char
    return [*chunks, current] if current else chunks


def _ellipsis(line: str, font: str, size: float, width: float) -> str:
    while line and pdfmetrics.stringWidth(line + "\u2026", font, size) > width:
        line = line[:-1]
    return line.rstrip() + "\u2026"


def fit_text(text: str, font: str, width: float, max_size: float, min_size: float, max_lines: int,
             max_height: float | None = None, step: float = 0.5) -> Fitted:
    """The largest size (from ``max_size`` down to ``min_size``) at which ``text`` wraps on word
    boundaries into at most ``max_lines`` lines of ``width`` (and ``max_height`` in all).

    At the smallest size, a word still too wide is cut inside, and lines beyond
    ``max_lines`` are dropped with an ellipsis on the last one.
    """
    text = " ".join(text.split())
    if not text:
        return Fitted((), max_size, font)
    pieces = _pieces(text)
    widths = [pdfmetrics.stringWidth(piece, font, 1.0) for piece, _ in pieces]
    space = pdfmetrics.stringWidth(" ", font, 1.0)
    size = max_size
    while size >= min_size - 1e-9:
        lines = _wrap(pieces, widths, space, width, size)
        if lines is not None and len(lines) <= max_lines and (
                max_height is None or len(lines) * size * 1.17 <= max_height + 0.01):
            return Fitted(tuple(lines), size, font)
        size -= step
    size = min_size
    cut: list[tuple[str, bool]] = []
    for (piece, joined), unit in zip(pieces, widths, strict=True):
        chunks = _split_long(piece, font, size, width) if unit * size > width else [piece]
        cut.extend((chunk, joined or index > 0) for index, chunk in enumerate(chunks))
    lines = _wrap(cut, [pdfmetrics.stringWidth(p, font, 1.0) for p, _ in cut], space, width, size) or []
    if max_height is not None:
        max_lines = max(1, min(max_lines, int((max_height + 0.01) // (size * 1.17))))
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], _ellipsis(lines[max_lines - 1], font, size, width)]
    return Fitted(tuple(lines), size, font)


def draw_centred(canvas: Canvas, fitted: Fitted, centre_x: float, top: float) -> float:
    """Draw the lines centred below ``top``; return the y just under the block."""
    canvas.setFont(fitted.font, fitted.size)
    y = top
    for line in fitted.lines:
        y -= fitted.leading
        canvas.drawCentredString(centre_x, y + fitted.size * 0.27, line)
    return y


def draw_left(canvas: Canvas, fitted: Fitted, x: float, top: float) -> float:
    canvas.setFont(fitted.font, fitted.size)
    y = top
    for line in fitted.lines:
        y -= fitted.leading
        canvas.drawString(x, y + fitted.size * 0.27, line)
    return y
