"""Delivery status notifications (RFC 3464) and complaints (ARF, RFC 5965) from the bounce mailbox.

Each report becomes a typed ``Notice``: who (the address, or the subscriber key of the signed
unsubscribe link in the returned letter's headers: mail services that send complaints often
hide the address but keep the headers), what (hard bounce, soft bounce, complaint) and for
which issue (from the Message-ID of the returned letter, ``<bulletin-N.…>``). Anything else in
the mailbox (replies, out-of-office notes, delay warnings) is skipped.

Hard: a permanent failure (``Action: failed`` with a 5.x.x status), except a full mailbox
(5.2.2), which clears up on its own and so counts as soft, like a 4.x.x failure.
"""
from __future__ import annotations

import email
import imaplib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path

from . import links
from .store import Bounce
from .tokens import BadToken, ExpiredToken, Purpose, Secret, verify

SOFT_PERMANENT = ("5.2.2",)        # mailbox full: permanent by its code, passing in practice
_ISSUE = re.compile(r"<bulletin-(\d+)\.")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Notice:
    kind: Bounce
    address: str | None          # lower-case; None when the report hides it
    key: bytes | None            # from the returned letter's unsubscribe link, when it has one
    issue: int | None            # the bulletin number of the returned letter
    detail: str                  # the status code or feedback type: never the address


def _parts(message: Message) -> Iterator[Message]:
    for part in message.walk():
        yield part


def _returned_headers(message: Message) -> Message | None:
    """The headers of the returned letter: a message/rfc822 or text/rfc822-headers part."""
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                return email.message_from_bytes(raw, policy=compat32)
    return None


def _address(value: str | None) -> str | None:
    """``rfc822; Name@Example.org`` → ``name@example.org``."""
    if not value:
        return None
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address.lower() if "@" in address else None


def _key_in(headers: Message | None, secret: Secret, service_url: str) -> bytes | None:
    if headers is None or not service_url:
        return None
    prefix = links.unsubscribe_url(service_url, "")
    for link in re.findall(r"<([^>]+)>", str(headers.get("List-Unsubscribe", ""))):
        if link.startswith(prefix):
            try:
                return verify(secret, Purpose.UNSUBSCRIBE, link[len(prefix):], 0)
            except (BadToken, ExpiredToken):
                return None
    return None


def _issue(headers: Message | None) -> int | None:
    found = _ISSUE.match(str(headers.get("Message-ID", "")).strip()) if headers is not None else None
    return int(found.group(1)) if found else None


def _blocks(part: Message) -> list[Message]:
    """The field groups of a message/delivery-status part (per message, then per recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(group.strip() + "\n", policy=compat32)
            for group in re.split(r"\r?\n\r?\n", text) if group.strip()]


def read_report(message: Message, secret: Secret, service_url: str) -> list[Notice]:
    """The notices one message carries; an empty list for anything that is not a report."""
    if message.get_content_type() != "multipart/report":
        return []
    report_type = (message.get_param("report-type") or "")
    report_type = report_type.lower() if isinstance(report_type, str) else ""
    returned = _returned_headers(message)
    key, issue = _key_in(returned, secret, service_url), _issue(returned)
    notices = []
    for part in _parts(message):
        kind = part.get_content_type()
        if report_type == "delivery-status" and kind == "message/delivery-status":
            for block in _blocks(part)[1:]:       # the first group is about the message
                action = str(block.get("Action", "")).strip().lower()
                status = _STATUS.search(str(block.get("Status", "")))
                if action != "failed" or not status:
                    continue                      # delayed, delivered, relayed, expanded: not a bounce
                code = status.group(0)
                hard = code.startswith("5.") and code not in SOFT_PERMANENT
                notices.append(Notice(Bounce.HARD if hard else Bounce.SOFT,
                                      _address(block.get("Final-Recipient")) or _address(block.get("Original-Recipient")),
                                      key, issue, code))
        elif report_type == "feedback-report" and kind == "message/feedback-report":
            fields = _blocks(part)
            feedback = fields[0] if fields else Message()
            feedback_type = str(feedback.get("Feedback-Type", "abuse")).strip().lower()
            if feedback_type not in ("abuse", "fraud", "other"):
                continue                          # e.g. not-spam, virus
            address = _address(feedback.get("Original-Rcpt-To"))
            if address is None and returned is not None:
                address = _address(parseaddr(str(returned.get("To", "")))[1])
            notices.append(Notice(Bounce.COMPLAINT, address, key, issue, f"complaint: {feedback_type}"))
    return notices


# --- where the reports are read from --------------------------------------------------------

def from_mbox(path: Path) -> Iterator[Message]:
    box = mailbox.mbox(path, create=False)
    try:
        yield from box
    finally:
        box.close()


def from_maildir(path: Path) -> Iterator[Message]:
    """In the order of delivery (a Maildir file name starts with its time): soft bounces are counted in a row."""
    box = mailbox.Maildir(path, create=False)
    for key in sorted(box.keys()):
        yield box[key]


@dataclass(frozen=True)
class Imap:
    host: str
    user: str
    password: str
    folder: str


def from_imap(imap: Imap) -> Iterator[Message]:
    """Unread messages of the folder, marked read once handed over (so each is counted once)."""
    with imaplib.IMAP4_SSL(imap.host) as client:
        client.login(imap.user, imap.password)
        client.select(imap.folder)
        _, found = client.search(None, "UNSEEN")
        for number in found[0].split():
            _, data = client.fetch(number, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if isinstance(raw, bytes):
                yield email.message_from_bytes(raw, policy=compat32)
                client.store(number, "+FLAGS", "\\Seen")
