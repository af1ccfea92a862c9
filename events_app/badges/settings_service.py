"""The organiser's badge choices: the event's badge settings (colours, logo, fields shown),
each person's badge role, and who a badge build would include (the list and count the
badges page shows).

Every write validates all of its input first and changes nothing when any of it is wrong
(``Invalid`` with one message per field). The logo is checked by its magic bytes and then
decoded (Pillow, which reportlab uses to draw it), so a file that only claims to be an
image is refused at upload and never reaches a badge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import Any

from starlette.concurrency import run_in_threadpool
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from events_app.badges.models import BadgeSettings
from events_app.badges.pdf import DEFAULT_RIBBONS, Badge, BadgeEvent
from events_app.badges.service import get_badge_settings, render_badges, select_badges, surname_key
from events_app.errors import Invalid, NotFound
from events_app.events.models import Event
from events_app.registration.locking import lock_event
from events_app.registration.models import BadgeRole, Registration, RegistrationStatus

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 5000  # pixels: a bigger image is a decompression bomb, not a logo
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_PNG_MAGIC, _JPEG_MAGIC = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"
_COLOUR = re.compile(r"#[0-9a-f]{6}")
ROLES = tuple(role.value for role in BadgeRole)
ROLE_LABELS = {role.value: role.value.capitalize() for role in BadgeRole}
ROLE_PLURALS = {"participant": "participants", "speaker": "speakers", "organiser": "organisers",
                "staff": "staff", "press": "press"}
PER_PAGE = 50


# --- settings -----------------------------------------------------------------------------


def normalise_colour(raw: str) -> str | None:
    """``"#rrggbb"`` in lower case, or None when ``raw`` is not one."""
    value = raw.strip().lower()
    return value if _COLOUR.fullmatch(value) else None


def logo_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` from the file's first bytes; None for anything else."""
    if data.startswith(_PNG_MAGIC):
        return "image/png"
    if data.startswith(_JPEG_MAGIC):
        return "image/jpeg"
    return None


def check_logo(data: bytes) -> str:
    """The logo's media type, after checking it is a PNG or JPEG of at most 512 KiB that
    decodes; ``Invalid`` (field ``logo``) otherwise."""
    if len(data) > MAX_LOGO_BYTES:
        raise Invalid("The logo is too large.", fields={
            "logo": f"The file is larger than {MAX_LOGO_BYTES // 1024} KiB: save it smaller "
                    "(a logo needs no more than 1000 pixels across)."})
    media_type = logo_type(data)
    if media_type is None:
        raise Invalid("The logo is not a PNG or JPEG image.", fields={
            "logo": "This file is not a PNG or JPEG image."})
    from PIL import Image  # reportlab's own dependency

    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            kind = image.format
            if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
                raise Invalid("The logo is too large.", fields={
                    "logo": f"The image is {width} x {height} pixels: at most {MAX_LOGO_SIDE} on each side."})
            image.load()  # decode it all: a truncated or corrupt file fails here
    except Invalid:
        raise
    except Exception:  # Pillow raises many kinds for broken files
        raise Invalid("The logo cannot be read.", fields={
            "logo": "This image is damaged or incomplete: export it again as PNG or JPEG."}) from None
    if LOGO_TYPES.get(kind or "") != media_type:
        raise Invalid("The logo is not a PNG or JPEG image.", fields={
            "logo": "This file is not a PNG or JPEG image."})
    return media_type


LOGO_KEEP_SIDE = 1000  # pixels: plenty for a 30 mm header at 600 dpi


def shrink_logo(data: bytes, media_type: str) -> tuple[bytes, str]:
    """A checked logo scaled down to at most LOGO_KEEP_SIDE pixels a side (re-encoded as PNG), so
    that every ticket and badge embedding it stays small and quick; smaller logos are kept as sent."""
    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        if max(image.size) <= LOGO_KEEP_SIDE:
            return data, media_type
        image.thumbnail((LOGO_KEEP_SIDE, LOGO_KEEP_SIDE))
        out = BytesIO()
        image.save(out, format="PNG", optimize=True)
    return out.getvalue(), "image/png"


@dataclass(frozen=True, slots=True)
class BadgeSettingsInput:
    """The settings form as submitted (strings and flags), before validation."""

    accent_colour: str
    text_colour: str
    ribbon_colours: Mapping[str, str]
    show_organisation: bool
    show_country: bool
    show_job_title: bool
    show_qr: bool
    logo: bytes | None = None  # a new logo, or None to keep the current one
    remove_logo: bool = False


def _validated(data: BadgeSettingsInput) -> tuple[dict[str, Any], str | None]:
    """(the columns to save, the new logo's media type); ``Invalid`` with every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ("accent_colour", "text_colour"):
        colour = normalise_colour(getattr(data, name))
        if colour is None:
            errors[name] = "Give a colour as # and six hexadecimal digits, for example #2f6b4f."
        values[name] = colour
    ribbons: dict[str, str] = {}
    for role in ROLES:
        colour = normalise_colour(data.ribbon_colours.get(role, ""))
        if colour is None:
            errors[f"ribbon_{role}"] = "Give a colour as # and six hexadecimal digits, for example #1f5f8b."
        else:
            ribbons[role] = colour
    values["ribbon_colours"] = ribbons
    for name in ("show_organisation", "show_country", "show_job_title", "show_qr"):
        values[name] = bool(getattr(data, name))
    media_type = None
    if data.logo is not None:
        if data.remove_logo:
            errors["logo"] = "Either upload a new logo or remove the current one, not both."
        else:
            try:
                media_type = check_logo(data.logo)
            except Invalid as exc:
                errors.update(exc.fields)
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return values, media_type


async def save_badge_settings(event: Event, *, data: BadgeSettingsInput) -> BadgeSettings:
    """Validate everything, then create or update the event's badge settings in one go."""
    values, media_type = _validated(data)
    if data.logo is not None and media_type is not None:
        logo, media_type = shrink_logo(data.logo, media_type)
        values.update(logo=logo, logo_type=media_type)
    elif data.remove_logo:
        values.update(logo=None, logo_type="")
    async with in_transaction() as conn:
        await lock_event(event.id, conn)  # two saves at once: one creates, the other updates
        row = await BadgeSettings.filter(event_id=event.id).using_db(conn).first()
        if row is None:
            row = BadgeSettings(event_id=event.id, **values)
        else:
            row.update_from_dict(values)
        await row.save(using_db=conn)
    return row


