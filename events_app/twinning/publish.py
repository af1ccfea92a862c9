"""After matching: shortlists to rank, publishing introductions, answers, and twinning status."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.twinning.emails import queue_twinning_email, request_url
from events_app.twinning.models import (
    Answer,
    AuthorityContact,
    MatchRun,
    RequestStatus,
    RoundMode,
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.reasons import Names, catalogue_names, plain_reasons
from events_app.twinning.requests import find_request_by_token, new_request_link
from events_app.twinning.rounds import effective_status, get_round
from events_app.twinning.runs import LIVE, build_document, latest_run
from events_app.validation import country_names
from matching import load_problem, score
from matching.scoring import PART_LABELS


def _contact_json(contact: AuthorityContact) -> dict[str, str]:
    return {"name": contact.name, "email": contact.email, "job_title": contact.job_title}


def shared_contact(own: AuthorityContact, partner: AuthorityContact) -> dict[str, str] | None:
    """The partner's contact details, only when both people agreed to share theirs."""
    return _contact_json(partner) if own.consent_share and partner.consent_share else None


# --- shortlists (stable mode) ---------------------------------------------------------

async def send_shortlists(*, round_id: int, now: datetime | None = None) -> int:
    """Email each free confirmed request its best feasible candidates to rank; return how many were sent.

    The shortlist is the round's ``shortlist_size`` best partners by score (feasible only,
    ties by id). Sending again replaces the shortlists and forgets earlier rankings.
    """
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    if effective_status(round_, now) not in (RoundStatus.MATCHING, RoundStatus.SHORTLISTING):
        raise Conflict("Shortlists go out after the deadline and before publishing.")
    document = await build_document(round_=round_)
    problem = load_problem(document)
    candidates = problem.candidates
    mode = problem.mode
    lists: dict[str, list[tuple[float, str, list[str]]]] = defaultdict(list)
    for i, x in enumerate(candidates):
        for y in candidates[i + 1:]:
            a, b = (x, y) if mode == "peer" or x.role == "mentor" else (y, x)
            pair = score(a, b, problem.options)
            if pair is None:
                continue
            reasons = [PART_LABELS.get(name, name) for name, value in
                       sorted(pair.parts.items(), key=lambda kv: (-kv[1], kv[0]))[:2] if value > 0]
            lists[a.id].append((pair.score, b.id, reasons))
            lists[b.id].append((pair.score, a.id, reasons))
    requests = {str(r.id): r for r in await TwinningRequest.filter(round_id=round_.id)
                .prefetch_related("organisation", "contact")}
    sent = 0
    async with in_transaction() as conn:
        for c in candidates:
            best = sorted(lists.get(c.id, []), key=lambda item: (-item[0], item[1]))[: round_.shortlist_size]
            request = requests[c.id]
            await TwinningRequest.filter(id=request.id).using_db(conn).update(
                shortlist=[int(b) for _, b, _ in best], ranking=None, ranked_at=None)
            if not best:
                continue
            token = await new_request_link(request, conn)
            names = [{"name": requests[b].organisation.name, "country": requests[b].organisation.country,
                      "reasons": reasons} for _, b, reasons in best]
            await queue_twinning_email(
                kind="twinning_shortlist", to_email=request.contact.email, to_name=request.contact.name,
                title=round_.title, conn=conn, now=now,
                context={"organisation": request.organisation.name, "candidates": names, "link": request_url(token)})
            sent += 1
        await TwinningRound.filter(id=round_.id).using_db(conn).update(status=RoundStatus.SHORTLISTING, updated_at=now)
    return sent


async def save_ranking(*, token: str, ranking: list[int], now: datetime | None = None) -> TwinningRequest:
    """Keep an authority's ranking of its shortlist (best first); the ones left out are declined."""
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    if effective_status(request.round, now) != RoundStatus.SHORTLISTING or request.shortlist is None:
        raise Conflict("There is no shortlist to rank for this request (or the round has moved on).")
    allowed = set(request.shortlist)
    seen: list[int] = []
    for n, item in enumerate(ranking):
        if item not in allowed:
            raise Invalid("Some fields need attention.",
                          fields={f"ranking[{n}]": f"Request {item} is not on your shortlist."})
        if item in seen:
            raise Invalid("Some fields need attention.", fields={f"ranking[{n}]": f"Request {item} is ranked twice."})
        seen.append(item)
    await TwinningRequest.filter(id=request.id).update(ranking=seen, ranked_at=now)
    request.ranking, request.ranked_at = seen, now
    return request


