"""A twinning round as a picture: the pairs as a network, or on a map of Europe.

Pure and deterministic: the functions take plain :class:`Node` and :class:`Edge` values
(no ORM, no I/O) and return the SVG as :class:`markupsafe.Markup`, ready for ``{{ svg }}``
in a template. The same input, in any order, gives byte-identical output.

The SVG carries no ``style=""`` attributes (the CSP forbids them): looks come from the
classes styled in ``static/css/twinning.css``. Stroke widths, which encode a pair's score,
are SVG presentation attributes (allowed). Every label is escaped and cleaned of the
characters XML cannot carry. The pictures are ``role="img"`` with a ``<title>`` and a
``<desc>`` that sums the round up ("12 pairs, 3 not paired"); each node and each edge has
its own ``<title>`` (a tooltip), and :func:`legend_items` gives the legend as HTML.

Classes on the SVG elements:

- a node is ``<g class="node role-mentor|role-mentee|role-peer paired|unpaired">``:
  mentors are squares, mentees circles, peers diamonds (shape *and* colour, so that the
  roles can be told apart without colour); an unpaired node is hollow.
- an edge is ``<g class="edge st-proposed|st-pinned|st-accepted|st-declined|st-completed">``
  whose ``<path class="edge-line">`` has a ``stroke-width`` that grows with the score
  (pinned ones are 2 wider): dashed when proposed, solid when accepted, red dotted when
  declined.

Example::

    svg = network_svg([Node("a", "Lisboa", "PT", "mentor", True),
                       Node("b", "Helsinki", "FI", "mentee", True)],
                      [Edge("a", "b", 0.83, "accepted")])
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from events_app.twinning import europe_shapes

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


def _short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with an ellipsis, never inside a
    letter with its combining marks, nor after a dangling space or punctuation."""
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


# --------------------------------------------------------------------------- network

LABEL_CHARS = 16  # a label beside a node: about 105 px at the CSS font size (11 px)
MID_LABEL_CHARS = 11  # a label under a node in a middle column
NODE_R = 7.0
ROW = 26.0  # vertical distance between nodes stacked in one column
COL = 70.0  # horizontal distance between columns of a component
LABEL_W = 106.0  # room kept for a label beside a node
CELL_PAD = 6.0  # so that three pairs (294 px each) fit the default width of 900
MARGIN = 8.0
UNPAIRED_CELL_W = 147.0
UNPAIRED_CHARS = 18


class _DisjointSets:
    def __init__(self, ids: Iterable[str]) -> None:
        self.parent = {i: i for i in ids}

    def find(self, i: str) -> str:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


@dataclass
class _Cell:
    width: float
    height: float
    pos: dict[str, tuple[float, float]]  # node id -> position inside the cell
    columns: dict[str, int]
    last_column: int


def _layout_component(ids: list[str], adj: dict[str, set[str]], by_id: dict[str, Node]) -> _Cell:
    """Columns by breadth-first distance from the hub (most partners, then mentors first,
    then id): a pair is two nodes side by side, a mentor with several mentees a fan."""
    role_rank = {"mentor": 0, "peer": 1, "mentee": 2}
    root = min(ids, key=lambda i: (-len(adj[i]), role_rank[by_id[i].role], i))
    column = {root: 0}
    layers: list[list[str]] = [[root]]
    while True:
        nxt: list[str] = []
        seen = set()
        for parent in layers[-1]:
            for child in sorted(adj[parent]):
                if child not in column and child not in seen:
                    seen.add(child)
                    nxt.append(child)
        if not nxt:
            break
        for child in nxt:
            column[child] = len(layers)
        layers.append(nxt)
    tallest = max(len(layer) for layer in layers)
    height = max(1, tallest) * ROW + 2 * CELL_PAD
    last = len(layers) - 1
    width = 2 * CELL_PAD + 2 * LABEL_W + COL * last
    pos = {}
    for c, layer in enumerate(layers):
        x = CELL_PAD + LABEL_W + COL * c
        top = (height - len(layer) * ROW) / 2 + ROW / 2
        for k, node_id in enumerate(layer):
            pos[node_id] = (x, top + k * ROW)
    return _Cell(width, height, pos, column, last)


