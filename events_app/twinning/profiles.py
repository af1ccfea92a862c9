"""Authority profiles: what organisers see and correct about each authority in the programme."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from events_app.errors import NotFound
from events_app.organisations.models import Organisation
from events_app.twinning.catalogue import check_catalogue_slugs
from events_app.twinning.models import AuthorityContact, AuthorityProfile, Twinning, TwinningRequest
from events_app.twinning.schemas import ProfileInput

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuthorityRow:
    organisation: Organisation
    profile: AuthorityProfile | None
    contacts: int
    requests: int


@dataclass(frozen=True)
class AuthorityPage:
    rows: list[AuthorityRow]
    total: int
    page: int
    pages: int


async def list_authorities(*, search: str = "", country: str = "", topic: str = "", page: int = 1) -> AuthorityPage:
    """Organisations with a twinning profile, by name; filtered by name, country and a topic they offer."""
    query = Organisation.filter(authority_profile__isnull=False)
    search = " ".join(search.split())[:100].replace("\x00", "")
    if search:
        query = query.filter(name__icontains=search)
    if country:
        query = query.filter(country=country.upper()[:2])
    rows = list(await query.order_by("name_key", "id").prefetch_related("authority_profile"))
    if topic:
        rows = [o for o in rows if topic in (o.authority_profile.topics or {})]
    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    ids = [o.id for o in shown]
    contacts: dict[int, int] = {}
    requests: dict[int, int] = {}
    for c in await AuthorityContact.filter(organisation_id__in=ids).values("organisation_id"):
        contacts[c["organisation_id"]] = contacts.get(c["organisation_id"], 0) + 1
    for r in await TwinningRequest.filter(organisation_id__in=ids).values("organisation_id"):
        requests[r["organisation_id"]] = requests.get(r["organisation_id"], 0) + 1
    return AuthorityPage([AuthorityRow(o, o.authority_profile, contacts.get(o.id, 0), requests.get(o.id, 0))
                          for o in shown], total, page, pages)


@dataclass(frozen=True)
class Authority:
    organisation: Organisation
    profile: AuthorityProfile
    contacts: list[AuthorityContact]
    requests: list[TwinningRequest]
    twinnings: list[tuple[Twinning, Organisation]]


async def get_authority(*, organisation_id: int) -> Authority:
    """One authority: profile, contact people (with their consent), requests and twinnings over the rounds."""
    organisation = (await Organisation.filter(id=organisation_id).prefetch_related("authority_profile").first()
                    if 0 < organisation_id <= 2**31 - 1 else None)
    if organisation is None or getattr(organisation, "authority_profile", None) is None:
        raise NotFound("No such authority in the twinning programme.")
    contacts = list(await AuthorityContact.filter(organisation_id=organisation.id).order_by("name", "id"))
    requests = list(await TwinningRequest.filter(organisation_id=organisation.id).order_by("-id")
                    .prefetch_related("round", "contact"))
    rows = await Twinning.filter(Q(a__organisation_id=organisation.id) | Q(b__organisation_id=organisation.id)) \
        .order_by("-id").prefetch_related("round", "a__organisation", "b__organisation", "study_visit")
    twinnings = [(t, t.b.organisation if t.a.organisation_id == organisation.id else t.a.organisation)  # type: ignore[attr-defined]
                 for t in rows]
    return Authority(organisation, organisation.authority_profile, contacts, requests, twinnings)


async def update_profile(*, organisation_id: int, data: ProfileInput) -> AuthorityProfile:
    """Correct an authority's profile (requests already made keep their own copy)."""
    authority = await get_authority(organisation_id=organisation_id)
    current = authority.profile
    await check_catalogue_slugs(offers=data.offers, seeks=[], interest_groups=data.interest_groups,
                                allowed_topics=set(current.topics or {}))
    await AuthorityProfile.filter(id=current.id).update(
        languages=list(data.languages), size=data.size, topics=dict(data.offers),
        interest_groups=list(data.interest_groups))
    return await AuthorityProfile.get(id=current.id)


async def withdraw_contact_consent(*, organisation_id: int, contact_id: int) -> AuthorityContact:
    """Record that a contact person no longer wants their details shared (asked the organisers)."""
    contact = await AuthorityContact.filter(id=contact_id, organisation_id=organisation_id).first()
    if contact is None:
        raise NotFound("No such contact person.")
    await AuthorityContact.filter(id=contact.id).update(consent_share=False, consented_at=None)
    contact.consent_share, contact.consented_at = False, None
    return contact
