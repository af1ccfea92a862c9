"""What the twinning API returns (pydantic models: their JSON Schema goes into the OpenAPI document).

Requests are identified by their id everywhere (pins, proposals, unmatched); the
private token of a request's link is never part of an answer. A public submission
gets a receipt only (id, organisation, status), never the stored request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from events_app.api.serializers import Output
from events_app.organisations.models import OrganisationKind
from events_app.twinning.models import (
    Answer,
    MatchRun,
    RequestRole,
    RequestStatus,
    RoundMode,
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.requests import Submitted
from events_app.twinning.rounds import RoundSummary, effective_status
from events_app.twinning.runs import Proposals, ProposalSide
from events_app.validation import Input

RunNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]

# --- inputs the API alone reads ----------------------------------------------------------


class ProposalsQuery(Input):
    run: RunNumber | None = None


class PublishInput(Input):
    """Which run to publish; the latest when left out."""

    run: RunNumber | None = None


# --- rounds ------------------------------------------------------------------------------


class RoundOut(Output):
    """A twinning round. ``status`` is the effective one: an open round past its deadline is matching."""

    id: int
    title: str
    mode: RoundMode
    status: RoundStatus
    deadline: datetime
    intro: str
    require_different_countries: bool
    cooldown_years: int
    weights: dict[str, float]
    shortlist_size: int
    pinned: list[list[int]] = Field(description="Pairs of request ids the matching must keep")
    forbidden: list[list[int]] = Field(description="Pairs of request ids the matching must not form")
    created_at: datetime


class RoundSummaryOut(RoundOut):
    requests: int = Field(description="Requests not withdrawn")
    confirmed: int = Field(description="Confirmed requests (the ones the matching considers)")
    runs: int = Field(description="Matching runs kept")
    twinnings: dict[str, int] = Field(description="Published pairs by status")


class RoundList(Output):
    items: list[RoundSummaryOut]


# --- requests ----------------------------------------------------------------------------


class AuthorityOut(Output):
    id: int
    name: str
    kind: OrganisationKind
    country: str = Field(description="ISO 3166-1 alpha-2 code")


class ContactOut(Output):
    name: str
    email: str
    job_title: str
    consent_share: bool = Field(description="May be introduced by name and email to a twin")


class RequestOut(Output):
    """A request as organisers see it."""

    id: int
    round_id: int
    organisation: AuthorityOut
    contact: ContactOut
    role: RequestRole
    status: RequestStatus
    languages: list[str] = Field(description="ISO 639-1 codes")
    size: int | None
    offers: dict[str, int] = Field(description="Topic slug -> maturity (1 started, 2 practising, 3 advanced)")
    seeks: list[str]
    interest_groups: list[str]
    capacity: int
    motivation: str
    created_at: datetime
    confirmed_at: datetime | None


class RequestReceipt(Output):
    """What a public submission gets back: the request's details stay behind the emailed link."""

    id: int
    round_id: int
    organisation: str
    status: RequestStatus


class SubmitResult(Output):
    request: RequestOut | RequestReceipt = Field(
        description="The whole request for organisers, a receipt for public submissions"
    )
    created: bool = Field(description="false: the authority had a request already and a fresh link was emailed")


class RequestList(Output):
    items: list[RequestOut]


# --- runs and proposals ------------------------------------------------------------------


class AlternativeOut(Output):
    """The best partner this side ranked above the one it got, and what swapping would cost the total."""

    request_id: int
    organisation: str | None
    score: float
    swap_cost: float


class ProposalSideOut(Output):
    request_id: int
    organisation: str
    country: str
    role: RequestRole
    rank: int = Field(description="The partner's rank among this side's feasible candidates (1 = best)")
    options: int = Field(description="How many feasible candidates this side had")
    alternative: AlternativeOut | None


class SharedTopicOut(Output):
    topic: str
    offered_by: int = Field(description="Request id")
    sought_by: int = Field(description="Request id")
    maturity: int


class TwinningRef(Output):
    id: int
    status: TwinningStatus
    a_answer: Answer
    b_answer: Answer


class ProposalOut(Output):
    """One pair of a run. In mentoring rounds ``a`` is the mentor."""

    a: ProposalSideOut
    b: ProposalSideOut
    score: float
    parts: dict[str, float] = Field(description="The parts of the score; they add up to it")
    reasons: list[str]
    pinned: bool
    shared_topics: list[SharedTopicOut]
    shared_groups: list[str]
    shared_languages: list[str]
    twinning: TwinningRef | None = Field(description="The published twinning of this pair, if any")


