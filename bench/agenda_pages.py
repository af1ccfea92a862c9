"""Public agenda page and event feed beside a bare endpoint, on PostgreSQL (`make bench`).

1. Create a throwaway database, migrate it, seed a 3-day conference: 150 published
   sessions in 7 rooms and 5 tracks, 60 speakers, 400 registered attendees.
2. Serve the real app (``events_app.main:create_app_from_env``, same uvicorn settings
   as bench/registration_throughput.py) and load, one after the other, with the same
   load tool and settings: ``GET /healthz`` (the bare endpoint: one ``SELECT 1``),
   ``GET /events/{slug}/agenda`` and ``GET /events/{slug}/calendar.ics``.
3. Print requests/s and p50/p95/p99 of each, the ratios to the bare endpoint and
   PASS/MISS for the goal (p99 under 30 ms, no errors); write
   bench/results/agenda_pages.json; drop the database.

Load: ``wrk`` (a GET script written to a temporary file) or, without wrk, an asyncio
httpx generator in this file (``--load``). Knobs (environment) as in the other bench:
BENCH_PG, BENCH_WORKERS, BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (2 s).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_throughput import (  # noqa: E402
    CONNECTIONS,
    DURATION,
    WARMUP,
    WORKERS,
    _admin,
    _url_for,
    serve,
    server_env,
)

GOAL_P99_MS = 30.0
RESULTS = ROOT / "bench" / "results" / "agenda_pages.json"
SLUG = "bench-agenda"
ZONE = "Europe/Brussels"
ROOMS = (("Plenary hall", 500), ("Room A", 60), ("Room B", 60), ("Room C", 40), ("Room D", 40), ("Room E", 30), ("Room F", 30))
TRACKS = ("Food and catering", "Clean vehicles", "Construction", "Circular ICT", "Innovation procurement")
KINDS = ("plenary", "workshop", "workshop", "site_visit", "networking", "webinar", "workshop")
COUNTRIES = ("BE", "DE", "ES", "FR", "IT", "NL", "PL", "PT", "SE", "SI", "AT", "DK")

# No response() callback: defining one makes wrk hand every body (here 100 kB) to Lua, which
# would slow the load generator on the big pages and not on the bare endpoint.
GET_LUA = """
local path
function init(args) path = args[1] end
function request() return wrk.format("GET", path) end
function done(summary, latency, requests)
  local bad = summary.errors.status
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"statuses":{"2xx":%d,"other":%d}}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests - bad, bad))
end
"""


# --- seeding (also used by tests/agenda/test_query_count.py) ---------------------------------


async def seed_conference(
    *, slug: str = SLUG, sessions: int = 150, speakers: int = 60, attendees: int = 400, days: int = 3
) -> Any:
    """A published ``days``-day conference with ``sessions`` published sessions (hourly slots,
    09:00-17:00, in 7 rooms and 5 tracks, two speakers each), ``speakers`` speakers and
    ``attendees`` confirmed registrations. Needs Tortoise initialised; returns the Event."""
    from tortoise.transactions import in_transaction

    from events_app.agenda.models import AgendaSession, SessionStatus
    from events_app.agenda.schemas import RoomInput, SpeakerInput
    from events_app.agenda.service import (
        create_room,
        create_speaker,
        find_or_create_track,
        publish_agenda,
    )
    from events_app.events.models import EventKind, EventStatus
    from events_app.events.schemas import EventInput
    from events_app.events.service import create_event
    from events_app.registration.schemas import RegistrationInput
    from events_app.registration.service import register_attendee

    zone = ZoneInfo(ZONE)
    first_day = (datetime.now(zone) + timedelta(days=30)).date()

    def local(day: int, hour: int, minute: int = 0) -> datetime:
        moment = datetime(first_day.year, first_day.month, first_day.day, hour, minute, tzinfo=zone)
        return moment + timedelta(days=day)

    event = await create_event(
        data=EventInput(
            slug=slug, title="EcoProcura bench conference", kind=EventKind.CONFERENCE, timezone=ZONE,
            description="Three days of sustainable public procurement.",
            starts_at=local(0, 8).astimezone(UTC), ends_at=local(days - 1, 18).astimezone(UTC),
            venue_name="Bench congress centre", venue_address="Rue de la Loi 1, Brussels",
            capacity=max(attendees, 1) + 100, status=EventStatus.PUBLISHED,
        )
    )
    rooms = [await create_room(event=event, data=RoomInput(name=name, seats=seats)) for name, seats in ROOMS]
    async with in_transaction() as conn:
        tracks = [await find_or_create_track(event=event, name=name, conn=conn) for name in TRACKS]
    people = [
        await create_speaker(
            event=event,
            data=SpeakerInput(
                name=f"Speaker {n + 1}", organisation=f"City of Benchtown {n % 17 + 1}", country=COUNTRIES[n % len(COUNTRIES)],
                bio="Leads the sustainable procurement team of the city. " * 3,
            ),
        )
        for n in range(speakers)
    ]
    per_day = math.ceil(sessions / days)
    rows = []
    for n in range(sessions):
        day, j = divmod(n, per_day)
        slot, room_index = divmod(j, len(rooms))
        kind = KINDS[room_index % len(KINDS)]
        starts = local(day, 9 + slot % 9)
        rows.append(
            AgendaSession(
                uid=uuid.uuid4(), event_id=event.id, title=f"Session {n + 1}: {TRACKS[n % len(TRACKS)]} in practice",
                description="What worked, what did not, and what the next tender will do differently.",
                kind=kind, starts_at=starts, ends_at=starts + timedelta(minutes=50),
                room_id=rooms[room_index].id, track_id=tracks[n % len(tracks)].id,
                capacity=30 if kind in ("workshop", "site_visit") else None,
                online_url=f"https://meet.example.org/j/bench-{n}" if kind == "webinar" else "",
                speaker_ids=[people[(2 * n) % len(people)].id, people[(2 * n + 1) % len(people)].id] if people else [],
                status=SessionStatus.DRAFT,
            )
        )
    await AgendaSession.bulk_create(rows)
    await publish_agenda(event=event, actor="bench")
    for n in range(attendees):
        await register_attendee(
            slug=slug,
            data=RegistrationInput(
                name=f"Attendee {n + 1}", email=f"attendee{n + 1}@bench.example.org", job_title="Buyer",
                organisation=f"City of Benchtown {n % 40 + 1}", organisation_kind="municipality",
                country=COUNTRIES[n % len(COUNTRIES)], consent=True,
            ),
        )
    return event


async def _prepare(url: str, env: dict[str, str]) -> None:
    from events_app import db
    from events_app.settings import configure_settings, load_settings

    configure_settings(load_settings(env))
    await db.migrate_db(url)
    await db.init_db(url)
    try:
        await seed_conference()
    finally:
        await db.close_db()


# --- load --------------------------------------------------------------------------------


async def _httpx_get_load(url: str, connections: int, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses["2xx" if response.status_code < 300 else "other"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6) if latencies else 0

    return {
        "requests": len(latencies), "duration_us": int(elapsed * 1e6), "socket_errors": errors, "timeouts": 0,
        "p50_us": pct(50), "p95_us": pct(95), "p99_us": pct(99),
        "max_us": int(latencies[-1] * 1e6) if latencies else 0, "statuses": dict(statuses),
    }


def _load(base: str, path: str, seconds: int, lua: Path) -> dict[str, Any]:
    if shutil.which("wrk"):
        threads = max(1, min(2, os.cpu_count() or 1))
        command = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(lua), base, "--", path]
    else:
        command = [sys.executable, str(Path(__file__)), "--load", base + path, str(CONNECTIONS), str(seconds)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"load generator failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    return {
        "tool": "wrk" if command[0] == "wrk" else "httpx",
        "requests": raw["requests"],
        "seconds": round(duration, 2),
        "requests_per_s": round(raw["requests"] / duration, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "statuses": statuses,
        "errors": statuses.get("other", 0) + raw["socket_errors"] + raw["timeouts"],
    }


def measure(base: str, path: str, name: str, lua: Path) -> dict[str, Any]:
    if WARMUP:
        _load(base, path, WARMUP, lua)
    figures = _load(base, path, DURATION, lua)
    print(
        f"  {name:<14} {figures['requests_per_s']:>8.1f} req/s   p50 {figures['p50_ms']:>6.2f} ms"
        f"   p95 {figures['p95_ms']:>6.2f} ms   p99 {figures['p99_ms']:>6.2f} ms   statuses {figures['statuses']}",
        flush=True,
    )
    return figures


def main() -> int:
    name = f"events_bench_{uuid.uuid4().hex[:10]}"
    url = _url_for(name)
    work = Path(tempfile.mkdtemp(prefix="events-bench-agenda-"))
    lua = work / "get.lua"
    lua.write_text(GET_LUA)
    env = server_env(url, work)
    print(
        f"Agenda pages: {WORKERS} uvicorn worker(s), {CONNECTIONS} connections, {WARMUP} s warm-up + "
        f"{DURATION} s per phase, database {name}; seeding 150 sessions, 60 speakers, 400 attendees",
        flush=True,
    )
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    phases: dict[str, dict[str, Any]] = {}
    try:
        asyncio.run(_prepare(url, env))
        with serve("events_app.main:create_app_from_env", env, work / "app.log") as base:
            phases["bare_healthz"] = measure(base, "/healthz", "bare_healthz", lua)
            phases["agenda_page"] = measure(base, f"/events/{SLUG}/agenda", "agenda_page", lua)
            phases["event_feed"] = measure(base, f"/events/{SLUG}/calendar.ics", "event_feed", lua)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)

    bare = phases["bare_healthz"]
    goals: dict[str, Any] = {}
    print(f"\nGoal: p99 < {GOAL_P99_MS:.0f} ms, no errors. Ratios to the bare endpoint (same run, same load):")
    for phase in ("agenda_page", "event_feed"):
        figures = phases[phase]
        goals[phase] = {
            "rps_ratio_to_bare": round(figures["requests_per_s"] / bare["requests_per_s"], 3) if bare["requests_per_s"] else 0.0,
            "p99_ratio_to_bare": round(figures["p99_ms"] / bare["p99_ms"], 2) if bare["p99_ms"] else 0.0,
            "p99_goal": "PASS" if figures["p99_ms"] < GOAL_P99_MS else "MISS",
            "no_errors": "PASS" if figures["errors"] == 0 else "MISS",
        }
        g = goals[phase]
        print(
            f"  {phase:<14} req/s x{g['rps_ratio_to_bare']:.3f} of bare   p99 {figures['p99_ms']:.2f} ms "
            f"(x{g['p99_ratio_to_bare']:.2f} of bare) {g['p99_goal']}   errors {g['no_errors']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(), "workers": WORKERS,
                "connections": CONNECTIONS, "warmup_s": WARMUP, "duration_s": DURATION,
                "seed": {"sessions": 150, "speakers": 60, "attendees": 400, "days": 3},
                "phases": phases, "goals": goals,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nFigures written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--load":
        figures = asyncio.run(_httpx_get_load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
        print("BENCH_JSON " + json.dumps(figures))
        sys.exit(0)
    sys.exit(main())