# --- publishing -----------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    twinnings: list[Twinning]
    emails: int


async def publish_run(*, round_id: int, run_number: int | None = None, now: datetime | None = None) -> Published:
    """Turn the pairs of a run (the latest by default) into proposed twinnings and introduce them.

    Only pairs whose two requests are still free become twinnings (a re-run after declines
    publishes just the new pairs). Each authority with new pairs gets exactly one email,
    listing every new partner with the reasons, and the partner's contact where both agreed.
    Publishing the same run twice sends nothing the second time.
    """
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    status = effective_status(round_, now)
    if status in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise Conflict("Only a round past its deadline can be published.")
    run = (await MatchRun.filter(round_id=round_.id, number=run_number).first() if run_number
           else await latest_run(round_id=round_.id))
    if run is None and run_number:
        raise NotFound("This round has no such run.")
    if run is None:
        raise Conflict("Run the matching first: there is nothing to publish.")
    created: list[Twinning] = []
    names = await catalogue_names()
    async with in_transaction() as conn:
        await TwinningRound.filter(id=round_.id).using_db(conn).select_for_update().first()
        requests = {r.id: r for r in await TwinningRequest.filter(round_id=round_.id).using_db(conn)
                    .prefetch_related("organisation", "contact")}
        existing = list(await Twinning.filter(round_id=round_.id).using_db(conn))
        for pair, a, b in _publishable(run, requests, existing):
            created.append(await Twinning.create(
                round_id=round_.id, run=run, a=a, b=b, score=pair["score"], parts=pair["parts"],
                reasons=pair["reasons"], published_at=now, using_db=conn))
        emails = await _queue_introductions(round_, created, requests, conn, now, names)
        for request, reason in _unpaired_to_tell(run, requests, [*existing, *created]):
            await _queue_unpaired(round_, request, reason, conn, now)
            emails += 1
        await TwinningRound.filter(id=round_.id).using_db(conn).update(status=RoundStatus.PUBLISHED, updated_at=now)
    return Published(created, emails)


def _publishable(run: MatchRun, requests: dict[int, TwinningRequest], existing: list[Twinning]
                 ) -> list[tuple[dict[str, Any], TwinningRequest, TwinningRequest]]:
    """The run's pairs that publishing turns into twinnings: both requests confirmed and still free."""
    used: dict[int, int] = defaultdict(int)
    live_pairs = set()
    declined = {(t.a_id, t.b_id) for t in existing if t.status == TwinningStatus.DECLINED}  # type: ignore[attr-defined]
    for t in existing:
        if t.status in LIVE:
            used[t.a_id] += 1  # type: ignore[attr-defined]
            used[t.b_id] += 1  # type: ignore[attr-defined]
            live_pairs.add((t.a_id, t.b_id))  # type: ignore[attr-defined]
    out = []
    for pair in run.output["pairs"]:
        a, b = requests.get(int(pair["a"])), requests.get(int(pair["b"]))
        if a is None or b is None or (a.id, b.id) in live_pairs or (a.id, b.id) in declined:
            continue
        if any(r.status != RequestStatus.CONFIRMED or used[r.id] >= (r.capacity if r.role == "mentor" else 1)
               for r in (a, b)):
            continue
        used[a.id] += 1
        used[b.id] += 1
        out.append((pair, a, b))
    return out


UNPAIRED_REASONS = {
    "no feasible partner": "no other authority in this round could be paired with yours (for example because "
                           "none shares a working language with you, or they are past partners)",
    "capacity full": "the authorities that fit yours best had all their places taken",
    "odd one out": "the number of requests was odd, so one authority could not have a partner this time",
    "lost to better pairs": "the authorities that could pair with yours fitted others better",
    "no capacity": "your request offers no places",
}


def _unpaired_to_tell(run: MatchRun, requests: dict[int, TwinningRequest], twinnings: list[Twinning]
                      ) -> list[tuple[TwinningRequest, str]]:
    """Confirmed requests the run left without a partner, with no live twinning, not told before."""
    busy = {i for t in twinnings if t.status in LIVE for i in (t.a_id, t.b_id)}  # type: ignore[attr-defined]
    out = []
    for item in run.output["unmatched"]:
        request = requests.get(int(item["id"]))
        if (request is None or request.status != RequestStatus.CONFIRMED or request.id in busy
                or request.unpaired_told_at is not None):
            continue
        out.append((request, UNPAIRED_REASONS.get(item["reason"], UNPAIRED_REASONS["lost to better pairs"])))
    return out


