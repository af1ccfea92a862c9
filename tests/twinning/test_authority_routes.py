"""The organiser's authority pages: list, profile corrections, consent withdrawal, history."""

from __future__ import annotations

import httpx
import pytest

from events_app.auth.models import Role
from events_app.twinning.models import AuthorityContact, AuthorityProfile, TwinningRequest
from events_app.twinning.requests import submit_request
from tests.conftest import csrf_of
from tests.twinning.conftest import RoundFactory, request_data


async def _authority(make_round: RoundFactory) -> TwinningRequest:
    round_ = await make_round("mentoring")
    submitted = await submit_request(round_id=round_.id, data=request_data(0, mode="mentoring"))
    await submit_request(round_id=round_.id, data=request_data(1, mode="mentoring", consent=False))
    return await TwinningRequest.get(id=submitted.request.id).prefetch_related("organisation", "contact")


async def test_list_filter_and_page(client: httpx.AsyncClient, login, make_round: RoundFactory) -> None:
    request = await _authority(make_round)
    await login(client)
    page = await client.get("/organiser/twinning/authorities")
    assert page.status_code == 200 and request.organisation.name in page.text
    only = await client.get("/organiser/twinning/authorities", params={"country": "FR"})
    assert request.organisation.name not in only.text and "Ville de Lyon" in only.text
    detail = await client.get(f"/organiser/twinning/authorities/{request.organisation.id}")
    assert detail.status_code == 200
    assert request.contact.email in detail.text and "Twinning mentoring 2027" in detail.text
    assert (await client.get("/organiser/twinning/authorities/999999")).status_code == 404
    assert (await client.get("/organiser/twinning/authorities/abc")).status_code == 404


async def test_profile_correction_and_bad_input(client: httpx.AsyncClient, login, make_round: RoundFactory) -> None:
    request = await _authority(make_round)
    org_id = request.organisation.id
    await login(client)
    path = f"/organiser/twinning/authorities/{org_id}"
    token = await csrf_of(client, path)
    saved = await client.post(f"{path}/profile", data={
        "csrf_token": token, "languages": ["fr", "en"], "size": "300000", "offer-food": "3",
        "interest_groups": ["food"]})
    assert saved.status_code == 303
    profile = await AuthorityProfile.get(organisation_id=org_id)
    assert profile.languages == ["fr", "en"] and profile.topics == {"food": 3} and profile.size == 300000
    for bad, field in ([{"languages": []}, "languages"], [{"languages": ["en"], "size": "-4"}, "size"],
                       [{"languages": ["xx"]}, "languages"], [{"languages": ["en"], "interest_groups": ["nope"]},
                                                              "interest_groups"]):
        response = await client.post(f"{path}/profile", data={"csrf_token": token, **bad})
        assert response.status_code == 422, (bad, response.text[:200])
        assert 'class="field-error"' in response.text and f'href="#f-{field}"' in response.text
    unchanged = await AuthorityProfile.get(organisation_id=org_id)
    assert unchanged.languages == ["fr", "en"] and unchanged.size == 300000


async def test_withdraw_consent(client: httpx.AsyncClient, login, make_round: RoundFactory) -> None:
    request = await _authority(make_round)
    await login(client)
    path = f"/organiser/twinning/authorities/{request.organisation.id}"
    response = await client.post(f"{path}/contacts/{request.contact.id}/withdraw-consent",
                                 data={"csrf_token": await csrf_of(client, path)})
    assert response.status_code == 303
    contact = await AuthorityContact.get(id=request.contact.id)
    assert contact.consent_share is False and contact.consented_at is None


@pytest.mark.parametrize("path", ["/organiser/twinning/authorities", "/organiser/twinning/authorities/1"])
async def test_only_organisers(client: httpx.AsyncClient, login, path: str) -> None:
    anonymous = await client.get(path)
    assert anonymous.status_code in (302, 303, 401)
    await login(client, Role.CHECKIN)
    assert (await client.get(path)).status_code == 403
