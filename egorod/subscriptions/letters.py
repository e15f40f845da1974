"""Letters the service sends itself (the confirmation letter), over the SMTP settings of ``mail``,
and the DKIM signature that both these letters and the bulletin carry when a key is configured."""
from __future__ import annotations

import datetime as dt
import email
import logging
import queue
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path

import jinja2

from ..i18n import _
from ..settings import MailSettings, Settings
from .tokens import MIN_SECRET_LENGTH, Secret

LETTER_TEMPLATE = "subscriptions/confirm_letter.txt"
SMTP_TIMEOUT = 30.0
# What the signature covers: who sends, to whom, what, and the unsubscribe headers that
# mail services check (RFC 8058 asks that List-Unsubscribe and -Post be signed).
DKIM_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Id", b"List-Unsubscribe",
                b"List-Unsubscribe-Post")


class NotConfigured(Exception):
    """A setting or an environment variable the command needs is missing; the message says which."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    tls: str
    user: str
    password: str


def smtp_of(mail: MailSettings, environ: Mapping[str, str]) -> Smtp:
    password = environ.get(mail.password_env, "") if mail.user else ""
    if mail.user and not password:
        raise NotConfigured(_("mail.user is {user!r} but the environment variable {name} is empty; set it to "
                              "the SMTP password").format(user=mail.user, name=mail.password_env))
    return Smtp(mail.host, mail.port, mail.tls, mail.user, password)


def connect(smtp: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT, context=context) if smtp.tls == "ssl"
              else smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT))
    try:
        if smtp.tls == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password)
    except BaseException:
        client.close()
        raise
    return client


log = logging.getLogger("egorod.subscriptions")
OUTBOX_SIZE = 10_000        # letters waiting for the SMTP server; more are dropped (and logged)
IDLE_CLOSE = 30.0           # seconds without letters after which the SMTP connection is closed


class Outbox:
    """Letters sent by one thread over one SMTP connection, kept open while letters come.

    The web answers do not wait for the mail server: a slow or unreachable server must not
    slow the form down, nor tell a visitor anything. A letter that cannot be sent is logged
    (without its address) and dropped: its address may ask again the next day.
    """

    def __init__(self, smtp: Smtp, sender: str, sign: DkimKey | None):
        self.smtp, self.sender, self.dkim = smtp, sender, sign
        self.letters: queue.Queue[tuple[EmailMessage, str] | None] = queue.Queue(OUTBOX_SIZE)
        self.thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self.thread.start()

    def put(self, letter: EmailMessage, address: str) -> None:
        try:
            self.letters.put_nowait((letter, address))
        except queue.Full:
            log.warning("a confirmation letter was dropped: %d letters are waiting for the SMTP server", OUTBOX_SIZE)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is waiting (for ``timeout`` seconds at most), then stop."""
        self.letters.put(None)
        self.thread.join(timeout)

    def _run(self) -> None:
        client: smtplib.SMTP | None = None
        while True:
            try:
                item = self.letters.get(timeout=IDLE_CLOSE)
            except queue.Empty:
                _quit(client)
                client = None
                continue
            if item is None:
                _quit(client)
                return
            letter, address = item
            message = self.dkim.sign(letter) if self.dkim else letter
            for attempt in (1, 2):            # a kept connection may have been closed by the server
                try:
                    client = client or connect(self.smtp)
                    client.send_message(message, from_addr=self.sender, to_addrs=[address])
                    break
                except (smtplib.SMTPException, OSError) as exc:
                    _quit(client)
                    client = None
                    if attempt == 2 or isinstance(exc, smtplib.SMTPResponseException):
                        log.warning("a confirmation letter was not sent: %s", type(exc).__name__)
                        break


def _quit(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    private_key: bytes

    def sign(self, message: EmailMessage) -> EmailMessage:
        """The message with a DKIM-Signature on top, parsed back from the signed bytes so that
        it is sent exactly as it was signed (no header folded anew)."""
        import dkim

        raw = message.as_bytes(policy=SMTP_POLICY)
        signature = dkim.sign(raw, self.selector.encode("ascii"), self.domain.encode("ascii"), self.private_key,
                              canonicalize=(b"relaxed", b"relaxed"), include_headers=list(DKIM_HEADERS))
        signed = email.message_from_bytes(signature + raw, _class=EmailMessage, policy=SMTP_POLICY)
        assert isinstance(signed, EmailMessage)
        return signed


def dkim_key(settings: Settings, environ: Mapping[str, str]) -> DkimKey | None:
    """The DKIM key when a selector is set: the environment variable holds the PEM or its file's path."""
    subs = settings.subscriptions
    if not subs.dkim_selector:
        return None
    value = environ.get(subs.dkim_key_env, "").strip()
    if not value:
        raise NotConfigured(_("subscriptions.dkim_selector is set but the environment variable {name} is empty; "
                              "put the private key (PEM) or its file's path there").format(name=subs.dkim_key_env))
    if value.startswith("-----BEGIN"):
        pem = value.encode("ascii")
    else:
        try:
            pem = Path(value).expanduser().read_bytes()
        except OSError as exc:
            raise NotConfigured(_("{name} names a key file that cannot be read: {reason}").format(
                name=subs.dkim_key_env, reason=exc.strerror)) from None
    domain = subs.dkim_domain or sender_of(settings).rpartition("@")[2]
    return DkimKey(subs.dkim_selector, domain, pem)


def database_path(root: Path, settings: Settings) -> Path:
    return root / Path(settings.subscriptions.database).expanduser()


def secret_of(settings: Settings, environ: Mapping[str, str]) -> Secret:
    name = settings.subscriptions.secret_env
    try:
        return Secret.from_text(environ.get(name, ""))
    except ValueError:
        raise NotConfigured(_("the environment variable {name} must hold the signing secret of the subscription "
                              "links, at least {length} characters long").format(name=name, length=MIN_SECRET_LENGTH)) from None


def sender_of(settings: Settings) -> str:
    return settings.subscriptions.sender or settings.mail.sender


def letter_environment(root: Path) -> jinja2.Environment:
    """Plain-text letters: no HTML escaping (a name with & stays as it is)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(root / "templates")), autoescape=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def confirmation_letter(env: jinja2.Environment, settings: Settings, address: str, name: str, link: str,
                        expires: dt.datetime, now: dt.datetime) -> EmailMessage:
    template = env.get_template(LETTER_TEMPLATE)
    values = dict(settings=settings, name=name, link=link, expires=expires.strftime("%d.%m.%Y %H:%M UTC"))
    message = EmailMessage(policy=SMTP_POLICY)
    sender = sender_of(settings)
    message["From"] = Address(display_name=settings.mail.sender_name, addr_spec=sender)
    message["To"] = Address(display_name=name, addr_spec=address)
    message["Subject"] = str(getattr(template.make_module(values), "subject"))  # noqa: B009 (set by the template)
    message["Date"] = format_datetime(now.astimezone())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"     # no vacation replies to it
    message.set_content(template.render(values), charset="utf-8")
    return message
