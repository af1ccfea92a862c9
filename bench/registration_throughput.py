"""Registration throughput against a one-INSERT baseline, on PostgreSQL (`make bench`).

1. Create a throwaway database, migrate it, create two events: one with room
   for everyone (capacity 100,000) and one that is full (capacity 0).
2. Serve the real app (``events_app.main:create_app_from_env``) and load
   ``POST /api/v1/events/{slug}/registrations`` with distinct emails: first the
   open event (everyone confirmed), then the full one (everyone waitlisted).
3. Serve the bench app (``bench.baseline_app:create_baseline_app``: the real app
   plus ``POST /bench/insert``, one Tortoise INSERT) with the same uvicorn
   settings, workers, database and pool, and load it the same way.
4. Print requests/s and p50/p95/p99 latency, the ratio registrations/baseline,
   PASS/MISS for the goals, write bench/results/latest.json, drop the database.

Load: ``wrk`` (32 connections, warm-up then a fixed duration), or the asyncio
httpx generator in bench/httpx_load.py when wrk is not installed.
Knobs (environment): BENCH_PG (server URL), BENCH_WORKERS (default: CPU count),
BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (2 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
WORKERS = int(os.environ.get("BENCH_WORKERS") or os.cpu_count() or 2)
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0
RESULTS = ROOT / "bench" / "results" / "latest.json"
LUA = ROOT / "bench" / "post_json.lua"
OPEN_SLUG, FULL_SLUG = "bench-open", "bench-full"


# --- database -----------------------------------------------------------------------------


def _url_for(name: str) -> str:
    parts = urlsplit(PG_SERVER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


async def _admin(sql: str) -> None:
    import asyncpg

    parts = urlsplit(PG_SERVER)
    conn = await asyncpg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        database=parts.path.strip("/") or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _prepare(url: str) -> None:
    from events_app import db
    from events_app.events.models import EventKind, EventStatus
    from events_app.events.schemas import EventInput
    from events_app.events.service import create_event

    await db.migrate_db(url)
    await db.init_db(url)
    try:
        start = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
        for slug, capacity in ((OPEN_SLUG, 100_000), (FULL_SLUG, 0)):
            await create_event(
                data=EventInput(
                    slug=slug,
                    title=f"Bench {slug}",
                    kind=EventKind.SEMINAR,
                    timezone="Europe/Brussels",
                    starts_at=start,
                    ends_at=start + timedelta(hours=8),
                    venue_name="Bench venue",
                    capacity=capacity,
                    status=EventStatus.PUBLISHED,
                )
            )
    finally:
        await db.close_db()


async def _counts(url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT e.slug || ':' || r.status AS key, count(*) AS n FROM registration r "
            "JOIN event e ON e.id = r.event_id GROUP BY 1"
        )
        counts = {row["key"]: int(row["n"]) for row in rows}
        counts["outbox_messages"] = int(await conn.fetchval("SELECT count(*) FROM outbox_message"))
        return counts
    finally:
        await conn.close()


# --- servers ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(factory: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run ``uvicorn <factory> --factory`` with the bench's settings; yield its base URL."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--proxy-headers",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited early:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        time.sleep(0.5)  # let every worker finish its start-up
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- load ---------------------------------------------------------------------------------


def _load(base: str, path: str, prefix: str, seconds: int) -> dict[str, Any]:
    """Run the load generator once; return its figures (latencies in ms)."""
    if shutil.which("wrk"):
        threads = max(1, min(2, os.cpu_count() or 1))
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            base,
            "--",
            path,
            prefix,
        ]
    else:
        command = [
            sys.executable,
            str(ROOT / "bench" / "httpx_load.py"),
            base + path,
            prefix,
            str(CONNECTIONS),
            str(seconds),
        ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(
            f"load generator failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    return {
        "tool": command[0] if command[0] == "wrk" else "httpx_load",
        "requests": raw["requests"],
        "seconds": round(duration, 2),
        "requests_per_s": round(raw["requests"] / duration, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "statuses": statuses,
        "server_errors": sum(n for s, n in statuses.items() if s.startswith("5")),
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
    }


def measure(base: str, path: str, name: str) -> dict[str, Any]:
    if WARMUP:
        _load(base, path, f"warm-{name}", WARMUP)
    figures = _load(base, path, f"run-{name}", DURATION)
    print(
        f"  {name:<24} {figures['requests_per_s']:>8.1f} req/s   p50 {figures['p50_ms']:>6.2f} ms"
        f"   p95 {figures['p95_ms']:>6.2f} ms   p99 {figures['p99_ms']:>6.2f} ms   statuses {figures['statuses']}",
        flush=True,
    )
    return figures


# --- report -------------------------------------------------------------------------------


def verdicts(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    baseline = phases["baseline_insert"]["requests_per_s"]
    out: dict[str, Any] = {}
    for name in ("registration_confirmed", "registration_waitlisted"):
        figures = phases[name]
        ratio = figures["requests_per_s"] / baseline if baseline else 0.0
        clean = (
            figures["server_errors"] == 0
            and figures["socket_errors"] == 0
            and figures["timeouts"] == 0
        )
        out[name] = {
            "ratio_to_baseline": round(ratio, 3),
            "ratio_goal": "PASS" if ratio >= GOAL_RATIO else "MISS",
            "p99_goal": "PASS" if figures["p99_ms"] < GOAL_P99_MS else "MISS",
            "no_errors": "PASS" if clean else "MISS",
        }
    return out


def server_env(url: str, work: Path) -> dict[str, str]:
    """The environment of the benchmarked server: its database, no rate limit, mail to files."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-" + "x" * 40,
        "BASE_URL": "http://127.0.0.1:8000",
        "RATE_LIMIT": "off",
        "SMTP_URL": f"file://{work / 'mail'}",
        "EVENTS_APP_VAR_DIR": str(work / "var"),
        "PYTHONPATH": str(ROOT),
    }


