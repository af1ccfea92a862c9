"""Edge cases of the workflow found in review: re-publishing after a decline, what an introduction
may say, late confirmations, odd digits, pins that cannot apply, two visit plans at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from events_app.clock import utcnow
from events_app.errors import Conflict
from events_app.events.models import Event, EventKind
from events_app.notifications.models import OutboxMessage
from events_app.twinning.models import (
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.publish import answer_twinning, publish_run
from events_app.twinning.requests import confirm_request, submit_request
from events_app.twinning.runs import run_matching, set_pair_rule
from events_app.twinning.schemas import MatchInput, StudyVisitInput
from events_app.twinning.visits import plan_study_visit
from tests.twinning.conftest import RoundFactory, closed, request_data, token_for
from tests.twinning.test_public_routes import post


async def _round_with(make_round: RoundFactory, n: int, mode: str = "peer") -> TwinningRound:
    round_ = await make_round(mode)
    for i in range(n):
        await submit_request(round_id=round_.id, data=request_data(i, mode=mode))
        await confirm_request(token=await token_for(f"contact{i}@authority{i}.example", "twinning_confirm"))
    return await closed(round_)


async def test_a_declined_pair_is_never_proposed_again(make_round: RoundFactory) -> None:
    round_ = await _round_with(make_round, 4)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    first = await publish_run(round_id=round_.id)
    t = first.twinnings[0]
    side = await TwinningRequest.get(id=t.a_id).prefetch_related("contact")
    await answer_twinning(token=await token_for(side.contact.email, "twinning_intro"), twinning_id=t.id, accept=False)
    intros = await OutboxMessage.filter(kind="twinning_intro").count()
    again = await publish_run(round_id=round_.id, run_number=1)  # the old run, without a re-run
    assert again.twinnings == []
    assert await Twinning.filter(a_id=t.a_id, b_id=t.b_id).count() == 1
    assert await OutboxMessage.filter(kind="twinning_intro").count() == intros


async def test_introductions_name_only_the_partner_and_no_scores(make_round: RoundFactory) -> None:
    round_ = await _round_with(make_round, 12)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    published = await publish_run(round_id=round_.id)
    names = {r.id: r.organisation.name for r in await TwinningRequest.all().prefetch_related("organisation")}
    for t in published.twinnings:
        for own, partner in ((t.a_id, t.b_id), (t.b_id, t.a_id)):
            contact = (await TwinningRequest.get(id=own).prefetch_related("contact")).contact
            [mail] = await OutboxMessage.filter(kind="twinning_intro", to_email=contact.email)
            others = [n for i, n in names.items() if i not in (own, partner)]
            assert not [n for n in others if n in mail.body_text], mail.body_text
            assert names[partner] in mail.body_text
            assert "score" not in mail.body_text.lower() and "choice of" not in mail.body_text


async def test_no_confirmation_after_the_deadline(make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    await submit_request(round_id=round_.id, data=request_data(0))
    token = await token_for("contact0@authority0.example", "twinning_confirm")
    await closed(round_)
    with pytest.raises(Conflict):
        await confirm_request(token=token)
    assert (await TwinningRequest.get()).status == "unconfirmed"


@pytest.mark.parametrize("path", ["/twinning/rounds/²/request", "/twinning/rounds/" + "9" * 5000 + "/request"])
async def test_odd_digits_in_paths_are_not_found(client, path: str) -> None:
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize("field", ["size", "capacity", "offer-food"])
async def test_odd_digits_in_fields_are_field_errors(client, make_round: RoundFactory, field: str) -> None:
    from tests.twinning.test_public_routes import form_of

    round_ = await make_round("mentoring")
    data = {**form_of(0, mode="mentoring"), field: "²"}
    response = await post(client, f"/twinning/rounds/{round_.id}/request", data)
    assert response.status_code == 422
    assert await TwinningRequest.all().count() == 0


async def test_a_pin_that_cannot_apply_is_reported(make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    for i in range(4):
        await submit_request(round_id=round_.id, data=request_data(i))
    for i in range(3):  # the fourth never confirms
        await confirm_request(token=await token_for(f"contact{i}@authority{i}.example", "twinning_confirm"))
    await closed(round_)
    ids = [r.id for r in await TwinningRequest.all().order_by("id")]
    await set_pair_rule(round_id=round_.id, a=ids[0], b=ids[3], rule="pinned", on=True)
    run = await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    assert any(f"requests {ids[0]} and {ids[3]} was not applied" in note for note in run.output["notes"])


async def test_two_visit_plans_at_once_make_one_visit(make_round: RoundFactory) -> None:
    round_ = await _round_with(make_round, 2)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    [t] = (await publish_run(round_id=round_.id)).twinnings
    for request_id in (t.a_id, t.b_id):
        contact = (await TwinningRequest.get(id=request_id).prefetch_related("contact")).contact
        await answer_twinning(token=await token_for(contact.email, "twinning_intro"), twinning_id=t.id, accept=True)
    start = (utcnow() + timedelta(days=40)).replace(microsecond=0)
    data = StudyVisitInput(title="Visit", starts_at=start, ends_at=start + timedelta(hours=6),
                           timezone="Europe/Brussels", venue_name="City hall")
    results = await asyncio.gather(*(plan_study_visit(twinning_id=t.id, data=data, round_id=round_.id)
                                     for _ in range(3)), return_exceptions=True)
    assert sum(isinstance(r, Event) for r in results) == 1
    assert all(isinstance(r, Event | Conflict) for r in results), results
    assert await Event.filter(kind=EventKind.STUDY_VISIT).count() == 1
    assert (await Twinning.get(id=t.id)).status == TwinningStatus.ACCEPTED


async def test_the_organiser_closes_a_published_round(client, login, make_round: RoundFactory) -> None:
    round_ = await _round_with(make_round, 2)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    await publish_run(round_id=round_.id)
    await login(client)
    from tests.conftest import csrf_of

    path = f"/organiser/twinning/rounds/{round_.id}"
    page = (await client.get(path)).text
    assert "Close the round" in page
    assert "Nothing new to publish" in page and f"{path}/publish\"" not in page
    response = await client.post(f"{path}/finish", data={"csrf_token": await csrf_of(client, path)})
    assert response.status_code == 303
    assert (await TwinningRound.get(id=round_.id)).status == RoundStatus.CLOSED
    with pytest.raises(Conflict):
        await run_matching(round_id=round_.id, data=MatchInput(), actor=None)


async def test_past_partners_of_an_earlier_round_are_not_paired_again(make_round: RoundFactory) -> None:
    from events_app.twinning.runs import build_document

    first = await _round_with(make_round, 2)
    await run_matching(round_id=first.id, data=MatchInput(), actor=None)
    [t] = (await publish_run(round_id=first.id)).twinnings
    for request_id in (t.a_id, t.b_id):
        contact = (await TwinningRequest.get(id=request_id).prefetch_related("contact")).contact
        await answer_twinning(token=await token_for(contact.email, "twinning_intro"), twinning_id=t.id, accept=True)
    pair_orgs = {r.organisation_id for r in await TwinningRequest.filter(id__in=[t.a_id, t.b_id])}

    second = await make_round("peer", title="Twinning 2028")
    for i in range(4):  # the same two authorities (0 and 1) and two new ones
        await submit_request(round_id=second.id, data=request_data(i))
        await confirm_request(token=await token_for(f"contact{i}@authority{i}.example", "twinning_confirm"))
    second = await closed(second)
    requests = {r.organisation_id: r.id for r in await TwinningRequest.filter(round_id=second.id)}
    a, b = (requests[o] for o in sorted(pair_orgs))
    document = await build_document(round_=second)
    listed = {c["id"]: c.get("past_partners", []) for c in document["candidates"]}
    assert [p["id"] for p in listed[str(a)]] == [str(b)] and listed[str(a)][0]["year"] == first.deadline.year
    run = await run_matching(round_id=second.id, data=MatchInput(), actor=None)
    pairs = {frozenset((p["a"], p["b"])) for p in run.output["pairs"]}
    assert frozenset((str(a), str(b))) not in pairs and len(pairs) == 2
