"""The organiser's twinning forms: submitted strings in, validated schemas (or field errors) out.

Deadlines are entered as ``datetime-local`` values in the secretariat's time
(Europe/Brussels); study visits in the time zone chosen in the same form. Both are
read with the event form's rules (a time that the clocks skip is refused).
Also the small pure helpers the pages show: ordinals, topic labels, run comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from events_app.errors import Invalid, NotFound
from events_app.events.schemas import as_naive_local
from events_app.organiser.forms import _local_time, time_zone_groups
from events_app.twinning.models import (
    MatchRun,
    RequestStatus,
    RoundMode,
    TwinningRound,
    TwinningStatus,
)
from events_app.twinning.picture import PAIR_STATUSES, Edge, Node
from events_app.twinning.public_forms import read_visit
from events_app.twinning.rounds import NETWORK_ZONE
from events_app.twinning.runs import Proposals
from events_app.twinning.schemas import CatalogueInput, RoundInput, StudyVisitInput
from events_app.validation import parse
from matching.scoring import DEFAULT_WEIGHTS, PART_LABELS, PART_NAMES

MAX_ID = 2**31 - 1  # the id columns are 32-bit integers
MAX_VALUE = 10_000
MAX_WEIGHT = 1_000_000
ROUND_TEXT_FIELDS = ("title", "mode", "deadline", "intro", "cooldown_years", "shortlist_size")
WEIGHT_FIELDS = {f"weight_{part}": part for part in PART_NAMES}
MODE_LABELS = {RoundMode.PEER.value: "Peers (same ambition)", RoundMode.MENTORING.value: "Mentoring (mentor and mentee)"}
MATURITY_LABELS = {1: "started", 2: "practising", 3: "advanced"}
VISIT_FIELDS = ("title", "starts_at", "ends_at", "timezone", "venue_name", "venue_address")


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "") or "")[:MAX_VALUE]


# --- rounds ----------------------------------------------------------------------------

def weight_rows() -> list[dict[str, str]]:
    """One row per score part: form name, label and the default weight in each mode."""
    return [{"name": name, "part": part, "label": PART_LABELS.get(part, part).capitalize(),
             "peer": f"{DEFAULT_WEIGHTS['peer'][part]:.2f}",
             "mentoring": f"{DEFAULT_WEIGHTS['mentoring'][part]:.2f}"}
            for name, part in WEIGHT_FIELDS.items()]


def round_form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The submitted round form as strings, as shown again beside errors."""
    values = {name: _text(form, name) for name in (*ROUND_TEXT_FIELDS, *WEIGHT_FIELDS)}
    values["require_different_countries"] = "yes" if form.get("require_different_countries") == "yes" else ""
    return values


def blank_round_values() -> dict[str, str]:
    values = {name: "" for name in (*ROUND_TEXT_FIELDS, *WEIGHT_FIELDS)}
    values.update(mode=RoundMode.MENTORING.value, cooldown_years="3", shortlist_size="5",
                  require_different_countries="")
    return values


def round_values(round_: TwinningRound) -> dict[str, str]:
    """An existing round as the strings its edit form starts from."""
    options = round_.options or {}
    weights = options.get("weights") or {}
    values = {
        "title": round_.title, "mode": str(getattr(round_.mode, "value", round_.mode)),
        "deadline": as_naive_local(round_.deadline, NETWORK_ZONE), "intro": round_.intro,
        "cooldown_years": str(options.get("cooldown_years", 3)), "shortlist_size": str(round_.shortlist_size),
        "require_different_countries": "yes" if options.get("require_different_countries") else "",
    }
    for name, part in WEIGHT_FIELDS.items():
        values[name] = f"{weights[part]:g}" if part in weights else ""
    return values


