"""The demo shows the twinning programme at work: a published mentoring round and an open peer round."""

from __future__ import annotations

from collections import Counter

from events_app.demo.service import seed_demo
from events_app.twinning.models import (
    MatchRun,
    RequestStatus,
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
)
from events_app.twinning.rounds import effective_status


async def test_demo_has_twinning_rounds(settings):
    assert await seed_demo() is True
    rounds = {r.mode: r for r in await TwinningRound.all()}
    mentoring, peer = rounds["mentoring"], rounds["peer"]
    assert mentoring.status == RoundStatus.PUBLISHED
    assert effective_status(peer) == RoundStatus.OPEN
    assert await TwinningRequest.filter(round_id=mentoring.id, status=RequestStatus.CONFIRMED).count() == 14
    run = await MatchRun.get(round_id=mentoring.id)
    assert run.pairs >= 6 and run.total_score <= run.upper_bound + 1e-9
    statuses = Counter(t.status.value for t in await Twinning.filter(round_id=mentoring.id))
    assert statuses["accepted"] == 2 and statuses["declined"] == 1
    assert await TwinningRequest.filter(round_id=peer.id).count() == 4