class UnmatchedOut(Output):
    request_id: int
    organisation: str
    reason: str = Field(description="no feasible partner, capacity full, odd one out, lost to better pairs, ...")
    detail: str


class RunFigures(Output):
    number: int
    stable: bool
    run_by: str | None = Field(description="Email of the organiser who ran it")
    created_at: datetime
    seconds: float
    total_score: float
    upper_bound: float
    gap: float = Field(description="upper_bound - total_score (0 when proven optimal)")
    ratio: float = Field(description="total_score / upper_bound")
    solver: str
    exact: bool
    score_given_up: float | None = Field(description="Stable mode: optimum total minus the stable total")
    pairs: int


class RunOut(RunFigures):
    unmatched: int


class TwinningSide(Output):
    request_id: int
    organisation: str
    country: str


class TwinningOut(Output):
    id: int
    a: TwinningSide
    b: TwinningSide
    score: float
    reasons: list[str]
    status: TwinningStatus
    a_answer: Answer
    b_answer: Answer
    decline_reason: str
    published_at: datetime | None


class RunResult(RunFigures):
    """A new run: its figures, its pairs with their explanations and who is left unpaired."""

    unmatched: list[UnmatchedOut]
    proposals: list[ProposalOut]


class ProposalsOut(Output):
    round: RoundOut
    run: RunOut | None = Field(description="The run shown (the latest by default); null before any run")
    proposals: list[ProposalOut]
    unmatched: list[UnmatchedOut]
    total_score: float
    upper_bound: float
    gap: float
    solver: str | None
    twinnings: list[TwinningOut] = Field(description="Every published twinning of the round")


class PublishResult(Output):
    twinnings: list[TwinningOut] = Field(description="The twinnings this publication created")
    emails: int = Field(description="Introduction emails queued (one per authority with new partners)")


# --- building them -----------------------------------------------------------------------


def round_out(round_: TwinningRound) -> RoundOut:
    options = round_.options or {}
    return RoundOut(
        id=round_.id, title=round_.title, mode=round_.mode, status=effective_status(round_),
        deadline=round_.deadline, intro=round_.intro,
        require_different_countries=bool(options.get("require_different_countries", False)),
        cooldown_years=int(options.get("cooldown_years", 3)), weights=dict(options.get("weights") or {}),
        shortlist_size=round_.shortlist_size, pinned=[list(p) for p in round_.pinned or []],
        forbidden=[list(p) for p in round_.forbidden or []], created_at=round_.created_at,
    )


def round_summary_out(summary: RoundSummary) -> RoundSummaryOut:
    base = round_out(summary.round).model_dump()
    return RoundSummaryOut(**{**base, "status": summary.status}, requests=summary.requests,
                           confirmed=summary.confirmed, runs=summary.runs, twinnings=dict(summary.twinnings))


def round_json(summary: RoundSummary) -> dict[str, Any]:
    return round_summary_out(summary).model_dump(mode="json")


def round_list_json(summaries: list[RoundSummary]) -> dict[str, Any]:
    return RoundList(items=[round_summary_out(s) for s in summaries]).model_dump(mode="json")


def request_out(request: TwinningRequest) -> RequestOut:
    """A request for organisers; ``organisation`` and ``contact`` must be fetched already."""
    org, contact = request.organisation, request.contact
    return RequestOut(
        id=request.id, round_id=request.round_id,  # type: ignore[attr-defined]
        organisation=AuthorityOut(id=org.id, name=org.name, kind=org.kind, country=org.country),
        contact=ContactOut(name=contact.name, email=contact.email, job_title=contact.job_title,
                           consent_share=contact.consent_share),
        role=request.role, status=request.status, languages=list(request.languages), size=request.size,
        offers=dict(request.offers), seeks=list(request.seeks), interest_groups=list(request.interest_groups),
        capacity=request.capacity, motivation=request.motivation, created_at=request.created_at,
        confirmed_at=request.confirmed_at,
    )


def submitted_json(submitted: Submitted, *, organiser: bool) -> dict[str, Any]:
    request = submitted.request
    shown: RequestOut | RequestReceipt
    if organiser:
        shown = request_out(request)
    else:
        shown = RequestReceipt(id=request.id, round_id=request.round_id,  # type: ignore[attr-defined]
                               organisation=request.organisation.name, status=request.status)
    return SubmitResult(request=shown, created=submitted.created).model_dump(mode="json")


def request_list_json(requests: list[TwinningRequest]) -> dict[str, Any]:
    return RequestList(items=[request_out(r) for r in requests]).model_dump(mode="json")


