"""Drawing one badge (front, and the back of the fold-over variant) on a reportlab canvas.

The canvas is used directly (no platypus) for speed. What never changes between badges is
drawn once per document as a PDF form XObject and placed on every badge: the header band
(accent colour, logo, event title and dates) and one ribbon per role. A badge then costs a
few text lines and one QR path. Fonts are the vendored DejaVu Sans (regular and bold),
embedded as subsets, so names in Latin (with any accents), Greek and Cyrillic print.

Coordinates are points, origin at the lower left of an A6 portrait badge (105 x 148 mm).
Layouts (layouts.py) place, scale and rotate badges on pages; this module knows only one.

Front, top to bottom: header band (logo, event title, dates); the name, large and bold,
wrapped on word boundaries (and after hyphens) over at most 3 lines, shrinking the font
until it fits, cut inside a word only when one word is wider than the badge at the smallest
size; organisation, country name and job title (each shown as the settings say); the QR
code holding the ticket code (vector, error level M); the role ribbon at the bottom.
Back (fold layout): a slim header, the name, "Your sessions" (the person's confirmed picks
with day, time and room in the event's zone), the QR code again (badges turn round on a
lanyard) and the ribbon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from events_app.badges.qr import QUIET_MODULES, draw_qr
from events_app.badges.text import (
    BOLD,
    REGULAR,
    Fitted,
    draw_centred,
    draw_left,
    fit_text,
    register_fonts,
)

BADGE_W, BADGE_H = 105 * mm, 148 * mm
MARGIN = 7 * mm
TEXT_W = BADGE_W - 2 * MARGIN
HEADER_H = 27 * mm
RIBBON_H = 14 * mm
QR_SIDE = 25 * mm
BACK_HEADER_H = 12 * mm
BACK_QR_SIDE = 20 * mm

ROLE_LABELS = {"participant": "PARTICIPANT", "speaker": "SPEAKER", "organiser": "ORGANISER",
               "staff": "STAFF", "press": "PRESS"}
DEFAULT_RIBBONS = {"participant": "#1f5f8b", "speaker": "#b03a2e", "organiser": "#6c3483",
                   "staff": "#1e8449", "press": "#b9770e"}
DEFAULT_ACCENT, DEFAULT_TEXT = "#2f6b4f", "#1d2a24"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


# --- what is printed ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One confirmed session pick, for the back of a fold-over badge (times are aware)."""

    starts_at: datetime
    ends_at: datetime
    title: str
    room: str = ""


@dataclass(frozen=True, slots=True)
class BadgeEvent:
    title: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str = ""
    venue_address: str = ""
    is_online: bool = False

    @classmethod
    def from_event(cls, event: Any) -> BadgeEvent:
        return cls(event.title, event.timezone, event.starts_at, event.ends_at, event.venue_name,
                   event.venue_address, bool(event.is_online))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def short_dates(self) -> str:
        """``12 May 2027``, ``12–14 May 2027``, ``30 May – 1 June 2027`` (in the event's zone)."""
        start, end = self.local(self.starts_at), self.local(self.ends_at)
        if start.date() == end.date():
            return f"{start.day} {start:%B %Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}\u2013{end.day} {end:%B %Y}"
        if start.year == end.year:
            return f"{start.day} {start:%B} \u2013 {end.day} {end:%B %Y}"
        return f"{start.day} {start:%B %Y} \u2013 {end.day} {end:%B %Y}"


@dataclass(frozen=True, slots=True)
class Badge:
    """Everything one badge prints: a snapshot, so rendering needs no database (thread-safe)."""

    id: int  # the registration's id
    name: str
    organisation: str
    country: str  # the country's name, not its code
    job_title: str
    role: str
    code: str  # what the QR code holds (tickets.ticket_code)
    event: BadgeEvent
    sessions: tuple[SessionLine, ...] = ()


def _colour(value: Any, default: str) -> Color:
    return HexColor(value if isinstance(value, str) and _HEX.fullmatch(value) else default)


def ink_on(background: Color) -> Color:
    """Dark or white text, whichever reads better on ``background``."""
    luminance = 0.2126 * background.red + 0.7152 * background.green + 0.0722 * background.blue
    return HexColor("#1a1a1a") if luminance > 0.6 else white


@dataclass(frozen=True)
class BadgeStyle:
    """The event's badge settings, resolved once per document (colours parsed, logo decoded)."""

    accent: Color
    text: Color
    ribbons: Mapping[str, Color]
    show_organisation: bool = True
    show_country: bool = True
    show_job_title: bool = False
    show_qr: bool = True
    logo: ImageReader | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Any) -> BadgeStyle:
        """From a BadgeSettings row (or anything with its attributes; None: the defaults)."""
        get = (lambda name, default: getattr(settings, name, default)) if settings is not None else (
            lambda name, default: default)
        chosen = get("ribbon_colours", None) or {}
        ribbons = {role: _colour(chosen.get(role) if isinstance(chosen, dict) else None, default)
                   for role, default in DEFAULT_RIBBONS.items()}
        return cls(
            accent=_colour(get("accent_colour", None), DEFAULT_ACCENT),
            text=_colour(get("text_colour", None), DEFAULT_TEXT),
            ribbons=ribbons,
            show_organisation=bool(get("show_organisation", True)),
            show_country=bool(get("show_country", True)),
            show_job_title=bool(get("show_job_title", False)),
            show_qr=bool(get("show_qr", True)),
            logo=decode_logo(get("logo", None)),
        )


