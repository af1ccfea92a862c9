"""Twinning rounds: opened by an organiser, taking requests until the deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from events_app.auth.models import User
from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.twinning.models import (
    RequestStatus,
    RoundStatus,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.schemas import RoundInput

NETWORK_ZONE = "Europe/Brussels"  # deadlines are shown in the secretariat's time


def deadline_text(round_: TwinningRound) -> str:
    local = round_.deadline.astimezone(ZoneInfo(NETWORK_ZONE))
    return local.strftime("%a %d %b %Y, %H:%M") + " (Brussels time)"


def is_open(round_: TwinningRound, now: datetime | None = None) -> bool:
    return round_.status == RoundStatus.OPEN and (now or utcnow()) < round_.deadline


def effective_status(round_: TwinningRound, now: datetime | None = None) -> RoundStatus:
    """The stored status, except that an open round past its deadline is matching."""
    status = RoundStatus(round_.status)
    if status == RoundStatus.OPEN and (now or utcnow()) >= round_.deadline:
        return RoundStatus.MATCHING
    return status


def ensure_open_for_requests(round_: TwinningRound, now: datetime, *, changing: bool = False) -> None:
    if not is_open(round_, now):
        what = "changed" if changing else "made"
        raise Conflict(f"Requests for this round could be {what} until {deadline_text(round_)}; the deadline has "
                       "passed. Write to the organisers if something is wrong.")


def _option_values(data: RoundInput) -> dict[str, object]:
    return {"require_different_countries": data.require_different_countries,
            "cooldown_years": data.cooldown_years, "weights": dict(sorted(data.weights.items()))}


async def create_round(*, data: RoundInput, actor: User | None, now: datetime | None = None) -> TwinningRound:
    """Open a round for requests until ``data.deadline`` (which must be in the future)."""
    now = now or utcnow()
    if data.deadline <= now:
        raise Invalid("Some fields need attention.", fields={"deadline": "The deadline must be in the future."})
    return await TwinningRound.create(
        title=data.title, mode=data.mode, deadline=data.deadline, intro=data.intro,
        options=_option_values(data), shortlist_size=data.shortlist_size, created_by=actor)


async def update_round(*, round_id: int, data: RoundInput, now: datetime | None = None) -> TwinningRound:
    """Change a round's settings. The mode is fixed once a request came in."""
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    if data.mode != round_.mode and await TwinningRequest.filter(round_id=round_.id).exists():
        raise Invalid("Some fields need attention.",
                      fields={"mode": "Requests came in for this mode already: open a new round instead."})
    if data.deadline != round_.deadline and round_.status not in (RoundStatus.OPEN, RoundStatus.MATCHING):
        raise Invalid("Some fields need attention.",
                      fields={"deadline": "The round is past matching: its deadline cannot move."})
    status = round_.status
    if round_.status == RoundStatus.MATCHING and data.deadline > now:
        status = RoundStatus.OPEN  # deadline extended: requests reopen
    await TwinningRound.filter(id=round_.id).update(
        title=data.title, mode=data.mode, deadline=data.deadline, intro=data.intro, status=status,
        options=_option_values(data), shortlist_size=data.shortlist_size, updated_at=now)
    return await get_round(round_id=round_.id)


async def close_requests(*, round_id: int, now: datetime | None = None) -> TwinningRound:
    """End the request period now (the deadline moves to now)."""
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    if round_.status == RoundStatus.OPEN:
        deadline = min(round_.deadline, now)
        await TwinningRound.filter(id=round_.id).update(status=RoundStatus.MATCHING, deadline=deadline,
                                                         updated_at=now)
    return await get_round(round_id=round_.id)


async def get_round(*, round_id: int) -> TwinningRound:
    round_ = await TwinningRound.filter(id=round_id).first() if 0 < round_id <= 2**31 - 1 else None
    if round_ is None:
        raise NotFound("No such twinning round.")
    return round_


@dataclass(frozen=True)
class RoundSummary:
    round: TwinningRound
    status: RoundStatus
    requests: int
    confirmed: int
    runs: int
    twinnings: dict[str, int]


async def _summary(round_: TwinningRound, now: datetime) -> RoundSummary:
    from events_app.twinning.models import MatchRun, Twinning

    requests = await TwinningRequest.filter(round_id=round_.id).exclude(status=RequestStatus.WITHDRAWN).count()
    confirmed = await TwinningRequest.filter(round_id=round_.id, status=RequestStatus.CONFIRMED).count()
    runs = await MatchRun.filter(round_id=round_.id).count()
    twinnings = {s.value: await Twinning.filter(round_id=round_.id, status=s).count() for s in TwinningStatus}
    return RoundSummary(round_, effective_status(round_, now), requests, confirmed, runs, twinnings)


async def list_rounds(*, now: datetime | None = None) -> list[RoundSummary]:
    now = now or utcnow()
    rounds = await TwinningRound.all().order_by("-deadline", "-id")
    return [await _summary(round_, now) for round_ in rounds]


async def summarise_round(*, round_id: int, now: datetime | None = None) -> RoundSummary:
    """One round with its counts of requests, runs and twinnings (404 when there is no such round)."""
    return await _summary(await get_round(round_id=round_id), now or utcnow())


async def list_open_rounds(*, now: datetime | None = None) -> list[TwinningRound]:
    now = now or utcnow()
    return list(await TwinningRound.filter(status=RoundStatus.OPEN, deadline__gt=now).order_by("deadline", "id"))
