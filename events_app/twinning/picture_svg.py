"""The pieces both twinning pictures are drawn with: :class:`Node` and :class:`Edge`, text
cleaning and escaping, the round normalised and summed up, the SVG shell, node marks,
edges, curves and the legend.

Classes on the SVG elements:

- a node is ``<g class="node role-mentor|role-mentee|role-peer paired|unpaired">``:
  mentors are squares, mentees circles, peers diamonds (shape *and* colour, so that the
  roles can be told apart without colour); an unpaired node is hollow.
- an edge is ``<g class="edge st-proposed|st-pinned|st-accepted|st-declined|st-completed">``
  whose ``<path class="edge-line">`` has a ``stroke-width`` that grows with the score
  (pinned ones are 2 wider): dashed when proposed, solid when accepted, red dotted when
  declined.

The pictures themselves are in :mod:`events_app.twinning.picture` (the network) and
:mod:`events_app.twinning.picture_map` (the map of Europe).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

ROLES = ("mentor", "mentee", "peer")
STATUSES = ("proposed", "pinned", "accepted", "declined", "completed")
PAIR_STATUSES = ("proposed", "pinned", "accepted", "completed")  # a declined edge is no pair

SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Node:
    """One authority's request in the round.

    ``country`` is an ISO 3166-1 alpha-2 code (``XK`` for Kosovo); ``role`` one of
    :data:`ROLES`; ``paired`` whether the authority has a partner in the shown result.
    """

    id: str
    label: str
    country: str
    role: str
    paired: bool

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role: must be one of {', '.join(ROLES)}, not {self.role!r}")


@dataclass(frozen=True)
class Edge:
    """A pair between the nodes ``a`` and ``b`` (in mentoring, ``a`` is the mentor).

    ``score`` in [0, 1] (clamped when drawn), ``status`` one of :data:`STATUSES`.
    """

    a: str
    b: str
    score: float
    status: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: must be one of {', '.join(STATUSES)}, not {self.status!r}")


# --------------------------------------------------------------------------- text helpers

_ID_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _clean(text: object) -> str:
    """NFC text without the characters XML 1.0 cannot carry; line breaks become spaces."""
    out = []
    for ch in unicodedata.normalize("NFC", str(text)):
        code = ord(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def _joins_previous(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0e\ufe0f"


# Words that open many authorities' names and tell them apart least: a label too long for its
# place drops them first ("Municipality of Thessaloniki" -> "Thessaloniki"); the tooltip keeps all.
GENERIC_OPENINGS = re.compile(
    r"^(?:(?:the\s+)?(?:city|municipality|statutory city|region|province|county|metropolitan city)"
    r"(?:\s+council)?\s+of\s+(?:the\s+)?|ville\s+de\s+|stadt\s+|comune\s+di\s+|città\s+di\s+|"
    r"gemeente\s+|ayuntamiento\s+de\s+|câmara\s+municipal\s+d[eoa]\s+|concello\s+de\s+|miasto\s+|"
    r"région\s+|region\s+|grad\s+|municipiul\s+|mestna\s+občina\s+)",
    re.IGNORECASE)


def _short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with an ellipsis, never inside a
    letter with its combining marks, nor after a dangling space or punctuation. A generic
    opening ("City of", "Stadt") goes first when that is what makes it too long."""
    if len(text) <= limit:
        return text
    shorter = GENERIC_OPENINGS.sub("", text, count=1).lstrip(" ,;:-–—/&")
    if shorter and shorter != text:
        text = shorter
        if len(text) <= limit:
            return text
    cut = limit - 1
    while cut > 0 and _joins_previous(text[cut]):
        cut -= 1
    head = text[:cut].rstrip(" ,;:-–—/(&\u200d")
    return (head or text[:1]) + "…"


def _e(text: object) -> str:
    return str(escape(text))


def _num(value: float) -> str:
    s = f"{value:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    try:
        from babel import Locale

        return dict(Locale.parse("en").territories)
    except Exception:  # pragma: no cover - babel is a dependency, this is a safety net
        return {}


def country_name(code: str) -> str:
    """English name of an ISO 3166-1 alpha-2 code, or the code itself when unknown."""
    code = _clean(code).upper()
    return _territories().get(code, code) if code else "unknown country"


