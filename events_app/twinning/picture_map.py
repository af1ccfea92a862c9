"""A twinning round on a map of Europe: :func:`map_svg`, and :func:`project` for the
map's projection. Drawn with the pieces of :mod:`events_app.twinning.picture_svg`.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence

from markupsafe import Markup

from events_app.twinning import europe_shapes
from events_app.twinning.picture_svg import (
    NODE_R,
    ROW,
    UNPAIRED_CELL_W,
    UNPAIRED_CHARS,
    Edge,
    Node,
    _clean,
    _curve,
    _e,
    _edge_svg,
    _node_svg,
    _normalise,
    _num,
    _open_svg,
    _parallel_bends,
    _short,
    _stroke_width,
    _summary,
    country_name,
)

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
