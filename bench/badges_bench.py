"""Badge PDF benchmark (`make bench`, issue 4 acceptance 6).

1,000 attendees (names in Latin with accents, Greek, Cyrillic and Icelandic; organisations;
all five roles; 0 to 4 confirmed sessions each for the fold layout's back) rendered from
in-memory Badge objects, exactly as ``events_app.badges.service.render_badges`` does for the
CLI and the background job, in each layout: a6, a4-4up and fold. The QR cache is emptied
before every run, so each run makes its 1,000 QR codes.

Baseline, in the same run: the same names as plain text pages (one A6 page per name, drawn
with ``drawString`` in the same embedded DejaVu font, same page compression) with the same
library (reportlab). Each case runs ``BENCH_REPEAT`` times (default 3); the median is kept.

Printed and written to bench/results/badges.json: wall time, badges/s, ratio to the baseline,
pages, PDF size; goal line "1000 A6 badges in < 5 s: PASS/MISS".
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from events_app.badges.layouts import LAYOUTS  # noqa: E402
from events_app.badges.pdf import BADGE_H, BADGE_W, Badge, BadgeEvent, SessionLine  # noqa: E402
from events_app.badges.qr import qr_path  # noqa: E402
from events_app.badges.service import render_badges  # noqa: E402
from events_app.badges.text import REGULAR, register_fonts  # noqa: E402
from events_app.badges.tickets import CODE_PREFIX, new_secret  # noqa: E402

N = int(os.environ.get("BENCH_BADGES", "1000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
GOAL_SECONDS = 5.0
RESULTS = ROOT / "bench" / "results" / "badges.json"
SEED = 2026

FIRST = ["Zoë", "Ana", "Jan", "María Fernanda", "Αλέξανδρος", "Светлана", "Þórunn", "Łukasz", "Søren", "Ioana",
         "Jean-Baptiste", "Γεωργία", "Дмитрий", "Eva", "Siobhán", "Matthäus", "Ülle", "Jiří", "Francesca", "Dorota"]
LAST = ["Ångström-Łukasiewicz", "Papadopoulos", "Παπαδόπουλος", "Иванова", "Guðmundsdóttir", "Peeters",
        "García-Villalobos y Montenegro", "Novák", "Wolfeschlegelsteinhausenbergerdorff", "Kowalczyk", "Østergaard",
        "Năstase", "Ó Súilleabháin", "Müller-Lüdenscheidt", "Петров", "Rossi", "de la Fuente", "Kask", "Nagy",
        "Dvořák"]
ORGS = [("Miasto Stołeczne Warszawa", "Poland"), ("Δήμος Θεσσαλονίκης", "Greece"), ("Столична община", "Bulgaria"),
        ("Reykjavíkurborg", "Iceland"), ("Ayuntamiento de Málaga", "Spain"), ("Stad Gent", "Belgium"),
        ("Landeshauptstadt München – Referat für Klima- und Umweltschutz", "Germany"),
        ("Københavns Kommune", "Denmark"), ("Metropolitan City of Turin", "Italy"), ("Tallinna Linnavalitsus", "Estonia")]
ROLES = ["participant"] * 6 + ["speaker", "organiser", "staff", "press"]
TITLES = ["Circular furniture tenders", "Zero-emission construction sites: market dialogue and award criteria",
          "Site visit: electric bus depot", "Sustainable food in school canteens", "Life-cycle costing in practice"]


def make_badges(n: int) -> list[Badge]:
    rng = random.Random(SEED)
    start = datetime(2027, 5, 12, 7, 0, tzinfo=UTC)
    event = BadgeEvent("EcoProcura 2027", "Europe/Brussels", start, start + timedelta(days=2, hours=10),
                       "SQUARE Brussels Convention Centre", "Mont des Arts, 1000 Brussels", False)
    badges = []
    for i in range(n):
        organisation, country = rng.choice(ORGS)
        sessions = tuple(
            SessionLine(start + timedelta(hours=2 + 3 * k), start + timedelta(hours=3 + 3 * k), rng.choice(TITLES),
                        rng.choice(["Room A", "Room Europa", ""]))
            for k in range(rng.randint(0, 4)))
        badges.append(Badge(i + 1, f"{rng.choice(FIRST)} {rng.choice(LAST)}", organisation, country,
                            rng.choice(["", "Buyer", "Head of Procurement"]), rng.choice(ROLES),
                            CODE_PREFIX + new_secret(), event, sessions))
    return badges


def plain_text_pages(badges: list[Badge]) -> bytes:
    """The baseline: each name on a page of its own, same library, font and compression."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(BADGE_W, BADGE_H), pageCompression=1)
    for badge in badges:
        canvas.setFont(REGULAR, 14)
        canvas.drawString(20, BADGE_H / 2, badge.name)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def timed(work: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """Median wall time, median CPU time of this process (a busy machine shows as wall > CPU)."""
    times, cpu, output = [], [], b""
    for _ in range(REPEAT):
        qr_path.cache_clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        output = work()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), output


def pages_of(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def main() -> int:
    register_fonts()
    badges = make_badges(N)
    render_badges(badges[:4], None, "fold")  # warm up: imports, font files parsed
    seen: list[int] = []
    progress = lambda done, total: seen.append(done)  # noqa: E731  (as the CLI's bar is called)
    baseline, base_cpu, base_pdf = timed(lambda: plain_text_pages(badges))
    rows = []
    print(f"Badge PDFs, {N} attendees, median of {REPEAT} (reportlab, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs)")
    print(f"{'case':<22}{'wall s':>9}{'CPU s':>8}{'badges/s':>11}{'x baseline':>12}{'pages':>8}{'size KiB':>10}")
    print(f"{'plain text (baseline)':<22}{baseline:>9.2f}{base_cpu:>8.2f}{N / baseline:>11.0f}{1.0:>12.2f}"
          f"{pages_of(base_pdf):>8}{len(base_pdf) / 1024:>10.0f}")
    for layout in LAYOUTS:
        seconds, cpu, pdf = timed(lambda layout=layout: render_badges(badges, None, layout, progress))
        rows.append({"layout": layout, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                     "badges_per_second": round(N / seconds, 1),
                     "ratio_to_baseline": round(seconds / baseline, 2), "pages": pages_of(pdf),
                     "bytes": len(pdf)})
        print(f"{layout:<22}{seconds:>9.2f}{cpu:>8.2f}{N / seconds:>11.0f}{seconds / baseline:>12.2f}"
              f"{pages_of(pdf):>8}{len(pdf) / 1024:>10.0f}")
    a6 = next(row for row in rows if row["layout"] == "a6")
    passed = N >= 1000 and a6["seconds"] < GOAL_SECONDS
    print(f"{N} A6 badges in < {GOAL_SECONDS:.0f} s: {'PASS' if passed else 'MISS'} ({a6['seconds']:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "attendees": N, "repeat": REPEAT,
        "cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "baseline_seconds": round(baseline, 3), "layouts": rows,
        "goal": {"a6_seconds_under": GOAL_SECONDS, "pass": passed},
    }, indent=2) + "\n")
    print(f"written {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
