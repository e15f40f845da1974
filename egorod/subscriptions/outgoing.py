"""What the mailing (``build.py mail``) takes from the subscriptions: who gets the issue, and
the parts of each letter that are the recipient's own.

``subscriber_list`` gives the active subscribers (address and name, in the order they joined),
read when the mailing starts, so that a resumed mailing leaves out whoever unsubscribed or bounced
since. ``MessageHooks`` puts each recipient's signed unsubscribe link into the List-Unsubscribe
header and the letter's footer, and signs the letter with DKIM when a key is configured.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path

from ..email_edition import EmailEdition
from ..i18n import _
from ..settings import Settings
from . import links
from .letters import DkimKey, NotConfigured, database_path, dkim_key, secret_of
from .store import Status, Store
from .tokens import Purpose, Secret, sign

# Stands in the rendered edition where each letter gets its recipient's unsubscribe token.
PLACEHOLDER_TOKEN = "EGOROD-SUBSCRIBER-TOKEN"


@dataclass(frozen=True)
class MessageHooks:
    """Per-recipient parts of a bulletin letter; with an empty ``service_url`` (a CSV list) only DKIM."""
    service_url: str = ""
    secret: Secret | None = None
    keys: Mapping[str, bytes] = field(default_factory=dict)    # address (lower-case) → subscriber key
    dkim: DkimKey | None = None

    @property
    def placeholder_url(self) -> str | None:
        """The unsubscribe link the edition is rendered with, replaced in each letter."""
        return links.unsubscribe_url(self.service_url, PLACEHOLDER_TOKEN) if self.service_url else None

    def unsubscribe_url(self, address: str) -> str | None:
        key = self.keys.get(address.lower())
        if key is None or self.secret is None:
            return None
        return links.unsubscribe_url(self.service_url, sign(self.secret, Purpose.UNSUBSCRIBE, key))

    def personalise(self, edition: EmailEdition, address: str) -> EmailEdition:
        url, placeholder = self.unsubscribe_url(address), self.placeholder_url
        if not url or not placeholder:
            return edition
        return replace(edition, html=edition.html.replace(placeholder, url), text=edition.text.replace(placeholder, url))

    def finish(self, message: EmailMessage) -> EmailMessage:
        return self.dkim.sign(message) if self.dkim else message


def subscriber_list(root: Path, settings: Settings,
                    environ: Mapping[str, str] = os.environ) -> tuple[list[tuple[str, str]], MessageHooks]:
    """The active subscribers' (address, name), in the order they joined, and their letters' own parts."""
    if not settings.subscriptions.url:
        raise NotConfigured(_("there is no subscriber list: subscriptions.url is not set in site.yaml; "
                              "give a list with --recipients FILE"))
    secret = secret_of(settings, environ)
    path = database_path(root, settings)
    if not path.is_file():
        raise NotConfigured(_("the subscriber list {path} does not exist yet: start the service or run "
                              "`python build.py subscriptions import FILE.csv --source TEXT`").format(path=path))
    store = Store(path)
    try:
        active = list(store.all(Status.ACTIVE))
    finally:
        store.close()
    hooks = MessageHooks(settings.subscriptions.url, secret, {s.address: s.key for s in active},
                         dkim_key(settings, environ))
    return [(s.address, s.name) for s in active], hooks


def file_list_hooks(settings: Settings, environ: Mapping[str, str] = os.environ) -> MessageHooks | None:
    """A list from a CSV file: its addresses have no tokens, but the letters are signed all the same."""
    key = dkim_key(settings, environ)
    return MessageHooks(dkim=key) if key else None
