"""The organiser's twinning pages through HTTP, on both databases."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.events.models import Event, EventKind
from events_app.notifications.models import OutboxMessage
from events_app.registration.models import Registration
from events_app.twinning.models import (
    InterestGroup,
    MatchRun,
    Topic,
    Twinning,
    TwinningRequest,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.publish import answer_twinning, publish_run, save_ranking
from events_app.twinning.requests import submit_request
from events_app.twinning.runs import run_matching
from events_app.twinning.schemas import MatchInput
from matching import load_problem, solve
from matching.explain import result_to_dict
from tests.twinning.conftest import RoundFactory, closed, request_data, token_for

HX = {"HX-Request": "true"}
NEXT_YEAR = utcnow().year + 1
BASE = "/organiser/twinning"
Login = Callable[..., Awaitable[Any]]


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("ea_csrf")
    assert token, "sign in first: no CSRF cookie"
    return token


async def post(client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(path, data={**(data or {}), "csrf_token": csrf(client)}, headers=headers)


@pytest.fixture
async def organiser(client: httpx.AsyncClient, login: Login) -> httpx.AsyncClient:
    await login(client, Role.ORGANISER)
    return client


async def submitted(round_: TwinningRound, n: int, mode: str = "peer") -> list[TwinningRequest]:
    return [(await submit_request(round_id=round_.id, data=request_data(i, mode=mode), confirmed=True)).request
            for i in range(n)]


def round_form(**changes: str) -> dict[str, str]:
    data = {"title": "Mentoring 2027", "mode": "mentoring", "deadline": f"{NEXT_YEAR}-05-15T17:00",
            "intro": "Welcome.", "cooldown_years": "3", "shortlist_size": "5",
            "require_different_countries": "yes"}
    data.update(changes)
    return data


def pair_rows(html: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r'<tr id="pair-(\d+)-(\d+)"', html)]


def last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# --- rounds list and form ----------------------------------------------------------------


async def test_rounds_list_shows_each_round_with_its_counts(organiser, make_round: RoundFactory):
    open_round = await make_round("peer", title="Peers of the north")
    await submitted(open_round, 3)
    await submit_request(round_id=open_round.id, data=request_data(5))  # not confirmed
    other = await make_round("mentoring", title="Mentors 2027", days=20)
    page = await organiser.get(BASE)
    assert page.status_code == 200
    html = page.text
    assert f'href="{BASE}/rounds/new"' in html and f'href="{BASE}/lists"' in html
    assert f'<a href="{BASE}/rounds/{open_round.id}">Peers of the north</a>' in html
    assert f'<a href="{BASE}/rounds/{other.id}">Mentors 2027</a>' in html
    row = html[html.index(f'id="round-{open_round.id}"'):].split("</tr>")[0]
    assert "3 / 4" in row and "Open" in row and "Brussels time" in row
    assert '<link rel="stylesheet" href="/static/css/twinning-organiser.css">' in html


async def test_create_round_through_the_form(organiser, catalogue):
    form = await organiser.get(f"{BASE}/rounds/new")
    assert form.status_code == 200
    assert 'type="datetime-local"' in form.text and "0.40" in form.text and "0.30" in form.text  # defaults shown
    response = await post(organiser, f"{BASE}/rounds/new", round_form(weight_topic_fit="0.5", weight_size="0"))
    assert response.status_code == 303
    round_ = await TwinningRound.get()
    assert response.headers["location"] == f"{BASE}/rounds/{round_.id}?done=created"
    # 17:00 in Brussels in May is 15:00 UTC (summer time)
    assert round_.deadline.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == datetime(NEXT_YEAR, 5, 15, 15, 0)
    assert round_.mode == "mentoring" and round_.options["require_different_countries"] is True
    assert round_.options["weights"] == {"size": 0.0, "topic_fit": 0.5}
    page = await organiser.get(response.headers["location"])
    assert "The round is open for requests." in page.text and "Mentoring 2027" in page.text
    # the edit form starts from the stored values, in Brussels time
    edit = await organiser.get(f"{BASE}/rounds/{round_.id}/edit")
    assert f'value="{NEXT_YEAR}-05-15T17:00"' in edit.text and 'value="0.5"' in edit.text
    saved = await post(organiser, f"{BASE}/rounds/{round_.id}/edit", round_form(title="Mentoring 2027, renamed",
                                                                                  deadline=f"{NEXT_YEAR}-01-10T09:00"))
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    round_ = await TwinningRound.get(id=round_.id)
    assert round_.title == "Mentoring 2027, renamed" and round_.options["weights"] == {}
    assert round_.deadline.astimezone(ZoneInfo("UTC")).hour == 8  # winter time: UTC+1


@pytest.mark.parametrize(("changes", "field"), [
    ({"deadline": "2001-01-01T10:00"}, "deadline"),
    ({"deadline": ""}, "deadline"),
    ({"deadline": f"{last_sunday_of_march(NEXT_YEAR).isoformat()}T02:30"}, "deadline"),  # skipped by the clocks
    ({"weight_topic_fit": "lots"}, "weight_topic_fit"),
    ({"weight_groups": "-1"}, "weight_groups"),
    ({"weight_size": "nan"}, "weight_size"),
    ({"title": ""}, "title"),
    ({"mode": "speed-dating"}, "mode"),
    ({"cooldown_years": "99"}, "cooldown_years"),
])
async def test_round_form_errors_change_nothing(organiser, catalogue, changes, field):
    response = await post(organiser, f"{BASE}/rounds/new", round_form(**changes))
    assert response.status_code == 422, response.text
    assert f'id="f-{field}-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert await TwinningRound.all().count() == 0


async def test_all_weights_zero_is_refused(organiser, catalogue):
    zeros = {f"weight_{p}": "0" for p in ("topic_fit", "shared_ambition", "experience", "groups", "language",
                                            "size", "cross_border")}
    response = await post(organiser, f"{BASE}/rounds/new", round_form(**zeros))
    assert response.status_code == 422 and "must weigh more than 0" in response.text
    assert await TwinningRound.all().count() == 0


# --- topic and interest-group lists --------------------------------------------------------


async def test_lists_add_rename_retire(organiser, catalogue):
    page = await organiser.get(f"{BASE}/lists")
    assert page.status_code == 200 and "clean-vehicles" in page.text and "Interest groups" in page.text
    added = await post(organiser, f"{BASE}/lists/topics", {"slug": "textiles", "name": "Textiles"})
    assert added.status_code == 303 and added.headers["location"] == f"{BASE}/lists?done=added"
    topic = await Topic.get(slug="textiles")
    assert topic.name == "Textiles" and topic.active
    again = await post(organiser, f"{BASE}/lists/topics", {"slug": "textiles", "name": "Other"})
    assert again.status_code == 422 and "This short name is taken already." in again.text
    bad = await post(organiser, f"{BASE}/lists/groups", {"slug": "Not A Slug!", "name": "X"})
    assert bad.status_code == 422 and 'id="groups-new-slug-error"' in bad.text
    assert await InterestGroup.filter(name="X").count() == 0

    renamed = await post(organiser, f"{BASE}/lists/topics/{topic.id}/rename", {"name": "Textiles and clothing"})
    assert renamed.status_code == 303
    assert (await Topic.get(id=topic.id)).name == "Textiles and clothing"
    empty = await post(organiser, f"{BASE}/lists/topics/{topic.id}/rename", {"name": "  "})
    assert empty.status_code == 422 and "Give a name." in empty.text
    assert (await Topic.get(id=topic.id)).name == "Textiles and clothing"

    # htmx: the lists come back in place, without the page around them
    retired = await post(organiser, f"{BASE}/lists/topics/{topic.id}/retire", headers=HX)
    assert retired.status_code == 200 and "<html" not in retired.text and 'id="catalogue"' in retired.text
    assert "The entry is retired" in retired.text and "Bring back" in retired.text
    assert not (await Topic.get(id=topic.id)).active
    back = await post(organiser, f"{BASE}/lists/topics", {"slug": "textiles", "name": "Textiles"})
    assert back.status_code == 303 and (await Topic.get(id=topic.id)).active
    missing = await post(organiser, f"{BASE}/lists/groups/999999/retire")
    assert missing.status_code == 404


# --- the round's working page ------------------------------------------------------------


async def test_round_page_close_run_pin_rerun_forbid(organiser, make_round: RoundFactory):
    round_ = await make_round("peer")
    requests = await submitted(round_, 12)
    url = f"{BASE}/rounds/{round_.id}"
    page = await organiser.get(url)
    assert page.status_code == 200
    html = page.text
    for r in requests:
        assert f'id="request-{r.id}"' in html
    assert "contact0@authority0.example" in html and "Shares contact" in html and "(advanced)" in html
    assert "Close requests now" in html and "Run matching" not in html

    # before the deadline the matching refuses, and the page says why
    early = await post(organiser, f"{url}/run")
    assert early.status_code == 409 and "Requests are still open" in early.text
    assert await MatchRun.all().count() == 0

    closed_ = await post(organiser, f"{url}/close")
    assert closed_.status_code == 303 and closed_.headers["location"] == f"{url}?done=closed"
    assert (await TwinningRound.get(id=round_.id)).status == "matching"

    ran = await post(organiser, f"{url}/run")
    assert ran.status_code == 303
    run = await MatchRun.get(round_id=round_.id)
    assert run.number == 1 and run.pairs == 6 and run.run_by_id is not None
    html = (await organiser.get(url)).text
    assert "Proposed pairs of run 1 (6)" in html and "Upper bound" in html and "Solver:" in html
    assert re.search(r"is its \d+(st|nd|rd|th) of \d+", html)
    assert 'class="parts-bar"' in html and "topic fit" in html
    pairs = pair_rows(html)
    assert len(pairs) == 6
    a, b = pairs[0][0], pairs[-1][1]

    pinned = await post(organiser, f"{url}/pairs", {"a": a, "b": b, "rule": "pinned", "on": "1"})
    assert pinned.status_code == 303 and pinned.headers["location"] == f"{url}?done=pinned"
    assert (await TwinningRound.get(id=round_.id)).pinned == [[a, b]]
    rules = (await organiser.get(url)).text.split('id="rules-heading"')[1]
    names = {r.id: r.organisation.name for r in await TwinningRequest.filter(round_id=round_.id)
             .prefetch_related("organisation")}
    low, high = sorted((a, b))
    assert f'<span class="badge badge-pinned">Pinned</span> {names[low]} and {names[high]}' in rules
    assert await MatchRun.all().count() == 1  # pinning does not run
    await post(organiser, f"{url}/run")
    html = (await organiser.get(url)).text
    first = pair_rows(html)[0]
    assert set(first) == {a, b}
    row = html[html.index(f'<tr id="pair-{first[0]}-{first[1]}"'):].split("</tr>")[0]
    assert '<span class="badge badge-pinned">Pinned</span>' in row and ">Unpin<" in row

    # forbid with htmx: the proposals block comes back in place
    x, y = pair_rows(html)[1]
    forbidden = await post(organiser, f"{url}/pairs", {"a": x, "b": y, "rule": "forbidden", "on": "1"}, headers=HX)
    assert forbidden.status_code == 200 and "<html" not in forbidden.text
    assert forbidden.text.lstrip().startswith('<div id="proposals"')
    assert "Forbidden: run again" in forbidden.text and "The pair is forbidden." in forbidden.text
    await post(organiser, f"{url}/run")
    run3 = await MatchRun.get(round_id=round_.id, number=3)
    assert {x, y} not in [{int(p["a"]), int(p["b"])} for p in run3.output["pairs"]]
    assert [a, b] in (await TwinningRound.get(id=round_.id)).pinned or [b, a] in (
        await TwinningRound.get(id=round_.id)).pinned

    # a pair with a request of no round: the page says so, nothing changes
    before = (await TwinningRound.get(id=round_.id)).forbidden
    bogus = await post(organiser, f"{url}/pairs", {"a": x, "b": 999999, "rule": "forbidden", "on": "1"})
    assert bogus.status_code == 422 and "not a request of this round" in bogus.text
    assert (await TwinningRound.get(id=round_.id)).forbidden == before


async def test_publish_with_a_confirmation_then_twinning_actions(organiser, make_round: RoundFactory):
    round_ = await make_round("peer")
    await submitted(round_, 9)  # odd: one is left over
    await closed(round_)
    url = f"{BASE}/rounds/{round_.id}"
    no_run = await organiser.get(f"{url}/publish")
    assert no_run.status_code == 409 and "Run the matching first" in no_run.text
    await post(organiser, f"{url}/run")
    run = await MatchRun.get(round_id=round_.id)
    paired, left = 2 * run.pairs, run.unmatched
    assert paired + left == 9 and left >= 1
    confirm = await organiser.get(f"{url}/publish")
    assert confirm.status_code == 200
    assert '<strong id="email-count">9 emails</strong>' in confirm.text
    assert f"New pairs ({run.pairs})" in confirm.text and f"Told they have no partner ({left})" in confirm.text
    assert await Twinning.all().count() == 0 and await OutboxMessage.filter(kind__startswith="twinning_i").count() == 0
    published = await post(organiser, f"{url}/publish", {"run": str(run.number)})
    assert published.status_code == 303
    assert published.headers["location"] == f"{url}?done=published&n=9"
    intro = await OutboxMessage.filter(kind="twinning_intro")
    assert len(intro) == paired and len({m.to_email for m in intro}) == paired
    assert await OutboxMessage.filter(kind="twinning_unpaired").count() == left
    html = (await organiser.get(published.headers["location"])).text
    assert "Published: 9 emails queued" in html
    assert html.count('<tr id="twinning-') == run.pairs
    again = await organiser.get(f"{url}/publish")
    assert "Nothing to publish" in again.text
    assert (await post(organiser, f"{url}/publish", {"run": "7"})).status_code == 404

    twinnings = await Twinning.all().order_by("id")
    t = twinnings[0]
    for request_id in (t.a_id, t.b_id):
        side = await TwinningRequest.get(id=request_id).prefetch_related("contact")
        await answer_twinning(token=await token_for(side.contact.email, "twinning_intro"), twinning_id=t.id,
                              accept=True)
    done = await post(organiser, f"{url}/twinnings/{t.id}/status", {"status": "completed"})
    assert done.status_code == 303 and (await Twinning.get(id=t.id)).status == TwinningStatus.COMPLETED
    cancel = await post(organiser, f"{url}/twinnings/{twinnings[1].id}/status", {"status": "cancelled"})
    assert cancel.status_code == 303 and (await Twinning.get(id=twinnings[1].id)).status == TwinningStatus.CANCELLED
    # a completed twinning cannot be cancelled: the page says why, nothing changes
    refused = await post(organiser, f"{url}/twinnings/{t.id}/status", {"status": "cancelled"})
    assert refused.status_code == 409 and "cannot become cancelled" in refused.text
    assert (await Twinning.get(id=t.id)).status == TwinningStatus.COMPLETED


async def test_shortlists_then_stable_matching(organiser, make_round: RoundFactory):
    round_ = await make_round("peer", shortlist_size=3)
    await submitted(round_, 6)
    await closed(round_)
    url = f"{BASE}/rounds/{round_.id}"
    assert "Run stable matching" not in (await organiser.get(url)).text
    sent = await post(organiser, f"{url}/shortlists")
    assert sent.status_code == 303 and sent.headers["location"] == f"{url}?done=shortlists&n=6"
    assert await OutboxMessage.filter(kind="twinning_shortlist").count() == 6
    for r in await TwinningRequest.filter(round_id=round_.id).prefetch_related("contact"):
        await save_ranking(token=await token_for(r.contact.email, "twinning_shortlist"), ranking=r.shortlist[:2])
    html = (await organiser.get(f"{url}?done=shortlists&n=6")).text
    assert "Shortlists are on their way to 6 authorities." in html and "ranked 2" in html
    assert "Run stable matching on the rankings" in html
    ran = await post(organiser, f"{url}/run", {"stable": "1"})
    assert ran.status_code == 303 and "done=stable" in ran.headers["location"]
    run = await MatchRun.get(round_id=round_.id)
    assert run.stable
    assert "Run 1 (stable)" in (await organiser.get(url)).text


async def test_runs_history_compare_and_downloads(organiser, make_round: RoundFactory):
    round_ = await make_round("peer")
    await submitted(round_, 10)
    await closed(round_)
    url = f"{BASE}/rounds/{round_.id}"
    await post(organiser, f"{url}/run")
    first = await MatchRun.get(round_id=round_.id, number=1)
    pairs = [(int(p["a"]), int(p["b"])) for p in first.output["pairs"]]
    a, b = pairs[0][0], pairs[-1][1]
    await post(organiser, f"{url}/pairs", {"a": a, "b": b, "rule": "pinned", "on": "1"})
    await post(organiser, f"{url}/run")
    second = await MatchRun.get(round_id=round_.id, number=2)

    history = await organiser.get(f"{url}/runs")
    assert history.status_code == 200
    assert 'id="run-1"' in history.text and 'id="run-2"' in history.text
    assert f'href="{url}/runs/2/input.json"' in history.text
    compare = await organiser.get(f"{url}/runs", params={"a": "1", "b": "2"})
    assert compare.status_code == 200
    assert "Only in run 1" in compare.text and "Only in run 2" in compare.text and "In both" in compare.text
    difference = second.total_score - first.total_score
    assert f"{difference:+.3f}" in compare.text
    only_b = compare.text[compare.text.index("Only in run 2"):compare.text.index("In both")]
    names = {r.id: r.organisation.name for r in await TwinningRequest.filter(round_id=round_.id)
             .prefetch_related("organisation")}
    assert names[a] in only_b and names[b] in only_b
    missing = await organiser.get(f"{url}/runs", params={"a": "1", "b": "9"})
    assert missing.status_code == 404 and "Choose two runs" in missing.text

    download = await organiser.get(f"{url}/runs/2/input.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="twinning-round-{round_.id}-run-2-input.json"')
    document = json.loads(download.text)
    assert document == second.input
    problem = load_problem(document)
    again = result_to_dict(solve(problem.candidates, problem.options))
    assert again["total_score"] == second.total_score
    output = await organiser.get(f"{url}/runs/2/output.json")
    assert output.headers["content-disposition"].startswith("attachment;")
    assert json.loads(output.text)["total_score"] == second.total_score
    assert (await organiser.get(f"{url}/runs/7/output.json")).status_code == 404


async def test_picture_page_draws_every_authority(organiser, make_round: RoundFactory):
    round_ = await make_round("mentoring")
    requests = await submitted(round_, 9, "mentoring")
    await closed(round_)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    await publish_run(round_id=round_.id)
    page = await organiser.get(f"{BASE}/rounds/{round_.id}/picture")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 2 and 'class="twinning-legend"' in html
    assert '<link rel="stylesheet" href="/static/css/twinning.css">' in html
    for r in await TwinningRequest.filter(id__in=[r.id for r in requests]).prefetch_related("organisation"):
        name = r.organisation.name.replace("'", "&#39;")
        assert name in html, name
    assert "st-proposed" in html


async def test_plan_a_study_visit_for_an_accepted_twinning(organiser, make_round: RoundFactory):
    round_ = await make_round("mentoring")
    await submitted(round_, 6, "mentoring")
    await closed(round_)
    await run_matching(round_id=round_.id, data=MatchInput(), actor=None)
    published = await publish_run(round_id=round_.id)
    t = published.twinnings[0]
    url = f"{BASE}/rounds/{round_.id}"
    assert f'id="visit-{t.id}"' not in (await organiser.get(url)).text  # not accepted yet
    for request_id in (t.a_id, t.b_id):
        side = await TwinningRequest.get(id=request_id).prefetch_related("contact")
        await answer_twinning(token=await token_for(side.contact.email, "twinning_intro"), twinning_id=t.id,
                              accept=True)
    page = await organiser.get(url)
    assert f'id="visit-{t.id}"' in page.text and 'value="Europe/Brussels" selected' in page.text
    visit = {"title": "Study visit in Gent", "starts_at": f"{NEXT_YEAR}-04-14T09:00",
             "ends_at": f"{NEXT_YEAR}-04-14T17:00", "timezone": "Europe/Brussels",
             "venue_name": "Stadhuis Gent", "venue_address": "Botermarkt 1, 9000 Gent"}
    wrong = await post(organiser, f"{url}/twinnings/{t.id}/visit", {**visit, "ends_at": f"{NEXT_YEAR}-04-13T17:00"})
    assert wrong.status_code == 422 and f'id="v{t.id}-ends_at-error"' in wrong.text
    assert 'value="Stadhuis Gent"' in wrong.text  # the form keeps what was typed
    assert await Event.filter(kind=EventKind.STUDY_VISIT).count() == 0
    planned = await post(organiser, f"{url}/twinnings/{t.id}/visit", visit)
    assert planned.status_code == 303 and "done=visit" in planned.headers["location"]
    event = await Event.get(kind=EventKind.STUDY_VISIT)
    assert event.title == "Study visit in Gent" and event.timezone == "Europe/Brussels"
    assert event.starts_at.astimezone(ZoneInfo("UTC")).hour == 7  # 09:00 summer time in Brussels
    assert (await Twinning.get(id=t.id)).study_visit_id == event.id
    assert await Registration.filter(event_id=event.id).count() == 2
    html = (await organiser.get(url)).text
    assert f'href="/organiser/events/{event.slug}/registrations">Study visit in Gent</a>' in html
    twice = await post(organiser, f"{url}/twinnings/{t.id}/visit", visit)
    assert twice.status_code == 409 and "planned already" in twice.text
    assert await Event.filter(kind=EventKind.STUDY_VISIT).count() == 1


# --- access ------------------------------------------------------------------------------


def _pages(round_id: int) -> list[str]:
    base = f"{BASE}/rounds/{round_id}"
    return [BASE, f"{BASE}/lists", f"{BASE}/rounds/new", base, f"{base}/edit", f"{base}/runs",
            f"{base}/publish", f"{base}/picture", f"{base}/runs/1/input.json", f"{base}/runs/1/output.json"]


async def test_anonymous_is_sent_to_sign_in(client, make_round: RoundFactory):
    round_ = await make_round("peer")
    for path in _pages(round_.id):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    await client.get("/")
    response = await client.post(f"{BASE}/rounds/new", data={**round_form(), "csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await TwinningRound.all().count() == 1


async def test_checkin_account_gets_403(client, login: Login, make_round: RoundFactory):
    round_ = await make_round("peer")
    await login(client, Role.CHECKIN)
    for path in _pages(round_.id):
        assert (await client.get(path)).status_code == 403, path
    response = await post(client, f"{BASE}/rounds/{round_.id}/close")
    assert response.status_code == 403
    assert (await TwinningRound.get(id=round_.id)).status == "open"


@pytest.mark.parametrize("round_id", ["999999", "0", "abc", "99999999999", "-1"])
async def test_bogus_round_is_404(organiser, catalogue, round_id):
    base = f"{BASE}/rounds/{round_id}"
    for path in (base, f"{base}/edit", f"{base}/runs", f"{base}/picture", f"{base}/publish",
                 f"{base}/runs/1/input.json"):
        assert (await organiser.get(path)).status_code == 404, path
    for path in (f"{base}/close", f"{base}/run", f"{base}/pairs", f"{base}/shortlists"):
        assert (await post(organiser, path, {"a": "1", "b": "2", "rule": "pinned", "on": "1"})).status_code == 404
