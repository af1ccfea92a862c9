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

The network is drawn here (:func:`network_svg`), the map in
:mod:`events_app.twinning.picture_map` (:func:`map_svg`, re-exported here), and both with
the pieces of :mod:`events_app.twinning.picture_svg`, whose docstring lists the classes
on the SVG elements.

Example::

    svg = network_svg([Node("a", "Lisboa", "PT", "mentor", True),
                       Node("b", "Helsinki", "FI", "mentee", True)],
                      [Edge("a", "b", 0.83, "accepted")])
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from events_app.twinning.picture_map import map_svg, project
from events_app.twinning.picture_svg import (
    NODE_R,
    PAIR_STATUSES,
    ROLES,
    ROW,
    STATUSES,
    UNPAIRED_CELL_W,
    UNPAIRED_CHARS,
    Edge,
    Node,
    _curve,
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
    legend_items,
)

__all__ = ["PAIR_STATUSES", "ROLES", "STATUSES", "Edge", "Node", "_short", "country_name", "legend_items",
           "map_svg", "network_svg", "project"]


# --------------------------------------------------------------------------- network

LABEL_CHARS = 16  # a label beside a node: about 105 px at the CSS font size (11 px)
MID_LABEL_CHARS = 11  # a label under a node in a middle column
COL = 70.0  # horizontal distance between columns of a component
LABEL_W = 106.0  # room kept for a label beside a node
CELL_PAD = 6.0  # so that three pairs (294 px each) fit the default width of 900
MARGIN = 8.0


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
