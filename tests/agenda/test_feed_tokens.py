"""Personal feed URLs: valid, revocable, unforgeable."""

import pytest

from events_app.agenda.feed_tokens import (
    feed_token,
    feed_urls,
    find_registration_by_feed_token,
    revoke_feed,
)
from events_app.errors import NotFound
from events_app.registration.service import cancel_registration


async def test_feed_token(make_event, register):
    e = await make_event()
    r = (await register(e)).registration
    t = feed_token(r)
    assert (await find_registration_by_feed_token(token=t)).id == r.id
    assert feed_urls(r)["webcal"].startswith("webcal://testserver/calendar/")
    r2 = await revoke_feed(registration_id=r.id)
    with pytest.raises(NotFound):
        await find_registration_by_feed_token(token=t)
    assert (await find_registration_by_feed_token(token=feed_token(r2))).id == r.id
    with pytest.raises(NotFound):
        await find_registration_by_feed_token(token=t[:-1] + ("A" if t[-1] != "A" else "B"))


async def test_a_cancelled_registration_keeps_its_feed_url(make_event, register):
    """Its feed still answers (everything in it cancelled, see test_feeds.py); revoking still kills it."""
    e = await make_event()
    r = (await register(e)).registration
    t = feed_token(r)
    await cancel_registration(registration_id=r.id)
    found = await find_registration_by_feed_token(token=t)
    assert found.id == r.id and found.status == "cancelled"
    await revoke_feed(registration_id=r.id)
    with pytest.raises(NotFound):
        await find_registration_by_feed_token(token=t)
