"""The site's Content-Security-Policy, in one place for the two servers that send it.

nginx sends it from ``deploy/nginx/e-gorod/security-headers.conf`` (a test keeps that file
equal to this one); the preview server (``serve``) sends it too, so that an editor sees in
the preview exactly what the published site would block.
"""
from __future__ import annotations

import re

from .video import FRAME_ORIGINS

# The site loads nothing from other hosts and has no inline script or style. 'wasm-unsafe-eval':
# the search (Pagefind) runs its index in WebAssembly.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src {style_src}; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'{frame_src}")
# A video page (/video/<slug>/) may put the player of an outside host (RuTube, VK Video,
# YouTube) into an iframe once the reader clicks its play button; default-src 'self' would
# block it. Only those pages, and only those hosts' players (egorod/video.py).
VIDEO_PAGE = re.compile(r"^/video/[a-z0-9-]+/(index\.html)?$")
VIDEO_FRAME_SRC = "; frame-src 'self' " + " ".join(FRAME_ORIGINS)
# The e-mail edition of a bulletin is the letter as sent: its styles are inline, as mail
# programs need them (it has no script).
INLINE_STYLES = re.compile(r"^/bulletins/[0-9]+/email\.html$")


def content_security_policy(path: str) -> str:
    """The policy for the page at ``path``."""
    style_src = "'self' 'unsafe-inline'" if INLINE_STYLES.match(path) else "'self'"
    frame_src = VIDEO_FRAME_SRC if VIDEO_PAGE.match(path) else ""
    return CONTENT_SECURITY_POLICY.format(style_src=style_src, frame_src=frame_src)