def main() -> int:
    name = f"events_bench_{uuid.uuid4().hex[:10]}"
    url = _url_for(name)
    work = Path(tempfile.mkdtemp(prefix="events-bench-"))
    env = server_env(url, work)
    print(
        f"Registration throughput: {WORKERS} uvicorn worker(s), {CONNECTIONS} connections, "
        f"{WARMUP} s warm-up + {DURATION} s per phase, database {name}",
        flush=True,
    )
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    phases: dict[str, dict[str, Any]] = {}
    try:
        asyncio.run(_prepare(url))
        with serve("events_app.main:create_app_from_env", env, work / "app.log") as base:
            phases["registration_confirmed"] = measure(
                base, f"/api/v1/events/{OPEN_SLUG}/registrations", "registration_confirmed"
            )
            phases["registration_waitlisted"] = measure(
                base, f"/api/v1/events/{FULL_SLUG}/registrations", "registration_waitlisted"
            )
        with serve("bench.baseline_app:create_baseline_app", env, work / "baseline.log") as base:
            phases["baseline_insert"] = measure(base, "/bench/insert", "baseline_insert")
        counts = asyncio.run(_counts(url))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)

    goals = verdicts(phases)
    print(f"\nRows written: {counts}")
    print(f"Goals: ratio registrations/baseline >= {GOAL_RATIO}, p99 < {GOAL_P99_MS:.0f} ms")
    for phase, verdict in goals.items():
        print(
            f"  {phase:<24} ratio {verdict['ratio_to_baseline']:.3f} {verdict['ratio_goal']}   "
            f"p99 {phases[phase]['p99_ms']:.2f} ms {verdict['p99_goal']}   errors {verdict['no_errors']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "workers": WORKERS,
                "connections": CONNECTIONS,
                "warmup_s": WARMUP,
                "duration_s": DURATION,
                "phases": phases,
                "goals": goals,
                "rows": counts,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nFigures written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