def decode_logo(data: bytes | None) -> ImageReader | None:
    """The logo as an ImageReader (decoded once per document); None when absent or unreadable."""
    if not data:
        return None
    try:
        reader = ImageReader(BytesIO(bytes(data)))
        width, height = reader.getSize()
        return reader if width > 0 and height > 0 else None
    except Exception:  # a broken upload must not stop the badges: print them without the logo
        return None


# --- one badge ----------------------------------------------------------------------------


class BadgePainter:
    """Draws badges of one event on one canvas; the forms are made on first use."""

    def __init__(self, canvas: Canvas, style: BadgeStyle) -> None:
        register_fonts()
        self.canvas, self.style = canvas, style
        self.header_ink = ink_on(style.accent)
        self._forms: set[str] = set()
        self._events: dict[BadgeEvent, int] = {}  # equal events share their header forms

    def _form(self, name: str, draw: Any) -> str:
        if name not in self._forms:
            self.canvas.beginForm(name, 0, 0, BADGE_W, BADGE_H)
            draw()
            self.canvas.endForm()
            self._forms.add(name)
        return name

    # forms -------------------------------------------------------------------------------

    def _event_key(self, event: BadgeEvent) -> int:
        return self._events.setdefault(event, len(self._events))

    def _draw_logo(self, x: float, y: float, max_w: float, max_h: float) -> float:
        """The logo on a white card, fitted in the box at (x, y); returns the width used."""
        logo = self.style.logo
        assert logo is not None
        width, height = logo.getSize()
        pad = 1.5 * mm
        scale = min((max_w - 2 * pad) / width, (max_h - 2 * pad) / height)
        w, h = width * scale, height * scale
        c = self.canvas
        c.setFillColor(white)
        c.roundRect(x, y + (max_h - h) / 2 - pad, w + 2 * pad, h + 2 * pad, 1.5 * mm, stroke=0, fill=1)
        c.drawImage(logo, x + pad, y + (max_h - h) / 2, w, h, mask="auto")
        return w + 2 * pad

    def _header(self, event: BadgeEvent) -> None:
        c = self.canvas
        c.setFillColor(self.style.accent)
        c.rect(0, BADGE_H - HEADER_H, BADGE_W, HEADER_H, stroke=0, fill=1)
        left, text_w = MARGIN, TEXT_W
        if self.style.logo is not None:
            used = self._draw_logo(MARGIN - 2 * mm, BADGE_H - HEADER_H + 4 * mm, 32 * mm, HEADER_H - 8 * mm)
            left = MARGIN - 2 * mm + used + 3 * mm
            text_w = BADGE_W - MARGIN - left
        title = fit_text(event.title, BOLD, text_w, 13, 8, 2)
        dates = fit_text(event.short_dates(), REGULAR, text_w, 8.5, 6.5, 1)
        block = title.height + 1 * mm + dates.height
        top = BADGE_H - HEADER_H / 2 + block / 2
        c.setFillColor(self.header_ink)
        if self.style.logo is None:
            y = draw_centred(c, title, BADGE_W / 2, top)
            draw_centred(c, dates, BADGE_W / 2, y - 1 * mm)
        else:
            y = draw_left(c, title, left, top)
            draw_left(c, dates, left, y - 1 * mm)

    def _back_header(self, event: BadgeEvent) -> None:
        c = self.canvas
        c.setFillColor(self.style.accent)
        c.rect(0, BADGE_H - BACK_HEADER_H, BADGE_W, BACK_HEADER_H, stroke=0, fill=1)
        c.setFillColor(self.header_ink)
        title = fit_text(event.title, BOLD, TEXT_W, 9, 6.5, 2)
        draw_centred(c, title, BADGE_W / 2, BADGE_H - BACK_HEADER_H / 2 + title.height / 2)

    def _ribbon(self, role: str) -> None:
        c = self.canvas
        colour = self.style.ribbons.get(role) or self.style.ribbons["participant"]
        c.setFillColor(colour)
        c.rect(0, 0, BADGE_W, RIBBON_H, stroke=0, fill=1)
        label = ROLE_LABELS.get(role, role.upper())
        c.setFillColor(ink_on(colour))
        c.setFont(BOLD, 15)
        c.drawCentredString(BADGE_W / 2, RIBBON_H / 2 - 15 * 0.36, label, charSpace=2)

    # sides -------------------------------------------------------------------------------

    def _qr(self, code: str, x: float, y: float, side: float) -> None:
        self.canvas.setFillColor(HexColor("#000000"))
        draw_qr(self.canvas, code, x, y, side)

    def front(self, badge: Badge) -> None:
        """Draw the front with its lower left corner at the current origin."""
        c, style = self.canvas, self.style
        c.doForm(self._form(f"header-{self._event_key(badge.event)}", lambda: self._header(badge.event)))
        c.doForm(self._form(f"ribbon-{badge.role}", lambda: self._ribbon(badge.role)))
        bottom = RIBBON_H + 4 * mm
        if style.show_qr and badge.code:
            quiet = QR_SIDE / 25 * QUIET_MODULES / 2
            self._qr(badge.code, (BADGE_W - QR_SIDE) / 2, RIBBON_H + quiet, QR_SIDE)
            bottom = RIBBON_H + quiet + QR_SIDE + 3 * mm
        top = BADGE_H - HEADER_H - 5 * mm
        details = []
        if style.show_organisation and badge.organisation:
            details.append(fit_text(badge.organisation, REGULAR, TEXT_W, 13, 9, 2))
        if style.show_country and badge.country:
            details.append(fit_text(badge.country, REGULAR, TEXT_W, 11, 8, 1))
        if style.show_job_title and badge.job_title:
            details.append(fit_text(badge.job_title, REGULAR, TEXT_W, 10, 7.5, 2))
        gap = 3 * mm
        details_h = sum(d.height for d in details)
        room = top - bottom - details_h - (gap if details else 0)
        name = fit_text(badge.name, BOLD, TEXT_W, 30, 12, 3, max_height=max(room, 14 * 1.17))
        block = name.height + (gap if details else 0) + details_h
        y = top - max(0.0, (top - bottom - block) / 2)
        c.setFillColor(style.text)
        y = draw_centred(c, name, BADGE_W / 2, y) - gap
        for detail in details:
            y = draw_centred(c, detail, BADGE_W / 2, y)

    def back(self, badge: Badge) -> None:
        """Draw the back (fold layout) upright, lower left corner at the current origin."""
        c, style, event = self.canvas, self.style, badge.event
        c.doForm(self._form(f"back-header-{self._event_key(event)}", lambda: self._back_header(event)))
        c.doForm(self._form(f"ribbon-{badge.role}", lambda: self._ribbon(badge.role)))
        c.setFillColor(style.text)
        y = BADGE_H - BACK_HEADER_H - 3 * mm
        y = draw_left(c, fit_text(badge.name, BOLD, TEXT_W, 12, 8, 2), MARGIN, y)
        if style.show_organisation and badge.organisation:
            y = draw_left(c, fit_text(badge.organisation, REGULAR, TEXT_W, 8.5, 7, 1), MARGIN, y)
        y -= 2.5 * mm
        zone_name = event.local(event.starts_at).strftime("%Z")
        y = draw_left(c, Fitted(("Your sessions",), 10, BOLD), MARGIN, y)
        y = draw_left(c, fit_text(f"{event.short_dates()} \u00b7 times in {event.timezone.replace('_', ' ')} ({zone_name})",
                                  REGULAR, TEXT_W, 7, 6, 1), MARGIN, y)
        c.setStrokeColor(style.accent)
        c.setLineWidth(0.6)
        c.line(MARGIN, y - 1 * mm, BADGE_W - MARGIN, y - 1 * mm)
        y -= 2.5 * mm
        qr_top = RIBBON_H + 3 * mm + BACK_QR_SIDE
        floor = qr_top + 2 * mm
        sessions = badge.sessions
        if not sessions:
            draw_left(c, fit_text("No workshops or visits picked: see the programme at the desk.",
                                  REGULAR, TEXT_W, 8, 7, 3), MARGIN, y)
        for index, session in enumerate(sessions):
            start, end = event.local(session.starts_at), event.local(session.ends_at)
            when = f"{start:%a %d %b} \u00b7 {start:%H:%M}\u2013{end:%H:%M}"
            head = fit_text(f"{when} \u00b7 {session.room}" if session.room else when, BOLD, TEXT_W, 7.5, 6, 1)
            title = fit_text(session.title, REGULAR, TEXT_W, 8.5, 7, 2)
            left = len(sessions) - index
            if y - head.height - title.height - (9 if left > 1 else 0) < floor:
                more = fit_text(f"+ {left} more: see your agenda from your registration email",
                                REGULAR, TEXT_W, 7.5, 6, 2)
                draw_left(c, more, MARGIN, y)
                break
            y = draw_left(c, head, MARGIN, y)
            y = draw_left(c, title, MARGIN, y) - 1.2 * mm
        if style.show_qr and badge.code:
            self._qr(badge.code, BADGE_W - MARGIN - BACK_QR_SIDE, RIBBON_H + 3 * mm, BACK_QR_SIDE)
        c.setFillColor(style.text)
        venue = event.venue_name if not event.is_online else "Online"
        if venue:
            where = fit_text(venue, REGULAR, TEXT_W - BACK_QR_SIDE - 3 * mm, 7.5, 6, 3)
            draw_left(c, where, MARGIN, RIBBON_H + 3 * mm + where.height)
