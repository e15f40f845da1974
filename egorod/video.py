"""МАГ-Видео: what a video entry's files and addresses must be, as pure functions.

A video is either kept beside its Markdown file (MP4 and/or WebM, a poster, WebVTT captions
in Russian) or published on an outside host (RuTube, VK Video, YouTube). The checks here
read bytes and text only: the media files are never decoded, and the host is never asked.

- ``duration``: written ``MM:SS`` or ``H:MM:SS`` (what players show), kept in seconds;
- ``media_problem``: an MP4 starts with its ``ftyp`` box, a WebM with an EBML header whose
  DocType is ``webm`` — a file merely renamed is refused;
- ``caption_problems``: a WebVTT file starts with ``WEBVTT``; each cue's timings are well
  formed, its end after its start, the starts never going back, and every cue within the
  video's duration;
- ``outside_video``: the address of the video on its host, checked against that host's forms,
  gives the embedded player's address (loaded only when the reader clicks) and the page to
  link to without JavaScript.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .i18n import _
from .schema import Invalid, text

# --- duration ------------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)$")


def duration(value: Any) -> int:
    """``MM:SS`` or ``H:MM:SS`` → seconds. YAML itself reads an unquoted ``1:30`` as the
    number 90 (base 60), which is the same duration: whole numbers are taken as seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        raw = text(value)
        match = _DURATION.match(raw)
        if not match:
            raise Invalid(_("{raw!r} is not a duration: write minutes and seconds MM:SS, or H:MM:SS, "
                            "e.g. \"03:25\"").format(raw=raw))
        hours, minutes, secs = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds < 1 or seconds > 24 * 3600:
        raise Invalid(_("a duration must be between 1 second and 24 hours, not {seconds} s").format(seconds=seconds))
    return seconds


def clock(seconds: int) -> str:
    """Seconds as a player shows them: 0:06, 3:25, 1:02:03."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: int) -> str:
    """ISO 8601 (schema.org's VideoObject): PT6S, PT3M25S, PT1H2M3S."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n) if seconds \
        else "PT0S"


# --- media files ---------------------------------------------------------------------------

MEDIA_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
CAPTIONS_SUFFIX = ".vtt"


def media_file_name(value: Any) -> str:
    """A video file beside the Markdown: a plain name ending in .mp4 or .webm."""
    raw = text(value)
    if not re.match(r"^[\w][\w.-]*\.(mp4|webm)$", raw, re.IGNORECASE):
        raise Invalid(_("{raw!r} must be the name of an MP4 or WebM file beside the Markdown file, "
                        "e.g. forum.webm").format(raw=raw))
    return raw


def captions_file_name(value: Any) -> str:
    raw = text(value)
    if not re.match(r"^[\w][\w.-]*\.vtt$", raw, re.IGNORECASE):
        raise Invalid(_("{raw!r} must be the name of a WebVTT file beside the Markdown file, "
                        "e.g. forum.ru.vtt").format(raw=raw))
    return raw


def media_type(name: str) -> str:
    return MEDIA_TYPES[name[name.rfind("."):].lower()]


_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_DOCTYPE_ID = b"\x42\x82"


def _ebml_doctype(head: bytes) -> str | None:
    """The DocType of an EBML header (Matroska, WebM), read from the first bytes of the file."""
    at = head.find(_DOCTYPE_ID, 4)
    if at < 0 or at + 3 > len(head):
        return None
    size_byte = head[at + 2]
    if not size_byte & 0x80:        # a one-byte size, as every muxer writes it for the DocType
        return None
    size = size_byte & 0x7F
    return head[at + 3:at + 3 + size].decode("ascii", "replace")


def media_problem(name: str, head: bytes) -> str | None:
    """What is wrong with a video file of that name whose first bytes are ``head``; None if
    it is what its name says."""
    suffix = name[name.rfind("."):].lower()
    if suffix == ".mp4":
        # ISO base media file: the first box is ``ftyp`` (its size, then its type)
        if len(head) >= 12 and head[4:8] == b"ftyp":
            return None
        return _("{name!r} is not an MP4 file (no 'ftyp' box at its start); export the video as MP4 "
                 "(H.264) or remove the file").format(name=name)
    if head.startswith(_EBML_MAGIC) and _ebml_doctype(head[:64]) == "webm":
        return None
    return _("{name!r} is not a WebM file (no EBML header of DocType 'webm'); export the video as WebM "
             "(VP9) or remove the file").format(name=name)


# --- captions ------------------------------------------------------------------------------

_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+\S.*)?$")


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, secs, millis = groups
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0) + int(millis or 0) / 1000


