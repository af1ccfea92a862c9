"""The round as a picture: events_app/twinning/picture.py (pure, no database).

The SVGs are parsed with xml.etree: well-formed, every node and edge once with its title
and classes, escaping, determinism, places on the map, the empty round, a large round.
"""

from __future__ import annotations

import importlib.util
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from events_app.twinning import europe_shapes
from events_app.twinning.picture import (
    STATUSES,
    Edge,
    Node,
    _short,
    country_name,
    legend_items,
    map_svg,
    network_svg,
    project,
)

NS = {"s": "http://www.w3.org/2000/svg"}
ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def nodes_of(root: ET.Element) -> dict[str, ET.Element]:
    found = root.findall(".//s:g[@data-node]", NS)
    ids = [g.get("data-node") for g in found]
    assert len(ids) == len(set(ids)), "a node drawn twice"
    return dict(zip(ids, found, strict=True))


def edges_of(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "edge" in classes(g)]


def title_of(el: ET.Element) -> str:
    t = el.find("s:title", NS)
    assert t is not None
    return t.text or ""


def small_round() -> tuple[list[Node], list[Edge]]:
    nodes = [
        Node("lis", "Câmara Municipal de Lisboa", "PT", "mentor", True),
        Node("hel", "Helsingin kaupunki", "FI", "mentee", True),
        Node("bol", "Comune di Bologna", "IT", "mentor", True),
        Node("ath", "Δήμος Αθηναίων", "GR", "mentee", True),
        Node("kyi", "Київська міська рада", "UA", "mentee", True),
        Node("gnt", "Stad Gent", "BE", "peer", False),
        Node("tar", "Tartu linn", "EE", "mentee", False),
    ]
    edges = [
        Edge("lis", "hel", 0.83, "accepted"),
        Edge("bol", "ath", 0.61, "pinned"),
        Edge("bol", "kyi", 0.4, "proposed"),
        Edge("lis", "tar", 0.2, "declined"),
    ]
    return nodes, edges


def random_round(n: int, seed: int = 7) -> tuple[list[Node], list[Edge]]:
    rng = random.Random(seed)
    codes = sorted(c for c in europe_shapes.SHAPES if len(c) == 2)
    nodes = [Node(f"n{i:04d}", f"Authority {i}", rng.choice(codes),
                  "mentor" if i % 3 == 0 else "mentee", i % 10 != 0) for i in range(n)]
    mentors = [x.id for x in nodes if x.role == "mentor" and x.paired]
    mentees = [x.id for x in nodes if x.role == "mentee" and x.paired]
    edges = [Edge(mentors[k % len(mentors)], m, rng.random(), STATUSES[k % len(STATUSES)])
             for k, m in enumerate(mentees)]
    return nodes, edges


@pytest.mark.parametrize("render", [network_svg, map_svg])
def test_every_node_and_edge_once_with_title_and_classes(render) -> None:
    nodes, edges = small_round()
    root = parse(render(nodes, edges))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    drawn = nodes_of(root)
    assert set(drawn) == {n.id for n in nodes}
    for n in nodes:
        g = drawn[n.id]
        assert f"role-{n.role}" in classes(g)
        assert ("paired" if n.paired else "unpaired") in classes(g)
        t = title_of(g)
        assert n.label in t and f"({country_name(n.country)}, {n.country})" in t and n.role in t
    assert title_of(drawn["lis"]) == "Câmara Municipal de Lisboa (Portugal, PT) – mentor"
    assert title_of(drawn["gnt"]).endswith("– peer, not paired")

    drawn_edges = edges_of(root)
    assert len(drawn_edges) == len(edges)
    titles = {title_of(g): g for g in drawn_edges}
    assert len(titles) == len(edges)
    accepted = titles["Câmara Municipal de Lisboa – Helsingin kaupunki: score 0.83 (accepted)"]
    assert "st-accepted" in classes(accepted)
    assert (accepted.get("data-a"), accepted.get("data-b")) == ("lis", "hel")
    pinned = titles["Comune di Bologna – Δήμος Αθηναίων: score 0.61 (pinned)"]
    proposed = titles["Comune di Bologna – Київська міська рада: score 0.40 (proposed)"]
    declined = titles["Câmara Municipal de Lisboa – Tartu linn: score 0.20 (declined)"]
    assert "st-pinned" in classes(pinned) and "st-proposed" in classes(proposed)
    assert "st-declined" in classes(declined)

    def width(g: ET.Element) -> float:
        return float(g.find("s:path", NS).get("stroke-width"))

    # Wider with the score; pinned wider still.
    assert width(declined) < width(proposed) < width(accepted)
    assert width(pinned) > width(accepted)


