"""JSON API v1 for the twinning programme: rounds, requests, matching runs, proposals, publishing.

Organiser calls need a bearer token (``require_api_organiser``). Submitting a request
works both ways: with an organiser's token the request is entered confirmed; without
one it is a public submission, confirmed later from the emailed link, and rate-limited
per client address like registering is. The private link token is never returned.
"""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events_app.api.body import path_id, read_json, read_query
from events_app.api.twinning_serializers import (
    ProposalsQuery,
    PublishInput,
    proposals_json,
    published_json,
    request_list_json,
    round_json,
    round_list_json,
    run_json,
    submitted_json,
)
from events_app.auth.access import require_api_organiser
from events_app.errors import NotFound
from events_app.twinning.publish import publish_run
from events_app.twinning.requests import list_requests, submit_request
from events_app.twinning.rounds import create_round, get_round, list_rounds, summarise_round
from events_app.twinning.runs import run_matching, view_proposals
from events_app.twinning.schemas import MatchInput, RequestInput, RoundInput
from events_app.validation import Input

# Public submissions per client address: RATE_LIMIT's count times this, as for registering.
SUBMIT_RATE_WEIGHT = 10

M = TypeVar("M", bound=Input)


def _round_id(request: Request) -> int:
    try:
        return path_id(request)
    except NotFound:
        raise NotFound("No such twinning round.") from None


async def _optional_json(request: Request, schema: type[M]) -> M:
    """A body that may be left out altogether (no content type, no bytes): the schema's defaults."""
    headers = request.headers
    if (
        "content-type" not in headers
        and headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in headers
    ):
        return schema()
    return await read_json(request, schema)


async def rounds(request: Request) -> Response:
    await require_api_organiser(request)
    return JSONResponse(round_list_json(await list_rounds()))


async def round_create(request: Request) -> Response:
    user = await require_api_organiser(request)
    data = await read_json(request, RoundInput)
    round_ = await create_round(data=data, actor=user)
    return JSONResponse(
        round_json(await summarise_round(round_id=round_.id)),
        status_code=201,
        headers={"Location": f"/api/v1/twinning/rounds/{round_.id}"},
    )


async def round_detail(request: Request) -> Response:
    await require_api_organiser(request)
    return JSONResponse(round_json(await summarise_round(round_id=_round_id(request))))


async def request_submit(request: Request) -> Response:
    """With an organiser's token: entered confirmed. Without: a public submission (rate-limited)."""
    organiser = "authorization" in request.headers
    if organiser:
        await require_api_organiser(request)  # a token that is sent must be an organiser's
    else:
        host = request.client.host if request.client else "-"
        request.app.state.limiter.hit(f"twinning-request:{host}", weight=SUBMIT_RATE_WEIGHT)
    round_id = _round_id(request)
    data = await read_json(request, RequestInput)
    submitted = await submit_request(round_id=round_id, data=data, confirmed=organiser)
    await submitted.request.fetch_related("organisation", "contact")
    return JSONResponse(submitted_json(submitted, organiser=organiser),
                        status_code=201 if submitted.created else 200)


async def requests(request: Request) -> Response:
    await require_api_organiser(request)
    round_ = await get_round(round_id=_round_id(request))
    return JSONResponse(request_list_json(await list_requests(round_id=round_.id)))


async def match(request: Request) -> Response:
    user = await require_api_organiser(request)
    round_id = _round_id(request)
    data = await _optional_json(request, MatchInput)
    run = await run_matching(round_id=round_id, data=data, actor=user)
    view = await view_proposals(round_id=round_id, run_number=run.number)
    location = f"/api/v1/twinning/rounds/{round_id}/proposals?run={run.number}"
    return JSONResponse(run_json(view), status_code=201, headers={"Location": location})


async def proposals(request: Request) -> Response:
    await require_api_organiser(request)
    round_id = _round_id(request)
    query = read_query(request, ProposalsQuery)
    return JSONResponse(proposals_json(await view_proposals(round_id=round_id, run_number=query.run)))


async def publish(request: Request) -> Response:
    await require_api_organiser(request)
    round_id = _round_id(request)
    data = await _optional_json(request, PublishInput)
    published = await publish_run(round_id=round_id, run_number=data.run)
    return JSONResponse(published_json(published.twinnings, published.emails))


routes: list[Route] = [
    Route("/twinning/rounds", rounds, methods=["GET"], name="api_twinning_rounds"),
    Route("/twinning/rounds", round_create, methods=["POST"], name="api_twinning_round_create"),
    Route("/twinning/rounds/{id:int}", round_detail, methods=["GET"], name="api_twinning_round"),
    Route("/twinning/rounds/{id:int}/requests", request_submit, methods=["POST"], name="api_twinning_request_submit"),
    Route("/twinning/rounds/{id:int}/requests", requests, methods=["GET"], name="api_twinning_requests"),
    Route("/twinning/rounds/{id:int}/match", match, methods=["POST"], name="api_twinning_match"),
    Route("/twinning/rounds/{id:int}/proposals", proposals, methods=["GET"], name="api_twinning_proposals"),
    Route("/twinning/rounds/{id:int}/publish", publish, methods=["POST"], name="api_twinning_publish"),
]
