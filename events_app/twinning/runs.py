"""Running the matching engine on a round: from requests to a stored, explained run.

Each run keeps its input document (the same format as ``events-app match`` reads, so it can
be downloaded and re-run by hand) and the engine's output document.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from tortoise.transactions import in_transaction

from events_app.auth.models import User
from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.twinning.models import (
    MatchRun,
    RequestRole,
    RequestStatus,
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.rounds import effective_status, get_round
from events_app.twinning.schemas import MatchInput
from matching import InputError, load_problem, solve
from matching.explain import result_to_dict

LIVE = (TwinningStatus.PROPOSED, TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED)
PAST = (TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED)


def candidate_id(request_id: int) -> str:
    return str(request_id)


async def _past_partners(round_: TwinningRound, organisation_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Organisation -> (partner organisation, year) of accepted twinnings in other rounds."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not organisation_ids:
        return found
    twinnings = await Twinning.filter(status__in=PAST).exclude(round_id=round_.id).prefetch_related(
        "a", "b", "round")
    for t in twinnings:
        year = t.round.deadline.year
        a, b = t.a.organisation_id, t.b.organisation_id  # type: ignore[attr-defined]
        if a in organisation_ids:
            found[a].append((b, year))
        if b in organisation_ids:
            found[b].append((a, year))
    return found


async def build_document(*, round_: TwinningRound, stable: bool = False) -> dict[str, Any]:
    """The engine's input for this round now: confirmed requests still free, with the round's options.

    Requests already in a live twinning of this round are left out (a mentor keeps its
    remaining places); pairs that declined each other are forbidden; past partners of earlier
    rounds are listed with the year; shortlisted candidates a request did not rank are blocked.
    """
    requests = list(await TwinningRequest.filter(round_id=round_.id, status=RequestStatus.CONFIRMED)
                    .order_by("id").prefetch_related("organisation"))
    twinnings = list(await Twinning.filter(round_id=round_.id).order_by("id"))
    taken: dict[int, int] = defaultdict(int)
    forbidden: set[tuple[int, int]] = set()
    for t in twinnings:
        a, b = t.a_id, t.b_id  # type: ignore[attr-defined]
        if t.status in LIVE:
            taken[a] += 1
            taken[b] += 1
        elif t.status == TwinningStatus.DECLINED:
            forbidden.add((min(a, b), max(a, b)))
    free = []
    for r in requests:
        places = r.capacity if r.role == RequestRole.MENTOR else 1
        if places - taken[r.id] > 0:
            free.append((r, places - taken[r.id]))
    present = {r.id for r, _ in free}
    by_org = {r.organisation_id: r.id for r, _ in free}  # type: ignore[attr-defined]
    past = await _past_partners(round_, set(by_org))
    candidates = []
    for r, places in free:
        org_id = r.organisation_id  # type: ignore[attr-defined]
        item: dict[str, Any] = {
            "id": candidate_id(r.id), "authority": f"org-{org_id}", "name": r.organisation.name,
            "role": r.role.value if hasattr(r.role, "value") else r.role,
            "country": r.organisation.country, "languages": sorted(r.languages),
            "offers": dict(sorted(r.offers.items())), "seeks": sorted(r.seeks),
            "interest_groups": sorted(r.interest_groups), "capacity": places,
        }
        if r.size:
            item["size"] = r.size
        partners = sorted({(by_org[p], year) for p, year in past.get(org_id, []) if p in by_org})
        if partners:
            item["past_partners"] = [{"id": candidate_id(p), "year": y} for p, y in partners]
        shortlist = [i for i in (r.shortlist or []) if i in present and i != r.id]
        if r.ranking is not None:
            ranked = [i for i in r.ranking if i in present]
            blocked = sorted(set(shortlist) - set(ranked))
            if blocked:
                item["blocked"] = [candidate_id(i) for i in blocked]
            if stable:
                item["ranking"] = [candidate_id(i) for i in ranked]
        candidates.append(item)
    options = round_.options or {}
    # a pinned pair that one side declined is over: the decline wins
    pins = [[candidate_id(a), candidate_id(b)] for a, b in (round_.pinned or [])
            if a in present and b in present and (min(a, b), max(a, b)) not in forbidden]
    forbids = {(min(a, b), max(a, b)) for a, b in (round_.forbidden or [])} | forbidden
    document: dict[str, Any] = {
        "mode": round_.mode.value if hasattr(round_.mode, "value") else round_.mode,
        "options": {
            "year": round_.deadline.year,
            "cooldown_years": int(options.get("cooldown_years", 3)),
            "require_different_countries": bool(options.get("require_different_countries", False)),
            "pinned": pins,
            "forbidden": [[candidate_id(a), candidate_id(b)] for a, b in sorted(forbids)
                          if a in present and b in present],
            "stable": stable,
        },
        "candidates": candidates,
    }
    if options.get("weights"):
        document["options"]["weights"] = dict(options["weights"])
    return document


def _solve_document(document: dict[str, Any]) -> dict[str, Any]:
    problem = load_problem(document)
    return result_to_dict(solve(problem.candidates, problem.options))


async def _request_pairs(pairs: list[tuple[int, int]] | None, round_id: int, field: str) -> list[list[int]] | None:
    if pairs is None:
        return None
    ids = {i for pair in pairs for i in pair}
    known = {r.id for r in await TwinningRequest.filter(round_id=round_id, id__in=ids).only("id")}
    cleaned: list[list[int]] = []
    for n, (a, b) in enumerate(pairs):
        if a == b:
            raise Invalid("Some fields need attention.", fields={f"{field}[{n}]": "A request cannot pair with itself."})
        for x in (a, b):
            if x not in known:
                raise Invalid("Some fields need attention.",
                              fields={f"{field}[{n}]": f"Request {x} is not a request of this round."})
        pair = [a, b]
        if pair not in cleaned and [b, a] not in cleaned:
            cleaned.append(pair)
    return cleaned


async def run_matching(*, round_id: int, data: MatchInput, actor: User | None,
                       now: datetime | None = None) -> MatchRun:
    """Run the engine on the round's free confirmed requests and keep the run.

    Only after the deadline. ``data.pinned`` / ``data.forbidden`` replace the round's lists
    first (saved only when the run succeeds); ``data.stable`` runs the stable mode on the
    rankings authorities gave to their shortlists. A pin that cannot be kept (infeasible,
    over a capacity) is a 422 naming the pair, and nothing is stored.
    """
    now = now or utcnow()
    round_ = await get_round(round_id=round_id)
    status = effective_status(round_, now)
    if status == RoundStatus.OPEN:
        raise Conflict("Requests are still open for this round: close them (or wait for the deadline) "
                       "before matching.")
    if status == RoundStatus.CLOSED:
        raise Conflict("This round is closed.")
    pinned = await _request_pairs(data.pinned, round_.id, "pinned")
    forbidden = await _request_pairs(data.forbidden, round_.id, "forbidden")
    if pinned is not None:
        round_.pinned = pinned
    if forbidden is not None:
        round_.forbidden = forbidden
    if pinned and forbidden:
        clash = {tuple(sorted(p)) for p in pinned} & {tuple(sorted(p)) for p in forbidden}
        if clash:
            a, b = sorted(clash)[0]
            raise Invalid("Some fields need attention.",
                          fields={"pinned": f"Requests {a} and {b} are both pinned and forbidden."})
    if data.stable and not await TwinningRequest.filter(round_id=round_.id, ranking__isnull=False).exists():
        raise Conflict("Nobody has ranked a shortlist yet: send the shortlists first, or run without stable mode.")
    document = await build_document(round_=round_, stable=data.stable)
    started = time.perf_counter()
    try:
        output = await run_in_threadpool(_solve_document, document)
    except InputError as exc:
        raise Invalid(_engine_message(exc, document), fields={_engine_field(exc): exc.message}) from None
    seconds = time.perf_counter() - started
    applied = {tuple(sorted(int(x) for x in pair)) for pair in document["options"]["pinned"]}
    for a, b in round_.pinned or []:
        if tuple(sorted((a, b))) not in applied:
            output.setdefault("notes", []).append(
                f"The pin of requests {a} and {b} was not applied: one of them is not confirmed or is already "
                "in a twinning, or they declined each other.")
    async with in_transaction() as conn:
        locked = await TwinningRound.filter(id=round_.id).using_db(conn).select_for_update().first()
        assert locked is not None
        number = await MatchRun.filter(round_id=round_.id).using_db(conn).count() + 1
        run = await MatchRun.create(
            round_id=round_.id, number=number, stable=data.stable, run_by=actor, input=document, output=output,
            total_score=output["total_score"], upper_bound=output["upper_bound"], solver=output["solver"][:200],
            pairs=len(output["pairs"]), unmatched=len(output["unmatched"]), seconds=seconds, using_db=conn)
        changes: dict[str, Any] = {"updated_at": now}
        if pinned is not None:
            changes["pinned"] = pinned
        if forbidden is not None:
            changes["forbidden"] = forbidden
        if locked.status == RoundStatus.OPEN:
            changes["status"] = RoundStatus.MATCHING
        await TwinningRound.filter(id=round_.id).using_db(conn).update(**changes)
    return run


def _engine_field(exc: InputError) -> str:
    if "pinned" in exc.field:
        return "pinned"
    if "forbidden" in exc.field:
        return "forbidden"
    return "requests"


def _engine_message(exc: InputError, document: dict[str, Any]) -> str:
    """The engine's one-line error in the round's words (request ids instead of list positions)."""
    field = exc.field
    if field.startswith("options.pinned["):
        index = int(field.split("[", 1)[1].split("]", 1)[0])
        a, b = document["options"]["pinned"][index]
        return f"The pin of requests {a} and {b} cannot be kept: {exc.message}."
    return f"The matching cannot run on these requests: {exc}."


async def latest_run(*, round_id: int) -> MatchRun | None:
    return await MatchRun.filter(round_id=round_id).order_by("-number").prefetch_related("run_by").first()


async def list_runs(*, round_id: int) -> list[MatchRun]:
    return list(await MatchRun.filter(round_id=round_id).order_by("-number").prefetch_related("run_by"))


async def get_run(*, round_id: int, number: int) -> MatchRun:
    run = await MatchRun.filter(round_id=round_id, number=number).prefetch_related("run_by").first()
    if run is None:
        raise NotFound("This round has no such run.")
    return run


@dataclass(frozen=True)
class ProposalSide:
    request: TwinningRequest
    rank: int
    options: int
    alternative: dict[str, Any] | None


@dataclass(frozen=True)
class Proposal:
    a: ProposalSide
    b: ProposalSide
    score: float
    parts: dict[str, float]
    reasons: list[str]
    pinned: bool
    shared_topics: list[dict[str, Any]]
    shared_groups: list[str]
    shared_languages: list[str]
    twinning: Twinning | None


@dataclass(frozen=True)
class Left:
    request: TwinningRequest
    reason: str
    detail: str


@dataclass(frozen=True)
class Proposals:
    round: TwinningRound
    run: MatchRun | None
    proposals: list[Proposal]
    unmatched: list[Left]
    twinnings: list[Twinning]
    requests: dict[int, TwinningRequest]

    @property
    def gap(self) -> float:
        return 0.0 if self.run is None else max(0.0, self.run.upper_bound - self.run.total_score)


async def view_proposals(*, round_id: int, run_number: int | None = None) -> Proposals:
    """The pairs of a run (the latest by default) with their explanations, and the round's twinnings."""
    round_ = await get_round(round_id=round_id)
    run = await (get_run(round_id=round_id, number=run_number) if run_number else latest_run(round_id=round_id))
    requests = {r.id: r for r in await TwinningRequest.filter(round_id=round_id)
                .prefetch_related("organisation", "contact")}
    twinnings = list(await Twinning.filter(round_id=round_id).order_by("id").prefetch_related("study_visit"))
    live = {(t.a_id, t.b_id): t for t in twinnings}  # type: ignore[attr-defined]
    proposals: list[Proposal] = []
    unmatched: list[Left] = []
    if run is not None:
        output = run.output
        explained = {(e["a"], e["b"]): e for e in output.get("explanations", [])}
        for pair in output["pairs"]:
            a, b = int(pair["a"]), int(pair["b"])
            if a not in requests or b not in requests:
                continue
            e = explained.get((pair["a"], pair["b"]), {})
            proposals.append(Proposal(
                a=ProposalSide(requests[a], e.get("rank_a", 0), e.get("options_a", 0), e.get("alternative_a")),
                b=ProposalSide(requests[b], e.get("rank_b", 0), e.get("options_b", 0), e.get("alternative_b")),
                score=pair["score"], parts=pair["parts"], reasons=pair["reasons"], pinned=bool(e.get("pinned")),
                shared_topics=e.get("shared_topics", []), shared_groups=e.get("shared_groups", []),
                shared_languages=e.get("shared_languages", []), twinning=live.get((a, b))))
        for item in output["unmatched"]:
            request = requests.get(int(item["id"]))
            if request is not None:
                unmatched.append(Left(request, item["reason"], item.get("detail", "")))
    return Proposals(round_, run, proposals, unmatched, twinnings, requests)


async def set_pair_rule(*, round_id: int, a: int, b: int, rule: str, on: bool) -> TwinningRound:
    """Pin (``rule="pinned"``) or forbid (``"forbidden"``) the pair of requests a and b, or undo it."""
    if rule not in ("pinned", "forbidden"):
        raise NotFound("No such rule.")
    round_ = await get_round(round_id=round_id)
    await _request_pairs([(a, b)], round_.id, rule)
    key = sorted((a, b))
    async with in_transaction() as conn:
        locked = await TwinningRound.filter(id=round_.id).using_db(conn).select_for_update().first()
        assert locked is not None
        pairs = [p for p in (getattr(locked, rule) or []) if sorted(p) != key]
        other = "forbidden" if rule == "pinned" else "pinned"
        others = [p for p in (getattr(locked, other) or []) if sorted(p) != key]
        if on:
            pairs.append([a, b])
        await TwinningRound.filter(id=round_.id).using_db(conn).update(**{rule: pairs, other: others})
    return await get_round(round_id=round_.id)
