"""The attendee's ticket: one A4 page to print or show on a phone at the door.

Accent band with the logo and the event title; when (in the event's zone, with the zone
named) and where; the person's name and organisation; a large QR code (vector) holding
the ticket code, the code in text under it (grouped by four: the check-in desk can type it,
spaces are ignored) and "Show this at the door".
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from events_app.badges.pdf import BadgeEvent, BadgeStyle, ink_on
from events_app.badges.qr import draw_qr
from events_app.badges.text import (
    BOLD,
    REGULAR,
    Fitted,
    draw_centred,
    draw_left,
    fit_text,
    register_fonts,
)

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
BAND_H = 42 * mm
QR_SIDE = 75 * mm


@dataclass(frozen=True, slots=True)
class Ticket:
    name: str
    organisation: str
    code: str
    event: BadgeEvent


def when_text(event: BadgeEvent) -> str:
    """``Tue 12 May 2027, 09:00–17:30`` or ``Tue 12 May 2027 09:00 – Thu 14 May 2027 17:30``."""
    start, end = event.local(event.starts_at), event.local(event.ends_at)
    if start.date() == end.date():
        return f"{start:%a} {start.day} {start:%B %Y}, {start:%H:%M}\u2013{end:%H:%M}"
    return f"{start:%a} {start.day} {start:%B %Y} {start:%H:%M} \u2013 {end:%a} {end.day} {end:%B %Y} {end:%H:%M}"


def grouped(code: str) -> str:
    prefix, _, secret = code.partition("-")
    return f"{prefix}-" + " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) if secret else code


def ticket_pdf(ticket: Ticket, style: BadgeStyle) -> bytes:
    register_fonts()
    buffer = BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Ticket: {ticket.event.title}")
    c.setCreator("events_app tickets")
    event, width = ticket.event, PAGE_W - 2 * MARGIN
    c.setFillColor(style.accent)
    c.rect(0, PAGE_H - BAND_H, PAGE_W, BAND_H, stroke=0, fill=1)
    left = MARGIN
    if style.logo is not None:
        logo_w, logo_h = style.logo.getSize()
        box_h = BAND_H - 14 * mm
        scale = min(40 * mm / logo_w, box_h / logo_h)
        w, h = logo_w * scale, logo_h * scale
        c.setFillColor(HexColor("#ffffff"))
        c.roundRect(MARGIN - 2 * mm, PAGE_H - BAND_H / 2 - h / 2 - 2 * mm, w + 4 * mm, h + 4 * mm, 2 * mm,
                    stroke=0, fill=1)
        c.drawImage(style.logo, MARGIN, PAGE_H - BAND_H / 2 - h / 2, w, h, mask="auto")
        left = MARGIN + w + 8 * mm
    ink = ink_on(style.accent)
    c.setFillColor(ink)
    label = Fitted(("TICKET",), 9, BOLD)
    title = fit_text(event.title, BOLD, PAGE_W - MARGIN - left, 24, 12, 2)
    top = PAGE_H - BAND_H / 2 + (label.height + title.height) / 2
    draw_left(c, title, left, draw_left(c, label, left, top))

    c.setFillColor(style.text)
    y = PAGE_H - BAND_H - 10 * mm
    zone = event.local(event.starts_at).strftime("%Z")
    rows = [("When", f"{when_text(event)} ({event.timezone.replace('_', ' ')} time, {zone})")]
    where = "Online" if event.is_online else ", ".join(p for p in (event.venue_name, event.venue_address) if p)
    if where:
        rows.append(("Where", where))
    for heading, text in rows:
        y = draw_left(c, Fitted((heading,), 9, BOLD), MARGIN, y)
        y = draw_left(c, fit_text(text, REGULAR, width, 12, 9, 3), MARGIN, y) - 3 * mm
    y -= 4 * mm
    y = draw_centred(c, fit_text(ticket.name, BOLD, width, 28, 14, 2), PAGE_W / 2, y)
    if ticket.organisation:
        y = draw_centred(c, fit_text(ticket.organisation, REGULAR, width, 14, 10, 2), PAGE_W / 2, y)
    qr_y = y - 8 * mm - QR_SIDE
    c.setFillColor(HexColor("#000000"))
    draw_qr(c, ticket.code, (PAGE_W - QR_SIDE) / 2, qr_y, QR_SIDE)
    c.setFillColor(style.text)
    y = draw_centred(c, Fitted((grouped(ticket.code),), 11, REGULAR), PAGE_W / 2, qr_y - 4 * mm)
    y = draw_centred(c, Fitted(("Show this at the door",), 18, BOLD), PAGE_W / 2, y - 4 * mm)
    c.setFillColor(HexColor("#555555"))
    draw_centred(c, fit_text("This ticket is personal. If it is lost or shared, ask the organisers for a new one: "
                             "the old code then stops working.", REGULAR, width, 8.5, 7, 2), PAGE_W / 2, 22 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()
