"""Generate ``events_app/twinning/europe_shapes.py`` from the world-atlas TopoJSON.

Kept for reference: the generated module is what ships, and the app never runs this.

Usage (from the repository root)::

    cd /tmp && npm pack world-atlas && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python tools/make_europe_shapes.py /tmp/package/countries-50m.json \
        -o events_app/twinning/europe_shapes.py

What it does:

1. Decodes the TopoJSON arcs (quantised, delta-encoded, with a ``transform``).
2. Projects every arc with a spherical Lambert azimuthal equal-area projection centred on
   10 E, 52 N (the centre of the EU's ETRS89-LAEA grid) and scales it into a fixed
   ``VIEWBOX`` that shows Europe from Iceland to the Caucasus and from the North Cape to
   the North African coast.
3. Simplifies each *arc* (Douglas-Peucker), so that neighbouring countries, which share
   arcs, keep sharing exactly the same border: no gaps, no overlaps.
4. Assembles each country's rings from its arcs, clips them to the view (a little
   margin around it), drops specks and writes one SVG path per ISO 3166-1 alpha-2 code.
5. Computes a label point for *every* country of the atlas (a pole of inaccessibility of
   its largest polygon, so that it lies inside the country, unlike a plain centroid of a
   crescent like Croatia), as longitude/latitude, so that the renderer can project it
   with the same parameters and clamp the ones that fall outside the view.

World-atlas ids are ISO 3166-1 numeric codes; they are mapped to alpha-2 with the
iso-codes data of the Debian package ``iso-codes`` (``/usr/share/iso-codes``), plus a
few entries the atlas has without a numeric id (Kosovo is ``XK``, the northern part of
Cyprus is drawn as part of ``CY``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
PACKAGE = "world-atlas"

# Projection: spherical Lambert azimuthal equal-area on the unit sphere.
LON0, LAT0 = 10.0, 52.0
# The view, given as projected points that must fit: Iceland's west cape, the North
# Cape, Baku, Cyprus, Crete, Malta, the Tunisian and the Moroccan coast.
VIEW_WIDTH = 900.0
FRAME_POINTS = [(-24.6, 65.0), (25.8, 71.3), (10.0, 71.5), (50.5, 40.3), (33.5, 34.6),
                (25.0, 34.8), (14.5, 35.6), (10.0, 36.5), (-10.0, 35.5)]
PAD = 12.0  # px of sea around the frame points
CLIP_MARGIN = 6.0  # px beyond the view where shapes are cut
TOLERANCE = 0.45  # px, Douglas-Peucker
MIN_RING_AREA = 2.0  # px^2: smaller islands are dropped (a country's largest ring stays)

EXTRA_CODES = {"Kosovo": "XK", "N. Cyprus": "CY"}
# Places too small for the atlas or without a shape of their own.
EXTRA_POINTS = {"GI": (-5.35, 36.14)}
# Where a label point of the largest polygon is not where the map wants it.
OVERRIDE_POINTS = {"RU": (38.5, 55.5)}  # European Russia: the part the map shows


def project(lon: float, lat: float) -> tuple[float, float]:
    """Lambert azimuthal equal-area, unit sphere, centre (LON0, LAT0): returns (x, y)."""
    lam = math.radians(lon - LON0)
    phi = math.radians(lat)
    phi0 = math.radians(LAT0)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
    k = math.sqrt(2.0 / max(1.0 + cos_c, 1e-12))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return x, y


def frame() -> dict[str, float]:
    """Projection parameters: scale and offsets so that the frame points fit the view."""
    pts = [project(lon, lat) for lon, lat in FRAME_POINTS]
    xmin = min(p[0] for p in pts)
    xmax = max(p[0] for p in pts)
    ymin = min(p[1] for p in pts)
    ymax = max(p[1] for p in pts)
    scale = (VIEW_WIDTH - 2 * PAD) / (xmax - xmin)
    height = round((ymax - ymin) * scale + 2 * PAD)
    return {
        "lon0": LON0,
        "lat0": LAT0,
        "scale": round(scale, 6),
        "x_min": round(xmin - PAD / scale, 8),
        "y_max": round(ymax + PAD / scale, 8),
        "width": VIEW_WIDTH,
        "height": float(height),
    }


def to_screen(lon: float, lat: float, prm: dict[str, float]) -> tuple[float, float]:
    x, y = project(lon, lat)
    return (x - prm["x_min"]) * prm["scale"], (prm["y_max"] - y) * prm["scale"]


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative, endpoints kept. A closed arc is split at its far point."""
    n = len(points)
    if n <= 2:
        return list(points)
    keep = [False] * n
    keep[0] = keep[-1] = True
    if points[0] == points[-1]:
        x0, y0 = points[0]
        far = max(range(n), key=lambda i: (points[i][0] - x0) ** 2 + (points[i][1] - y0) ** 2)
        keep[far] = True
        stack = [(0, far), (far, n - 1)]
    else:
        stack = [(0, n - 1)]
    tol2 = tol * tol
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        (ax, ay), (bx, by) = points[i], points[j]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        best, best_d = -1, -1.0
        for k in range(i + 1, j):
            px, py = points[k]
            if seg2 == 0:
                d = (px - ax) ** 2 + (py - ay) ** 2
            else:
                cross = dx * (py - ay) - dy * (px - ax)
                d = cross * cross / seg2
            if d > best_d:
                best, best_d = k, d
        if best_d > tol2:
            keep[best] = True
            stack.append((i, best))
            stack.append((best, j))
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring_points(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        pts.extend(arc if not pts else arc[1:])
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    return pts


def clip(ring: list[tuple[float, float]], x0: float, y0: float, x1: float, y1: float):
    """Sutherland-Hodgman clipping of a closed ring to an axis-aligned rectangle."""
    def cut(pts, inside, cross):
        out = []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
        return out

    def at_x(x):
        return lambda p, q: (x, p[1] + (q[1] - p[1]) * (x - p[0]) / (q[0] - p[0]))

    def at_y(y):
        return lambda p, q: (p[0] + (q[0] - p[0]) * (y - p[1]) / (q[1] - p[1]), y)

    pts = ring
    for inside, cross in (
        (lambda p: p[0] >= x0, at_x(x0)),
        (lambda p: p[0] <= x1, at_x(x1)),
        (lambda p: p[1] >= y0, at_y(y0)),
        (lambda p: p[1] <= y1, at_y(y1)),
    ):
        if not pts:
            break
        pts = cut(pts, inside, cross)
    return pts


def area(ring: list[tuple[float, float]]) -> float:
    s = 0.0
    for i, (x, y) in enumerate(ring):
        px, py = ring[i - 1]
        s += px * y - x * py
    return s / 2.0


def fmt(v: float) -> str:
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    if s == "-0":
        s = "0"
    return s


def path_of(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in rings:
        pts = [(round(x, 1), round(y, 1)) for x, y in ring]
        dedup = [pts[0]]
        for p in pts[1:]:
            if p != dedup[-1]:
                dedup.append(p)
        if len(dedup) < 3:
            continue
        x, y = dedup[0]
        cmd = [f"M{fmt(x)} {fmt(y)}l"]
        coords = []
        for nx, ny in dedup[1:]:
            dx, dy = round(nx - x, 1), round(ny - y, 1)
            coords.append(f"{fmt(dx)} {fmt(dy)}")
            x, y = nx, ny
        parts.append(cmd[0] + " ".join(coords) + "z")
    return "".join(parts)


def pole_of_inaccessibility(rings: list[list[tuple[float, float]]]) -> tuple[float, float]:
    """Point inside the polygon (outer ring + holes) farthest from its edges, in lon/lat.

    Works in a local plane (longitude scaled by the cosine of the mean latitude); a grid
    search refined twice around the best cell. Good to a few kilometres.
    """
    outer = np.array(rings[0])
    lat_c = float(outer[:, 1].mean())
    c = math.cos(math.radians(lat_c))
    polys = [np.array(r) * np.array([c, 1.0]) for r in rings]
    segs_a = np.concatenate([p for p in polys])
    segs_b = np.concatenate([np.roll(p, -1, axis=0) for p in polys])
    d = segs_b - segs_a
    len2 = np.maximum((d**2).sum(axis=1), 1e-18)

    def inside(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        res = np.zeros(px.shape, dtype=bool)
        for poly in polys:
            x1, y1 = poly[:, 0], poly[:, 1]
            x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
            cond = (y1[None, :] > py[:, None]) != (y2[None, :] > py[:, None])
            with np.errstate(divide="ignore", invalid="ignore"):
                xint = x1[None, :] + (py[:, None] - y1[None, :]) * (x2 - x1)[None, :] / (y2 - y1)[None, :]
            crossing = cond & (px[:, None] < xint)
            res ^= (crossing.sum(axis=1) % 2).astype(bool)
        return res

    def dist(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        out = np.empty(px.shape)
        for i in range(len(px)):
            p = np.array([px[i], py[i]])
            t = np.clip(((p - segs_a) * d).sum(axis=1) / len2, 0.0, 1.0)
            proj = segs_a + t[:, None] * d
            out[i] = np.sqrt(((proj - p) ** 2).sum(axis=1)).min()
        return out

    poly0 = polys[0]
    xmin, ymin = poly0.min(axis=0)
    xmax, ymax = poly0.max(axis=0)
    best = ((xmin + xmax) / 2, (ymin + ymax) / 2)
    best_d = -1.0
    span_x, span_y = xmax - xmin, ymax - ymin
    cx, cy = best
    for _round in range(3):
        gx, gy = np.meshgrid(np.linspace(cx - span_x / 2, cx + span_x / 2, 41),
                             np.linspace(cy - span_y / 2, cy + span_y / 2, 41))
        px, py = gx.ravel(), gy.ravel()
        mask = inside(px, py)
        if mask.any():
            px, py = px[mask], py[mask]
            dd = dist(px, py)
            i = int(dd.argmax())
            if dd[i] > best_d:
                best, best_d = (float(px[i]), float(py[i])), float(dd[i])
        cx, cy = best
        span_x /= 8
        span_y /= 8
    if best_d < 0:  # a sliver the grid missed: the first vertex will do
        best = (float(poly0[0, 0]), float(poly0[0, 1]))
    return best[0] / c, best[1]


def local_area(ring: list[tuple[float, float]]) -> float:
    lat_c = sum(p[1] for p in ring) / len(ring)
    c = math.cos(math.radians(lat_c))
    return abs(area([(x * c, y) for x, y in ring]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="countries-50m.json of world-atlas")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()

    topo = json.loads(args.topojson.read_text(encoding="utf-8"))
    package_json = args.topojson.parent / "package.json"
    version = json.loads(package_json.read_text())["version"] if package_json.exists() else "?"
    iso = json.loads(ISO_CODES.read_text(encoding="utf-8"))["3166-1"]
    numeric_to_alpha2 = {row["numeric"]: row["alpha_2"] for row in iso}

    prm = frame()
    width, height = prm["width"], prm["height"]
    lonlat_arcs = decode_arcs(topo)
    screen_arcs: dict[int, list[tuple[float, float]]] = {}

    def arcs_for(ring: list[int]) -> list[list[tuple[float, float]]]:
        # Only the arcs a shape in the view needs are projected and simplified.
        for index in ring:
            i = index if index >= 0 else ~index
            if i not in screen_arcs:
                pts = [to_screen(lon, lat, prm) for lon, lat in lonlat_arcs[i]]
                screen_arcs[i] = simplify(pts, TOLERANCE)
        return screen_arcs  # type: ignore[return-value]

    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    points: dict[str, tuple[float, float]] = {}
    biggest: dict[str, float] = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom.get("properties", {}).get("name", "")
        code = numeric_to_alpha2.get(str(geom.get("id"))) or EXTRA_CODES.get(name)
        if not code or geom["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for polygon in polygons:
            lonlat_rings = [ring_points(r, lonlat_arcs) for r in polygon]
            if len(lonlat_rings[0]) < 3:
                continue
            size = local_area(lonlat_rings[0])
            if name != "N. Cyprus" and size > biggest.get(code, -1.0):
                biggest[code] = size
                points[code] = pole_of_inaccessibility(lonlat_rings)
            # A polygon far from the view is skipped before projecting it.
            lons = [p[0] for p in lonlat_rings[0]]
            lats = [p[1] for p in lonlat_rings[0]]
            if max(lons) < -45 or min(lons) > 75 or max(lats) < 20 or min(lats) > 85:
                continue
            for ring in polygon:
                arcs = arcs_for(ring)
                pts = ring_points(ring, arcs)  # type: ignore[arg-type]
                m = CLIP_MARGIN
                clipped = clip(pts, -m, -m, width + m, height + m)
                if len(clipped) >= 3:
                    shapes.setdefault(code, []).append(clipped)

    out_shapes: dict[str, str] = {}
    for code in sorted(shapes):
        rings = shapes[code]
        largest = max(abs(area(r)) for r in rings)
        if largest < 0.3:
            continue
        kept = [r for r in rings if abs(area(r)) >= MIN_RING_AREA or abs(area(r)) == largest]
        path = path_of(kept)
        if path:
            out_shapes[code] = path
    for code, pt in EXTRA_POINTS.items():
        points.setdefault(code, pt)
    points.update(OVERRIDE_POINTS)

    lines = [
        '"""Country outlines of Europe for the twinning map: GENERATED, do not edit.',
        "",
        "Made by tools/make_europe_shapes.py from ``countries-50m.json`` of the npm package",
        f"``{PACKAGE}`` version {version} (Natural Earth 1:50m admin-0 countries, converted to",
        "TopoJSON by Michael Bostock). Licence of the package: ISC,",
        "",
        "    Copyright 2013-2019 Michael Bostock",
        "",
        "    Permission to use, copy, modify, and/or distribute this software for any purpose",
        "    with or without fee is hereby granted, provided that the above copyright notice",
        "    and this permission notice appear in all copies.",
        "",
        "Natural Earth data itself is in the public domain. Borders are Natural Earth's",
        "de facto ones, the northern part of Cyprus is drawn as part of CY, Kosovo is XK.",
        "",
        "``PROJECTION``: spherical Lambert azimuthal equal-area centred on (lon0, lat0), on the",
        "unit sphere, then ``sx = (x - x_min) * scale`` and ``sy = (y_max - y) * scale``.",
        "``SHAPES``: ISO 3166-1 alpha-2 -> SVG path data in the viewBox ``0 0 width height``",
        "(arcs simplified with Douglas-Peucker, shared borders kept identical, clipped to the",
        "view). ``POINTS``: ISO alpha-2 -> (longitude, latitude) of a label point inside each",
        "country of the atlas (its largest polygon's pole of inaccessibility), the whole world,",
        "so that places outside the view can be clamped to its edge.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
        f"PACKAGE = {PACKAGE!r}",
        f"PACKAGE_VERSION = {version!r}",
        "",
        "PROJECTION = {",
    ]
    for key in ("lon0", "lat0", "scale", "x_min", "y_max", "width", "height"):
        lines.append(f"    {key!r}: {prm[key]!r},")
    lines.append("}")
    lines.append("")
    lines.append("POINTS = {")
    for code in sorted(points):
        lon, lat = points[code]
        lines.append(f"    {code!r}: ({round(lon, 2)!r}, {round(lat, 2)!r}),")
    lines.append("}")
    lines.append("")
    lines.append("SHAPES = {")
    for code in sorted(out_shapes):
        lines.append(f"    {code!r}: {out_shapes[code]!r},")
    lines.append("}")
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(out_shapes)} shapes, {len(points)} points, "
          f"{args.output.stat().st_size / 1024:.0f} KiB, viewBox 0 0 {width:g} {height:g}")


if __name__ == "__main__":
    main()