def network_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, width: float = 900, height: float = 640,
                id_prefix: str = "twn-net") -> Markup:
    """The round as a network: each pair (or a mentor with its mentees) in a cell of a
    grid, the authorities not paired in a row of their own below.

    Parameters: ``nodes`` and ``edges`` in any order (edges naming an unknown node, or a
    node to itself, are left out); ``width`` the layout width in px; ``height`` the
    minimum height: the picture grows downwards when the round needs more; ``id_prefix``
    for the ids of the ``<title>`` and ``<desc>`` (two pictures on one page need two).

    Returns the ``<svg>`` as Markup. Linear in the size of the round (plus sorting).
    """
    rnd = _normalise(nodes, edges)
    by_id = {n.id: n for n in rnd.nodes}
    title, desc = _summary(rnd)
    adj: dict[str, set[str]] = {n.id: set() for n in rnd.nodes}
    sets = _DisjointSets(by_id)
    for e in rnd.edges:
        adj[e.a].add(e.b)
        adj[e.b].add(e.a)
        sets.union(e.a, e.b)
    components: dict[str, list[str]] = defaultdict(list)
    alone: list[Node] = []
    for n in rnd.nodes:
        if adj[n.id]:
            components[sets.find(n.id)].append(n.id)
        else:
            alone.append(n)

    def order(ids: list[str]) -> tuple:
        return (-len(ids), sorted(rnd.labels[i].casefold() for i in ids), ids)

    cells = [(ids, _layout_component(ids, adj, by_id)) for ids in sorted(components.values(), key=order)]

    body: list[str] = []
    margin = MARGIN
    x = y = margin
    row_h = 0.0
    placed: dict[str, tuple[float, float]] = {}
    cell_of: dict[str, _Cell] = {}
    widest = width
    if not rnd.edges:
        y += 18
        body.append(f'<text class="empty-note" x="{_num(width / 2)}" y="{_num(y)}" '
                    f'text-anchor="middle">No pairs yet</text>')
        y += 14
    for ids, cell in cells:
        if x > margin and x + cell.width > width - margin:
            x = margin
            y += row_h
            row_h = 0.0
        for node_id in ids:
            px, py = cell.pos[node_id]
            placed[node_id] = (x + px, y + py)
            cell_of[node_id] = cell
        x += cell.width
        widest = max(widest, x + margin)
        row_h = max(row_h, cell.height)
    y += row_h

    edge_parts: list[str] = []
    bends = _parallel_bends(rnd.edges, 0.0, 0.35)
    for e, bend in zip(rnd.edges, bends, strict=True):
        (x1, y1), (x2, y2) = placed[e.a], placed[e.b]
        if bend == 0 and x1 == x2:  # two nodes of one column: bow out of it
            bend = 0.3
        path, mid = _curve(x1, y1, x2, y2, bend)
        if bend == 0:  # the score nearer the fanned-out end, where lines are apart
            if cell_of[e.a].columns[e.a] > cell_of[e.b].columns[e.b]:
                x1, y1, x2, y2 = x2, y2, x1, y1
            mid = (x1 + 0.62 * (x2 - x1), y1 + 0.62 * (y2 - y1))
        edge_parts.append(_edge_svg(e, rnd.labels, path, _stroke_width(e), score_at=(mid[0], mid[1] - 4)))

    node_parts: list[str] = []
    for n in rnd.nodes:
        if n.id not in placed:
            continue
        px, py = placed[n.id]
        cell = cell_of[n.id]
        c = cell.columns[n.id]
        label = rnd.labels[n.id]
        if c == 0:
            node_parts.append(_node_svg(n, label, px, py, NODE_R, text=_short(label, LABEL_CHARS),
                                        anchor="end", tx=px - NODE_R - 5, ty=py + 4))
        elif c == cell.last_column:
            node_parts.append(_node_svg(n, label, px, py, NODE_R, text=_short(label, LABEL_CHARS),
                                        anchor="start", tx=px + NODE_R + 5, ty=py + 4))
        else:
            node_parts.append(_node_svg(n, label, px, py, NODE_R, text=_short(label, MID_LABEL_CHARS),
                                        anchor="middle", tx=px, ty=py + NODE_R + 11))

    if alone:
        y += 16
        body.append(f'<line class="section-rule" x1="{_num(margin)}" y1="{_num(y)}" '
                    f'x2="{_num(width - margin)}" y2="{_num(y)}"/>')
        y += 20
        body.append(f'<text class="section-head" x="{_num(margin)}" y="{_num(y)}">'
                    f"Not paired ({len(alone)})</text>")
        y += 8
        per_row = max(1, int((width - 2 * margin) // UNPAIRED_CELL_W))
        for k, n in enumerate(sorted(alone, key=lambda n: (rnd.labels[n.id].casefold(), n.id))):
            col, row = k % per_row, k // per_row
            px = margin + NODE_R + col * UNPAIRED_CELL_W
            py = y + ROW / 2 + row * ROW
            label = rnd.labels[n.id]
            node_parts.append(_node_svg(n, label, px, py, NODE_R, text=_short(label, UNPAIRED_CHARS),
                                        tx=px + NODE_R + 5, ty=py + 4, extra=" alone"))
        y += ROW * math.ceil(len(alone) / per_row)
    view_h = max(float(height), y + margin)
    out = _open_svg("network", id_prefix, widest, view_h, widest, view_h, title, desc)
    out.append(f'<rect class="backdrop" x="0" y="0" width="{_num(widest)}" height="{_num(view_h)}"/>')
    out.extend(body)
    out.append('<g class="edges">')
    out.extend(edge_parts)
    out.append("</g>")
    out.append('<g class="nodes">')
    out.extend(node_parts)
    out.append("</g></svg>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- map

MAP_NODE_R = 4.5
SPIRAL_STEP = 8.0  # px: Vogel spiral around a country's point
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
EDGE_INSET = 12.0  # px: where places outside the view are put, inside its edge
MAP_LABELS_UP_TO = 30  # nodes: above this, names are in the tooltips only
MAP_LABEL_CHARS = 14


def project(lon: float, lat: float) -> tuple[float, float]:
    """Longitude/latitude to the map's viewBox, with the projection of
    :mod:`events_app.twinning.europe_shapes` (spherical Lambert azimuthal equal-area)."""
    prm = europe_shapes.PROJECTION
    lam = math.radians(lon - prm["lon0"])
    phi = math.radians(lat)
    phi0 = math.radians(prm["lat0"])
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
    k = math.sqrt(2.0 / max(1.0 + cos_c, 1e-12))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return (x - prm["x_min"]) * prm["scale"], (prm["y_max"] - y) * prm["scale"]


def _clamp_to_view(x: float, y: float, w: float, h: float) -> tuple[float, float, bool]:
    """A point outside the view moved onto the inset frame along the line to the centre."""
    lo_x, hi_x, lo_y, hi_y = EDGE_INSET, w - EDGE_INSET, EDGE_INSET, h - EDGE_INSET
    if lo_x <= x <= hi_x and lo_y <= y <= hi_y:
        return x, y, False
    cx, cy = w / 2, h / 2
    dx, dy = x - cx, y - cy
    t = 1.0
    if dx:
        t = min(t, ((hi_x if dx > 0 else lo_x) - cx) / dx)
    if dy:
        t = min(t, ((hi_y if dy > 0 else lo_y) - cy) / dy)
    return cx + dx * t, cy + dy * t, True


def map_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, width: float = 900, height: float = 700,
            id_prefix: str = "twn-map") -> Markup:
    """The round on a map of Europe: each authority at its country's point (several in
    one country on a small spiral around it), a curved line per pair.

    A country whose point is outside the drawn window (Kazakhstan, the Americas) is put
    on the window's edge in its direction and named in a note under the map; a node
    whose country code is unknown is drawn in a row under the map. ``width`` and
    ``height`` are the displayed size; the viewBox is the map's own (900 wide), so the
    aspect ratio is kept. Parameters and return as :func:`network_svg`; linear.
    """
    rnd = _normalise(nodes, edges)
    title, desc = _summary(rnd)
    prm = europe_shapes.PROJECTION
    mw, mh = float(prm["width"]), float(prm["height"])

    placed: dict[str, tuple[float, float]] = {}
    label_left: set[str] = set()  # on the spiral's left half: the name goes to the left
    clamped: dict[str, int] = defaultdict(int)
    unknown: list[Node] = []
    by_country: dict[str, list[Node]] = defaultdict(list)
    for n in rnd.nodes:
        by_country[_clean(n.country).upper()].append(n)
    for code in sorted(by_country):
        point = europe_shapes.POINTS.get(code)
        if point is None:
            unknown.extend(by_country[code])
            continue
        bx, by, outside = _clamp_to_view(*project(*point), mw, mh)
        for i, n in enumerate(by_country[code]):
            r = SPIRAL_STEP * math.sqrt(i)
            x = bx + r * math.cos(i * GOLDEN_ANGLE)
            y = by + r * math.sin(i * GOLDEN_ANGLE)
            if math.cos(i * GOLDEN_ANGLE) < -0.2 or bx > mw - 120:
                label_left.add(n.id)
            x = min(max(x, MAP_NODE_R + 1), mw - MAP_NODE_R - 1)
            y = min(max(y, MAP_NODE_R + 1), mh - MAP_NODE_R - 1)
            placed[n.id] = (x, y)
        if outside:
            clamped[code] = len(by_country[code])

    # Footer under the map: notes, then the nodes that have no place on it.
    footer: list[str] = []
    fy = mh
    if clamped:
        names = ", ".join(f"{country_name(c)} ({clamped[c]})" for c in sorted(clamped))
        for line in textwrap.wrap("Outside the map, shown at its edge: " + names, 130):
            fy += 20
            footer.append(f'<text class="map-note" x="10" y="{_num(fy)}">{_e(line)}</text>')
    node_parts: list[str] = []
    if unknown:
        fy += 20
        footer.append(f'<text class="map-note" x="10" y="{_num(fy)}">'
                      f"Not on the map (country unknown): {len(unknown)}</text>")
        per_row = max(1, int((mw - 20) // UNPAIRED_CELL_W))
        for k, n in enumerate(unknown):
            px = 10 + NODE_R + (k % per_row) * UNPAIRED_CELL_W
            py = fy + ROW / 2 + 2 + (k // per_row) * ROW
            placed[n.id] = (px, py)
        fy += ROW * math.ceil(len(unknown) / per_row) + 4
    view_h = fy + (8 if fy > mh else 0)

    active = {c for c in by_country if c in europe_shapes.SHAPES}
    out = _open_svg("map", id_prefix, width, height, mw, view_h, title, desc)
    out.append(f'<rect class="sea" x="0" y="0" width="{_num(mw)}" height="{_num(mh)}"/>')
    if view_h > mh:
        out.append(f'<rect class="backdrop" x="0" y="{_num(mh)}" width="{_num(mw)}" '
                   f'height="{_num(view_h - mh)}"/>')
    out.append('<g class="land" aria-hidden="true">')
    for code, d in europe_shapes.SHAPES.items():
        cls = "country has-nodes" if code in active else "country"
        out.append(f'<path class="{cls}" data-country="{code}" d="{d}"/>')
    out.append("</g>")

    out.append('<g class="edges">')
    bends = _parallel_bends(rnd.edges, 0.18, 0.14)
    for e, bend in zip(rnd.edges, bends, strict=True):
        (x1, y1), (x2, y2) = placed[e.a], placed[e.b]
        path, _mid = _curve(x1, y1, x2, y2, bend)
        out.append(_edge_svg(e, rnd.labels, path, _stroke_width(e, base=1.0, span=3.0)))
    out.append("</g>")

    with_labels = len(rnd.nodes) <= MAP_LABELS_UP_TO
    unknown_ids = {n.id for n in unknown}
    for n in rnd.nodes:
        px, py = placed[n.id]
        label = rnd.labels[n.id]
        if n.id in unknown_ids:
            node_parts.append(_node_svg(n, label, px, py, NODE_R, text=_short(label, UNPAIRED_CHARS),
                                        tx=px + NODE_R + 5, ty=py + 4, extra=" off-map"))
        elif with_labels:
            left = n.id in label_left
            node_parts.append(_node_svg(n, label, px, py, MAP_NODE_R, text=_short(label, MAP_LABEL_CHARS),
                                        anchor="end" if left else "start",
                                        tx=px - MAP_NODE_R - 3 if left else px + MAP_NODE_R + 3,
                                        ty=py + 3.5))
        else:
            node_parts.append(_node_svg(n, label, px, py, MAP_NODE_R))
    out.append('<g class="nodes">')
    out.extend(node_parts)
    out.append("</g>")
    out.extend(footer)
    if not rnd.nodes:
        out.append(f'<text class="empty-note" x="{_num(mw / 2)}" y="{_num(mh / 2)}" '
                   f'text-anchor="middle">No pairs yet</text>')
    out.append("</svg>")
    return Markup("".join(out))


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
