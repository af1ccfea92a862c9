"""Check-in API latency at 16 desks beside the bare endpoint, on PostgreSQL (`make bench`).

1. Create a throwaway database, migrate it, and seed an event with 2,000 confirmed people holding
   tickets (100 of them checked in already, plus 100 cancelled tickets), a second event with 200
   tickets, and a check-in account with an API token.
2. Serve the real app (``events_app.main:create_app_from_env``, the same uvicorn settings as
   bench/registration_throughput.py). 16 "desks", one keep-alive connection each, send
   ``POST /api/v1/checkin`` with a mix of new tickets, repeated scans (already checked in) and
   refusals (forged, cancelled, other event), and, with the same desks and pacing, the bare
   ``GET /healthz`` (one ``SELECT 1``), in two ways:
   * paced: each desk scans every BENCH_DESK_INTERVAL seconds (0.1 s: 160 scans/s in all, far
     busier than a real door, where a desk manages about one scan every 2 s); latency counts
     from the planned start, so a slow answer is also charged for the scans it delays. The
     goal applies here: p99 under 20 ms at 16 desks.
   * flat out: each desk scans again the moment it has its answer (the server's capacity; on
     2 shared cores the latency then is mostly queueing).
3. Print requests/s and p50/p95/p99 of each, per kind of answer too, the ratios to /healthz,
   the goal line; check that the database holds exactly one check-in per ``checked_in``
   answer; write bench/results/checkin.json; drop the database.

The load generator is a minimal HTTP/1.1 keep-alive client on asyncio streams in this process
(httpx costs more per request than the server does, which would blur the figures; wrk is not
installed here). Knobs (environment): BENCH_PG, BENCH_WORKERS, BENCH_DURATION (10 s),
BENCH_WARMUP (2 s), BENCH_DESKS (16), BENCH_DESK_INTERVAL (0.1 s), BENCH_PEOPLE (2,000).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_throughput import (  # noqa: E402
    DURATION,
    WARMUP,
    WORKERS,
    _admin,
    _url_for,
    serve,
    server_env,
)

DESKS = int(os.environ.get("BENCH_DESKS", "16"))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "2000"))
INTERVAL = float(os.environ.get("BENCH_DESK_INTERVAL", "0.1"))  # seconds between one desk's scans (paced)
GOAL_P99_MS = 20.0
RESULTS = ROOT / "bench" / "results" / "checkin.json"
SLUG, OTHER_SLUG = "bench-door", "bench-door-other"
WARM_CHECKED_IN = 100  # checked in before the run: the warm-up repeats them
# Each desk's requests cycle through this pattern; "new" falls back to a repeat once the desk's
# share of the tickets is used up (the answers are counted by kind, whatever the mix became).
PATTERN = ("new", "repeat", "new", "refuse", "repeat", "new", "repeat", "refuse", "new", "repeat")


# --- seeding ---------------------------------------------------------------------------------


async def _seed(url: str, env: dict[str, str]) -> dict[str, Any]:
    """The events, people and a check-in token; returns the codes the desks will scan."""
    from events_app import db
    from events_app.auth.models import Role
    from events_app.auth.service import create_api_token, create_user
    from events_app.badges.tickets import CODE_PREFIX, new_secret
    from events_app.checkin.models import CheckIn, CheckInSource
    from events_app.events.models import Event, EventKind, EventStatus
    from events_app.events.schemas import EventInput
    from events_app.events.service import create_event
    from events_app.organisations.models import Organisation, OrganisationKind
    from events_app.registration.models import Registration, RegistrationStatus
    from events_app.settings import configure_settings, load_settings

    configure_settings(load_settings(env))
    await db.migrate_db(url)
    await db.init_db(url)
    try:
        start = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
        events = {}
        for slug, capacity in ((SLUG, PEOPLE + 200), (OTHER_SLUG, 300)):
            events[slug] = await create_event(data=EventInput(
                slug=slug, title=f"Bench {slug}", kind=EventKind.CONFERENCE, timezone="Europe/Brussels",
                starts_at=start, ends_at=start + timedelta(hours=8), venue_name="Bench venue", capacity=capacity,
                status=EventStatus.PUBLISHED,
            ))
        organisations = [
            await Organisation.create(name=f"City of Benchtown {n}", name_key=f"city of benchtown {n}",
                                      kind=OrganisationKind.MUNICIPALITY, country="BE")
            for n in range(20)
        ]
        now = datetime.now(UTC)

        async def people(event: Event, count: int, status: RegistrationStatus, label: str) -> list[str]:
            rows = [
                Registration(
                    uid=uuid.uuid4(), event_id=event.id, organisation_id=organisations[n % 20].id,
                    name=f"{label} {n}", email=f"{label.lower()}{n}@bench.example.org",
                    email_key=f"{label.lower()}{n}@bench.example.org", status=status, consent_version="bench",
                    consent_at=now, ticket_secret=new_secret(), confirmed_at=now,
                    cancelled_at=now if status == RegistrationStatus.CANCELLED else None,
                )
                for n in range(count)
            ]
            await Registration.bulk_create(rows, batch_size=500)
            return [CODE_PREFIX + r.ticket_secret for r in rows]  # type: ignore[operator]

        live = await people(events[SLUG], PEOPLE, RegistrationStatus.CONFIRMED, "Attendee")
        cancelled = await people(events[SLUG], 100, RegistrationStatus.CANCELLED, "Cancelled")
        other = await people(events[OTHER_SLUG], 200, RegistrationStatus.CONFIRMED, "Elsewhere")
        await Event.filter(id=events[SLUG].id).update(confirmed_count=PEOPLE)
        await Event.filter(id=events[OTHER_SLUG].id).update(confirmed_count=200)
        warm = live[:WARM_CHECKED_IN]
        warm_ids = await Registration.filter(ticket_secret__in=[c[len(CODE_PREFIX):] for c in warm]).values_list(
            "id", flat=True)
        await CheckIn.bulk_create([
            CheckIn(event_id=events[SLUG].id, registration_id=rid, checked_in_at=now, desk="Warm-up",
                    source=CheckInSource.API)
            for rid in warm_ids
        ])
        user = await create_user(email="door@bench.example.org", password="bench-door-password", role=Role.CHECKIN)
        token = await create_api_token(email=user.email, label="bench")
        rng = random.Random(4)
        forged = [CODE_PREFIX + new_secret() for _ in range(200)] + [
            c[:-1] + ("A" if c[-1] != "A" else "B") for c in rng.sample(live, 200)]
        return {"token": token, "new": live[WARM_CHECKED_IN:], "repeat": warm, "cancelled": cancelled,
                "other": other, "forged": forged}
    finally:
        await db.close_db()


async def _database_counts(url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT action, count(*) AS n FROM checkin_log GROUP BY action")
        counts = {f"log_{row['action']}": int(row["n"]) for row in rows}
        counts["checkin_rows"] = int(await conn.fetchval("SELECT count(*) FROM checkin"))
        return counts
    finally:
        await conn.close()


# --- load: a tiny keep-alive HTTP/1.1 client -------------------------------------------------


class Connection:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def _figures(latencies: list[float], seconds: float) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(_percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(_percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies, default=0.0) * 1000, 2),
    }


async def _run(base: str, seconds: float, request_for: Any, interval: float | None = None) -> dict[str, Any]:
    """DESKS connections, each one request at a time for ``seconds``; ``request_for(desk, i)``
    gives (method, path, headers, body). Latency by answer kind (from the JSON status or error code).

    ``interval``: each desk starts a request every ``interval`` seconds (the desks' clocks are
    staggered), and latency counts from the planned start, so a slow answer that delays the
    next scan is charged to it (no coordinated omission). None: the next request as soon as
    the answer is in (closed loop, the server's capacity).
    """
    by_kind: dict[str, list[float]] = {}
    statuses: Counter[str] = Counter()
    errors = 0
    began = time.perf_counter()
    deadline = began + seconds

    async def desk(n: int) -> None:
        nonlocal errors
        conn = Connection(base)
        i = 0
        planned = began + (interval * n / DESKS if interval else 0.0)
        try:
            while time.perf_counter() < deadline:
                method, path, headers, body = request_for(n, i)
                i += 1
                if interval:
                    await asyncio.sleep(max(0.0, planned - time.perf_counter()))
                    started = planned
                    planned += interval
                else:
                    started = time.perf_counter()
                try:
                    status, payload = await conn.request(method, path, headers, body)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    errors += 1
                    conn.close()
                    conn = Connection(base)
                    continue
                elapsed = time.perf_counter() - started
                statuses[str(status)] += 1
                answer = json.loads(payload) if payload.startswith(b"{") else {}
                kind = answer.get("status") if status == 200 else answer.get("error", {}).get("code", str(status))
                by_kind.setdefault(str(kind), []).append(elapsed)
        finally:
            conn.close()

    await asyncio.gather(*(desk(n) for n in range(DESKS)))
    elapsed = time.perf_counter() - began
    everything = [x for values in by_kind.values() for x in values]
    return {
        **_figures(everything, elapsed),
        "seconds": round(elapsed, 2),
        "statuses": dict(statuses),
        "socket_errors": errors,
        "by_answer": {kind: _figures(values, elapsed) for kind, values in sorted(by_kind.items())},
    }


def _checkin_requests(codes: dict[str, Any], *, warm: bool) -> Any:
    """Each desk's stream of scans: its own slice of the new tickets, repeats and refusals."""
    headers = {"Authorization": f"Bearer {codes['token']}", "Content-Type": "application/json"}
    refusals = codes["forged"] + codes["cancelled"] + codes["other"]
    shares = [codes["new"][n::DESKS] for n in range(DESKS)]
    rngs = [random.Random(n) for n in range(DESKS)]

    def request_for(desk: int, i: int) -> tuple[str, str, dict[str, str], bytes]:
        rng = rngs[desk]
        kind = "repeat" if warm and PATTERN[i % len(PATTERN)] == "new" else PATTERN[i % len(PATTERN)]
        if kind == "new" and shares[desk]:
            code = shares[desk].pop()
        elif kind == "refuse":
            code = rng.choice(refusals)
        else:
            code = rng.choice(codes["repeat"])
        body = json.dumps({"event": SLUG, "code": code, "desk": f"Desk {desk + 1}"}).encode()
        return "POST", "/api/v1/checkin", headers, body

    return request_for


def _healthz(desk: int, i: int) -> tuple[str, str, dict[str, str], bytes]:
    return "GET", "/healthz", {}, b""


def _print(name: str, figures: dict[str, Any]) -> None:
    print(
        f"  {name:<22} {figures['requests_per_s']:>8.1f} req/s   p50 {figures['p50_ms']:>6.2f} ms"
        f"   p95 {figures['p95_ms']:>6.2f} ms   p99 {figures['p99_ms']:>6.2f} ms   max {figures['max_ms']:>7.2f} ms",
        flush=True,
    )


def measure(base: str, name: str, request_for: Any, warm_up: Any, interval: float | None) -> dict[str, Any]:
    if WARMUP:
        asyncio.run(_run(base, WARMUP, warm_up, interval))
    figures = asyncio.run(_run(base, DURATION, request_for, interval))
    figures["interval_s"] = interval
    _print(name, figures)
    if name.startswith("checkin"):
        for kind, sub in figures["by_answer"].items():
            _print(f"  - {kind}", sub)
    return figures


def _ratio(a: float, b: float, digits: int) -> float:
    return round(a / b, digits) if b else 0.0


def main() -> int:
    name = f"events_bench_{uuid.uuid4().hex[:10]}"
    url = _url_for(name)
    work = Path(tempfile.mkdtemp(prefix="events-bench-checkin-"))
    env = server_env(url, work)
    print(
        f"Check-in API: {WORKERS} uvicorn worker(s), {DESKS} desks (one connection each), {WARMUP} s warm-up + "
        f"{DURATION} s per phase, {PEOPLE:,} people with tickets, database {name}.\n"
        f"Paced: each desk scans every {INTERVAL * 1000:.0f} ms ({DESKS / INTERVAL:.0f} scans/s in all; a real desk "
        "manages about one every 2 s). Flat out: each desk scans again as soon as it has its answer.",
        flush=True,
    )
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    phases: dict[str, dict[str, Any]] = {}
    try:
        codes = asyncio.run(_seed(url, env))
        scans, warm_scans = _checkin_requests(codes, warm=False), _checkin_requests(codes, warm=True)
        with serve("events_app.main:create_app_from_env", env, work / "app.log") as base:
            phases["healthz_paced"] = measure(base, "healthz_paced", _healthz, _healthz, INTERVAL)
            phases["checkin_paced"] = measure(base, "checkin_paced", scans, warm_scans, INTERVAL)
            phases["healthz_flat_out"] = measure(base, "healthz_flat_out", _healthz, _healthz, None)
            phases["checkin_flat_out"] = measure(base, "checkin_flat_out", scans, warm_scans, None)
        counts = asyncio.run(_database_counts(url))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)

    answers: Counter[str] = Counter()
    for phase in ("checkin_paced", "checkin_flat_out"):
        answers.update({kind: sub["requests"] for kind, sub in phases[phase]["by_answer"].items()})
    server_errors = sum(n for phase in phases.values() for status, n in phase["statuses"].items()
                        if status.startswith("5")) + sum(phase["socket_errors"] for phase in phases.values())
    # warm-up scans are repeats and refusals only: every check-in row is the seed's or a measured "checked_in"
    consistent = counts["checkin_rows"] == WARM_CHECKED_IN + answers.get("checked_in", 0)
    paced, flat = phases["checkin_paced"], phases["checkin_flat_out"]
    goal = "PASS" if paced["p99_ms"] < GOAL_P99_MS and server_errors == 0 and consistent else "MISS"
    verdict = {
        "paced_p99_ratio_to_healthz": _ratio(paced["p99_ms"], phases["healthz_paced"]["p99_ms"], 2),
        "flat_out_rps_ratio_to_healthz": _ratio(flat["requests_per_s"], phases["healthz_flat_out"]["requests_per_s"], 3),
        "flat_out_p99_ratio_to_healthz": _ratio(flat["p99_ms"], phases["healthz_flat_out"]["p99_ms"], 2),
        "errors": server_errors,
        "one_row_per_checked_in": consistent,
        "p99_goal_paced": goal,
        "p99_goal_flat_out": "PASS" if flat["p99_ms"] < GOAL_P99_MS else "MISS",
    }
    print(f"\nAnswers: {dict(answers)}; database: {counts}")
    print(f"  paced: check-in p99 x{verdict['paced_p99_ratio_to_healthz']:.2f} of /healthz's")
    print(f"  flat out: check-in req/s x{verdict['flat_out_rps_ratio_to_healthz']:.3f} of /healthz's, "
          f"p99 x{verdict['flat_out_p99_ratio_to_healthz']:.2f}")
    print(f"  5xx or socket errors: {server_errors}; one check-in row per 'checked_in' answer: {consistent}")
    print(f"check-in p99 < {GOAL_P99_MS:.0f} ms at {DESKS} desks: {goal} ({paced['p99_ms']:.2f} ms, each desk "
          f"scanning every {INTERVAL * 1000:.0f} ms)")
    print(f"  (flat out, {flat['requests_per_s']:.0f} scans/s: p99 {flat['p99_ms']:.2f} ms, "
          f"{verdict['p99_goal_flat_out']} against the same line)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(), "workers": WORKERS,
        "desks": DESKS, "desk_interval_s": INTERVAL, "people": PEOPLE, "warmup_s": WARMUP, "duration_s": DURATION,
        "pattern": PATTERN, "phases": phases, "database": counts, "goal": verdict,
    }, indent=2) + "\n")
    print(f"\nFigures written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