@dataclass(frozen=True)
class Cue:
    line: int          # of its timing line
    start: float       # seconds
    end: float
    text: str


def caption_problems(data: bytes, duration_seconds: int | None) -> tuple[list[Cue], list[tuple[int, str]]]:
    """The cues of a WebVTT file and its problems as (line, message).

    Blocks are separated by blank lines; a cue block is an optional identifier line, its
    timing line ``00:01.000 --> 00:04.000`` (hours optional) with optional settings, and its
    text. NOTE, STYLE and REGION blocks are comments and styles, not cues.
    """
    problems: list[tuple[int, str]] = []
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [], [(data[:error.start].count(b"\n") + 1, _("captions must be UTF-8 text"))]
    content = content.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = content.split("\n")
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        return [], [(1, _("a WebVTT file starts with the line WEBVTT"))]
    cues: list[Cue] = []
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start_line = 0
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            if not current:
                start_line = number
            current.append(line)
        elif current:
            blocks.append((start_line, current))
            current = []
    if current:
        blocks.append((start_line, current))
    header_ended = len(lines) > 1 and not lines[1].strip()
    for index, (first, block) in enumerate(blocks):
        if index == 0 and first == 2 and not header_ended and "-->" not in block[0]:
            continue        # header lines after WEBVTT (metadata), up to the first blank line
        if block[0].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in block[0]:
            continue
        if "-->" in block[0] or re.match(r"^\d+:\d", block[0]):     # (a timing with a broken arrow too)
            timing_at = 0
        else:
            timing_at = 1       # after the cue's identifier
        if timing_at >= len(block) or not (timing_at == 0 or "-->" in block[timing_at]):
            problems.append((first, _("a cue needs a timing line such as 00:01.000 --> 00:04.000")))
            continue
        line_number = first + timing_at
        match = _TIMING.match(block[timing_at].strip())
        if not match:
            problems.append((line_number, _("{line!r} is not a cue timing: write MM:SS.mmm --> MM:SS.mmm or "
                                            "HH:MM:SS.mmm --> HH:MM:SS.mmm").format(line=block[timing_at].strip())))
            continue
        groups = match.groups()
        start, end = _seconds(groups[:4]), _seconds(groups[4:])
        text_lines = block[timing_at + 1:]
        if end <= start:
            problems.append((line_number, _("the cue ends ({end}) before it starts ({start})").format(
                end=_stamp(end), start=_stamp(start))))
        elif cues and start < cues[-1].start:
            problems.append((line_number, _("the cue starts at {start}, before the previous one ({previous}); "
                                            "cues must be in order of time").format(
                start=_stamp(start), previous=_stamp(cues[-1].start))))
        elif duration_seconds is not None and end > duration_seconds + 1:
            # the duration is given to the second: a cue may end within the last second
            problems.append((line_number, _("the cue ends at {end}, after the end of the video ({duration})")
                             .format(end=_stamp(end), duration=clock(duration_seconds))))
        elif not text_lines:
            problems.append((line_number, _("the cue has no text")))
        else:
            cues.append(Cue(line_number, start, end, "\n".join(text_lines)))
    if not cues and not problems:
        problems.append((1, _("the captions have no cue")))
    return cues, problems


