"""Acceptance 4: a whole round through the app's HTTP interfaces, emails through a real SMTP server.

30 authorities submit through the public API and confirm from their emailed link; the organiser
closes the requests (organiser page), matches, pins a pair, re-runs and publishes (API); every
authority gets exactly one email; one declines from its link; the re-run pairs the freed ones.

The round is built so that the pin matters: mentor M (Porto, speaks pt and en) is the only
partner of mentee U (pt only), and mentor S (Wien, de only) the only partner of mentee E
(Bremen, en and de). Pinning M with E leaves U and S alone; when E declines M, the re-run pairs
M with U and S with E.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest

from events_app.clock import utcnow
from events_app.notifications.service import deliver_due_messages
from events_app.twinning.models import Twinning, TwinningRequest, TwinningStatus
from tests.conftest import csrf_of
from tests.notifications.conftest import SmtpCapture, text_of
from tests.twinning.conftest import AUTHORITIES, TOPICS, token_for

pytestmark = pytest.mark.usefixtures("catalogue")

M, S, E, U = "Câmara Municipal do Porto", "Stadt Wien", "Freie Hansestadt Bremen", "Concello de Vigo"
SPECIAL_LANGUAGES = {M: ["pt", "en"], S: ["de"], E: ["en", "de"], U: ["pt", "gl"]}


def _authorities() -> list[dict[str, Any]]:
    """15 mentors (capacity 1) and 15 mentees; everyone else works in English only."""
    names = [a for a in AUTHORITIES if a[0] not in SPECIAL_LANGUAGES]
    by_name = {a[0]: a for a in AUTHORITIES}
    mentors = [by_name[M], by_name[S], *names[:13]]
    mentees = [by_name[E], by_name[U], *names[13:26]]
    out = []
    for i, (name, country, _, size) in enumerate(mentors + mentees):
        mentor = i < 15
        out.append({
            "organisation": name, "country": country, "organisation_kind": "municipality",
            "contact_name": f"Contact {i}", "contact_email": f"contact{i}@authority{i}.example",
            "consent_share": i % 3 != 0, "role": "mentor" if mentor else "mentee",
            "languages": SPECIAL_LANGUAGES.get(name, ["en"]), "size": size,
            "offers": {TOPICS[i % 8]: 3, TOPICS[(i + 3) % 8]: 2} if mentor else {TOPICS[i % 8]: 1},
            "seeks": [] if mentor else [TOPICS[(i + 1) % 8], TOPICS[(i + 3) % 8]],
            "interest_groups": [], "capacity": 1,
        })
    return out


async def _deliver(capture: SmtpCapture) -> None:
    while await deliver_due_messages(mailer=capture.mailer(), limit=100):
        pass


def _link(message: Any) -> str:
    found = re.findall(r"http://testserver(/twinning/requests/[A-Za-z0-9_\-]+)", text_of(message))
    assert len(set(found)) == 1, found
    return found[0]


def _pairs(body: dict[str, Any]) -> set[tuple[int, int]]:
    return {(p["a"]["request_id"], p["b"]["request_id"]) for p in body["proposals"]}


async def test_a_full_round_end_to_end(client: httpx.AsyncClient, smtp: SmtpCapture, api_token: Any,
                                       login: Any) -> None:
    auth = {"Authorization": f"Bearer {await api_token()}"}
    deadline = (utcnow() + timedelta(days=7)).isoformat()
    created = await client.post("/api/v1/twinning/rounds", headers=auth, json={
        "title": "Twinning 2027", "mode": "mentoring", "deadline": deadline,
        "intro": "Welcome to the twinning programme."})
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]

    # 30 authorities submit (public: no token) and confirm from the emailed link
    people = _authorities()
    for person in people:
        response = await client.post(f"/api/v1/twinning/rounds/{round_id}/requests", json=person)
        assert response.status_code == 201, response.text
        assert response.json()["request"]["status"] == "unconfirmed"
    await _deliver(smtp)
    for person in people:
        [message] = smtp.to(person["contact_email"])
        path = _link(message)
        page = await client.get(path)
        assert page.status_code == 200 and "Confirm" in page.text
        confirmed = await client.post(f"{path}/confirm", data={"csrf_token": await csrf_of(client, path)})
        assert confirmed.status_code == 303, confirmed.text
    assert await TwinningRequest.filter(round_id=round_id, status="confirmed").count() == 30
    ids = {r.organisation.name: r.id for r in await TwinningRequest.filter(round_id=round_id)
           .prefetch_related("organisation")}

    # the organiser closes requests on the round page, matches, pins M with E, re-runs
    await login(client)
    closing = await client.post(f"/organiser/twinning/rounds/{round_id}/close",
                                data={"csrf_token": await csrf_of(client, f"/organiser/twinning/rounds/{round_id}")})
    assert closing.status_code == 303, closing.text
    first = await client.post(f"/api/v1/twinning/rounds/{round_id}/match", headers=auth, json={})
    assert first.status_code == 201, first.text
    assert len(first.json()["proposals"]) == 15
    assert (ids[M], ids[E]) not in _pairs(first.json())
    second = await client.post(f"/api/v1/twinning/rounds/{round_id}/match", headers=auth,
                               json={"pinned": [[ids[M], ids[E]]]})
    assert second.status_code == 201, second.text
    run2 = second.json()
    assert run2["number"] == 2 and (ids[M], ids[E]) in _pairs(run2)
    assert [p["pinned"] for p in run2["proposals"] if p["a"]["request_id"] == ids[M]] == [True]
    assert {u["request_id"] for u in run2["unmatched"]} == {ids[S], ids[U]}
    proposals = await client.get(f"/api/v1/twinning/rounds/{round_id}/proposals", headers=auth)
    assert proposals.status_code == 200 and _pairs(proposals.json()) == _pairs(run2)

    # publish: every authority gets exactly one email (28 introductions, 2 "no twin yet")
    smtp.received.clear()
    published = await client.post(f"/api/v1/twinning/rounds/{round_id}/publish", headers=auth, json={})
    assert published.status_code == 200, published.text
    assert published.json()["emails"] == 30 and len(published.json()["twinnings"]) == 14
    await _deliver(smtp)
    assert smtp.count_by_recipient() == Counter({p["contact_email"]: 1 for p in people})
    subjects = Counter(str(r.message["Subject"]).split(":")[0] for r in smtp.received)
    assert subjects == {"Meet your twin": 28, "No twin for you yet": 2}
    # contacts are shared only where both people agreed
    for person in people:
        body = text_of(smtp.to(person["contact_email"])[0])
        if not person["consent_share"]:
            assert "Contact: Contact" not in body

    # E declines M from its link: both are free again
    smtp.received.clear()
    e_mail = next(p for p in people if p["organisation"] == E)["contact_email"]
    twinning = await Twinning.get(round_id=round_id, a_id=ids[M], b_id=ids[E])
    e_path = f"/twinning/requests/{await token_for(e_mail, 'twinning_intro')}"
    page = await client.get(e_path)
    assert page.status_code == 200 and M in page.text
    declined = await client.post(f"{e_path}/twinnings/{twinning.id}/answer",
                                 data={"csrf_token": await csrf_of(client, e_path), "answer": "decline",
                                       "reason": "We need a German-speaking mentor."})
    assert declined.status_code == 303, declined.text
    assert (await Twinning.get(id=twinning.id)).status == TwinningStatus.DECLINED
    await _deliver(smtp)
    m_mail = next(p for p in people if p["organisation"] == M)["contact_email"]
    assert sorted(r.to for r in smtp.received) == sorted([e_mail, m_mail])

    # the re-run pairs the freed authorities, and publishing introduces only the new pairs
    third = await client.post(f"/api/v1/twinning/rounds/{round_id}/match", headers=auth, json={})
    assert third.status_code == 201, third.text
    assert {(ids[M], ids[U]), (ids[S], ids[E])} <= _pairs(third.json())
    assert (ids[M], ids[E]) not in _pairs(third.json())
    smtp.received.clear()
    again = await client.post(f"/api/v1/twinning/rounds/{round_id}/publish", headers=auth, json={})
    assert again.status_code == 200 and again.json()["emails"] == 4
    await _deliver(smtp)
    new_people = {p["contact_email"] for p in people if p["organisation"] in (M, S, E, U)}
    assert smtp.count_by_recipient() == Counter({email: 1 for email in new_people})
    assert await Twinning.filter(round_id=round_id, status=TwinningStatus.PROPOSED).count() == 15
