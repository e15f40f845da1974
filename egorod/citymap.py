"""The map of member cities: Natural Earth outlines and the cities, as inline SVG made at
build time (no tiles, no script).

A Lambert conformal conic projection with standard parallels 52° and 64° keeps the shapes
from Kaliningrad to Kamchatka recognisable (the projection Russia's own small-scale maps
use); north is up along the 100th meridian. The same outlines, simplified further, make
the small locator map of each city page.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from html import escape
from typing import Callable

from markupsafe import Markup

from . import outlines as ne
from . import routes as r
from .content import City
from .model import Site

WIDTH = 960
PAD = 16
# The region the map always shows, whatever cities there are: the Baltic, the Kola
# peninsula, Taymyr, Chukotka, Kamchatka, the Caucasus and the Pamirs.
FRAME = [(15.0, 51.0), (34.0, 70.0), (100.0, 77.0), (178.0, 66.0), (160.0, 50.0),
         (40.0, 40.0), (70.0, 36.5)]
MAP_TOLERANCE = 0.6         # px: finer than that the eye cannot see at full width
LOCATOR_TOLERANCE = 4.0     # px of the full map: the locator is a third of its size
LOCATOR_WIDTH = 320
Projector = Callable[[float, float], tuple[float, float]]


def lambert_conic(lon0: float = 100.0, lat1: float = 52.0, lat2: float = 64.0, lat0: float = 60.0) -> Projector:
    """Spherical Lambert conformal conic: longitude/latitude in degrees → plane, y up."""
    p1, p2, p0 = (math.radians(v) for v in (lat1, lat2, lat0))

    def t(phi: float) -> float:
        return math.tan(math.pi / 4 + phi / 2)

    n = math.log(math.cos(p1) / math.cos(p2)) / math.log(t(p2) / t(p1))
    f = math.cos(p1) * t(p1) ** n / n
    rho0 = f / t(p0) ** n

    def project(lon: float, lat: float) -> tuple[float, float]:
        rho = f / t(math.radians(lat)) ** n
        theta = n * math.radians((lon - lon0 + 180) % 360 - 180)
        return rho * math.sin(theta), rho0 - rho * math.cos(theta)
    return project


@dataclass(frozen=True)
class Frame:
    """Plane coordinates → SVG pixels (y down), fitted around the region."""
    scale: float
    left: float
    top: float
    width: int
    height: int

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return PAD + (x - self.left) * self.scale, PAD + (self.top - y) * self.scale


def fit(points: list[tuple[float, float]], width: int = WIDTH) -> Frame:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    scale = (width - 2 * PAD) / (max(xs) - min(xs))
    return Frame(scale, min(xs), max(ys), width, math.ceil((max(ys) - min(ys)) * scale + 2 * PAD))


@dataclass(frozen=True)
class MapGeometry:
    frame: Frame
    to_px: Callable[[float, float], tuple[float, float]]


def geometry(site: Site) -> MapGeometry:
    project = lambert_conic()
    places = FRAME + [(c.coordinates[1], c.coordinates[0]) for c in site.cities]
    frame = fit([project(lon, lat) for lon, lat in places])
    return MapGeometry(frame, lambda lon, lat: frame(*project(lon, lat)))


def path_data(points: list[tuple[float, float]]) -> str:
    """One closed ring as SVG path data: an absolute start, then relative steps in whole
    pixels (the outlines are most of the page's bytes)."""
    x0, y0 = round(points[0][0]), round(points[0][1])
    parts, (px, py) = [f"M{x0} {y0}l"], (x0, y0)
    for x, y in points[1:]:
        x, y = round(x), round(y)
        if (x, y) != (px, py):
            parts.append(f"{x - px} {y - py} ")
            px, py = x, y
    return "".join(parts).rstrip().replace(" -", "-") + "z"


@functools.lru_cache(maxsize=4)
def land_paths(frame: Frame, tolerance: float) -> tuple[str, ...]:
    """One path per country of Natural Earth that reaches into the frame."""
    project = lambert_conic()
    paths = []
    for outline in ne.load():
        rings = []
        for ring in outline.rings:
            pixels = ne.simplify([frame(*project(lon, lat)) for lon, lat in ring], tolerance)
            xs, ys = [p[0] for p in pixels], [p[1] for p in pixels]
            if len(pixels) >= 4 and max(xs) > 0 and min(xs) < frame.width and max(ys) > 0 and min(ys) < frame.height:
                rings.append(path_data(pixels))
        if rings:
            paths.append("".join(rings))
    return tuple(paths)


def land_svg(frame: Frame, tolerance: float) -> str:
    return ('<g class="land" aria-hidden="true">'
            + "".join(f'<path d="{d}"/>' for d in land_paths(frame, tolerance)) + "</g>")


@dataclass(frozen=True)
class Point:
    city: City
    x: float
    y: float
    country_index: int      # position of its country among those with cities: its colour
    capital: bool


def points(site: Site, to_px: Callable[[float, float], tuple[float, float]]) -> list[Point]:
    """The cities from north to south, so that a tab through them goes down the map."""
    countries = site.countries_with_cities
    index = {c.name: i for i, c in enumerate(countries)}
    capitals = {c.capital for c in countries if c.capital}
    found = []
    for city in sorted(site.cities, key=lambda c: (-c.coordinates[0], c.slug)):
        x, y = to_px(city.coordinates[1], city.coordinates[0])
        found.append(Point(city, x, y, index.get(city.country, 0), city.slug in capitals))
    return found


def label_place(point: Point, labelled: list[Point], width: int) -> str:
    """Where a name goes: right of its point; left near the right edge; above where another
    capital's name would run into it (Chișinău beside Tiraspol)."""
    if any(0 < other.x - point.x < 110 and abs(other.y - point.y) < 18 for other in labelled):
        return "above"
    return "left" if point.x > width - 140 else "right"


def label_svg(point: Point, place: str) -> str:
    """The city's name beside its point."""
    x, y, anchor = {"right": (point.x + 10, point.y + 5, "start"), "left": (point.x - 10, point.y + 5, "end"),
                    "above": (point.x, point.y - 12, "middle")}[place]
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(point.city.title)}</text>'


