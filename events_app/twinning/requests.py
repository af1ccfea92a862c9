"""Twinning requests: submitted by an authority (confirmed by an emailed link), edited until the deadline."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.organisations.models import Organisation
from events_app.organisations.service import find_or_create_organisation
from events_app.registration.service import hash_token  # the same SHA-256 as manage links
from events_app.settings import current_settings
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


async def _contact_for(organisation: Organisation, data: RequestInput, conn: BaseDBAsyncClient) -> AuthorityContact:
    """The organisation's contact with this email, created if new. An existing contact is not
    changed here: what a submission says about the person waits for the link (see ``_apply``)."""
    key = data.contact_email.casefold()
    contact = await AuthorityContact.filter(organisation_id=organisation.id, email_key=key).using_db(conn).first()
    if contact is None:
        contact = await AuthorityContact.create(
            organisation=organisation, name=data.contact_name, email=data.contact_email, email_key=key,
            job_title=data.job_title, consent_share=False, using_db=conn)
    return contact


def _pending(data: RequestInput) -> dict[str, Any]:
    """What confirming the request will write to the contact and the authority's profile."""
    return {"contact_name": data.contact_name, "job_title": data.job_title, "consent_share": data.consent_share,
            "profile": {"languages": list(data.languages), "size": data.size, "topics": dict(data.offers),
                        "interest_groups": list(data.interest_groups)}}


async def _apply(request: TwinningRequest, pending: dict[str, Any] | None, now: datetime,
                 conn: BaseDBAsyncClient) -> None:
    """Write a confirmed submission's contact details, consent and profile."""
    if not pending:
        return
    contact = await AuthorityContact.get(id=request.contact_id).using_db(conn)  # type: ignore[attr-defined]
    contact.name, contact.job_title = pending["contact_name"], pending["job_title"]
    if contact.consent_share != pending["consent_share"]:
        contact.consent_share = pending["consent_share"]
        contact.consented_at = now if contact.consent_share else None
    await contact.save(update_fields=["name", "job_title", "consent_share", "consented_at"], using_db=conn)
    await AuthorityProfile.filter(organisation_id=request.organisation_id).using_db(conn).update(  # type: ignore[attr-defined]
        **pending["profile"], updated_at=now)
    await TwinningRequest.filter(id=request.id).using_db(conn).update(pending=None)


def _request_values(data: RequestInput | RequestEdit) -> dict[str, object]:
    return {"role": data.role, "languages": list(data.languages), "size": data.size, "offers": dict(data.offers),
            "seeks": list(data.seeks), "interest_groups": list(data.interest_groups),
            "capacity": data.capacity, "motivation": data.motivation}


async def submit_request(*, round_id: int, data: RequestInput, confirmed: bool = False,
                         now: datetime | None = None) -> Submitted:
    """Take an authority's request for a round and email its contact a private link.

    From the public form (``confirmed=False``) the request, and what it says about the
    contact person (their consent to share their details) and the authority's profile, waits
    until the link is opened and confirmed; an organiser entering it (API) confirms it at once.
    An authority has one request per round. Submitting again with the same email mails a fresh
    link; with another email while the request is unconfirmed, the newer submission takes its
    place (the old links die); once confirmed, someone else is only told by email that a
    colleague has asked already (the public answer is the same as for a new request, so the
    form does not tell strangers which authorities take part). Organisers get a 409 instead.
    """
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    ensure_open_for_requests(round_, now)
    _check_role(round_, data.role, data.capacity)
    await _check_profile(data)
    organisation = await find_or_create_organisation(name=data.organisation, country=data.country,
                                                     kind=data.organisation_kind)
    await _ensure_profile(organisation)
    key = data.contact_email.casefold()
    async with in_transaction() as conn:
        # one authority's submissions one at a time (contact and request rows are unique per authority)
        await Organisation.filter(id=organisation.id).using_db(conn).select_for_update().first()
        existing = (await TwinningRequest.filter(round_id=round_.id, organisation_id=organisation.id)
                    .using_db(conn).prefetch_related("contact").first())
        if existing is not None and existing.status == RequestStatus.CONFIRMED:
            if existing.contact.email_key == key:
                token = await new_request_link(existing, conn)
                await queue_twinning_email(
                    kind="twinning_link", to_email=existing.contact.email, to_name=existing.contact.name,
                    title=round_.title, context={"organisation": organisation.name, "link": request_url(token)},
                    conn=conn, now=now)
                return Submitted(existing, False)
            if confirmed:
                raise Conflict(f"{organisation.name} already has a confirmed request in this round, "
                               f"made by {existing.contact.name}.")
            await queue_twinning_email(
                kind="twinning_taken", to_email=data.contact_email, to_name=data.contact_name, title=round_.title,
                context={"organisation": organisation.name, "organisers": current_settings().mail_from},
                conn=conn, now=now)
            return Submitted(existing, False)
        contact = await _contact_for(organisation, data, conn)
        status = RequestStatus.CONFIRMED if confirmed else RequestStatus.UNCONFIRMED
        values = {**_request_values(data), "contact_id": contact.id, "status": status,
                  "confirmed_at": now if confirmed else None, "shortlist": None, "ranking": None,
                  "pending": _pending(data)}
        if existing is not None:  # withdrawn or never confirmed: the same row, a new start
            await TwinningRequest.filter(id=existing.id).using_db(conn).update(**values, updated_at=now)
            await RequestLink.filter(request_id=existing.id).using_db(conn).delete()
            request = await TwinningRequest.get(id=existing.id).using_db(conn)
        else:
            request = await TwinningRequest.create(round=round_, organisation=organisation, using_db=conn, **values)
        if confirmed:
            await _apply(request, request.pending, now, conn)
        token = await new_request_link(request, conn)
        await queue_twinning_email(
            kind="twinning_confirm", to_email=contact.email, to_name=data.contact_name, title=round_.title,
            context={"organisation": organisation.name, "link": request_url(token),
                     "deadline": deadline_text(round_), "entered": confirmed},
            conn=conn, now=now)
    return Submitted(request, existing is None)


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
    """Confirm a request from its link, until the deadline (a second confirmation changes nothing).

    Only now does what the submission said about the contact person and the authority count.
    """
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    if request.status == RequestStatus.WITHDRAWN:
        raise Conflict("This request was withdrawn. Submit a new one from the round's page.")
    if request.status == RequestStatus.UNCONFIRMED:
        ensure_open_for_requests(request.round, now)
        async with in_transaction() as conn:
            locked = await TwinningRequest.filter(id=request.id).using_db(conn).select_for_update().first()
            if locked is not None and locked.status == RequestStatus.UNCONFIRMED:
                await _apply(locked, locked.pending, now, conn)
                await TwinningRequest.filter(id=request.id).using_db(conn).update(
                    status=RequestStatus.CONFIRMED, confirmed_at=now)
        request = await find_request_by_token(token=token)
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
        # saving from the link proves the address like confirming does: what the submission said
        # about the person counts now, then this edit's own answers
        await _apply(request, request.pending, now, conn)
        await TwinningRequest.filter(id=request.id).using_db(conn).update(
            **_request_values(data), updated_at=now,
            status=RequestStatus.CONFIRMED, confirmed_at=request.confirmed_at or now)
        await _save_profile(request.organisation, data, conn)
        contact = await AuthorityContact.get(id=request.contact_id).using_db(conn)  # type: ignore[attr-defined]
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