def _stamp(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


# --- outside hosts -------------------------------------------------------------------------

@dataclass(frozen=True)
class Host:
    slug: str
    name: str                 # as readers know it
    frame_origins: tuple[str, ...]   # where its player is loaded from (the iframe, and its redirects)


HOSTS = {
    "rutube": Host("rutube", "RuTube", ("https://rutube.ru",)),
    "vk": Host("vk", "VK Видео", ("https://vkvideo.ru", "https://vk.com")),
    # youtube-nocookie: the player sets no cookie until the reader plays the video
    "youtube": Host("youtube", "YouTube", ("https://www.youtube-nocookie.com",)),
}
# Every origin whose player a video page may embed (the Content-Security-Policy's frame-src).
FRAME_ORIGINS = tuple(origin for host in HOSTS.values() for origin in host.frame_origins)


def host_slug(value: Any) -> str:
    raw = text(value)
    if raw not in HOSTS:
        raise Invalid(_("unknown video host {raw!r}; use one of: {names}").format(raw=raw, names=", ".join(HOSTS)))
    return raw


@dataclass(frozen=True)
class OutsideVideo:
    host: Host
    id: str
    embed_url: str            # the host's player, put into an iframe only when the reader clicks
    page_url: str             # the video on the host: the link without JavaScript


_YOUTUBE_ID = r"[A-Za-z0-9_-]{11}"
_RUTUBE_ID = r"[0-9a-f]{32}"


def _youtube(url: str) -> str | None:
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if host == "youtu.be":
        match = re.fullmatch(rf"/({_YOUTUBE_ID})/?", parts.path)
        return match.group(1) if match else None
    if host not in ("youtube.com", "www.youtube.com", "m.youtube.com", "www.youtube-nocookie.com"):
        return None
    if parts.path in ("/watch", "/watch/"):
        found = parse_qs(parts.query).get("v", [""])[0]
        return found if re.fullmatch(_YOUTUBE_ID, found) else None
    match = re.fullmatch(rf"/(?:embed|shorts|live)/({_YOUTUBE_ID})/?", parts.path)
    return match.group(1) if match else None


def _rutube(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc.lower() not in ("rutube.ru", "www.rutube.ru"):
        return None
    match = re.fullmatch(rf"/(?:video|play/embed|shorts)/({_RUTUBE_ID})/?", parts.path)
    return match.group(1) if match else None


def _vk(url: str) -> str | None:
    """``-123_456`` (the owner, then the video) from vkvideo.ru/video-123_456, vk.com/video-123_456
    or the player's own address video_ext.php?oid=-123&id=456."""
    parts = urlsplit(url)
    if parts.netloc.lower() not in ("vk.com", "www.vk.com", "m.vk.com", "vkvideo.ru", "www.vkvideo.ru"):
        return None
    match = re.fullmatch(r"/video(-?\d+_\d+)/?", parts.path)
    if match:
        return match.group(1)
    if parts.path == "/video_ext.php":
        query = parse_qs(parts.query)
        owner, video = query.get("oid", [""])[0], query.get("id", [""])[0]
        if re.fullmatch(r"-?\d+", owner) and re.fullmatch(r"\d+", video):
            return f"{owner}_{video}"
    return None


_FORMS = {
    "rutube": (_rutube, "https://rutube.ru/video/<32 hex digits>/"),
    "vk": (_vk, "https://vkvideo.ru/video-<owner>_<number>"),
    "youtube": (_youtube, "https://www.youtube.com/watch?v=<11 characters>"),
}


def outside_video(host: str, url: str) -> OutsideVideo:
    """The video at ``url`` on ``host``; Invalid when the address is not one of that host's."""
    parse, form = _FORMS[host]
    found = parse(url) if re.match(r"^https://", url) else None
    if found is None:
        raise Invalid(_("{url!r} is not the address of a video on {host}: write it as {form}").format(
            url=url, host=HOSTS[host].name, form=form))
    if host == "rutube":
        return OutsideVideo(HOSTS[host], found, f"https://rutube.ru/play/embed/{found}?autoplay=1",
                            f"https://rutube.ru/video/{found}/")
    if host == "vk":
        owner, video = found.rsplit("_", 1)
        return OutsideVideo(HOSTS[host], found, f"https://vkvideo.ru/video_ext.php?oid={owner}&id={video}&hd=2&autoplay=1",
                            f"https://vkvideo.ru/video{found}")
    return OutsideVideo(HOSTS[host], found, f"https://www.youtube-nocookie.com/embed/{found}?autoplay=1",
                        f"https://www.youtube.com/watch?v={found}")