def point_svg(point: Point, place: str) -> str:
    kind = " capital" if point.capital else ""
    name = f"{point.city.title} ({point.city.country})" + (", столица" if point.capital else "")
    # The large transparent circle is the finger's target; the small one is what is seen.
    return (f'<a href="{r.city_url(point.city.slug)}" class="city-point country-{point.country_index}{kind}">'
            f'<title>{escape(name)}</title>'
            f'<circle class="hit" cx="{point.x:.1f}" cy="{point.y:.1f}" r="19"/>'
            f'<circle class="dot" cx="{point.x:.1f}" cy="{point.y:.1f}" r="{7 if point.capital else 5.5}"/>'
            f'{label_svg(point, place)}</a>')


def city_map_svg(site: Site) -> Markup:
    """The map of /cities/: outlines, every city a link named on hover and focus, capitals
    labelled. Points are ordered north to south; the page offers a skip link past them. No
    role=img: an image may not hold links (axe's nested-interactive)."""
    if not site.cities:
        return Markup("")
    geo = geometry(site)
    frame = geo.frame
    parts = [f'<svg class="city-map" viewBox="0 0 {frame.width} {frame.height}" '
             f'aria-labelledby="city-map-title" xmlns="http://www.w3.org/2000/svg">',
             '<title id="city-map-title">Карта городов — участников МАГ</title>',
             f'<rect class="sea" width="{frame.width}" height="{frame.height}"/>',
             land_svg(frame, MAP_TOLERANCE), '<g class="cities">']
    found = points(site, geo.to_px)
    capitals = [p for p in found if p.capital]
    parts += [point_svg(p, label_place(p, capitals, frame.width)) for p in found]
    parts.append("</g></svg>")
    return Markup("".join(parts))


def locator_svg(site: Site, city: City) -> Markup:
    """A small map of the region with one city marked, for the city's own page."""
    geo = geometry(site)
    frame = geo.frame
    x, y = geo.to_px(city.coordinates[1], city.coordinates[0])
    return Markup(
        f'<svg class="locator-map" viewBox="0 0 {frame.width} {frame.height}" width="{LOCATOR_WIDTH}" '
        f'height="{round(LOCATOR_WIDTH * frame.height / frame.width)}" role="img" aria-labelledby="locator-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="locator-title">{escape(city.title)} на карте региона</title>'
        f'<rect class="sea" width="{frame.width}" height="{frame.height}"/>{land_svg(frame, LOCATOR_TOLERANCE)}'
        f'<circle class="here" cx="{x:.1f}" cy="{y:.1f}" r="16"/></svg>')