@pytest.mark.parametrize("render", [network_svg, map_svg])
def test_title_and_desc_sum_the_round_up(render) -> None:
    nodes, edges = small_round()
    root = parse(render(nodes, edges))
    title = root.find("s:title", NS)
    desc = root.find("s:desc", NS)
    assert list(root)[:2] == [title, desc]  # at the top
    assert title.text == "3 pairs, 2 not paired"
    assert desc.text.startswith("3 pairs, 2 not paired.")
    assert "1 declined" in desc.text and "7 authorities in 7 countries" in desc.text
    labelled = root.get("aria-labelledby").split()
    assert labelled == [title.get("id"), desc.get("id")]


def test_two_pictures_on_one_page_get_distinct_ids() -> None:
    nodes, edges = small_round()
    ids_net = {el.get("id") for el in parse(network_svg(nodes, edges)).iter() if el.get("id")}
    ids_map = {el.get("id") for el in parse(map_svg(nodes, edges)).iter() if el.get("id")}
    assert ids_net and ids_map and not ids_net & ids_map
    other = parse(network_svg(nodes, edges, id_prefix="round-2"))
    assert other.find("s:title", NS).get("id") == "round-2-title"
    with pytest.raises(ValueError):
        network_svg(nodes, edges, id_prefix='x" onload="alert(1)')


@pytest.mark.parametrize("render", [network_svg, map_svg])
def test_same_input_gives_byte_identical_output_in_any_order(render) -> None:
    nodes, edges = random_round(60)
    first = str(render(nodes, edges))
    assert str(render(nodes, edges)) == first
    rng = random.Random(1)
    shuffled_nodes, shuffled_edges = nodes[:], edges[:]
    rng.shuffle(shuffled_nodes)
    rng.shuffle(shuffled_edges)
    assert str(render(shuffled_nodes, shuffled_edges)) == first


NASTY = [
    Node('q"1', '<script>alert("x")</script> & Co \'s', "FR", "mentor", True),
    Node("q<2>", "Ville d'Évry-Courcouronnes & <b>", "FR", "mentee", True),
    Node("q3", "Δήμος Θεσσαλονίκης\x00\x0b\nline", "GR", "peer", True),
    Node("q4", "Мiсто Львів ]]> --> <!--", "UA", "peer", True),
    Node("q5", "e\u0301\u0301" * 30, "ES", "mentee", False),
]


@pytest.mark.parametrize("render", [network_svg, map_svg])
def test_nasty_labels_are_escaped_and_cleaned(render) -> None:
    edges = [Edge('q"1', "q<2>", 0.5, "accepted"), Edge("q3", "q4", 0.9, "proposed")]
    text = str(render(NASTY, edges))
    assert "<script" not in text and "<b>" not in text and "<!--" not in text
    assert "\x00" not in text and "\x0b" not in text
    root = ET.fromstring(text)  # well-formed
    drawn = nodes_of(root)
    assert set(drawn) == {n.id for n in NASTY}
    assert title_of(drawn['q"1']).startswith('<script>alert("x")</script> & Co \'s (France, FR)')
    assert title_of(drawn["q3"]).startswith("Δήμος Θεσσαλονίκης line (Greece, GR)")
    assert "Мiсто Львів ]]> --> <!--" in title_of(drawn["q4"])
    titles = {title_of(g) for g in edges_of(root)}
    assert ('<script>alert("x")</script> & Co \'s – Ville d\'Évry-Courcouronnes & <b>: '
            "score 0.50 (accepted)") in titles