def _run_figures(run: MatchRun) -> dict[str, Any]:
    output = run.output or {}
    run_by = run.run_by
    return {
        "number": run.number, "stable": run.stable, "run_by": run_by.email if run_by is not None else None,
        "created_at": run.created_at, "seconds": run.seconds, "total_score": run.total_score,
        "upper_bound": run.upper_bound, "gap": float(output.get("gap", max(0.0, run.upper_bound - run.total_score))),
        "ratio": float(output.get("ratio", 1.0)), "solver": run.solver, "exact": bool(output.get("exact", False)),
        "score_given_up": output.get("score_given_up"), "pairs": run.pairs,
    }


def _side(side: ProposalSide, requests: dict[int, TwinningRequest]) -> ProposalSideOut:
    request = side.request
    alternative = None
    if side.alternative:
        other = requests.get(int(side.alternative["id"]))
        alternative = AlternativeOut(
            request_id=int(side.alternative["id"]), organisation=other.organisation.name if other else None,
            score=side.alternative["score"], swap_cost=side.alternative["swap_cost"])
    return ProposalSideOut(
        request_id=request.id, organisation=request.organisation.name, country=request.organisation.country,
        role=request.role, rank=side.rank, options=side.options, alternative=alternative)


def _proposals(view: Proposals) -> tuple[list[ProposalOut], list[UnmatchedOut]]:
    proposals = [
        ProposalOut(
            a=_side(p.a, view.requests), b=_side(p.b, view.requests), score=p.score, parts=dict(p.parts),
            reasons=list(p.reasons), pinned=p.pinned,
            shared_topics=[SharedTopicOut(topic=t["topic"], offered_by=int(t["offered_by"]),
                                          sought_by=int(t["sought_by"]), maturity=t["maturity"])
                           for t in p.shared_topics],
            shared_groups=list(p.shared_groups), shared_languages=list(p.shared_languages),
            twinning=None if p.twinning is None else TwinningRef(
                id=p.twinning.id, status=p.twinning.status, a_answer=p.twinning.a_answer,
                b_answer=p.twinning.b_answer),
        )
        for p in view.proposals
    ]
    unmatched = [UnmatchedOut(request_id=u.request.id, organisation=u.request.organisation.name,
                              reason=u.reason, detail=u.detail) for u in view.unmatched]
    return proposals, unmatched


def _twinning_side(request: TwinningRequest) -> TwinningSide:
    return TwinningSide(request_id=request.id, organisation=request.organisation.name,
                        country=request.organisation.country)


def twinning_out(twinning: Twinning, requests: dict[int, TwinningRequest]) -> TwinningOut:
    """A twinning; ``requests`` maps request id to the request with its organisation fetched."""
    return TwinningOut(
        id=twinning.id, a=_twinning_side(requests[twinning.a_id]),  # type: ignore[attr-defined]
        b=_twinning_side(requests[twinning.b_id]),  # type: ignore[attr-defined]
        score=twinning.score, reasons=list(twinning.reasons or []), status=twinning.status,
        a_answer=twinning.a_answer, b_answer=twinning.b_answer, decline_reason=twinning.decline_reason,
        published_at=twinning.published_at,
    )


def proposals_json(view: Proposals) -> dict[str, Any]:
    """A run's proposals (the run may be None: nothing was run yet) and the round's twinnings."""
    run = view.run
    proposals, unmatched = _proposals(view)
    figures = _run_figures(run) if run is not None else None
    return ProposalsOut(
        round=round_out(view.round), run=RunOut(**figures, unmatched=run.unmatched) if figures else None,
        proposals=proposals, unmatched=unmatched,
        total_score=run.total_score if run else 0.0, upper_bound=run.upper_bound if run else 0.0,
        gap=figures["gap"] if figures else 0.0, solver=run.solver if run else None,
        twinnings=[twinning_out(t, view.requests) for t in view.twinnings],
    ).model_dump(mode="json")


def run_json(view: Proposals) -> dict[str, Any]:
    """A new run (``view.run`` is set) with its proposals and who is left unpaired."""
    assert view.run is not None
    proposals, unmatched = _proposals(view)
    return RunResult(**_run_figures(view.run), unmatched=unmatched, proposals=proposals).model_dump(mode="json")


def published_json(twinnings: list[Twinning], emails: int) -> dict[str, Any]:
    """The twinnings a publication created (``a`` and ``b`` loaded with their organisations)."""
    requests = {r.id: r for t in twinnings for r in (t.a, t.b)}
    return PublishResult(twinnings=[twinning_out(t, requests) for t in twinnings], emails=emails).model_dump(mode="json")