async def get_badge_logo(event: Event) -> tuple[bytes, str] | None:
    """(the logo's bytes, its media type), or None when the event has no logo."""
    row = await BadgeSettings.filter(event_id=event.id).values("logo", "logo_type")
    if not row or not row[0]["logo"] or row[0]["logo_type"] not in LOGO_TYPES.values():
        return None
    return bytes(row[0]["logo"]), row[0]["logo_type"]


def settings_form_values(settings: BadgeSettings) -> dict[str, Any]:
    """The settings as the form shows them (every ribbon filled in with its default)."""
    chosen = settings.ribbon_colours if isinstance(settings.ribbon_colours, dict) else {}
    return {
        "accent_colour": settings.accent_colour,
        "text_colour": settings.text_colour,
        **{f"ribbon_{role}": chosen.get(role) or DEFAULT_RIBBONS[role] for role in ROLES},
        "show_organisation": settings.show_organisation,
        "show_country": settings.show_country,
        "show_job_title": settings.show_job_title,
        "show_qr": settings.show_qr,
    }


def sample_badge(event: Event) -> Badge:
    """A made-up badge to preview the design before anyone has registered."""
    return Badge(id=0, name="Αλεξάνδρα Müller-Petrović", organisation="Sample City Council",
                 country="Belgium", job_title="Procurement officer", role=BadgeRole.PARTICIPANT.value,
                 code="PREVIEW-NOT-A-TICKET", event=BadgeEvent.from_event(event))


async def render_badge_preview(event: Event) -> bytes:
    """A one-page A6 PDF with the saved settings: the first attendee by surname, or a sample."""
    badges = await select_badges(event)
    settings = await get_badge_settings(event)
    first = badges[0] if badges else sample_badge(event)
    return await run_in_threadpool(render_badges, [first], settings, "a6")


# --- who gets a badge ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BadgeFilters:
    """Whose badges to print: one role (None: all), only never printed, only confirmed since
    a day (midnight in the event's zone). The same rules as ``service.select_badges``."""

    role: BadgeRole | None = None
    not_printed: bool = False
    since: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role.value if self.role else "", "not_printed": self.not_printed,
                "since": self.since.isoformat() if self.since else ""}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BadgeFilters:
        role, since = data.get("role") or "", data.get("since") or ""
        return cls(role=BadgeRole(role) if role in ROLES else None, not_printed=bool(data.get("not_printed")),
                   since=date.fromisoformat(since) if since else None)

    def describe(self) -> str:
        """``everyone`` or, e.g., ``speakers, not yet printed, registered since 2027-05-03``."""
        parts = [ROLE_PLURALS[self.role.value] if self.role else ""]
        parts += ["not yet printed" if self.not_printed else "",
                  f"registered since {self.since.isoformat()}" if self.since else ""]
        return ", ".join(p for p in parts if p) or "everyone"


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    organisation: str
    country: str
    role: str
    printed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PeoplePage:
    items: list[PersonRow]
    total: int
    page: int
    pages: int
    per_page: int


def _since_moment(event: Event, since: date) -> datetime:
    return datetime.combine(since, time(0, 0), tzinfo=event.zone)


async def list_badge_people(event: Event, *, filters: BadgeFilters, page: int = 1,
                            per_page: int = PER_PAGE) -> PeoplePage:
    """One page of the people whose badges ``filters`` select, sorted by surname (the order
    of the PDF), and how many there are in all."""
    query = Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED)
    if filters.role is not None:
        query = query.filter(badge_role=filters.role)
    if filters.not_printed:
        query = query.filter(badge_printed_at__isnull=True)
    if filters.since is not None:
        moment = _since_moment(event, filters.since)
        query = query.filter(Q(confirmed_at__gte=moment) | Q(confirmed_at__isnull=True, created_at__gte=moment))
    rows = await query.values("id", "name", "organisation__name", "organisation__country", "badge_role",
                              "badge_printed_at")
    rows.sort(key=lambda row: (*surname_key(row["name"]), row["id"]))
    total = len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    chosen = rows[(page - 1) * per_page: page * per_page]
    items = [PersonRow(row["id"], row["name"], row["organisation__name"], row["organisation__country"],
                       str(getattr(row["badge_role"], "value", row["badge_role"])), row["badge_printed_at"])
             for row in chosen]
    return PeoplePage(items, total, page, pages, per_page)


async def change_badge_role(event: Event, *, registration_id: int, role: str) -> Registration:
    """Give one of the event's registrations another badge role (its ribbon)."""
    if role not in ROLES:
        raise Invalid("Unknown badge role.", fields={"role": f"Choose one of: {', '.join(ROLES)}."})
    registration = await Registration.filter(id=registration_id, event_id=event.id).first()
    if registration is None:
        raise NotFound("No such registration at this event.")
    registration.badge_role = BadgeRole(role)
    await registration.save(update_fields=["badge_role", "updated_at"])
    return registration