async def _queue_unpaired(round_: TwinningRound, request: TwinningRequest, reason: str, conn: BaseDBAsyncClient,
                          now: datetime) -> None:
    token = await new_request_link(request, conn)
    await queue_twinning_email(
        kind="twinning_unpaired", to_email=request.contact.email, to_name=request.contact.name, title=round_.title,
        conn=conn, now=now, context={"organisation": request.organisation.name, "reason": reason,
                                     "link": request_url(token)})
    await TwinningRequest.filter(id=request.id).using_db(conn).update(unpaired_told_at=now)


@dataclass(frozen=True)
class PublishPreview:
    """What publishing a run would do now: the new pairs and how many emails go out."""

    run: MatchRun
    pairs: list[tuple[TwinningRequest, TwinningRequest, float]]
    emails: int
    unpaired: tuple[tuple[TwinningRequest, str], ...] = ()  # told they have no partner, with the reason


async def preview_publish(*, round_id: int, run_number: int | None = None,
                          now: datetime | None = None) -> PublishPreview:
    """The pairs :func:`publish_run` would introduce now, without writing anything."""
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    if effective_status(round_, now) in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise Conflict("Only a round past its deadline can be published.")
    run = (await MatchRun.filter(round_id=round_.id, number=run_number).first() if run_number
           else await latest_run(round_id=round_.id))
    if run is None:
        raise Conflict("Run the matching first: there is nothing to publish.")
    requests = {r.id: r for r in await TwinningRequest.filter(round_id=round_.id)
                .prefetch_related("organisation", "contact")}
    existing = list(await Twinning.filter(round_id=round_.id))
    pairs = _publishable(run, requests, existing)
    unpaired = tuple(_unpaired_to_tell(run, requests, existing))
    emails = len({r.id for _, a, b in pairs for r in (a, b)}) + len(unpaired)
    return PublishPreview(run, [(a, b, float(pair["score"])) for pair, a, b in pairs], emails, unpaired)


async def _queue_introductions(round_: TwinningRound, created: list[Twinning], requests: dict[int, TwinningRequest],
                               conn: BaseDBAsyncClient, now: datetime, names: Names) -> int:
    by_request: dict[int, list[tuple[Twinning, TwinningRequest]]] = defaultdict(list)
    for t in created:
        a, b = requests[t.a_id], requests[t.b_id]  # type: ignore[attr-defined]
        by_request[a.id].append((t, b))
        by_request[b.id].append((t, a))
    countries = country_names()
    for request_id in sorted(by_request):
        own = requests[request_id]
        partners = []
        for t, partner in by_request[request_id]:
            role = ""
            if round_.mode == RoundMode.MENTORING:
                role = "your mentor" if partner.role == "mentor" else "your mentee"
            partners.append({
                "twinning_id": t.id, "name": partner.organisation.name, "country": partner.organisation.country,
                "country_name": countries.get(partner.organisation.country, partner.organisation.country),
                "role": role, "reasons": plain_reasons(own, partner, names, mode=round_.mode),
                "contact": shared_contact(own.contact, partner.contact)})
        token = await new_request_link(own, conn)
        await queue_twinning_email(
            kind="twinning_intro", to_email=own.contact.email, to_name=own.contact.name, title=round_.title,
            conn=conn, now=now, context={"organisation": own.organisation.name, "partners": partners,
                                         "intro": round_.intro, "link": request_url(token)})
    return len(by_request)


# --- answers --------------------------------------------------------------------------

async def _twinning_of(request: TwinningRequest, twinning_id: int, conn: BaseDBAsyncClient) -> Twinning:
    twinning = await Twinning.filter(id=twinning_id).using_db(conn).select_for_update().first()
    if twinning is None or request.id not in (twinning.a_id, twinning.b_id):  # type: ignore[attr-defined]
        raise NotFound("This link has no such twinning.")
    return twinning