def test_no_inline_style_or_script_anywhere() -> None:
    nodes, edges = random_round(40)
    for svg in (network_svg(nodes, edges), map_svg(nodes, edges), network_svg([], []),
                map_svg([], []), legend_items()):
        text = str(svg)
        assert "style=" not in text and "<style" not in text and "<script" not in text
        assert not re.search(r"\son[a-z]+=", text)


def test_short_labels_are_cut_cleanly() -> None:
    assert _short("Stad Gent", 16) == "Stad Gent"
    cut = _short("Città metropolitana di Torino", 16)
    assert cut == "Città metropoli…" and len(cut) <= 16
    assert _short("Comune di & Bologna", 12) == "Bologna"  # a generic opening goes first
    assert _short("Municipality of Thessaloniki", 16) == "Thessaloniki"
    assert _short("Federal Procurement Agency (BBG)", 16) == "Federal Procure…"
    # never a letter without its combining accents
    accented = "e\u0301" * 20
    out = _short(accented, 10)
    assert out.endswith("…") and len(out) <= 10
    assert out[:-1] == "e\u0301" * ((len(out) - 1) // 2)


def test_network_puts_the_unpaired_apart_and_labels_pairs() -> None:
    nodes, edges = small_round()
    root = parse(network_svg(nodes, edges))
    drawn = nodes_of(root)
    assert "alone" in classes(drawn["gnt"])  # no edge at all: the "not paired" row
    assert "alone" not in classes(drawn["tar"])  # unpaired but with its declined pair
    heads = [t.text for t in root.iter(f"{SVG}text") if "section-head" in classes(t)]
    assert heads == ["Not paired (1)"]
    labels = {t.text for t in root.iter(f"{SVG}text") if "node-label" in classes(t)}
    assert "Stad Gent" in labels and "Helsingin kaupu…" in labels
    # the mentor of two is the hub: its mentees in one column to its right
    def centre(node_id: str) -> tuple[float, float]:
        mark = drawn[node_id][1]
        if mark.tag.endswith("rect"):
            return (float(mark.get("x")) + float(mark.get("width")) / 2,
                    float(mark.get("y")) + float(mark.get("height")) / 2)
        return float(mark.get("cx")), float(mark.get("cy"))

    assert centre("ath")[0] == centre("kyi")[0] > centre("bol")[0]
    assert centre("hel")[0] > centre("lis")[0]


def test_network_grows_for_a_large_round_and_stays_linear() -> None:
    nodes, edges = random_round(300)
    root = parse(network_svg(nodes, edges))
    assert len(nodes_of(root)) == 300
    assert len(edges_of(root)) == len(edges)
    _x, _y, w, h = (float(v) for v in root.get("viewBox").split())
    assert w == 900 and h > 640
    big = parse(map_svg(nodes, edges))
    assert len(nodes_of(big)) == 300 and len(edges_of(big)) == len(edges)
    # names only in the tooltips when the map is crowded
    assert not [t for t in big.iter(f"{SVG}text") if "node-label" in classes(t)]


def mark_centre(g: ET.Element) -> tuple[float, float]:
    mark = [el for el in g if "node-mark" in classes(el)][0]
    if mark.tag == f"{SVG}circle":
        return float(mark.get("cx")), float(mark.get("cy"))
    if mark.tag == f"{SVG}rect":
        return (float(mark.get("x")) + float(mark.get("width")) / 2,
                float(mark.get("y")) + float(mark.get("height")) / 2)
    pts = [tuple(map(float, p.split(","))) for p in mark.get("points").split()]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def test_map_places_authorities_in_their_countries() -> None:
    nodes = [Node(f"{c}{i}", f"{c} city {i}", c, "peer", True)
             for c in ("PT", "FI", "IT", "IE", "GR", "CY", "IS", "LU") for i in range(3)]
    root = parse(map_svg(nodes, []))
    _x, _y, w, h = (float(v) for v in root.get("viewBox").split())
    where = {k: mark_centre(g) for k, g in nodes_of(root).items()}
    for x, y in where.values():
        assert 0 < x < w and 0 < y < h
    assert where["PT0"][0] < where["FI0"][0]  # Lisbon west of Helsinki
    assert where["FI0"][1] < where["IT0"][1]  # Finland north of Italy
    assert where["IE0"][0] < where["GR0"][0] and where["IS0"][1] < where["IE0"][1]
    assert where["CY0"][0] > where["GR0"][0] and where["CY0"][1] > where["GR0"][1]
    # several in one country: apart, but near the country's point
    px, py = project(*europe_shapes.POINTS["LU"])
    spots = {where[f"LU{i}"] for i in range(3)}
    assert len(spots) == 3
    assert all(abs(x - px) < 15 and abs(y - py) < 15 for x, y in spots)
    # the countries with authorities are highlighted
    active = {p.get("data-country") for p in root.iter(f"{SVG}path") if "has-nodes" in classes(p)}
    assert active == {"PT", "FI", "IT", "IE", "GR", "CY", "IS", "LU"}


def test_map_clamps_far_countries_and_lists_unknown_ones() -> None:
    nodes = [Node("kz", "Almaty", "KZ", "mentee", True), Node("us", "Boston", "US", "mentor", True),
             Node("de", "Köln", "DE", "mentee", True), Node("xx", "Nowhere & Co", "XX", "peer", False),
             Node("none", "No country", "", "peer", False)]
    root = parse(map_svg(nodes, [Edge("us", "de", 0.7, "accepted")]))
    map_h = europe_shapes.PROJECTION["height"]
    map_w = europe_shapes.PROJECTION["width"]
    where = {k: mark_centre(g) for k, g in nodes_of(root).items()}
    for key in ("kz", "us", "de"):
        x, y = where[key]
        assert 0 < x < map_w and 0 < y < map_h
    assert where["kz"][0] > map_w - 30  # at the east edge
    assert where["us"][0] < 30 or where["us"][1] < 30  # towards the north-west
    for key in ("xx", "none"):  # below the map
        assert where[key][1] > map_h
        assert "off-map" in classes(nodes_of(root)[key])
    notes = " ".join(t.text for t in root.iter(f"{SVG}text") if "map-note" in classes(t))
    assert "Kazakhstan (1)" in notes and "United States (1)" in notes
    assert "Not on the map (country unknown): 2" in notes
    _x, _y, _w, h = (float(v) for v in root.get("viewBox").split())
    assert h > map_h


@pytest.mark.parametrize("render", [network_svg, map_svg])
def test_empty_round_is_a_valid_svg_saying_no_pairs_yet(render) -> None:
    root = parse(render([], []))
    assert root.find("s:title", NS).text == "No pairs yet"
    assert "No pairs yet" in root.find("s:desc", NS).text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "No pairs yet" in texts
    assert not nodes_of(root) and not edges_of(root)


def test_nodes_without_any_pair_say_so() -> None:
    nodes = [Node("a", "A", "BE", "peer", False), Node("b", "B", "NL", "peer", False)]
    root = parse(network_svg(nodes, []))
    assert root.find("s:title", NS).text == "0 pairs, 2 not paired"
    assert root.find("s:desc", NS).text.startswith("No pairs yet.")
    assert "No pairs yet" in [t.text for t in root.iter(f"{SVG}text")]


def test_bad_edges_and_duplicates_are_left_out_and_bad_values_refused() -> None:
    nodes = [Node("a", "A", "BE", "peer", True), Node("b", "B", "NL", "peer", True),
             Node("a", "A again", "FR", "peer", True)]
    edges = [Edge("a", "b", 1.7, "accepted"), Edge("a", "ghost", 0.5, "proposed"),
             Edge("a", "a", 0.5, "proposed"), Edge("b", "a", float("nan"), "declined")]
    for render in (network_svg, map_svg):
        root = parse(render(nodes, edges))
        assert title_of(nodes_of(root)["a"]).startswith("A (Belgium, BE)")
        titles = sorted(title_of(g) for g in edges_of(root))
        assert titles == ["A – B: score 1.00 (accepted)", "B – A: score 0.00 (declined)"]
    with pytest.raises(ValueError, match="role"):
        Node("x", "X", "BE", "boss", True)
    with pytest.raises(ValueError, match="status"):
        Edge("a", "b", 0.5, "maybe")


def test_legend_lists_roles_and_statuses() -> None:
    html = legend_items()
    assert isinstance(html, Markup)
    root = ET.fromstring(str(html))
    assert root.tag == "ul" and "twinning-legend" in classes(root)
    text = " ".join("".join(li.itertext()) for li in root)
    for word in ("Mentor", "Mentee", "Peer", "Not paired", "Proposed", "Pinned", "Accepted",
                 "Declined", "Completed"):
        assert word in text
    assert all(svg.get("aria-hidden") == "true" for svg in root.iter(f"{SVG}svg"))


# --------------------------------------------------------------------------- the shapes


def ring_polygons(d: str) -> list[list[tuple[float, float]]]:
    """The generator's own path format: ``M x y l dx dy dx dy ... z`` per ring."""
    rings = []
    for m in re.finditer(r"M([-\d.]+) ([-\d.]+)l([^z]*)z", d):
        x, y = float(m.group(1)), float(m.group(2))
        pts = [(x, y)]
        nums = [float(v) for v in m.group(3).split()]
        for dx, dy in zip(nums[::2], nums[1::2], strict=True):
            x, y = x + dx, y + dy
            pts.append((x, y))
        rings.append(pts)
    return rings


def inside(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    hit = False  # even-odd over all rings: holes count
    for pts in rings:
        for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
    return hit


def test_shapes_module_is_small_and_covers_europe() -> None:
    path = ROOT / "events_app" / "twinning" / "europe_shapes.py"
    assert path.stat().st_size < 150_000
    doc = europe_shapes.__doc__ or ""
    assert "world-atlas" in doc and "ISC" in doc and europe_shapes.PACKAGE_VERSION in doc
    eu = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
          "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
    neighbours = {"GB", "NO", "IS", "CH", "UA", "MD", "RS", "BA", "ME", "AL", "MK", "XK", "TR",
                  "GE", "AM", "AZ"}
    assert eu | neighbours <= set(europe_shapes.SHAPES)
    assert eu | neighbours <= set(europe_shapes.POINTS)


def test_each_country_point_lies_inside_its_own_outline() -> None:
    w, h = europe_shapes.PROJECTION["width"], europe_shapes.PROJECTION["height"]
    checked = 0
    for code, d in europe_shapes.SHAPES.items():
        x, y = project(*europe_shapes.POINTS[code])
        if not (0 <= x <= w and 0 <= y <= h):
            continue  # a country mostly outside the view (Kazakhstan, Saudi Arabia)
        assert inside(x, y, ring_polygons(d)), code
        checked += 1
    assert checked >= 50


def test_renderer_projects_as_the_generator_did() -> None:
    spec = importlib.util.spec_from_file_location("make_europe_shapes",
                                                  ROOT / "tools" / "make_europe_shapes.py")
    if spec is None or spec.loader is None:  # pragma: no cover
        pytest.skip("generator not found")
    try:
        gen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen)
    except ImportError:  # pragma: no cover - the generator needs numpy
        pytest.skip("numpy missing")
    prm = europe_shapes.PROJECTION
    for lon, lat in [(-9.14, 38.72), (24.94, 60.17), (12.5, 41.9), (44.8, 41.7), (-21.9, 64.1)]:
        gx, gy = gen.to_screen(lon, lat, prm)
        px, py = project(lon, lat)
        assert abs(gx - px) < 1e-9 and abs(gy - py) < 1e-9
