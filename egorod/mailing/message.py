"""One subscriber's message: the edition with the headers mail services expect."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..email_edition import EmailEdition, unsubscribe_mailto, unsubscribe_url
from ..settings import MailSettings
from .recipients import Recipient

if TYPE_CHECKING:
    from ..subscriptions.outgoing import MessageHooks

# Line breaks would end the header (or start another one) and other control characters
# have no place in one; Unicode's line and paragraph separators are line breaks too.
_NOT_IN_A_HEADER = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(text: str) -> str:
    """Text for one header: every run of spaces, line breaks or control characters one space.

    Whatever a title holds that `check` accepts, the header is one logical line; folding
    it into lines of at most 78 characters is left to the SMTP policy.
    """
    return _NOT_IN_A_HEADER.sub(" ", text).strip()


def message_id(number: int, mailing_id: str, recipient: Recipient, sender: str) -> str:
    """The same in every run of one mailing, different for another mailing or address."""
    domain = sender.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(recipient.key.encode("utf-8")).hexdigest()[:20]
    return f"<bulletin-{number}.{mailing_id}.{digest}@{domain}>"


def build_message(edition: EmailEdition, recipient: Recipient, mail: MailSettings, settings_base_url: str,
                  mailing_id: str, now: dt.datetime | None = None, hooks: MessageHooks | None = None) -> EmailMessage:
    # subscriptions: the recipient's own unsubscribe link (header and footer), DKIM
    own_link = hooks.unsubscribe_url(recipient.key) if hooks else None
    edition = hooks.personalise(edition, recipient.key) if hooks else edition
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = Address(display_name=header_text(mail.sender_name), addr_spec=mail.sender)
    msg["To"] = Address(display_name=header_text(recipient.name), addr_spec=recipient.email)
    msg["Subject"] = header_text(edition.subject)
    msg["Date"] = format_datetime((now or dt.datetime.now(dt.timezone.utc)).astimezone())
    msg["Message-ID"] = message_id(edition.number, mailing_id, recipient, mail.sender)
    msg["List-Id"] = f"{header_text(mail.sender_name)} <{mail.list_id}>"
    one_click = own_link or unsubscribe_url(mail, recipient.email)
    unsubscribe = [f"<{one_click}>"] if one_click else []
    unsubscribe.append(f"<{unsubscribe_mailto(mail)}>")
    msg["List-Unsubscribe"] = ", ".join(unsubscribe)
    if one_click:
        # RFC 8058: one-click needs an https address in List-Unsubscribe to POST to.
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Archive"] = f"<{settings_base_url}bulletins/>"
    msg.set_content(edition.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(edition.html, subtype="html", charset="utf-8", cte="base64")
    return hooks.finish(msg) if hooks else msg


def eml_name(index: int, recipient: Recipient) -> str:
    return f"{index:05d}-{re.sub(r'[^A-Za-z0-9@._+-]', '_', recipient.email)}.eml"