def _score(value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(v):
        return 0.0
    return min(1.0, max(0.0, v))


def _stroke_width(edge: Edge, *, base: float = 1.0, span: float = 4.0) -> str:
    width = base + span * _score(edge.score)
    if edge.status == "pinned":
        width += 2.0
    return f"{width:.2f}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --------------------------------------------------------------------------- the round, normalised


@dataclass(frozen=True)
class _Round:
    nodes: tuple[Node, ...]  # sorted by id, duplicates dropped
    edges: tuple[Edge, ...]  # sorted, only between known nodes, no self-loops
    labels: dict[str, str]  # id -> cleaned full label
    skipped_edges: int


def _normalise(nodes: Iterable[Node], edges: Iterable[Edge]) -> _Round:
    by_id: dict[str, Node] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)  # the first of duplicated ids wins
    ordered = tuple(by_id[k] for k in sorted(by_id))
    labels = {n.id: _clean(n.label) or _clean(n.id) or "?" for n in ordered}
    kept = []
    skipped = 0
    for edge in edges:
        if edge.a in by_id and edge.b in by_id and edge.a != edge.b:
            kept.append(edge)
        else:
            skipped += 1
    kept.sort(key=lambda e: (min(e.a, e.b), max(e.a, e.b), e.a, STATUSES.index(e.status), _score(e.score)))
    return _Round(ordered, tuple(kept), labels, skipped)


def _summary(rnd: _Round) -> tuple[str, str]:
    """The ``<title>`` and ``<desc>`` texts."""
    pairs = [e for e in rnd.edges if e.status in PAIR_STATUSES]
    unpaired = sum(1 for n in rnd.nodes if not n.paired)
    if not rnd.nodes and not rnd.edges:
        return "No pairs yet", "No pairs yet: the round has no requests to show."
    head = f"{_plural(len(pairs), 'pair', 'pairs')}, {unpaired} not paired"
    parts = [head + "."]
    by_status = [f"{sum(1 for e in pairs if e.status == s)} {s}" for s in PAIR_STATUSES
                 if any(e.status == s for e in pairs)]
    if by_status:
        parts.append("Pairs: " + ", ".join(by_status) + ".")
    declined = sum(1 for e in rnd.edges if e.status == "declined")
    if declined:
        parts.append(f"{declined} declined.")
    countries = {n.country.upper() for n in rnd.nodes if n.country}
    parts.append(f"{_plural(len(rnd.nodes), 'authority', 'authorities')} "
                 f"in {_plural(len(countries), 'country', 'countries')}.")
    if not pairs:
        parts.insert(0, "No pairs yet.")
    return head, " ".join(parts)


def _node_title(node: Node, label: str) -> str:
    code = _clean(node.country).upper()
    where = f"{country_name(code)}, {code}" if code else "no country"
    state = "" if node.paired else ", not paired"
    return f"{label} ({where}) – {node.role}{state}"


def _edge_title(edge: Edge, labels: dict[str, str]) -> str:
    return f"{labels[edge.a]} – {labels[edge.b]}: score {_score(edge.score):.2f} ({edge.status})"


# --------------------------------------------------------------------------- SVG pieces


def _open_svg(kind: str, prefix: str, width: float, height: float, view_w: float, view_h: float,
              title: str, desc: str) -> list[str]:
    if not _ID_PREFIX.match(prefix):
        raise ValueError("id_prefix: letters, digits, '-' and '_', starting with a letter")
    return [
        f'<svg xmlns="{SVG_NS}" class="twinning-svg twinning-{kind}" '
        f'viewBox="0 0 {_num(view_w)} {_num(view_h)}" width="{_num(width)}" height="{_num(height)}" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc">',
        f'<title id="{prefix}-title">{_e(title)}</title>',
        f'<desc id="{prefix}-desc">{_e(desc)}</desc>',
    ]


def _mark(role: str, x: float, y: float, r: float) -> str:
    """The node's shape: a square for mentors, a circle for mentees, a diamond for peers."""
    if role == "mentor":
        s = r * 0.9
        return (f'<rect class="node-mark" x="{_num(x - s)}" y="{_num(y - s)}" '
                f'width="{_num(2 * s)}" height="{_num(2 * s)}" rx="1.5"/>')
    if role == "peer":
        s = r * 1.25
        return (f'<polygon class="node-mark" points="{_num(x)},{_num(y - s)} {_num(x + s)},{_num(y)} '
                f'{_num(x)},{_num(y + s)} {_num(x - s)},{_num(y)}"/>')
    return f'<circle class="node-mark" cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}"/>'


