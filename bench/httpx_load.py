"""Fallback load generator when `wrk` is not installed: asyncio + httpx, in its own process.

    python bench/httpx_load.py URL PREFIX CONNECTIONS SECONDS

Each of CONNECTIONS clients sends one request at a time for SECONDS; prints one
line ``BENCH_JSON {...}`` in the same shape as bench/post_json.lua. Python's
client overhead caps what it can measure well below what wrk can (a few
thousand requests/s), so prefer wrk.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

import httpx


async def run(url: str, prefix: str, connections: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def worker(n: int) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                body = {
                    "name": f"Bench Person {i}",
                    "email": f"{prefix}-{n}-{i}@bench.example.org",
                    "job_title": "Buyer",
                    "organisation": "City of Ghent",
                    "organisation_kind": "municipality",
                    "country": "BE",
                    "consent": True,
                }
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[str(response.status_code)] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - began

    latencies.sort()

    def pct(p: float) -> int:
        return (
            int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6)
            if latencies
            else 0
        )

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "socket_errors": errors,
        "timeouts": 0,
        "p50_us": pct(50),
        "p95_us": pct(95),
        "p99_us": pct(99),
        "max_us": int(latencies[-1] * 1e6) if latencies else 0,
        "statuses": dict(statuses),
    }


if __name__ == "__main__":
    url, prefix, connections, seconds = (
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    print("BENCH_JSON " + json.dumps(asyncio.run(run(url, prefix, connections, seconds))))
