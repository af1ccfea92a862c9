"""The authorities' twinning pages: open rounds, the request form, and the private link page."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta
from typing import Any

import httpx
import pytest

from events_app.clock import utcnow
from events_app.events.models import Event, EventKind
from events_app.notifications.models import OutboxMessage
from events_app.organisations.models import Organisation
from events_app.ratelimit import RateLimiter
from events_app.registration.models import Registration
from events_app.settings import RateLimit
from events_app.twinning.models import (
    Answer,
    AuthorityContact,
    RequestStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.publish import answer_twinning, publish_run, send_shortlists
from events_app.twinning.requests import confirm_request, submit_request
from events_app.twinning.runs import run_matching
from events_app.twinning.schemas import MatchInput
from tests.conftest import csrf_of
from tests.twinning.conftest import RoundFactory, closed, request_data, token_for


def form_of(i: int, *, mode: str = "peer", **changes: Any) -> dict[str, Any]:
    """The request form as a browser would send it for authority ``i`` (see request_data)."""
    data = request_data(i, mode=mode)
    form: dict[str, Any] = {
        "organisation": data.organisation, "organisation_kind": data.organisation_kind.value,
        "country": data.country, "contact_name": data.contact_name, "contact_email": data.contact_email,
        "job_title": "Buyer", "role": data.role.value, "languages": list(data.languages),
        "size": str(data.size), "seeks": list(data.seeks), "interest_groups": list(data.interest_groups),
        "capacity": str(data.capacity), "motivation": "We want to learn.",
    }
    if data.consent_share:
        form["consent_share"] = "yes"
    form.update({f"offer-{slug}": str(level) for slug, level in data.offers.items()})
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


async def post(client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
    token = client.cookies.get("ea_csrf") or await csrf_of(client, "/twinning")
    return await client.post(path, data={**(data or {}), "csrf_token": token})


async def submit(client: httpx.AsyncClient, round_: TwinningRound, i: int, **changes: Any) -> httpx.Response:
    return await post(client, f"/twinning/rounds/{round_.id}/request", form_of(i, mode=round_.mode, **changes))


async def counts() -> tuple[int, ...]:
    return (await TwinningRequest.all().count(), await Organisation.all().count(),
            await AuthorityContact.all().count(), await OutboxMessage.all().count())


async def confirmed_requests(round_: TwinningRound, indexes: range | list[int], **changes: Any) -> list[str]:
    """Submit and confirm authorities through the services; return their link tokens."""
    tokens = []
    for i in indexes:
        await submit_request(round_id=round_.id, data=request_data(i, mode=round_.mode, **changes))
        token = await token_for(f"contact{i}@authority{i}.example", "twinning_confirm")
        await confirm_request(token=token)
        tokens.append(token)
    return tokens


async def published_pair(make_round: RoundFactory, indexes: list[int], **changes: Any) -> tuple[Twinning, str, str]:
    """A peer round with two authorities, matched and published: the twinning and both link tokens."""
    round_ = await make_round("peer")
    await confirmed_requests(round_, indexes, **changes)
    await closed(round_)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    published = await publish_run(round_id=round_.id)
    assert len(published.twinnings) == 1
    t = published.twinnings[0]
    tokens = []
    for request_id in (t.a_id, t.b_id):  # type: ignore[attr-defined]
        request = await TwinningRequest.get(id=request_id).prefetch_related("contact")
        tokens.append(await token_for(request.contact.email, "twinning_intro"))
    return t, tokens[0], tokens[1]


# --- open rounds and the form ---------------------------------------------------------------------

async def test_open_rounds_are_listed_with_mode_and_deadline(client, make_round: RoundFactory) -> None:
    mentoring = await make_round("mentoring", title="Mentoring 2027")
    peer = await make_round("peer", title="Peers 2027")
    gone = await closed(await make_round("peer", title="Old round"))
    response = await client.get("/twinning")
    assert response.status_code == 200
    page = response.text
    assert "Mentoring 2027" in page and "Peers 2027" in page and gone.title not in page
    assert "an experienced authority helps one that is starting" in page
    assert "(Brussels time)" in page
    assert f"/twinning/rounds/{mentoring.id}/request" in page and f"/twinning/rounds/{peer.id}/request" in page
    assert "/static/css/twinning-public.css" in page


async def test_form_offers_only_the_rounds_roles(client, make_round: RoundFactory) -> None:
    mentoring = await make_round("mentoring")
    page = (await client.get(f"/twinning/rounds/{mentoring.id}/request")).text
    assert 'value="mentor"' in page and 'value="mentee"' in page and 'value="peer"' not in page
    assert 'name="capacity"' in page
    assert 'name="offer-food"' in page and 'name="seeks" value="food"' in page
    assert 'name="languages" value="ga"' in page and 'name="other_languages"' in page  # Irish is EU, Norwegian not
    assert 'name="languages" value="no"' not in page and '<option value="no">Norwegian</option>' in page
    assert "Share my name and email with our twin" in page and "GDPR" in page
    peer = await make_round("peer")
    page = (await client.get(f"/twinning/rounds/{peer.id}/request")).text
    assert '<input type="hidden" name="role" value="peer">' in page
    assert 'value="mentor"' not in page and 'name="capacity"' not in page
    assert (await client.get("/twinning/rounds/99999/request")).status_code == 404
    assert (await client.get("/twinning/rounds/99999999999999/request")).status_code == 404


async def test_closed_round_says_so_and_refuses(client, make_round: RoundFactory) -> None:
    round_ = await closed(await make_round("peer"))
    response = await client.get(f"/twinning/rounds/{round_.id}/request")
    assert response.status_code == 200
    assert "deadline has passed" in response.text and 'name="organisation"' not in response.text
    before = await counts()
    response = await submit(client, round_, 0)
    assert response.status_code == 409
    assert "deadline has passed" in response.text and 'name="organisation"' not in response.text
    assert await counts() == before


# --- submitting and confirming ---------------------------------------------------------------------

async def test_submit_emails_a_link_that_confirms_only_on_post(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    response = await submit(client, round_, 0)
    assert response.status_code == 200, response.text
    assert "Check your email" in response.text and "contact0@authority0.example" in response.text
    request = await TwinningRequest.get().prefetch_related("contact")
    # nothing about the person counts before the link is confirmed (a stranger could have typed it)
    assert request.status == RequestStatus.UNCONFIRMED and not request.contact.consent_share
    assert request.languages == ["nl", "en", "fr"] and request.size == 265_000
    assert await OutboxMessage.filter(kind="twinning_confirm", to_email="contact0@authority0.example").count() == 1
    token = await token_for("contact0@authority0.example", "twinning_confirm")

    page = await client.get(f"/twinning/requests/{token}")
    assert page.status_code == 200
    assert "Confirm my request" in page.text and "City of Gent" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await TwinningRequest.get(id=request.id)).status == RequestStatus.UNCONFIRMED  # a GET never confirms

    response = await post(client, f"/twinning/requests/{token}/confirm")
    assert response.status_code == 303 and response.headers["location"].endswith("?done=confirmed")
    confirmed = await TwinningRequest.get(id=request.id).prefetch_related("contact")
    assert confirmed.status == RequestStatus.CONFIRMED and confirmed.contact.consent_share
    assert confirmed.contact.consented_at is not None and confirmed.pending is None
    page = await client.get(response.headers["location"])
    assert "your request is confirmed" in page.text and "Confirm my request" not in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"


async def test_submitting_again_shows_the_same_page(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    first = await submit(client, round_, 0)
    again = await submit(client, round_, 0)
    assert again.status_code == first.status_code == 200
    assert again.text == first.text  # nothing tells whether the authority had a request already
    assert await TwinningRequest.all().count() == 1
    # still unconfirmed: the newer submission replaces it and a new confirmation link goes out
    assert await OutboxMessage.filter(kind="twinning_confirm").count() == 2
    await post(client, f"/twinning/requests/{await token_for('contact0@authority0.example')}/confirm")
    third = await submit(client, round_, 0)
    assert third.text == first.text
    assert await OutboxMessage.filter(kind="twinning_link").count() == 1  # confirmed: a fresh link only


async def test_consent_is_optional_and_stored(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    response = await submit(client, round_, 1, consent_share=None)
    assert response.status_code == 200, response.text
    contact = await AuthorityContact.get(email="contact1@authority1.example")
    assert contact.consent_share is False and contact.consented_at is None
    await submit(client, round_, 2)
    contact = await AuthorityContact.get(email="contact2@authority2.example")
    assert contact.consent_share is False  # consent counts once the link is confirmed
    await post(client, f"/twinning/requests/{await token_for('contact2@authority2.example')}/confirm")
    contact = await AuthorityContact.get(email="contact2@authority2.example")
    assert contact.consent_share is True and contact.consented_at is not None


async def test_another_person_of_a_confirmed_authority_is_told_by_email(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    first = await submit(client, round_, 0)
    await post(client, f"/twinning/requests/{await token_for('contact0@authority0.example')}/confirm")
    request = await TwinningRequest.get().prefetch_related("contact")
    response = await submit(client, round_, 0, contact_email="someone.else@gent.example", contact_name="Someone")
    # the page does not tell a stranger that the authority takes part; the email explains
    assert response.status_code == 200
    assert response.text == first.text.replace("contact0@authority0.example", "someone.else@gent.example")
    [taken] = await OutboxMessage.filter(kind="twinning_taken")
    assert taken.to_email == "someone.else@gent.example" and "/twinning/requests/" not in taken.body_text
    after = await TwinningRequest.get(id=request.id).prefetch_related("contact")
    assert after.contact.email == request.contact.email and after.status == RequestStatus.CONFIRMED


async def test_an_unconfirmed_request_is_replaced_by_a_colleague(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    await submit(client, round_, 0, contact_email="typo@gent.exmaple")
    old = await token_for("typo@gent.exmaple")
    await submit(client, round_, 0, contact_email="right@gent.example")
    assert (await client.get(f"/twinning/requests/{old}")).status_code == 404  # the first link died
    request = await TwinningRequest.get().prefetch_related("contact")
    assert request.contact.email == "right@gent.example" and request.status == RequestStatus.UNCONFIRMED


@pytest.mark.parametrize(("mode", "changes", "field", "text"), [
    ("peer", {"languages": None}, "languages", "Tick at least one working language."),
    ("peer", {"languages": ["xx"]}, "languages", "not an ISO 639-1 language code"),
    ("peer", {"offer-nope": "2"}, "topics", "is not a topic of the network"),
    ("peer", {"seeks": ["nope"]}, "topics", "is not a topic of the network"),
    ("peer", {"offer-food": "7"}, "offer-food", "Choose started, practising or advanced"),
    ("peer", {"offer-food": "lots"}, "offer-food", "Choose started, practising or advanced"),
    ("mentoring", {"role": "mentee", "capacity": "3"}, "capacity", "Only a mentor can take more than one partner."),
    ("mentoring", {"role": "mentor", "capacity": "11"}, "capacity", "Choose a number from 1 to 10."),
    ("mentoring", {"role": None}, "role", "Choose your role."),
    ("mentoring", {"role": "peer"}, "role", "This round pairs mentoring requests"),
    ("peer", {"contact_email": "not-an-email"}, "contact_email", "Write a valid email address"),
    ("peer", {"country": "XX"}, "country", "Choose a country from the list."),
    ("peer", {"organisation": " "}, "organisation", "This field is required."),
    ("peer", {"size": "many"}, "size", "Write a whole number"),
    ("peer", {"interest_groups": ["nope"]}, "interest_groups", "is not an interest group"),
    ("peer", {"seeks": [], "offer-clean-vehicles": None, "offer-circular-procurement": None, "offer-food": None,
              "offer-construction": None, "offer-ict": None, "offer-electricity": None,
              "offer-innovation-procurement": None, "offer-social-procurement": None},
     "topics", "Name at least one topic"),
])
async def test_bad_input_is_shown_beside_the_field(client, make_round: RoundFactory, mode: str,
                                                   changes: dict[str, Any], field: str, text: str) -> None:
    round_ = await make_round(mode)
    before = await counts()
    response = await submit(client, round_, 0, **changes)
    assert response.status_code == 422, response.text
    page = html_lib.unescape(response.text)
    assert f'id="f-{field}-error"' in page, page
    assert text in page
    assert f'href="#f-{field}"' in page  # the summary at the top links to the field
    assert f'id="f-{field}"' in page
    assert 'value="contact0@authority0.example"' in page or field == "contact_email"  # values are kept
    assert await counts() == before


async def test_size_accepts_thousand_separators(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    assert (await submit(client, round_, 0, size="265 000")).status_code == 200
    assert (await TwinningRequest.get()).size == 265_000


async def test_the_form_is_rate_limited_per_client(client, app, make_round: RoundFactory) -> None:
    app.state.limiter = RateLimiter(RateLimit(count=1, seconds=60))  # weight 10: ten tries a minute
    round_ = await make_round("peer")
    for _ in range(10):
        await submit(client, round_, 0, contact_email="bad")
    response = await submit(client, round_, 0)
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert await TwinningRequest.all().count() == 0


async def test_post_without_csrf_is_refused(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    await csrf_of(client, "/twinning")
    response = await client.post(f"/twinning/rounds/{round_.id}/request", data=form_of(0))
    assert response.status_code == 403
    assert await TwinningRequest.all().count() == 0


# --- the private page: edit, withdraw ---------------------------------------------------------------

async def test_edit_until_the_deadline_then_409(client, make_round: RoundFactory) -> None:
    round_ = await make_round("mentoring")
    [token] = await confirmed_requests(round_, [0])
    page = (await client.get(f"/twinning/requests/{token}")).text
    assert f'action="/twinning/requests/{token}/edit"' in page
    assert 'name="organisation"' not in page and 'name="contact_email"' not in page  # identity is fixed
    assert 'value="mentor" checked' in page
    edit = form_of(0, mode="mentoring", languages=["en", "de"], other_languages="no", capacity="3",
                   size="1.000.000", motivation="Changed.", consent_share=None)
    for name in ("organisation", "organisation_kind", "country", "contact_name", "contact_email", "job_title"):
        edit.pop(name)
    response = await post(client, f"/twinning/requests/{token}/edit", edit)
    assert response.status_code == 303 and response.headers["location"].endswith("?done=saved")
    request = await TwinningRequest.get().prefetch_related("contact")
    assert request.languages == ["en", "de", "no"] and request.capacity == 3 and request.size == 1_000_000
    assert request.motivation == "Changed." and request.contact.consent_share is False
    page = (await client.get(response.headers["location"])).text
    assert "Your changes are saved." in page and "Norwegian" in page

    bad = await post(client, f"/twinning/requests/{token}/edit", {**edit, "offer-food": "9"})
    assert bad.status_code == 422 and 'id="f-offer-food-error"' in bad.text

    await closed(round_)
    response = await post(client, f"/twinning/requests/{token}/edit", {**edit, "motivation": "Too late."})
    assert response.status_code == 409
    assert "deadline has passed" in response.text
    assert (await TwinningRequest.get()).motivation == "Changed."
    page = (await client.get(f"/twinning/requests/{token}")).text
    assert f'action="/twinning/requests/{token}/edit"' not in page and "looking for the best twins" in page


async def test_withdraw_with_a_confirm_step(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    [token] = await confirmed_requests(round_, [0])
    page = await client.get(f"/twinning/requests/{token}/withdraw")
    assert page.status_code == 200 and "Yes, withdraw my request" in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert (await TwinningRequest.get()).status == RequestStatus.CONFIRMED  # the GET changes nothing
    response = await post(client, f"/twinning/requests/{token}/withdraw")
    assert response.status_code == 303
    assert (await TwinningRequest.get()).status == RequestStatus.WITHDRAWN
    page = (await client.get(response.headers["location"])).text
    assert "Your request is withdrawn" in page and f"/twinning/rounds/{round_.id}/request" in page
    response = await post(client, f"/twinning/requests/{token}/confirm")
    assert response.status_code == 409 and "withdrawn" in response.text


async def test_unknown_token_is_404(client, make_round: RoundFactory) -> None:
    response = await client.get("/twinning/requests/not-a-real-token")
    assert response.status_code == 404 and "This link is not valid." in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert (await client.get("/twinning/requests/" + "x" * 300)).status_code == 404
    assert (await post(client, "/twinning/requests/nope/confirm")).status_code == 404
    assert (await post(client, "/twinning/requests/nope/withdraw")).status_code == 404
    assert (await client.get("/twinning/requests/nope/withdraw")).status_code == 404


# --- shortlist ranking ------------------------------------------------------------------------------

async def test_ranking_form_saves_and_refuses_ids_off_the_shortlist(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer", shortlist_size=3)
    tokens = await confirmed_requests(round_, range(6))
    await closed(round_)
    assert await send_shortlists(round_id=round_.id) > 0
    request = await TwinningRequest.get(contact__email="contact0@authority0.example")
    shortlist = list(request.shortlist)
    assert shortlist
    page = (await client.get(f"/twinning/requests/{tokens[0]}")).text
    assert "Rank your possible twins" in page
    for ident in shortlist:
        other = await TwinningRequest.get(id=ident).prefetch_related("organisation")
        assert html_lib.escape(other.organisation.name) in page and f'name="rank-{ident}"' in page

    chosen = list(reversed(shortlist))[:2]
    form = {f"rank-{ident}": "" for ident in shortlist}
    form.update({f"rank-{ident}": str(n + 1) for n, ident in enumerate(chosen)})
    response = await post(client, f"/twinning/requests/{tokens[0]}/ranking", form)
    assert response.status_code == 303 and response.headers["location"].endswith("?done=ranked")
    assert (await TwinningRequest.get(id=request.id)).ranking == chosen
    page = (await client.get(response.headers["location"])).text
    assert "Your ranking is saved" in page and "Your saved ranking" in page

    stranger = max(r.id for r in await TwinningRequest.all()) + 100
    response = await post(client, f"/twinning/requests/{tokens[0]}/ranking", {f"rank-{stranger}": "1"})
    assert response.status_code == 422 and "is not on your shortlist" in response.text
    twice = {f"rank-{shortlist[0]}": "1", f"rank-{shortlist[1]}": "1"} if len(shortlist) > 1 else {
        f"rank-{shortlist[0]}": "9"}
    response = await post(client, f"/twinning/requests/{tokens[0]}/ranking", twice)
    assert response.status_code == 422 and 'class="error"' in response.text
    assert (await TwinningRequest.get(id=request.id)).ranking == chosen


# --- published twinnings ----------------------------------------------------------------------------

async def test_accept_then_both_accepted(client, make_round: RoundFactory) -> None:
    t, token_a, token_b = await published_pair(make_round, [0, 1])
    page = (await client.get(f"/twinning/requests/{token_a}")).text
    partner = await TwinningRequest.get(id=t.b_id).prefetch_related("organisation")  # type: ignore[attr-defined]
    assert html_lib.escape(partner.organisation.name) in page
    assert f"/twinnings/{t.id}/answer" in page and "Why we propose this twin" in page
    assert "You can work together in" in page and "A cross-border twinning: Belgium and France." in page
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/answer", {"answer": "accept"})
    assert response.status_code == 303
    assert (await Twinning.get(id=t.id)).a_answer == Answer.ACCEPTED
    page = (await client.get(response.headers["location"])).text
    assert "You accepted" in page and "We are waiting for the answer" in page
    await post(client, f"/twinning/requests/{token_b}/twinnings/{t.id}/answer", {"answer": "accept"})
    assert (await Twinning.get(id=t.id)).status == TwinningStatus.ACCEPTED
    page = (await client.get(f"/twinning/requests/{token_b}")).text
    assert "the twinning is on" in page and "Plan a study visit" in page


async def test_decline_frees_both_and_emails_both(client, make_round: RoundFactory) -> None:
    t, token_a, _ = await published_pair(make_round, [0, 1])
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/answer",
                          {"answer": "decline", "reason": "Too far away"})
    assert response.status_code == 303
    twinning = await Twinning.get(id=t.id)
    assert twinning.status == TwinningStatus.DECLINED and twinning.decline_reason == "Too far away"
    declined = {m.to_email for m in await OutboxMessage.filter(kind="twinning_declined")}
    assert declined == {"contact0@authority0.example", "contact1@authority1.example"}
    page = (await client.get(response.headers["location"])).text
    assert "will not go ahead: you declined it" in page
    again = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/answer", {"answer": "accept"})
    assert again.status_code == 409 and "declined already" in again.text


async def test_answers_refused_on_the_page_never_500(client, make_round: RoundFactory) -> None:
    t, token_a, _ = await published_pair(make_round, [0, 1])
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id + 999}/answer", {"answer": "accept"})
    assert response.status_code == 404 and "no such twinning" in response.text
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/99999999999/answer", {"answer": "accept"})
    assert response.status_code == 404
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/answer", {"answer": "maybe"})
    assert response.status_code == 422
    assert (await Twinning.get(id=t.id)).status == TwinningStatus.PROPOSED


async def test_partner_email_only_when_both_consented(client, make_round: RoundFactory) -> None:
    _, token_a, token_b = await published_pair(make_round, [0, 1])
    assert "contact1@authority1.example" in (await client.get(f"/twinning/requests/{token_a}")).text
    assert "contact0@authority0.example" in (await client.get(f"/twinning/requests/{token_b}")).text

    round_ = await make_round("peer", title="Second round")
    await confirmed_requests(round_, [2])
    await confirmed_requests(round_, [3], consent=False)
    await closed(round_)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    [t] = (await publish_run(round_id=round_.id)).twinnings
    for request_id in (t.a_id, t.b_id):  # type: ignore[attr-defined]
        request = await TwinningRequest.get(id=request_id).prefetch_related("contact")
        page = (await client.get(f"/twinning/requests/{await token_for(request.contact.email, 'twinning_intro')}")).text
        partner_email = ({"contact2@authority2.example", "contact3@authority3.example"} - {request.contact.email}).pop()
        assert partner_email not in page
        assert "only when both people agreed" in page


async def test_study_visit_planned_from_the_page(client, make_round: RoundFactory) -> None:
    t, token_a, token_b = await published_pair(make_round, [0, 1])
    await answer_twinning(token=token_a, twinning_id=t.id, accept=True)
    await answer_twinning(token=token_b, twinning_id=t.id, accept=True)
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    visit = {"title": "Visit to Gent", "starts_at": f"{start}T09:30", "ends_at": f"{start}T16:00",
             "timezone": "Europe/Brussels", "venue_name": "Gent City Hall", "venue_address": "Botermarkt 1",
             "description": ""}
    bad = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/visit",
                     {**visit, "ends_at": f"{start}T08:00"})
    assert bad.status_code == 422 and f'id="f-visit-{t.id}-ends_at-error"' in bad.text
    assert 'value="Gent City Hall"' in bad.text
    assert await Event.filter(kind=EventKind.STUDY_VISIT).count() == 0

    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/visit", visit)
    assert response.status_code == 303, response.text
    event = await Event.get(kind=EventKind.STUDY_VISIT)
    assert event.title == "Visit to Gent" and event.venue_name == "Gent City Hall"
    assert event.starts_at.astimezone(event.zone).strftime("%H:%M") == "09:30"
    assert (await Twinning.get(id=t.id)).study_visit_id == event.id  # type: ignore[attr-defined]
    emails = {r.email for r in await Registration.filter(event_id=event.id)}
    assert emails == {"contact0@authority0.example", "contact1@authority1.example"}
    page = (await client.get(f"/twinning/requests/{token_b}")).text
    assert "Gent City Hall" in page and "calendar invite" in page and "Plan a study visit" not in page
    again = await post(client, f"/twinning/requests/{token_b}/twinnings/{t.id}/visit", visit)
    assert again.status_code == 409 and await Event.filter(kind=EventKind.STUDY_VISIT).count() == 1


async def test_study_visit_needs_an_accepted_twinning(client, make_round: RoundFactory) -> None:
    t, token_a, _ = await published_pair(make_round, [0, 1])
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    response = await post(client, f"/twinning/requests/{token_a}/twinnings/{t.id}/visit", {
        "title": "Visit", "starts_at": f"{start}T09:00", "ends_at": f"{start}T12:00", "timezone": "Europe/Brussels",
        "venue_name": "Hall"})
    assert response.status_code == 409 and "once both sides have accepted" in response.text
    assert await Event.all().count() == 0


async def test_pages_keep_to_the_csp_and_work_without_javascript(client, make_round: RoundFactory) -> None:
    t, token_a, _ = await published_pair(make_round, [0, 1])
    round_ = await make_round("mentoring")
    paths = ["/twinning", f"/twinning/rounds/{round_.id}/request", f"/twinning/requests/{token_a}",
             f"/twinning/requests/{token_a}/withdraw"]
    for path in paths:
        page = (await client.get(path)).text
        assert " style=" not in page and "<script>" not in page and " on" + "click=" not in page.lower(), path
        assert "hx-post" not in page, path  # plain forms: every action is a form POST
    page = (await client.get(f"/twinning/requests/{token_a}")).text
    assert "<details" in page  # the decline reason opens without script
    assert (await client.get("/twinning")).headers["referrer-policy"] == "same-origin"  # public pages as before


async def test_saving_before_confirming_keeps_the_consent_given(client, make_round: RoundFactory) -> None:
    round_ = await make_round("peer")
    await submit(client, round_, 2)  # consent ticked on the form
    token = await token_for("contact2@authority2.example", "twinning_confirm")
    page = await client.get(f"/twinning/requests/{token}")
    assert 'name="consent_share" value="yes" checked' in page.text  # the edit form starts from what was sent
    data = form_of(2, mode="peer")
    data.pop("organisation", None)
    response = await post(client, f"/twinning/requests/{token}/edit", {**data, "consent_share": "yes"})
    assert response.status_code == 303, response.text[:300]
    contact = await AuthorityContact.get(email="contact2@authority2.example")
    request = await TwinningRequest.get(contact_id=contact.id)
    assert request.status == RequestStatus.CONFIRMED and request.pending is None
    assert contact.consent_share is True and contact.consented_at is not None
