"""Forged and mutated ticket codes are all refused (issue 4, acceptance 2).

An event with 50 confirmed people holding tickets, 10 cancelled ones whose tickets were printed
before, 10 whose tickets were re-issued (the old code replaced), and a second event with its own
tickets. 10,000 random codes of many shapes and 1,000 mutations of real codes go through the
service function; a sample of 300 of each goes through the HTTP API with a check-in token. Every
one is refused with a 4xx and the expected code, and nobody is checked in. As a control, the
real codes are then all accepted (so the refusals are not a check-in that refuses everything).
"""

from __future__ import annotations

import random
import string
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from events_app.badges.tickets import CODE_PREFIX, new_secret, normalise_code, reissue_ticket
from events_app.checkin.models import CheckIn, CheckInLog
from events_app.checkin.service import check_in_code
from events_app.errors import ServiceError
from events_app.events.models import Event
from events_app.registration.service import cancel_registration
from tests.checkin.conftest import snapshot

BASE32 = string.ascii_uppercase + "234567"
RANDOM_CODES = 10_000
MUTATED_CODES = 1_000
API_SAMPLE = 300


@dataclass
class Tickets:
    event: Event
    other_event: Event
    live: list[str]  # confirmed, current codes
    cancelled: list[str]
    replaced: list[str]  # old codes of re-issued tickets
    other: list[str]  # the second event's codes


@dataclass(frozen=True)
class Forgery:
    kind: str
    code: str
    error: str  # the refusal expected


@pytest.fixture
async def tickets(make_event, ticketed) -> Tickets:
    event = await make_event(capacity=100, slug="forgery-forum")
    other_event = await make_event(capacity=100, slug="forgery-other")
    live = [(await ticketed(event, name=f"Live {n}"))[1] for n in range(50)]
    cancelled = []
    for n in range(10):
        registration, code = await ticketed(event, name=f"Cancelled {n}")
        await cancel_registration(registration_id=registration.id)
        cancelled.append(code)
    replaced = []
    for n in range(10):
        registration, code = await ticketed(event, name=f"Reissued {n}")
        await reissue_ticket(registration)
        replaced.append(code)
        live.append(CODE_PREFIX + registration.ticket_secret)
    other = [(await ticketed(other_event, name=f"Elsewhere {n}"))[1] for n in range(10)]
    return Tickets(event, other_event, live, cancelled, replaced, other)


def random_codes(rng: random.Random, n: int) -> list[Forgery]:
    """``n`` distinct codes nobody was given, of many shapes: most look right (prefix, length, alphabet)."""

    def b32(k: int) -> str:
        return "".join(rng.choice(BASE32) for _ in range(k))

    def printable(k: int) -> str:
        return "".join(rng.choice(string.printable) for _ in range(k))

    unicode_pool = "ÀÉÎÕÜßøåœĄĆĘŁŃŚŹŻАБВГДЕЖЗИЙαβγδεζηθ€™\u200b\u200d\ufeff\x00\t\n 🎫🙂"
    shapes = [
        (40, lambda: CODE_PREFIX + b32(32)),  # well-formed
        (10, lambda: (CODE_PREFIX + b32(32)).lower()),  # well-formed, lower case
        (10, lambda: CODE_PREFIX + b32(rng.choice([0, 1, 16, 31, 33, 40, 64]))),  # wrong length
        (10, lambda: b32(32)),  # no prefix
        (5, lambda: rng.choice(["EA2-", "EA0-", "EA1_", "EA1", "E A1-", "AE1-"]) + b32(32)),  # other prefixes
        (10, lambda: printable(rng.randint(1, 200))),
        (5, lambda: "".join(rng.choice(unicode_pool + BASE32) for _ in range(rng.randint(1, 60)))),
        (5, lambda: CODE_PREFIX + b32(31) + rng.choice("АВЕКМНОРСТХ0189")),  # a look-alike or digit at the end
        (5, lambda: f"https://events.example.org/t/{CODE_PREFIX}{b32(32)}"),
    ]
    weights = [w for w, _ in shapes]
    makers = [m for _, m in shapes]
    codes: dict[str, None] = {}
    while len(codes) < n:  # distinct codes, in the order made
        codes.setdefault(rng.choices(makers, weights)[0]())
    return [Forgery("random", code, "ticket_not_valid") for code in codes]


