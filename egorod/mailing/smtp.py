"""The SMTP session: connecting, sending one message, and what each kind of failure means."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Callable

from ..i18n import _

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

SMTP_TIMEOUT = 60.0          # seconds to wait for any server reply


class MailingStopped(Exception):
    """The mailing cannot go on (server unreachable, login refused): stop, resume later."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    tls: str
    user: str
    password: str


class Transient(Exception):
    def __init__(self, reply: str, connection_lost: bool):
        super().__init__(reply)
        self.reply = reply
        self.connection_lost = connection_lost


class Permanent(Exception):
    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


class Unconfirmed(Exception):
    """The message was handed over after DATA, but the final reply never came."""

    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


class _SMTP(smtplib.SMTP):
    """Knows how far the current transaction got with DATA.

    ``data_started``: the DATA command was sent. ``awaiting_verdict``: the server answered
    354 and the message was (being) sent, but its final reply has not arrived. A transaction
    that breaks off in that state may or may not have been delivered.
    """
    data_started = False
    awaiting_verdict = False
    _in_data = False
    before_data: Callable[[], None] | None = None     # called, and must succeed, before DATA

    def reset_data_state(self) -> None:
        self.data_started = self.awaiting_verdict = self._in_data = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if self.before_data is not None:
            self.before_data()
        self.data_started = self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def getreply(self) -> tuple[int, bytes]:
        reply = super().getreply()
        if self._in_data:
            if self.awaiting_verdict:
                self.awaiting_verdict = False          # the verdict came: 250, 4xx or 5xx
            elif reply[0] == 354:
                self.awaiting_verdict = True           # go ahead: the message follows
        return reply


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    pass


class Connection:
    """One SMTP session, opened on demand and opened again after it was lost."""

    def __init__(self, server: Server, timeout: float = SMTP_TIMEOUT):
        self.server = server
        self.timeout = timeout
        self.smtp: _SMTP | None = None

    def _open(self) -> _SMTP:
        server = self.server
        context = ssl.create_default_context()
        if server.tls == "ssl":
            smtp: _SMTP = _SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            smtp = _SMTP(server.host, server.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if server.tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password)
        except BaseException:
            _close_quietly(smtp)
            raise
        return smtp

    def _connect(self) -> _SMTP:
        """A new session; a server that refuses us altogether (5xx) stops the mailing."""
        where = f"{self.server.host}:{self.server.port}"
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise MailingStopped(_("the server refused the login of {user!r}: {reply}; check mail.user in site.yaml "
                                   "and the password in the environment").format(
                                       user=self.server.user, reply=_reply(exc.smtp_code, exc.smtp_error))) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailingStopped(_("{server} does not support what mail.tls and mail.user ask for: {reason}").format(
                server=where, reason=exc)) from None
        except UnicodeEncodeError:
            raise MailingStopped(_("the SMTP login and password must be plain Latin letters, digits and signs "
                                   "(smtplib cannot send other characters)")) from None
        except ssl.SSLError as exc:
            raise MailingStopped(_("TLS with {server} failed: {reason}").format(server=where, reason=exc)) from None
        except smtplib.SMTPResponseException as exc:       # greeting, EHLO or STARTTLS refused
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 500 <= exc.smtp_code < 600:
                raise MailingStopped(_("{server} refuses the connection: {reply}").format(
                    server=where, reply=reply)) from None
            raise Transient(reply, connection_lost=True) from None
        except OSError as exc:                              # refused, unreachable, timed out, closed
            raise Transient(_("cannot connect to {server}: {reason}").format(
                server=where, reason=exc or type(exc).__name__), connection_lost=True) from None

    def send(self, message: EmailMessage, sender: str, recipient: str, before_data: Callable[[], None]) -> None:
        """Returns once the server accepted the message (250 after DATA); raises otherwise.

        ``before_data`` runs once the recipient is accepted, just before the DATA command:
        from then on the server may end up with the message whatever happens to us.
        """
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.reset_data_state()
            self.smtp.before_data = before_data
            self.smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
            return
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            error = (code, _reply(code, text), code == 421)
        except smtplib.SMTPSenderRefused as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailingStopped(_("the server refuses the sender {sender}: {reply}; check mail.sender in "
                                       "site.yaml").format(sender=sender, reply=_reply(exc.smtp_code, exc.smtp_error))
                                     ) from None
            error = (exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code == 421)
        except smtplib.SMTPResponseException as exc:    # DATA refused
            error = (exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code == 421)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:     # also timeouts and TLS errors
            unknown = self.awaiting_verdict
            self.drop()
            if unknown:
                raise Unconfirmed(_("the connection was lost after the message was sent, before the server's "
                                    "reply ({reason})").format(reason=exc or type(exc).__name__)) from None
            if isinstance(exc, ssl.SSLError):
                raise MailingStopped(_("TLS with {server} failed: {reason}").format(
                    server=f"{self.server.host}:{self.server.port}", reason=exc)) from None
            raise Transient(_("connection lost: {reason}").format(reason=exc or type(exc).__name__),
                            connection_lost=True) from None

        code, reply, lost = error
        if lost:
            self.drop()
        if 500 <= code < 600:
            raise Permanent(reply)
        raise Transient(reply, connection_lost=lost)

    @property
    def data_started(self) -> bool:
        return self.smtp is not None and self.smtp.data_started

    @property
    def awaiting_verdict(self) -> bool:
        return self.smtp is not None and self.smtp.awaiting_verdict

    def drop(self) -> None:
        if self.smtp is not None:
            _close_quietly(self.smtp)
            self.smtp = None

    def quit(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass

