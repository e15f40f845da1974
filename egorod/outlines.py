"""The country outlines under the map of member cities, made once from Natural Earth.

Natural Earth (public domain) is shipped as TopoJSON by the npm package ``world-atlas``
(pinned in package.json). ``python -m egorod.outlines`` turns its 1:50m countries into
``egorod/data/outlines.json``: only the region from the Baltic to the Pacific, clipped and
simplified to what a page-wide map shows, in plain longitude/latitude. The file is committed,
so that a build needs neither node nor the network; tests/test_citymap.py checks that it is
what this module makes from the pinned package.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SOURCE = PROJECT / "node_modules" / "world-atlas" / "countries-50m.json"
TARGET = Path(__file__).resolve().parent / "data" / "outlines.json"

# Longitudes run past 180° so that Chukotka stays beside the rest of Russia.
WEST, EAST, SOUTH, NORTH = 12.0, 195.0, 30.0, 84.0
TOLERANCE = 0.08        # degrees: below a pixel of the map at its widest
Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True)
class Outline:
    name: str               # Natural Earth's English name
    rings: list[Ring]       # outer rings and holes alike: drawn with the even-odd rule


def decode_arcs(topology: dict) -> list[Ring]:
    """TopoJSON's quantized, delta-encoded arcs as longitude/latitude points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_of(indices: list[int], arcs: list[Ring]) -> Ring:
    """A ring from arc indices (``~i`` is arc i reversed); shared end points are kept once."""
    ring: Ring = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def unwrap(ring: Ring) -> Ring:
    """A ring wholly beyond the antimeridian (Chukotka, Alaska's islands) at 180–260°;
    Natural Earth splits rings there, so no ring has points on both sides."""
    if max(lon for lon, _ in ring) < -100:
        return [(lon + 360, lat) for lon, lat in ring]
    return ring


def clip(ring: Ring) -> Ring:
    """Sutherland–Hodgman against the region's rectangle."""
    edges = [(0, WEST, 1), (0, EAST, -1), (1, SOUTH, 1), (1, NORTH, -1)]
    for axis, limit, side in edges:
        def inside(p: Point, axis: int = axis, limit: float = limit, side: int = side) -> bool:
            return (p[axis] - limit) * side >= 0
        out: Ring = []
        for i, current in enumerate(ring):
            previous = ring[i - 1]
            if inside(current) != inside(previous):
                t = (limit - previous[axis]) / (current[axis] - previous[axis])
                out.append((previous[0] + t * (current[0] - previous[0]),
                            previous[1] + t * (current[1] - previous[1])))
            if inside(current):
                out.append(current)
        ring = out
        if not ring:
            break
    return ring


def simplify(points: Ring, tolerance: float = TOLERANCE) -> Ring:
    """Douglas–Peucker (iterative): the points that keep the shape within ``tolerance``."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        farthest, distance = first, 0.0
        for i in range(first + 1, last):
            x, y = points[i]
            d = (abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length if length
                 else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
            if d > distance:
                farthest, distance = i, d
        if distance > tolerance:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def outlines(topology: dict) -> list[Outline]:
    arcs = decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])], "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        rings = []
        for polygon in polygons:
            for indices in polygon:
                ring = simplify(clip(unwrap(ring_of(indices, arcs))))
                if len(ring) >= 4:
                    rings.append([(round(lon, 2), round(lat, 2)) for lon, lat in ring])
        if rings:
            result.append(Outline(geometry["properties"]["name"], rings))
    return sorted(result, key=lambda o: o.name)


def to_json(items: list[Outline]) -> str:
    data = {"source": "Natural Earth 1:50m countries (public domain), from the npm package world-atlas",
            "countries": [{"name": o.name, "rings": o.rings} for o in items]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def load(path: Path = TARGET) -> list[Outline]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Outline(c["name"], [[(lon, lat) for lon, lat in ring] for ring in c["rings"]])
            for c in data["countries"]]


def main() -> int:
    if not SOURCE.is_file():
        print(f"{SOURCE} is missing: run `npm ci` first", file=sys.stderr)
        return 1
    TARGET.write_text(to_json(outlines(json.loads(SOURCE.read_text(encoding="utf-8")))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
