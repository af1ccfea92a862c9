"""Twinning requests: submitted by an authority (confirmed by an emailed link), edited until the deadline."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.organisations.models import Organisation
from events_app.organisations.service import find_or_create_organisation
from events_app.twinning.catalogue import check_catalogue_slugs
from events_app.twinning.emails import queue_twinning_email, request_url
from events_app.twinning.models import (
    AuthorityContact,
    AuthorityProfile,
    RequestLink,
    RequestRole,
    RequestStatus,
    RoundMode,
    TwinningRequest,
    TwinningRound,
)
from events_app.twinning.rounds import deadline_text, ensure_open_for_requests, get_round
from events_app.twinning.schemas import ProfileInput, RequestEdit, RequestInput

ROLES_OF_MODE = {
    RoundMode.PEER: (RequestRole.PEER,),
    RoundMode.MENTORING: (RequestRole.MENTOR, RequestRole.MENTEE),
}


@dataclass(frozen=True)
class Submitted:
    """What submitting gave: the request, and whether it is new (else a fresh link was emailed)."""

    request: TwinningRequest
    created: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_request_link(request: TwinningRequest, conn: BaseDBAsyncClient) -> str:
    token = secrets.token_urlsafe(32)  # 256 random bits, only the hash is kept
    await RequestLink.create(request=request, token_hash=hash_token(token), using_db=conn)
    return token


def _check_role(round_: TwinningRound, role: RequestRole, capacity: int) -> None:
    allowed = ROLES_OF_MODE[RoundMode(round_.mode)]
    if role not in allowed:
        names = " or ".join(r.value for r in allowed)
        raise Invalid("Some fields need attention.", fields={"role": f"This round pairs {round_.mode} requests: choose {names}."})
    if capacity > 1 and role != RequestRole.MENTOR:
        raise Invalid("Some fields need attention.", fields={"capacity": "Only a mentor can take more than one partner."})


async def _check_profile(data: ProfileInput) -> None:
    await check_catalogue_slugs(offers=data.offers, seeks=data.seeks, interest_groups=data.interest_groups)
    if not data.offers and not data.seeks:
        raise Invalid("Some fields need attention.", fields={"seeks": "Name at least one topic you offer or seek."})


def _profile_values(data: ProfileInput) -> dict[str, object]:
    return {"languages": list(data.languages), "size": data.size, "topics": dict(data.offers),
            "interest_groups": list(data.interest_groups)}


async def _ensure_profile(organisation: Organisation) -> None:
    """Create the organisation's empty profile in its own short transaction (before the caller's)."""
    if await AuthorityProfile.filter(organisation_id=organisation.id).exists():
        return
    try:
        async with in_transaction() as conn:
            await AuthorityProfile.create(organisation=organisation, using_db=conn)
    except IntegrityError:  # created meanwhile by another request of the same authority
        pass


async def _save_profile(organisation: Organisation, data: ProfileInput, conn: BaseDBAsyncClient) -> None:
    await AuthorityProfile.filter(organisation_id=organisation.id).using_db(conn).update(
        **_profile_values(data), updated_at=utcnow())


async def _save_contact(organisation: Organisation, data: RequestInput, now: datetime,
                        conn: BaseDBAsyncClient) -> AuthorityContact:
    key = data.contact_email.casefold()
    contact = await AuthorityContact.filter(organisation_id=organisation.id, email_key=key).using_db(conn).first()
    consented_at = now if data.consent_share else None
    if contact is None:
        return await AuthorityContact.create(
            organisation=organisation, name=data.contact_name, email=data.contact_email, email_key=key,
            job_title=data.job_title, consent_share=data.consent_share, consented_at=consented_at, using_db=conn)
    contact.name, contact.job_title = data.contact_name, data.job_title
    if contact.consent_share != data.consent_share:
        contact.consent_share, contact.consented_at = data.consent_share, consented_at
    await contact.save(update_fields=["name", "job_title", "consent_share", "consented_at"], using_db=conn)
    return contact


def _request_values(data: RequestInput | RequestEdit) -> dict[str, object]:
    return {"role": data.role, "languages": list(data.languages), "size": data.size, "offers": dict(data.offers),
            "seeks": list(data.seeks), "interest_groups": list(data.interest_groups),
            "capacity": data.capacity, "motivation": data.motivation}


async def submit_request(*, round_id: int, data: RequestInput, confirmed: bool = False,
                         now: datetime | None = None) -> Submitted:
    """Take an authority's request for a round and email its contact a private link.

    From the public form (``confirmed=False``) the request waits until the link is opened
    and confirmed; an organiser entering it (API) confirms it at once. An authority has one
    request per round: submitting again emails a fresh link to the contact who made it
    (409 when someone else asks, so nobody takes over another person's request).
    """
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    ensure_open_for_requests(round_, now)
    _check_role(round_, data.role, data.capacity)
    await _check_profile(data)
    organisation = await find_or_create_organisation(name=data.organisation, country=data.country,
                                                     kind=data.organisation_kind)
    await _ensure_profile(organisation)
    async with in_transaction() as conn:
        existing = (await TwinningRequest.filter(round_id=round_.id, organisation_id=organisation.id)
                    .using_db(conn).select_for_update().prefetch_related("contact").first())
        if existing is not None and existing.status != RequestStatus.WITHDRAWN:
            if existing.contact.email_key != data.contact_email.casefold():
                raise Conflict(
                    f"{organisation.name} already has a request in this round. The person who made it "
                    "can change it with the link we emailed them; ask them, or write to the organisers.")
            token = await new_request_link(existing, conn)
            await queue_twinning_email(
                kind="twinning_link", to_email=existing.contact.email, to_name=existing.contact.name,
                title=round_.title, context={"organisation": organisation.name, "link": request_url(token)},
                conn=conn, now=now)
            return Submitted(existing, False)
        contact = await _save_contact(organisation, data, now, conn)
        await _save_profile(organisation, data, conn)
        status = RequestStatus.CONFIRMED if confirmed else RequestStatus.UNCONFIRMED
        values = {**_request_values(data), "contact_id": contact.id, "status": status,
                  "confirmed_at": now if confirmed else None, "shortlist": None, "ranking": None}
        if existing is not None:  # withdrawn before: the same row comes back
            await TwinningRequest.filter(id=existing.id).using_db(conn).update(**values, updated_at=now)
            request = await TwinningRequest.get(id=existing.id).using_db(conn)
        else:
            try:
                request = await TwinningRequest.create(round=round_, organisation=organisation, using_db=conn,
                                                       **values)
            except IntegrityError:
                raise Conflict(f"{organisation.name} already has a request in this round.") from None
        token = await new_request_link(request, conn)
        await queue_twinning_email(
            kind="twinning_confirm", to_email=contact.email, to_name=contact.name, title=round_.title,
            context={"organisation": organisation.name, "link": request_url(token),
                     "deadline": deadline_text(round_)},
            conn=conn, now=now)
    return Submitted(request, True)


async def find_request_by_token(*, token: str) -> TwinningRequest:
    """The request a private link belongs to, with round, organisation and contact; 404 otherwise."""
    if not token or len(token) > 100:
        raise NotFound("This link is not valid.")
    link = await RequestLink.filter(token_hash=hash_token(token)).prefetch_related(
        "request__round", "request__organisation", "request__contact").first()
    if link is None:
        raise NotFound("This link is not valid.")
    return link.request


async def confirm_request(*, token: str, now: datetime | None = None) -> TwinningRequest:
    """Confirm a request from its link (a second confirmation changes nothing)."""
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    if request.status == RequestStatus.WITHDRAWN:
        raise Conflict("This request was withdrawn. Submit a new one from the round's page.")
    if request.status == RequestStatus.UNCONFIRMED:
        await TwinningRequest.filter(id=request.id, status=RequestStatus.UNCONFIRMED).update(
            status=RequestStatus.CONFIRMED, confirmed_at=now)
        request.status, request.confirmed_at = RequestStatus.CONFIRMED, now
    return request


async def update_request(*, token: str, data: RequestEdit, now: datetime | None = None) -> TwinningRequest:
    """Change a request from its link; only until the round's deadline."""
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    round_ = request.round
    ensure_open_for_requests(round_, now, changing=True)
    if request.status == RequestStatus.WITHDRAWN:
        raise Conflict("This request was withdrawn. Submit a new one from the round's page.")
    _check_role(round_, data.role, data.capacity)
    await _check_profile(data)
    async with in_transaction() as conn:
        await TwinningRequest.filter(id=request.id).using_db(conn).update(
            **_request_values(data), updated_at=now,
            status=RequestStatus.CONFIRMED, confirmed_at=request.confirmed_at or now)
        await _save_profile(request.organisation, data, conn)
        contact = request.contact
        if contact.consent_share != data.consent_share:
            await AuthorityContact.filter(id=contact.id).using_db(conn).update(
                consent_share=data.consent_share, consented_at=now if data.consent_share else None)
    return await find_request_by_token(token=token)


async def withdraw_request(*, token: str, now: datetime | None = None) -> TwinningRequest:
    """Take a request out of the round (until the deadline)."""
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    ensure_open_for_requests(request.round, now, changing=True)
    await TwinningRequest.filter(id=request.id).update(status=RequestStatus.WITHDRAWN, updated_at=now)
    request.status = RequestStatus.WITHDRAWN
    return request


async def list_requests(*, round_id: int) -> list[TwinningRequest]:
    return list(await TwinningRequest.filter(round_id=round_id).order_by("id")
                .prefetch_related("organisation", "contact"))