def mutated_codes(rng: random.Random, t: Tickets, n: int) -> list[Forgery]:
    """Real codes changed a little, and real codes that are not (or no longer) good here."""

    def other_char(c: str) -> str:
        return rng.choice([x for x in BASE32 if x != c.upper()])

    def one_changed(code: str) -> str:
        i = rng.randrange(len(CODE_PREFIX), len(code))
        return code[:i] + other_char(code[i]) + code[i + 1:]

    def swapped(code: str) -> str:
        while True:
            i = rng.randrange(len(CODE_PREFIX), len(code) - 1)
            if code[i] != code[i + 1]:
                return code[:i] + code[i + 1] + code[i] + code[i + 2:]

    def prefix_changed(code: str) -> str:
        i = rng.randrange(0, len(CODE_PREFIX))
        return code[:i] + rng.choice([x for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" if x != code[i]]) + code[i + 1:]

    def digit(code: str) -> str:
        i = rng.randrange(len(CODE_PREFIX), len(code))
        return code[:i] + rng.choice("0189") + code[i + 1:]

    live = t.live
    kinds = [
        ("one character changed", 250, lambda: one_changed(rng.choice(live)), "ticket_not_valid"),
        ("one changed, lower case", 80, lambda: one_changed(rng.choice(live)).lower(), "ticket_not_valid"),
        ("prefix changed", 40, lambda: prefix_changed(rng.choice(live)), "ticket_not_valid"),
        ("not-base32 digit", 40, lambda: digit(rng.choice(live)), "ticket_not_valid"),
        ("neighbours swapped", 80, lambda: swapped(rng.choice(live)), "ticket_not_valid"),
        ("truncated", 80, lambda: rng.choice(live)[: -rng.randint(1, 20)], "ticket_not_valid"),
        ("extended", 40, lambda: rng.choice(live) + rng.choice(BASE32), "ticket_not_valid"),
        ("secret without prefix", 30, lambda: rng.choice(live)[len(CODE_PREFIX):], "ticket_not_valid"),
        ("another event's", 100, lambda: rng.choice(t.other), "wrong_event"),
        ("another event's, lower case", 20, lambda: rng.choice(t.other).lower(), "wrong_event"),
        ("a cancelled registration's", 100, lambda: rng.choice(t.cancelled), "ticket_cancelled"),
        ("replaced by a re-issue", 100, lambda: rng.choice(t.replaced), "ticket_not_valid"),
        ("replaced, then one changed", 40, lambda: one_changed(rng.choice(t.replaced)), "ticket_not_valid"),
    ]
    assert sum(k[1] for k in kinds) == n
    return [Forgery(name, make(), error) for name, count, make, error in kinds for _ in range(count)]


def _assert_not_real(forgeries: list[Forgery], t: Tickets) -> None:
    """No forgery may, by chance, be a live ticket of the event (the test would be wrong)."""
    live = set(t.live)
    accidental = [f for f in forgeries if normalise_code(f.code) in live]
    assert not accidental, accidental[:3]


async def test_ten_thousand_random_and_a_thousand_mutated_codes_are_all_refused(tickets, client, door):
    rng = random.Random(20261104)
    forged = random_codes(rng, RANDOM_CODES)
    mutated = mutated_codes(rng, tickets, MUTATED_CODES)
    _assert_not_real(forged + mutated, tickets)
    assert len({f.code for f in forged}) == RANDOM_CODES
    before = await snapshot(["checkin", "registration"])

    # all of them through the service function
    started = time.perf_counter()
    outcomes: Counter[tuple[str, str]] = Counter()
    for forgery in forged + mutated:
        try:
            result = await check_in_code(event=tickets.event, code=forgery.code, desk="forgery", user=None)
        except ServiceError as exc:
            assert 400 <= exc.status_code < 500, (forgery, exc)
            assert exc.code == forgery.error, (forgery, exc.code)
            outcomes[(forgery.kind, exc.code)] += 1
        else:
            pytest.fail(f"{forgery} was accepted: {result.status} {result.registration.name}")
    elapsed = time.perf_counter() - started
    assert sum(outcomes.values()) == RANDOM_CODES + MUTATED_CODES
    assert outcomes[("random", "ticket_not_valid")] == RANDOM_CODES
    assert await CheckIn.all().count() == 0
    assert await snapshot(["checkin", "registration"]) == before
    assert await CheckInLog.filter(action="refused").count() == RANDOM_CODES + MUTATED_CODES
    assert await CheckInLog.exclude(action="refused").count() == 0
    print(f"\n{RANDOM_CODES + MUTATED_CODES} codes through the service in {elapsed:.1f} s")

    # a sample of each through the API
    sample = rng.sample(forged, API_SAMPLE) + rng.sample(mutated, API_SAMPLE)
    for forgery in sample:
        response = await client.post(
            "/api/v1/checkin", json={"event": tickets.event.slug, "code": forgery.code, "desk": "forgery"},
            headers=door,
        )
        assert 400 <= response.status_code < 500, (forgery, response.status_code, response.text)
        assert response.json()["error"]["code"] == forgery.error, (forgery, response.text)
    assert await CheckIn.all().count() == 0
    assert await snapshot(["checkin", "registration"]) == before

    # control: the real tickets are let in (once each), so the refusals above mean something
    for code in tickets.live:
        response = await client.post("/api/v1/checkin", json={"event": tickets.event.slug, "code": code},
                                     headers=door)
        assert response.status_code == 200 and response.json()["status"] == "checked_in", response.text
    assert await CheckIn.filter(event_id=tickets.event.id).count() == len(tickets.live) == 60


def test_secrets_are_random_and_long():
    """160 random bits each: no two alike, every base32 character used, nothing from the id."""
    secrets_ = [new_secret() for _ in range(2_000)]
    assert len(set(secrets_)) == len(secrets_)
    assert all(len(s) == 32 and set(s) <= set(BASE32) for s in secrets_)
    counts = Counter("".join(secrets_))
    assert set(counts) == set(BASE32)
    expected = len(secrets_) * 32 / 32
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values())