def _weights(values: Mapping[str, str], mode: str, errors: dict[str, str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for name, part in WEIGHT_FIELDS.items():
        raw = values.get(name, "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            weight = float(raw)
        except ValueError:
            errors[name] = "Enter a number such as 0.25, or leave it empty for the default."
            continue
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            errors[name] = f"Enter a number from 0 to {MAX_WEIGHT:,}."
            continue
        weights[part] = weight
    if mode in DEFAULT_WEIGHTS and not any(name in errors for name in WEIGHT_FIELDS):
        merged = {**DEFAULT_WEIGHTS[mode], **weights}  # type: ignore[index]
        if not sum(merged.values()) > 0:
            errors[next(iter(WEIGHT_FIELDS))] = "At least one part must weigh more than 0."
    return weights


def _weight_field(name: str) -> str:
    """``weights.size`` (the schema's name of a field) -> ``weight_size`` (the form's)."""
    if not name.startswith("weights"):
        return name
    part = name.partition(".")[2]
    return f"weight_{part}" if part in PART_NAMES else next(iter(WEIGHT_FIELDS))


def parse_round_form(values: Mapping[str, str]) -> RoundInput:
    """Validate the round form or raise :class:`Invalid` with one message per field."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {name: values.get(name, "") for name in ("title", "mode", "intro")}
    for name in ("cooldown_years", "shortlist_size"):
        if values.get(name, "").strip():
            data[name] = values[name].strip()
    data["require_different_countries"] = values.get("require_different_countries") == "yes"
    raw = values.get("deadline", "").strip()
    if not raw:
        errors["deadline"] = "This field is required."
    else:
        try:
            data["deadline"] = _local_time(raw, ZoneInfo(NETWORK_ZONE))
        except ValueError as exc:
            errors["deadline"] = str(exc)
    data["weights"] = _weights(values, str(data["mode"]), errors)
    try:
        result = parse(RoundInput, data)
    except Invalid as exc:
        fields = {_weight_field(k): v for k, v in exc.fields.items()}
        raise Invalid(exc.message, fields={**fields, **errors}) from None
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return result


# --- topic and interest-group lists ------------------------------------------------------

def parse_catalogue_form(form: Mapping[str, Any]) -> CatalogueInput:
    return parse(CatalogueInput, {"slug": _text(form, "slug").strip().lower(), "name": _text(form, "name")})


# --- study visits ------------------------------------------------------------------------

def visit_form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: _text(form, name) for name in VISIT_FIELDS}


def blank_visit_values(a_name: str, b_name: str) -> dict[str, str]:
    values = {name: "" for name in VISIT_FIELDS}
    values.update(title=f"Study visit: {a_name} and {b_name}"[:200], timezone=NETWORK_ZONE)
    return values


def visit_zones(current: str = "") -> tuple[str, ...]:
    """The time zones offered for a study visit: the European ones (and the one submitted)."""
    european, _ = time_zone_groups()
    return european if not current or current in european else (current, *european)


def parse_visit_form(values: Mapping[str, str]) -> StudyVisitInput:
    """The round page's study visit form: the same rules as the authorities' own (Invalid by field)."""
    return read_visit(values)


# --- small view helpers ------------------------------------------------------------------

def id_or_404(value: str, what: str = "twinning round") -> int:
    """A positive database id from the URL (at most ten digits, at most 2**31-1), else 404."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        raise NotFound(f"No such {what}.")
    return int(value)


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


@dataclass(frozen=True)
class RunComparison:
    """Two runs of a round side by side: pairs (request-id pairs, sorted) only in A, only in B, in both."""

    a: MatchRun
    b: MatchRun
    only_a: list[tuple[int, int]]
    only_b: list[tuple[int, int]]
    both: list[tuple[int, int]]

    @property
    def difference(self) -> float:
        return self.b.total_score - self.a.total_score


def _pairs(run: MatchRun) -> set[tuple[int, int]]:
    out = set()
    for p in run.output.get("pairs", []):
        a, b = int(p["a"]), int(p["b"])
        out.add((a, b) if run.output.get("mode") == "mentoring" else (min(a, b), max(a, b)))
    return out


def compare_runs(a: MatchRun, b: MatchRun) -> RunComparison:
    pa, pb = _pairs(a), _pairs(b)
    return RunComparison(a, b, sorted(pa - pb), sorted(pb - pa), sorted(pa & pb))


BAR_WIDTH = 120  # px of the parts bar for a score of 1


def readable_reasons(reasons: Iterable[str], ids: Iterable[int] = ()) -> list[str]:
    """The engine's reasons that the page's other columns do not already show with names:
    the score's main parts, a pin, a cross-border pair (topics, groups, languages, ranks and
    alternatives have columns of their own, with the catalogue's names)."""
    return [r for r in reasons if r.startswith(("Score ", "Pinned ", "Cross-border"))]


def part_segments(parts: Mapping[str, float]) -> list[dict[str, Any]]:
    """The parts of a score as consecutive bar segments (x and width in px), in the engine's order."""
    out, x = [], 0.0
    for part in PART_NAMES:
        value = float(parts.get(part, 0.0) or 0.0)
        if value <= 0:
            continue
        width = value * BAR_WIDTH
        out.append({"part": part, "label": PART_LABELS.get(part, part), "value": value,
                    "x": f"{x:.2f}", "width": f"{width:.2f}"})
        x += width
    return out


def picture_of(view: Proposals) -> tuple[list[Node], list[Edge]]:
    """The round as picture nodes and edges: the twinnings with their status, then the latest
    run's pairs not published yet (pinned or proposed), over the confirmed requests and
    everyone in a pair. Cancelled twinnings are left out."""
    edges: dict[tuple[int, int], Edge] = {}
    for t in view.twinnings:
        status = str(getattr(t.status, "value", t.status))
        if status == TwinningStatus.CANCELLED.value:
            continue
        a, b = t.a_id, t.b_id  # type: ignore[attr-defined]
        key = (min(a, b), max(a, b))
        if key in edges and edges[key].status in PAIR_STATUSES:
            continue  # a live twinning wins over an earlier declined one
        edges[key] = Edge(f"r{a}", f"r{b}", float(t.score), status)
    for p in view.proposals:
        a, b = p.a.request.id, p.b.request.id
        key = (min(a, b), max(a, b))
        if key not in edges:
            edges[key] = Edge(f"r{a}", f"r{b}", float(p.score), "pinned" if p.pinned else "proposed")
    in_pairs = {i for key in edges for i in key}
    paired = {i for key, e in edges.items() if e.status in PAIR_STATUSES for i in key}
    nodes = []
    for r in sorted(view.requests.values(), key=lambda r: r.id):
        if r.status != RequestStatus.CONFIRMED and r.id not in in_pairs:
            continue
        role = str(getattr(r.role, "value", r.role))
        nodes.append(Node(f"r{r.id}", r.organisation.name, r.organisation.country, role, r.id in paired))
    return nodes, [edges[key] for key in sorted(edges)]