def _node_svg(node: Node, label: str, x: float, y: float, r: float, *, text: str = "",
              anchor: str = "start", tx: float = 0.0, ty: float = 0.0, extra: str = "") -> str:
    cls = f"node role-{node.role} {'paired' if node.paired else 'unpaired'}{extra}"
    out = [f'<g class="{cls}" data-node="{_e(node.id)}">',
           f"<title>{_e(_node_title(node, label))}</title>",
           _mark(node.role, x, y, r)]
    if text:
        out.append(f'<text class="node-label" x="{_num(tx)}" y="{_num(ty)}" '
                   f'text-anchor="{anchor}">{_e(text)}</text>')
    out.append("</g>")
    return "".join(out)


def _edge_svg(edge: Edge, labels: dict[str, str], path: str, width: str, *,
              score_at: tuple[float, float] | None = None) -> str:
    out = [f'<g class="edge st-{edge.status}" data-a="{_e(edge.a)}" data-b="{_e(edge.b)}">',
           f"<title>{_e(_edge_title(edge, labels))}</title>",
           f'<path class="edge-line" d="{path}" fill="none" stroke-width="{width}"/>']
    if score_at is not None:
        out.append(f'<text class="edge-score" x="{_num(score_at[0])}" y="{_num(score_at[1])}" '
                   f'text-anchor="middle" aria-hidden="true">{_score(edge.score):.2f}</text>')
    out.append("</g>")
    return "".join(out)


def _curve(x1: float, y1: float, x2: float, y2: float, bend: float) -> tuple[str, tuple[float, float]]:
    """A path from (x1, y1) to (x2, y2), bowed ``bend`` (a fraction of its length) to the
    left of its direction; returns the path data and its midpoint."""
    if bend == 0 or (x1 == x2 and y1 == y2):
        return (f"M{_num(x1)} {_num(y1)}L{_num(x2)} {_num(y2)}", ((x1 + x2) / 2, (y1 + y2) / 2))
    dx, dy = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2 - dy * bend
    cy = (y1 + y2) / 2 + dx * bend
    mid = ((x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4)
    return f"M{_num(x1)} {_num(y1)}Q{_num(cx)} {_num(cy)} {_num(x2)} {_num(y2)}", mid


def _parallel_bends(edges: Sequence[Edge], base: float, step: float) -> list[float]:
    """A bend per edge so that several edges between the same two nodes fan out."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(edges):
        groups[(min(e.a, e.b), max(e.a, e.b))].append(i)
    bends = [base] * len(edges)
    for (lo, _hi), members in groups.items():
        m = len(members)
        for k, i in enumerate(members):
            offset = (k - (m - 1) / 2) * step
            # the same direction for both orientations of the pair
            bends[i] = base + (offset if edges[i].a == lo else -offset)
    return bends



# --------------------------------------------------------------------------- sizes both pictures use

NODE_R = 7.0
ROW = 26.0  # vertical distance between nodes stacked in one column or row
UNPAIRED_CELL_W = 147.0
UNPAIRED_CHARS = 18


# --------------------------------------------------------------------------- legend

LEGEND: tuple[tuple[str, str, str], ...] = (
    ("node", "role-mentor paired", "Mentor"),
    ("node", "role-mentee paired", "Mentee"),
    ("node", "role-peer paired", "Peer"),
    ("node", "role-mentee unpaired", "Not paired (hollow)"),
    ("edge", "st-proposed", "Proposed"),
    ("edge", "st-pinned", "Pinned"),
    ("edge", "st-accepted", "Accepted"),
    ("edge", "st-declined", "Declined"),
    ("edge", "st-completed", "Completed"),
)


def legend_items() -> Markup:
    """The legend as an HTML list (``<ul class="twinning-legend">``), each entry with a
    small decorative SVG swatch drawn with the same classes as the pictures."""
    out = ['<ul class="twinning-legend">']
    for kind, cls, text in LEGEND:
        out.append('<li><svg class="legend-swatch twinning-svg" xmlns="http://www.w3.org/2000/svg" '
                   'viewBox="0 0 34 16" width="34" height="16" aria-hidden="true" focusable="false">')
        if kind == "node":
            role = cls.split()[0].removeprefix("role-")
            out.append(f'<g class="node {cls}">{_mark(role, 17, 8, 6)}</g>')
        else:
            w = "5.00" if cls == "st-pinned" else "2.50"
            out.append(f'<g class="edge {cls}"><path class="edge-line" d="M2 8L32 8" fill="none" '
                       f'stroke-width="{w}"/></g>')
        out.append(f"</svg> {_e(text)}</li>")
    out.append('<li class="legend-note">Thicker lines: higher score</li>')
    out.append("</ul>")
    return Markup("".join(out))