async def answer_twinning(*, token: str, twinning_id: int, accept: bool, reason: str = "",
                          now: datetime | None = None) -> Twinning:
    """Accept or decline a proposed twinning from one side's link.

    A decline ends the proposal at once and frees both sides for the next run (the pair is
    then forbidden); both accepting makes the twinning accepted, and both are told (with
    contacts where both agreed). Answering the same way again changes nothing.
    """
    now = now or utcnow()
    request = await find_request_by_token(token=token)
    round_ = request.round
    reason = " ".join(reason.split())[:500]
    async with in_transaction() as conn:
        twinning = await _twinning_of(request, twinning_id, conn)
        side = "a" if twinning.a_id == request.id else "b"  # type: ignore[attr-defined]
        answer = Answer.ACCEPTED if accept else Answer.DECLINED
        if getattr(twinning, f"{side}_answer") == answer:
            return twinning
        if twinning.status != TwinningStatus.PROPOSED:
            raise Conflict(f"This twinning is {twinning.status} already: its answers cannot change.")
        setattr(twinning, f"{side}_answer", answer)
        twinning.answered_at = now
        if not accept:
            twinning.status = TwinningStatus.DECLINED
            twinning.decline_reason = reason
        elif twinning.a_answer == Answer.ACCEPTED and twinning.b_answer == Answer.ACCEPTED:
            twinning.status = TwinningStatus.ACCEPTED
        await twinning.save(update_fields=["a_answer", "b_answer", "status", "decline_reason", "answered_at"],
                            using_db=conn)
        if twinning.status in (TwinningStatus.DECLINED, TwinningStatus.ACCEPTED):
            await _queue_outcome(round_, twinning, request, conn, now)
    return twinning


async def _queue_outcome(round_: TwinningRound, twinning: Twinning, answering: TwinningRequest,
                         conn: BaseDBAsyncClient, now: datetime) -> None:
    sides = {r.id: r for r in await TwinningRequest.filter(id__in=[twinning.a_id, twinning.b_id])  # type: ignore[attr-defined]
             .using_db(conn).prefetch_related("organisation", "contact")}
    a, b = sides[twinning.a_id], sides[twinning.b_id]  # type: ignore[attr-defined]
    for own, partner in ((a, b), (b, a)):
        token = await new_request_link(own, conn)
        context: dict[str, Any] = {"organisation": own.organisation.name, "partner": partner.organisation.name,
                                   "link": request_url(token), "by_self": own.id == answering.id}
        if twinning.status == TwinningStatus.DECLINED:
            kind = "twinning_declined"
        else:
            kind = "twinning_accepted"
            context["contact"] = shared_contact(own.contact, partner.contact)
        await queue_twinning_email(kind=kind, to_email=own.contact.email, to_name=own.contact.name,
                                   title=round_.title, context=context, conn=conn, now=now)


async def set_twinning_status(*, round_id: int, twinning_id: int, status: TwinningStatus) -> Twinning:
    """Organiser: mark an accepted twinning completed, or cancel a proposed or accepted one."""
    allowed = {TwinningStatus.ACCEPTED: {TwinningStatus.COMPLETED, TwinningStatus.CANCELLED},
               TwinningStatus.PROPOSED: {TwinningStatus.CANCELLED},
               TwinningStatus.COMPLETED: {TwinningStatus.ACCEPTED}}
    async with in_transaction() as conn:
        twinning = await Twinning.filter(id=twinning_id, round_id=round_id).using_db(conn).select_for_update().first()
        if twinning is None:
            raise NotFound("This round has no such twinning.")
        if status != twinning.status and status not in allowed.get(TwinningStatus(twinning.status), set()):
            raise Conflict(f"A {twinning.status} twinning cannot become {status.value}.")
        twinning.status = status
        await twinning.save(update_fields=["status"], using_db=conn)
    return twinning


async def twinnings_of_request(*, request: TwinningRequest) -> list[tuple[Twinning, TwinningRequest]]:
    """The request's twinnings (newest first) with the partner's request."""
    rows = await Twinning.filter(round_id=request.round_id).filter(  # type: ignore[attr-defined]
        a_id=request.id).prefetch_related("b__organisation", "b__contact", "study_visit")
    rows_b = await Twinning.filter(round_id=request.round_id, b_id=request.id).prefetch_related(  # type: ignore[attr-defined]
        "a__organisation", "a__contact", "study_visit")
    out = [(t, t.b) for t in rows] + [(t, t.a) for t in rows_b]
    return sorted(out, key=lambda item: -item[0].id)


async def close_round(*, round_id: int) -> TwinningRound:
    round_ = await get_round(round_id=round_id)
    await TwinningRound.filter(id=round_.id).update(status=RoundStatus.CLOSED)
    return await get_round(round_id=round_.id)
