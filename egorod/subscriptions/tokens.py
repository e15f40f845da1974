"""Signed links: a subscriber's random key, an expiry and an HMAC; no address, no database id.

A token is ``base64url(key ‖ expires ‖ mac)``: ``key`` is the subscriber's random 16 bytes,
``expires`` a Unix time (0: never) and ``mac`` the first 16 bytes of HMAC-SHA256 over the
purpose, key and expiry with the secret from the environment. The purpose is signed too, so
a confirmation link cannot be used to unsubscribe, nor the other way round, and a token of
another installation (another secret) is refused like a forged one.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from enum import Enum

KEY_BYTES = 16
MAC_BYTES = 16
_EXPIRES = struct.Struct(">Q")
TOKEN_BYTES = KEY_BYTES + _EXPIRES.size + MAC_BYTES
MIN_SECRET_LENGTH = 32


class Purpose(Enum):
    CONFIRM = b"confirm"
    UNSUBSCRIBE = b"unsubscribe"


class BadToken(ValueError):
    """Forged, altered, cut short or made for another purpose or installation."""


class ExpiredToken(ValueError):
    """Authentic, but its time is over."""


@dataclass(frozen=True)
class Secret:
    value: bytes

    @classmethod
    def from_text(cls, text: str) -> "Secret":
        if len(text) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret must be at least {MIN_SECRET_LENGTH} characters long")
        return cls(text.encode("utf-8"))


def _mac(secret: Secret, purpose: Purpose, body: bytes) -> bytes:
    return hmac.new(secret.value, purpose.value + b"\0" + body, hashlib.sha256).digest()[:MAC_BYTES]


def sign(secret: Secret, purpose: Purpose, key: bytes, expires: int = 0) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a subscriber key is 16 bytes")
    body = key + _EXPIRES.pack(expires)
    return base64.urlsafe_b64encode(body + _mac(secret, purpose, body)).rstrip(b"=").decode("ascii")


def verify(secret: Secret, purpose: Purpose, token: str, now: int) -> bytes:
    """The subscriber key of an authentic, unexpired token; BadToken or ExpiredToken otherwise."""
    if len(token) != (TOKEN_BYTES * 4 + 2) // 3 or not token.isascii():
        raise BadToken("not a token of this service")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise BadToken("not a token of this service") from None
    body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if len(raw) != TOKEN_BYTES or not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        raise BadToken("the signature does not match")
    (expires,) = _EXPIRES.unpack(body[KEY_BYTES:])
    if expires and expires < now:
        raise ExpiredToken("the link has expired")
    return body[:KEY_BYTES]
