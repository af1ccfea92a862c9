"""Matching engine benchmark (`make bench`, issue 5 acceptance 6).

Cases, on seeded realistic instances (``matching.generate``: GPP topics, EU countries and
their languages, 75% also working in English, a few blocks and past partners):

- peer mode with N = 200, 1,000 and 5,000 candidates;
- mentoring with 5,000 mentees and 2,500 mentors of capacity 2.

Each case is timed end to end: ``load_problem`` (validation) + ``solve`` + ``to_dict`` +
``json.dumps``, as the CLI does. Printed and written to bench/results/matching.json: wall
time, total score, upper bound, total / upper bound, whether the result is proven optimal,
the solver, and a SHA-256 of the output (the same seed must give the same bytes). Goals: N = 5,000 under 10 s with total >= 0.999 of the upper bound; N <= 1,000
exact. ``--quick`` runs only the two small peer cases.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import load_problem, solve  # noqa: E402
from matching.generate import random_document  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "matching.json"
GOAL_SECONDS = 10.0
GOAL_RATIO = 0.999
SEED = 2026
CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("peer N=200", {"n": 200, "mode": "peer"}),
    ("peer N=1000", {"n": 1000, "mode": "peer"}),
    ("peer N=5000", {"n": 5000, "mode": "peer"}),
    ("mentoring 5000 mentees + 2500 mentors x2",
     {"n": 7500, "mode": "mentoring", "mentors": 2500, "capacity": 2}),
)


def run_case(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    document = random_document(seed=SEED, **spec)
    started = time.perf_counter()
    problem = load_problem(document)
    result = solve(problem.candidates, problem.options)
    output = json.dumps(result.to_dict(), sort_keys=True)
    seconds = time.perf_counter() - started
    n = len(problem.candidates)
    goal_ratio = 1.0 if n <= 1000 else GOAL_RATIO
    return {
        "case": name,
        "candidates": n,
        "seconds": round(seconds, 3),
        "pairs": len(result.pairs),
        "unmatched": len(result.unmatched),
        "total_score": round(result.total_score, 6),
        "upper_bound": round(result.upper_bound, 6),
        "ratio": round(result.ratio, 6),
        "exact": result.exact,
        "solver": result.solver,
        "output_bytes": len(output),
        "output_sha256": hashlib.sha256(output.encode()).hexdigest(),
        "goal": f"exact, under {GOAL_SECONDS:.0f} s" if n <= 1000
        else f">= {GOAL_RATIO} of the bound, under {GOAL_SECONDS:.0f} s",
        "pass": seconds < GOAL_SECONDS and result.ratio >= goal_ratio - 1e-12
        and (result.exact or n > 1000),
    }


def main() -> int:
    quick = "--quick" in sys.argv
    rows = []
    header = f"{'case':42} {'N':>6} {'time s':>7} {'pairs':>6} {'total':>11} {'bound':>11} " \
             f"{'ratio':>9} {'exact':>5}  result"
    print(header)
    print("-" * len(header))
    for name, spec in CASES[:2] if quick else CASES:
        row = run_case(name, spec)
        rows.append(row)
        print(f"{row['case']:42} {row['candidates']:>6} {row['seconds']:>7.2f} "
              f"{row['pairs']:>6} {row['total_score']:>11.3f} {row['upper_bound']:>11.3f} "
              f"{row['ratio']:>9.6f} {str(row['exact']):>5}  {'PASS' if row['pass'] else 'MISS'}",
              flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not quick:
        RESULTS.write_text(json.dumps({
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "seed": SEED,
            "cases": rows,
        }, indent=2) + "\n")
        print(f"written {RESULTS.relative_to(ROOT)}")
    return 0 if all(row["pass"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
