"""The twinning workflow through its services, on both databases."""

from __future__ import annotations

from collections import Counter

import pytest

from events_app.errors import Conflict, Invalid
from events_app.notifications.models import OutboxMessage
from events_app.twinning.models import (
    MatchRun,
    RequestStatus,
    Twinning,
    TwinningRequest,
    TwinningStatus,
)
from events_app.twinning.publish import answer_twinning, publish_run, save_ranking, send_shortlists
from events_app.twinning.requests import confirm_request, submit_request
from events_app.twinning.runs import run_matching, set_pair_rule, view_proposals
from events_app.twinning.schemas import MatchInput
from tests.twinning.conftest import RoundFactory, closed, request_data, token_for


async def _submit_all(round_id: int, n: int, mode: str) -> list[TwinningRequest]:
    requests = []
    for i in range(n):
        await submit_request(round_id=round_id, data=request_data(i, mode=mode))
        token = await token_for(f"contact{i}@authority{i}.example", "twinning_confirm")
        requests.append(await confirm_request(token=token))
    return requests


async def test_full_peer_round(make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    requests = await _submit_all(round_.id, 12, "peer")
    assert all(r.status == RequestStatus.CONFIRMED for r in requests)
    with pytest.raises(Conflict):
        await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    round_ = await closed(round_)
    run = await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    assert run.number == 1 and run.pairs == 6
    view = await view_proposals(round_id=round_.id)
    a, b = view.proposals[0].a.request.id, view.proposals[-1].b.request.id
    await set_pair_rule(round_id=round_.id, a=a, b=b, rule="pinned", on=True)
    run2 = await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    pairs = {tuple(sorted((int(p["a"]), int(p["b"])))) for p in run2.output["pairs"]}
    assert tuple(sorted((a, b))) in pairs and run2.number == 2
    before = await OutboxMessage.all().count()
    published = await publish_run(round_id=round_.id)
    assert published.emails == 12 and len(published.twinnings) == 6
    intro = Counter(m.to_email for m in await OutboxMessage.filter(kind="twinning_intro"))
    assert set(intro.values()) == {1} and len(intro) == 12
    assert await OutboxMessage.all().count() == before + 12
    again = await publish_run(round_id=round_.id)
    assert again.emails == 0 and not again.twinnings
    # one side declines: both are free, the re-run pairs them with others
    t = published.twinnings[0]
    side = await TwinningRequest.get(id=t.a_id).prefetch_related("contact")
    token = await token_for(side.contact.email, "twinning_intro")
    declined = await answer_twinning(token=token, twinning_id=t.id, accept=False, reason="Too far")
    assert declined.status == TwinningStatus.DECLINED
    run3 = await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    # only the two who declined each other are free: the pair is forbidden now
    assert run3.output["pairs"] == []
    assert {u["id"] for u in run3.output["unmatched"]} == {str(t.a_id), str(t.b_id)}
    third = await publish_run(round_id=round_.id)
    # the only two free ones declined each other (forbidden now): each is told once, no new pair
    assert third.emails == 2 and not third.twinnings
    told = Counter(m.to_email for m in await OutboxMessage.filter(kind="twinning_unpaired"))
    assert len(told) == 2 and set(told.values()) == {1}
    assert (await publish_run(round_id=round_.id)).emails == 0
    assert await MatchRun.filter(round_id=round_.id).count() == 3


async def test_mentoring_answers_and_capacity(make_round: RoundFactory) -> None:
    round_ = await make_round("mentoring")
    await _submit_all(round_.id, 10, "mentoring")
    round_ = await closed(round_)
    run = await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    published = await publish_run(round_id=round_.id)
    assert published.twinnings and run.pairs == len(published.twinnings)
    mentors = Counter(t.a_id for t in published.twinnings)
    for request_id, count in mentors.items():
        request = await TwinningRequest.get(id=request_id)
        assert request.role == "mentor" and count <= request.capacity
    t = published.twinnings[0]
    for request_id in (t.a_id, t.b_id):
        request = await TwinningRequest.get(id=request_id).prefetch_related("contact")
        token = await token_for(request.contact.email)
        await answer_twinning(token=token, twinning_id=t.id, accept=True)
    assert (await Twinning.get(id=t.id)).status == TwinningStatus.ACCEPTED
    accepted = await OutboxMessage.filter(kind="twinning_accepted").count()
    assert accepted == 2


async def test_requests_refused_and_after_deadline(make_round: RoundFactory) -> None:
    round_ = await make_round("mentoring")
    with pytest.raises(Invalid) as info:
        await submit_request(round_id=round_.id, data=request_data(0, mode="peer"))
    assert "role" in info.value.fields
    with pytest.raises(Invalid) as info:
        await submit_request(round_id=round_.id, data=request_data(0, mode="mentoring", offers={"nope": 2}))
    assert "offers" in info.value.fields
    await submit_request(round_id=round_.id, data=request_data(0, mode="mentoring"))
    await confirm_request(token=await token_for("contact0@authority0.example"))
    other = request_data(0, mode="mentoring", contact_email="x@y.example")
    with pytest.raises(Conflict):  # an organiser entering another person's request for a confirmed one
        await submit_request(round_id=round_.id, data=other, confirmed=True)
    told = await submit_request(round_id=round_.id, data=other)  # the public: told by email, nothing changes
    assert not told.created and (await TwinningRequest.get(id=told.request.id)).contact_id == told.request.contact_id
    again = await submit_request(round_id=round_.id, data=request_data(0, mode="mentoring"))
    assert not again.created
    await closed(round_)
    with pytest.raises(Conflict):
        await submit_request(round_id=round_.id, data=request_data(1, mode="mentoring"))
    assert await TwinningRequest.all().count() == 1


async def test_stable_mode_on_rankings(make_round: RoundFactory) -> None:
    round_ = await make_round("peer", shortlist_size=4)
    await _submit_all(round_.id, 8, "peer")
    await closed(round_)
    sent = await send_shortlists(round_id=round_.id)
    assert sent == 8
    requests = await TwinningRequest.filter(round_id=round_.id).prefetch_related("contact")
    for r in requests:
        token = await token_for(r.contact.email, "twinning_shortlist")
        await save_ranking(token=token, ranking=list(reversed(r.shortlist))[:3])
    run = await run_matching(round_id=round_.id, data=MatchInput(stable=True), actor=None)
    assert run.stable and "stable" in run.output
    assert run.output["stable"]["blocking_pairs"] == 0 or not run.output["stable"]["exists"]
