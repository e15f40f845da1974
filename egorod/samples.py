"""The sample pictures and the sample video of the sample content, drawn here rather than
taken from anyone: no author, no licence, no person or place that could be mistaken for a
real one.

    python -m egorod.samples      # (re)draws them beside the sample entries that show them

The video is a few seconds of frames drawn with Pillow, encoded with PyAV (FFmpeg) to WebM
(VP9) and MP4 (H.264); the files, a few dozen kilobytes, are committed with the content, so
that the build never encodes anything.
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


# --- the sample exhibition: eight city views, drawn twice as large and scaled down (smooth edges) --

EXHIBITION = "content/exhibitions/gorod-v-vosmi-vidakh"
VIEW_SIZE = (1200, 900)
Colour = tuple[int, int, int]


def _sky(draw: ImageDraw.ImageDraw, width: int, horizon: int, top: Colour, bottom: Colour) -> None:
    for y in range(horizon):
        t = y / max(1, horizon - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def _canvas(top: Colour, bottom: Colour, horizon: float) -> tuple[Image.Image, ImageDraw.ImageDraw, int, int, int]:
    width, height = 2 * VIEW_SIZE[0], 2 * VIEW_SIZE[1]
    image = Image.new("RGB", (width, height), bottom)
    draw = ImageDraw.Draw(image)
    _sky(draw, width, int(height * horizon), top, bottom)
    return image, draw, width, height, int(height * horizon)


def _finish(image: Image.Image) -> Image.Image:
    return image.resize(VIEW_SIZE, Image.Resampling.LANCZOS)


def river_at_dusk() -> Image.Image:
    """A river at dusk: an arched bridge, the low sun and its path on the water."""
    image, draw, width, height, horizon = _canvas((52, 40, 92), (246, 160, 96), 0.55)
    draw.ellipse([width * 0.62, horizon - 210, width * 0.62 + 260, horizon + 50], fill=(255, 214, 120))
    draw.rectangle([0, horizon, width, height], fill=(38, 52, 96))
    for y in range(horizon + 20, height, 46):                       # the sun's path on the water
        half = 40 + (y - horizon) // 5
        draw.line([(width * 0.62 + 130 - half, y), (width * 0.62 + 130 + half, y)], fill=(250, 190, 110), width=8)
    deck = horizon - 60
    draw.rectangle([0, deck, width, deck + 40], fill=(30, 28, 44))  # the bridge's deck and arches
    for x in range(0, width, 600):
        draw.pieslice([x + 40, deck + 10, x + 560, deck + 420], 180, 360, fill=(38, 52, 96))
        draw.rectangle([x - 20, deck, x + 40, horizon + 120], fill=(30, 28, 44))
    for x in range(60, width, 200):                                 # its lamps
        draw.line([(x, deck), (x, deck - 90)], fill=(30, 28, 44), width=8)
        draw.ellipse([x - 14, deck - 110, x + 14, deck - 82], fill=(255, 226, 150))
    return _finish(image)


def old_street() -> Image.Image:
    """A street of old two- and three-storey houses with pitched roofs."""
    image, draw, width, height, horizon = _canvas((120, 180, 235), (215, 235, 250), 0.75)
    colours = [(222, 170, 120), (236, 214, 160), (180, 120, 110), (200, 210, 180), (230, 190, 190)]
    x, index = 0, 0
    while x < width:
        w, floors = 360 + 60 * (index % 3), 2 + index % 2
        top = horizon - floors * 230
        draw.rectangle([x, top, x + w, horizon], fill=colours[index % len(colours)], outline=(90, 70, 60), width=4)
        draw.polygon([(x - 10, top), (x + w // 2, top - 170), (x + w + 10, top)], fill=(140, 70, 60))
        for floor in range(floors):
            for column in range(3):
                wx, wy = x + 40 + column * (w - 80) // 3, top + 50 + floor * 230
                draw.rectangle([wx, wy, wx + (w - 80) // 3 - 40, wy + 120], fill=(70, 90, 120), outline=(250, 250, 240),
                               width=6)
        x, index = x + w, index + 1
    draw.rectangle([0, horizon, width, height], fill=(150, 150, 150))      # the pavement and its stones
    for y in range(horizon + 30, height, 60):
        for x in range((y // 60 % 2) * 60, width, 120):
            draw.rectangle([x, y, x + 110, y + 50], outline=(120, 120, 120), width=3)
    return _finish(image)


def towers_at_night() -> Image.Image:
    """Tower blocks at night, their windows lit here and there."""
    image, draw, width, height, horizon = _canvas((8, 12, 40), (40, 50, 100), 0.85)
    draw.ellipse([width - 420, 120, width - 260, 280], fill=(240, 240, 220))            # the moon
    for index, x in enumerate(range(40, width, 330)):
        tall = 700 + (index * 370) % 700
        draw.rectangle([x, horizon - tall, x + 270, horizon], fill=(28, 32, 52))
        for row, y in enumerate(range(horizon - tall + 40, horizon - 40, 70)):
            for column, wx in enumerate(range(x + 25, x + 250, 60)):
                lit = (row * 7 + column * 3 + index * 5) % 5 < 2
                draw.rectangle([wx, y, wx + 34, y + 40], fill=(255, 210, 110) if lit else (50, 56, 80))
    draw.rectangle([0, horizon, width, height], fill=(20, 20, 30))
    return _finish(image)


def park_from_above() -> Image.Image:
    """A park seen from above: lawns, winding paths, a pond and round crowns of trees."""
    image, draw, width, height, _ = _canvas((110, 170, 90), (110, 170, 90), 0.0)
    draw.ellipse([width * 0.55, height * 0.15, width * 0.9, height * 0.55], fill=(80, 150, 200))      # the pond
    for points in ([(0, 1300), (700, 1100), (1200, 1300), (2400, 900)], [(900, 0), (1000, 700), (800, 1800)]):
        draw.line(points, fill=(226, 206, 160), width=70, joint="curve")
    for index in range(60):
        x, y = (index * 397) % width, (index * 263) % height
        if (x - width * 0.72) ** 2 / 420 ** 2 + (y - height * 0.35) ** 2 / 360 ** 2 < 1:
            continue                                                            # no tree in the pond
        r = 50 + (index * 13) % 50
        draw.ellipse([x - r + 12, y - r + 12, x + r + 12, y + r + 12], fill=(60, 110, 60))     # shade
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(50 + index % 3 * 20, 130 + index % 4 * 15, 60))
    return _finish(image)


def tram_on_the_avenue() -> Image.Image:
    """A tram on an avenue: rails, the overhead wire, the red and white car."""
    image, draw, width, height, horizon = _canvas((150, 200, 240), (230, 240, 250), 0.55)
    draw.rectangle([0, horizon - 300, width, horizon], fill=(200, 200, 210))               # far houses
    draw.rectangle([0, horizon, width, height], fill=(110, 110, 115))
    for y in (horizon + 420, horizon + 560):
        draw.line([(0, y), (width, y)], fill=(200, 200, 200), width=12)                     # rails
    draw.line([(0, 260), (width, 260)], fill=(40, 40, 40), width=6)                          # overhead wire
    left, top, right, bottom = 500, horizon - 80, 1900, horizon + 480
    draw.rounded_rectangle([left, top, right, bottom], radius=60, fill=(200, 40, 50))
    draw.rectangle([left, top + 280, right, top + 340], fill=(250, 250, 250))
    for x in range(left + 60, right - 100, 230):
        draw.rounded_rectangle([x, top + 60, x + 180, top + 240], radius=20, fill=(180, 220, 240))
    draw.line([(1200, top), (1100, 260), (1300, 260)], fill=(40, 40, 40), width=10)           # pantograph
    for x in (left + 200, right - 200):
        draw.ellipse([x - 70, bottom - 60, x + 70, bottom + 80], fill=(40, 40, 40))
    return _finish(image)


def winter_square() -> Image.Image:
    """A square in winter: snow, a decorated fir tree, falling snowflakes."""
    image, draw, width, height, horizon = _canvas((40, 60, 110), (120, 140, 190), 0.65)
    draw.rectangle([0, horizon, width, height], fill=(235, 240, 250))
    cx = width // 2
    for level in range(4):                                                    # the fir tree
        top, base = 300 + level * 260, 700 + level * 260
        half = 220 + level * 130
        draw.polygon([(cx, top), (cx - half, base), (cx + half, base)], fill=(30, 110, 60))
    draw.rectangle([cx - 50, 1480, cx + 50, 1620], fill=(90, 60, 40))
    draw.regular_polygon((cx, 290, 70), 5, rotation=-90, fill=(255, 210, 80))
    for index in range(40):                                                   # its lights
        x, y = cx - 500 + (index * 211) % 1000, 600 + (index * 137) % 900
        if abs(x - cx) < (y - 250) * 0.55:
            draw.ellipse([x - 16, y - 16, x + 16, y + 16], fill=[(255, 90, 90), (255, 220, 90), (120, 200, 255)][index % 3])
    for index in range(160):                                                  # snow
        x, y = (index * 733) % width, (index * 419) % height
        draw.ellipse([x - 7, y - 7, x + 7, y + 7], fill=(255, 255, 255))
    return _finish(image)


def theatre_facade() -> Image.Image:
    """A theatre: a pediment on columns, steps, the doors lit."""
    image, draw, width, height, horizon = _canvas((250, 200, 150), (250, 230, 200), 0.8)
    left, right, top = 400, width - 400, 520
    draw.polygon([(left - 60, top), (width // 2, 200), (right + 60, top)], fill=(236, 228, 210), outline=(150, 130, 110),
                 width=8)
    draw.rectangle([left - 60, top, right + 60, top + 90], fill=(220, 210, 190))
    draw.rectangle([left, top + 90, right, horizon], fill=(200, 180, 150))
    for x in range(left + 40, right - 40, 200):                               # columns
        draw.rectangle([x, top + 90, x + 90, horizon - 20], fill=(245, 240, 228), outline=(170, 150, 130), width=4)
    for x in range(left + 160, right - 160, 400):                             # doors
        draw.rectangle([x, horizon - 380, x + 120, horizon - 20], fill=(255, 200, 110))
    for step in range(4):
        draw.rectangle([left - 100 - step * 60, horizon + step * 60, right + 100 + step * 60, horizon + (step + 1) * 60],
                       fill=(200 - step * 10, 190 - step * 10, 175 - step * 10), outline=(150, 140, 130), width=3)
    draw.rectangle([0, horizon + 240, width, height], fill=(170, 160, 150))
    return _finish(image)


def metro_hall() -> Image.Image:
    """A metro hall: a vault on pylons, lamps along the axis, the platform edge."""
    image, draw, width, height, _ = _canvas((60, 50, 70), (60, 50, 70), 0.0)
    cx, cy = width // 2, height // 2 + 100
    for ring in range(12, 0, -1):                                             # the vault, arch by arch
        scale = ring / 12
        w, h = width * 0.95 * scale, height * 1.1 * scale
        shade = 230 - ring * 12
        draw.pieslice([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 180, 360, fill=(shade, shade - 20, shade - 40))
        draw.rectangle([cx - w / 2, cy, cx - w / 2 + 80 * scale, cy + h / 3], fill=(150, 60, 60))     # pylons
        draw.rectangle([cx + w / 2 - 80 * scale, cy, cx + w / 2, cy + h / 3], fill=(150, 60, 60))
        draw.ellipse([cx - 30 * scale, cy - h / 2 + 40 * scale, cx + 30 * scale, cy - h / 2 + 100 * scale],
                     fill=(255, 240, 200))
    draw.polygon([(0, height), (cx - 60, cy + 40), (cx + 60, cy + 40), (width, height)], fill=(120, 110, 110))
    draw.line([(200, height), (cx - 40, cy + 40)], fill=(240, 200, 60), width=14)       # the platform edge
    return _finish(image)


# (file, drawing) in the order of the exhibition's pictures list
EXHIBITION_VIEWS = (("01-reka-na-zakate.jpg", river_at_dusk), ("02-staraya-ulitsa.jpg", old_street),
                    ("03-vysotki-nochyu.jpg", towers_at_night), ("04-park-sverkhu.jpg", park_from_above),
                    ("05-tramvay.jpg", tram_on_the_avenue), ("06-zimnyaya-ploshchad.jpg", winter_square),
                    ("07-teatr.jpg", theatre_facade), ("08-metro.jpg", metro_hall))


# The sample videos (content/video/): a tram along the embankment, kept on the site, and the
# poster of a video on an outside host.
TRAM_VIDEO = "content/video/tramvay-na-naberezhnoy"        # + .webm, .mp4, .jpg (poster)
HALL_POSTER = "content/video/magiya-teatra-obzor.jpg"
FRAME_SIZE = (640, 360)
FPS, SECONDS = 12, 6


def tram_frame(progress: float, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The embankment at dawn with a tram crossing it from left to right, ``progress`` 0…1."""
    width, height = size
    image = embankment(width, height)
    draw = ImageDraw.Draw(image)
    shore = int(height * 0.7)
    rail = shore + int(height * 0.16)
    draw.line([(0, rail), (width, rail)], fill=(90, 80, 70), width=max(2, height // 120))
    length, tall = int(width * 0.36), int(height * 0.16)
    left = int(-length + progress * (width + length))
    top = rail - tall
    draw.rounded_rectangle([left, top, left + length, rail - 2], radius=tall // 5, fill=(200, 40, 40))
    for index in range(5):                                                  # windows
        x = left + length * (index * 2 + 1) // 11
        draw.rectangle([x, top + tall // 5, x + length // 11, top + tall // 2], fill=(235, 240, 250))
    draw.line([(left + length // 2, top), (left + length // 2 + tall // 3, top - tall // 2)],
              fill=(40, 40, 40), width=max(2, height // 180))               # pantograph
    draw.line([(0, top - tall // 2), (width, top - tall // 2)], fill=(60, 60, 60), width=1)   # wire
    return image


def encode_video(frames: list[Image.Image], path: Path, codec: str, fps: int = FPS) -> None:
    """``frames`` as a video file (the container from the suffix) in ``codec``, small and silent."""
    import av  # only for drawing the samples again: the build never encodes
    # an MP4's index at its start: a browser can begin to play before the whole file is there
    options = {"movflags": "+faststart"} if path.suffix == ".mp4" else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)      # (a video codec gives a video stream)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        # quality over size does not matter for a drawing: a few dozen kilobytes
        stream.options = {"crf": "40", "b:v": "0"} if codec == "libvpx-vp9" else {"crf": "32", "preset": "slow"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def hall_poster(width: int = 1600, height: int = 900) -> Image.Image:
    """A theatre stage seen from the stalls: curtain, lit stage, rows of seats."""
    image = Image.new("RGB", (width, height), (30, 20, 30))
    draw = ImageDraw.Draw(image)
    stage_top, stage_bottom = int(height * 0.18), int(height * 0.62)
    draw.rectangle([int(width * 0.12), stage_top, int(width * 0.88), stage_bottom], fill=(240, 215, 150))
    for side in (0, 1):                                                  # curtains
        x0 = int(width * 0.12) if side == 0 else int(width * 0.72)
        for fold in range(8):
            x = x0 + fold * int(width * 0.02)
            draw.rectangle([x, stage_top, x + int(width * 0.015), stage_bottom], fill=(150 - fold * 6, 20, 30))
    draw.rectangle([0, 0, width, stage_top], fill=(120, 15, 25))          # pelmet
    for row in range(6):                                                   # seats
        y = stage_bottom + 30 + row * int(height * 0.06)
        for x in range(40 + (row % 2) * 30, width - 40, 60):
            draw.rounded_rectangle([x, y, x + 44, y + int(height * 0.045)], radius=8, fill=(110 - row * 8, 25, 40))
    return image


def main(root: Path = Path(".")) -> None:
    embankment().save(root / EMBANKMENT, "JPEG", quality=85, optimize=True)
    route_network().save(root / ROUTE_NETWORK, "PNG", optimize=True)
    for name, draw in EXHIBITION_VIEWS:
        draw().save(root / EXHIBITION / name, "JPEG", quality=82, optimize=True)
    frames = [tram_frame(index / (FPS * SECONDS - 1)) for index in range(FPS * SECONDS)]
    encode_video(frames, root / f"{TRAM_VIDEO}.webm", "libvpx-vp9")
    encode_video(frames, root / f"{TRAM_VIDEO}.mp4", "libx264")
    tram_frame(0.45, (1280, 720)).save(root / f"{TRAM_VIDEO}.jpg", "JPEG", quality=85, optimize=True)
    hall_poster().save(root / HALL_POSTER, "JPEG", quality=85, optimize=True)


if __name__ == "__main__":
    main()
