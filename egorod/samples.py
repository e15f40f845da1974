"""The sample pictures of the sample content, drawn here rather than taken from anyone: no
author, no licence, no person or place that could be mistaken for a real one.

    python -m egorod.samples      # (re)draws them beside the sample entries that show them
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

# Where each picture goes, relative to the repository root; the entries that show them are
# marked `sample: true`.
EMBANKMENT = "content/practices/blagoustroystvo-gorodskoy-naberezhnoy.jpg"
ROUTE_NETWORK = "content/vestnik/75/marshrutnaya-set.png"


def embankment(width: int = 2400, height: int = 1500) -> Image.Image:
    """A river embankment: sky, far bank, water, a promenade with lamps and trees."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon, shore = int(height * 0.45), int(height * 0.7)
    for y in range(horizon):                                  # sky, lighter towards the horizon
        shade = 150 + 90 * y // horizon
        draw.line([(0, y), (width, y)], fill=(shade - 60, shade - 20, 255))
    draw.rectangle([0, horizon - 60, width, horizon], fill=(95, 120, 110))          # far bank
    for x in range(0, width, 140):                                                # its houses
        draw.rectangle([x + 20, horizon - 130, x + 100, horizon - 60], fill=(200, 190, 170))
    for y in range(horizon, shore):                                               # water
        draw.line([(0, y), (width, y)], fill=(40, 90 + (y - horizon) // 6, 140))
    draw.rectangle([0, shore, width, height], fill=(190, 180, 160))               # promenade
    draw.rectangle([0, shore, width, shore + 14], fill=(120, 110, 100))           # parapet
    for x in range(80, width, 320):
        draw.line([(x, shore), (x, shore - 160)], fill=(40, 40, 40), width=6)     # lamp post
        draw.ellipse([x - 14, shore - 180, x + 14, shore - 152], fill=(255, 230, 150))
        draw.rectangle([x + 150, shore + 40, x + 166, shore + 160], fill=(90, 60, 40))      # trunk
        draw.ellipse([x + 90, shore - 60, x + 226, shore + 70], fill=(60, 130, 60))        # crown
    return image


def route_network(width: int = 1200, height: int = 800) -> Image.Image:
    """A diagram of a route network: trunk lines across the city and feeder lines to them."""
    image = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    centre = (width // 2, height // 2)
    trunks = [((60, height // 2), (width - 60, height // 2)), ((width // 2, 60), (width // 2, height - 60)),
              ((120, 100), (width - 120, height - 100))]
    for start, end in trunks:
        draw.line([start, end], fill=(18, 53, 91), width=14)
    for index, (x, y) in enumerate([(200, 650), (1000, 150), (300, 180), (950, 680), (150, 420)]):
        target = trunks[index % len(trunks)][0 if index % 2 else 1]
        draw.line([(x, y), ((x + target[0]) // 2, (y + target[1]) // 2)], fill=(214, 96, 42), width=6)
        draw.ellipse([x - 12, y - 12, x + 12, y + 12], fill=(214, 96, 42))
    draw.ellipse([centre[0] - 30, centre[1] - 30, centre[0] + 30, centre[1] + 30], fill=(255, 255, 255),
                 outline=(18, 53, 91), width=8)
    # twice as many pixels: the Vestnik prints it across the column at over 300 dpi
    return image.resize((2 * width, 2 * height), Image.Resampling.LANCZOS)


def main(root: Path = Path(".")) -> None:
    embankment().save(root / EMBANKMENT, "JPEG", quality=85, optimize=True)
    route_network().save(root / ROUTE_NETWORK, "PNG", optimize=True)


if __name__ == "__main__":
    main()
