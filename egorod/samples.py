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
    frames = [tram_frame(index / (FPS * SECONDS - 1)) for index in range(FPS * SECONDS)]
    encode_video(frames, root / f"{TRAM_VIDEO}.webm", "libvpx-vp9")
    encode_video(frames, root / f"{TRAM_VIDEO}.mp4", "libx264")
    tram_frame(0.45, (1280, 720)).save(root / f"{TRAM_VIDEO}.jpg", "JPEG", quality=85, optimize=True)
    hall_poster().save(root / HALL_POSTER, "JPEG", quality=85, optimize=True)


if __name__ == "__main__":
    main()
