"""Sending the e-mail edition of a bulletin to its subscribers, never twice to anyone.

    python build.py mail NUMBER --recipients FILE [--dry-run [--out DIR]] [--smtp HOST:PORT] [--rate N]

The edition is rendered from the content by the same code as the build (email_edition),
not read from output/. Each message is multipart/alternative (text + HTML) with the list
headers mail services expect (List-Id, List-Unsubscribe, List-Unsubscribe-Post).

Never twice: a journal, ``mail-journal/bulletin-<n>.journal`` (the folder is
``mail.journal_dir``; not under .cache/, which `make clean` deletes), gets one line per
address the moment the server has accepted its message (the 250 reply after DATA), written
with O_APPEND and fsync'ed before the next message is sent. Running the same command again
skips every journalled address, so a mailing cut short by a crash, a lost network or
Ctrl-C is resumed by simply repeating it. The only window left is between the server's
250 and the fsync (microseconds); Ctrl-C and SIGTERM are held back while a message is
in flight, so the first press stops the mailing cleanly after the current message. Each
recipient's Message-ID is the same in every run of one mailing, so even in that window
a receiving system can recognise a repeat.

Errors before the message itself went out (connecting, MAIL FROM, RCPT, a 4xx reply, a
connection lost before the server's 354 to DATA) are retried with exponential back-off
(``mail.retries``, ``mail.retry_delay``); permanent ones (5xx) are recorded and listed at
the end as ``path:line: email: reply`` lines of the recipients file, and the exit status
is 1. But once the message has been handed over after DATA, a connection lost (or timed
out) before the server's final reply leaves the outcome unknown: the server may have
queued it. Such an address is never retried: it is journalled as ``unconfirmed``, skipped
by every later run and listed in the report (exit status 1) for the editor to check in the
mail server's log. A journal is locked while its mailing runs, so two runs cannot overlap.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import os
import re
import secrets
import signal
import smtplib
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from .content import Bulletin
from .email_edition import EmailEdition, EmailRenderer, unsubscribe_mailto, unsubscribe_url
from .errors import BuildFailed, Exit, Problems
from .markup import MarkdownOptions
from .model import BuildOptions
from .pipeline import CACHE_DIR, load_site
from .render_html import BodyCache
from .settings import MailSettings

if TYPE_CHECKING:
    from .subscriptions.outgoing import MessageHooks

EXIT_OK, EXIT_FAILED, EXIT_USAGE = Exit.OK, Exit.CONTENT, Exit.USAGE
SMTP_TIMEOUT = 60.0          # seconds to wait for any server reply
DRY_RUN_DIR = "mail"         # under the cache: the --dry-run .eml files (not the journals)
UNCONFIRMED = "unconfirmed"  # journal status: handed to the server, its verdict never came
UNCONFIRMED_IN_A_ROW = 3     # this many unconfirmed messages in a row stop the mailing


# --- recipients ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    email: str               # as it is sent: Latin local part, domain in ASCII (punycode)
    name: str
    line: int                # line in the recipients file, for messages to the editor

    @property
    def key(self) -> str:
        """Addresses are compared case-insensitively: one subscriber, one message."""
        return self.email.lower()


class InvalidAddress(ValueError):
    pass


_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_HEADER_EMAIL = re.compile(r"^(e-?mail|email address|mail|адрес|почта|электронная почта|e-mail адрес)$", re.I)
_HEADER_NAME = re.compile(r"^(name|full name|имя|фио|ф\.и\.о\.|получатель|organisation|организация)$", re.I)


def normalise_address(raw: str) -> str:
    """A checked address ready for SMTP, or InvalidAddress saying what is wrong."""
    value = raw.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:"):]
    if not value:
        raise InvalidAddress("the address is empty; write it like name@example.org")
    if any(ch.isspace() for ch in value):
        raise InvalidAddress(f"{value!r} contains a space; an address has none")
    if "@" not in value:
        raise InvalidAddress(f"{value!r} has no @; write it like name@example.org")
    if value.count("@") > 1:
        raise InvalidAddress(f"{value!r} has more than one @; write one address per line")
    local, domain = value.split("@")
    if not local:
        raise InvalidAddress(f"{value!r} has nothing before the @")
    if not _LOCAL_PART.match(local):
        raise InvalidAddress(f"{value!r}: the part before @ may have only Latin letters, digits and "
                             ". _ - + (no dot at its start or end, no two dots in a row)")
    if len(local) > 64:
        raise InvalidAddress(f"{value!r}: the part before @ is longer than 64 characters")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidAddress(f"{value!r}: {domain!r} after the @ is not a valid domain") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidAddress(f"{value!r}: the part after @ must be a domain such as example.org")
    address = f"{local}@{ascii_domain}"
    if len(address) > 254:
        raise InvalidAddress(f"{value!r} is longer than 254 characters")
    try:
        Address(addr_spec=address)          # what the To: header will be made of
    except (ValueError, IndexError):
        raise InvalidAddress(f"{value!r} is not an address a mail header can carry") from None
    return address


@dataclass
class RecipientList:
    recipients: list[Recipient] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    duplicates: list[str] = field(default_factory=list)     # notes, not errors


def _delimiter(text: str) -> str:
    """Comma, or the semicolon / tab a spreadsheet in a Russian locale writes."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def read_recipients(path: Path, shown: str | None = None) -> RecipientList:
    """Read the CSV of subscribers: ``email[,name]`` per line, an optional header row.

    Blank lines and lines starting with ``#`` are skipped. Every bad address is a problem
    ``path:line: email: message``; a repeated address (in any letter case) is sent once.
    """
    shown = shown or str(path)
    result = RecipientList()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.add(shown, 0, "-", f"cannot read the recipients file: {exc.strerror}")
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        result.problems.add(shown, line, "-", "the file is not UTF-8 text; save it as CSV UTF-8")
        return result
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    email_column, name_column = 0, 1
    first_row = True
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first_row:
                first_row = False
                if any(_HEADER_EMAIL.match(cell) for cell in cells) and not any("@" in c for c in cells):
                    email_column = next(i for i, c in enumerate(cells) if _HEADER_EMAIL.match(c))
                    name_column = next((i for i, c in enumerate(cells) if _HEADER_NAME.match(c)), None)
                    if name_column is None:
                        name_column = next((i for i in range(len(cells)) if i != email_column), -1)
                    continue
            raw_email = cells[email_column] if email_column < len(cells) else ""
            name = " ".join(cells[name_column].split()) if name_column is not None and 0 <= name_column < len(cells) else ""
            try:
                address = normalise_address(raw_email)
            except InvalidAddress as exc:
                result.problems.add(shown, line, "email", str(exc))
                continue
            key = address.lower()
            if key in seen:
                result.duplicates.append(f"{shown}:{line}: email: {raw_email} is already on line "
                                         f"{seen[key]}; it gets one message")
                continue
            seen[key] = line
            result.recipients.append(Recipient(address, name, line))
    except csv.Error as exc:
        result.problems.add(shown, reader.line_num, "-", f"the CSV cannot be read: {exc}")
    if not result.recipients and not result.problems:
        result.problems.add(shown, 0, "-", "no recipients: write one address per line, e.g. name@example.org,Имя")
    return result


# --- the journal ----------------------------------------------------------------------------

class JournalLocked(RuntimeError):
    pass


_MAILING_ID = re.compile(r"\bmailing ([0-9a-f]{8,})\b")


class Journal:
    """Append-only record of the addresses whose message the server accepted.

    One line per address: ``address<TAB>time<TAB>Message-ID[<TAB>status]``. Without a status
    the server accepted the message; with ``unconfirmed`` it was handed over but the reply
    never came, so it may have been delivered. Either way the address is not sent again.
    Each line is written with a single write() on an O_APPEND descriptor and fsync'ed
    before the next message is sent.
    """

    def __init__(self, path: Path, number: int):
        self.path = path
        self.number = number
        self.sent: set[str] = set()
        self.unconfirmed: dict[str, str] = {}     # address → Message-ID
        self.mailing_id = ""
        self._fd: int | None = None
        self._needs_newline = False
        self._read()

    def _read(self) -> None:
        try:
            data = self.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return
        for line in data.splitlines():
            if line.startswith("#"):
                found = _MAILING_ID.search(line)
                if found and not self.mailing_id:
                    self.mailing_id = found.group(1)
                continue
            address, tab, rest = line.partition("\t")
            # A line cut short by a crash in the middle of its write still names a whole
            # address if its tab made it to the disk; that message was accepted.
            if tab and "@" in address:
                key = address.strip().lower()
                fields = rest.split("\t")
                status = fields[2].strip() if len(fields) >= 3 else ""
                if status and UNCONFIRMED.startswith(status):      # (a torn status, too)
                    if key not in self.sent:
                        self.unconfirmed[key] = fields[1].strip()
                else:
                    self.sent.add(key)
                    self.unconfirmed.pop(key, None)
        self._needs_newline = bool(data) and not data.endswith("\n")

    @property
    def done(self) -> set[str]:
        """The addresses never to be sent this issue again: accepted or maybe delivered."""
        return self.sent | set(self.unconfirmed)

    def open(self) -> None:
        """Open for appending and lock it; a new journal gets its header and mailing id."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            import fcntl
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:          # not POSIX: no lock, the journal still works
            pass
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise JournalLocked(str(self.path)) from None
        if self._needs_newline:
            self._append("\n")
        if created or not self.mailing_id:
            self.mailing_id = self.mailing_id or secrets.token_hex(6)
            self._append(f"# e-gorod mailing journal: bulletin {self.number}, mailing {self.mailing_id}; "
                         "one line per address accepted by the server (or, marked "
                         f"{UNCONFIRMED}, maybe delivered); keep this file\n")
            if created:
                _fsync_directory(self.path.parent)

    def record(self, recipient: Recipient, message_id: str, status: str = "") -> None:
        """Journal an accepted message, or with status ``unconfirmed`` one of unknown fate."""
        stamp = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
        self._append(f"{recipient.key}\t{stamp}\t{message_id}" + (f"\t{status}" if status else "") + "\n")
        if status == UNCONFIRMED:
            self.unconfirmed[recipient.key] = message_id
        else:
            self.sent.add(recipient.key)

    def _append(self, text: str) -> None:
        assert self._fd is not None, "journal not open"
        data = text.encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):                   # regular files write all at once
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)       # closing releases the lock
            self._fd = None


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def journal_path(root: Path, mail: MailSettings, number: int) -> Path:
    """``mail.journal_dir`` (relative to the repository root) / ``bulletin-<n>.journal``."""
    return root / Path(mail.journal_dir).expanduser() / f"bulletin-{number}.journal"


# --- messages ------------------------------------------------------------------------------

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
    msg["From"] = Address(display_name=mail.sender_name, addr_spec=mail.sender)
    msg["To"] = Address(display_name=recipient.name, addr_spec=recipient.email)
    msg["Subject"] = edition.subject
    msg["Date"] = format_datetime((now or dt.datetime.now(dt.timezone.utc)).astimezone())
    msg["Message-ID"] = message_id(edition.number, mailing_id, recipient, mail.sender)
    msg["List-Id"] = f"{mail.sender_name} <{mail.list_id}>"
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


# --- SMTP ----------------------------------------------------------------------------------

class MailingStopped(Exception):
    """The mailing cannot go on (server unreachable, login refused): stop, resume later."""


@dataclass(frozen=True)
class Failure:
    recipient: Recipient
    reply: str
    permanent: bool


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


class _TracksData:
    """Knows how far the current transaction got with DATA.

    ``data_started``: the DATA command was sent. ``awaiting_verdict``: the server answered
    354 and the message was (being) sent, but its final reply has not arrived. A transaction
    that breaks off in that state may or may not have been delivered.
    """
    data_started = False
    awaiting_verdict = False
    _in_data = False

    def reset_data_state(self) -> None:
        self.data_started = self.awaiting_verdict = self._in_data = False

    def data(self, msg):  # type: ignore[no-untyped-def]
        self.data_started = self._in_data = True
        try:
            return super().data(msg)  # type: ignore[misc]
        finally:
            self._in_data = False

    def getreply(self):  # type: ignore[no-untyped-def]
        reply = super().getreply()  # type: ignore[misc]
        if self._in_data:
            if self.awaiting_verdict:
                self.awaiting_verdict = False          # the verdict came: 250, 4xx or 5xx
            elif reply[0] == 354:
                self.awaiting_verdict = True           # go ahead: the message follows
        return reply


class _SMTP(_TracksData, smtplib.SMTP):
    pass


class _SMTP_SSL(_TracksData, smtplib.SMTP_SSL):
    pass


class Connection:
    """One SMTP session, opened on demand and opened again after it was lost."""

    def __init__(self, server: Server, timeout: float = SMTP_TIMEOUT):
        self.server = server
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        if server.tls == "ssl":
            smtp: smtplib.SMTP = _SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
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

    def _connect(self) -> smtplib.SMTP:
        """A new session; a server that refuses us altogether (5xx) stops the mailing."""
        where = f"{self.server.host}:{self.server.port}"
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise MailingStopped(f"the server refused the login of {self.server.user!r}: "
                                 f"{_reply(exc.smtp_code, exc.smtp_error)}; check mail.user in site.yaml "
                                 "and the password in the environment") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailingStopped(f"{where} does not support what mail.tls and mail.user ask for: {exc}") from None
        except UnicodeEncodeError:
            raise MailingStopped("the SMTP login and password must be plain Latin letters, digits and signs "
                                 "(smtplib cannot send other characters)") from None
        except ssl.SSLError as exc:
            raise MailingStopped(f"TLS with {where} failed: {exc}") from None
        except smtplib.SMTPResponseException as exc:       # greeting, EHLO or STARTTLS refused
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 500 <= exc.smtp_code < 600:
                raise MailingStopped(f"{where} refuses the connection: {reply}") from None
            raise Transient(reply, connection_lost=True) from None
        except OSError as exc:                              # refused, unreachable, timed out, closed
            raise Transient(f"cannot connect to {where}: {exc or type(exc).__name__}", connection_lost=True) from None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Returns once the server accepted the message (250 after DATA); raises otherwise."""
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.reset_data_state()  # type: ignore[attr-defined]
            self.smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
            return
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            error = (code, _reply(code, text), code == 421)
        except smtplib.SMTPSenderRefused as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailingStopped(f"the server refuses the sender {sender}: "
                                     f"{_reply(exc.smtp_code, exc.smtp_error)}; check mail.sender in site.yaml") from None
            error = (exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code == 421)
        except smtplib.SMTPResponseException as exc:    # DATA refused
            error = (exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code == 421)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:     # also timeouts and TLS errors
            unknown = self.awaiting_verdict
            self.drop()
            if unknown:
                raise Unconfirmed(f"the connection was lost after the message was sent, before the "
                                  f"server's reply ({exc or type(exc).__name__})") from None
            if isinstance(exc, ssl.SSLError):
                raise MailingStopped(f"TLS with {self.server.host}:{self.server.port} failed: {exc}") from None
            raise Transient(f"connection lost: {exc or type(exc).__name__}", connection_lost=True) from None
        code, reply, lost = error
        if lost:
            self.drop()
        if 500 <= code < 600:
            raise Permanent(reply)
        raise Transient(reply, connection_lost=lost)

    @property
    def data_started(self) -> bool:
        return self.smtp is not None and getattr(self.smtp, "data_started", False)

    @property
    def awaiting_verdict(self) -> bool:
        return self.smtp is not None and getattr(self.smtp, "awaiting_verdict", False)

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


class StopRequest:
    """Ctrl-C / SIGTERM ask the mailing to stop after the message in flight.

    A message the server has accepted must reach the journal before the program stops,
    so the first signal only sets a flag that the loop checks between messages; a second
    one stops at once (and may leave the current address unjournalled).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after the current message; press Ctrl-C again to stop at once", file=sys.stderr)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up early when a stop is requested."""
        end = time.monotonic() + seconds
        while not self.requested:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))


# --- the mailing -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Unsure:
    """A message handed to the server whose fate is unknown: maybe delivered, maybe not."""
    recipient: Recipient
    message_id: str
    reason: str


@dataclass
class Report:
    total: int = 0
    already: int = 0
    sent: int = 0
    failures: list[Failure] = field(default_factory=list)
    stopped: str = ""        # why the run ended early, if it did
    unconfirmed: list[Unsure] = field(default_factory=list)            # in this run
    earlier_unconfirmed: list[Unsure] = field(default_factory=list)    # in the journal already

    @property
    def left(self) -> int:
        return (self.total - self.already - len(self.earlier_unconfirmed) - self.sent - len(self.failures)
                - len(self.unconfirmed))


@dataclass(frozen=True)
class MailJob:
    number: int
    edition: EmailEdition
    recipients: list[Recipient]
    mail: MailSettings
    base_url: str
    journal: Journal
    server: Server
    rate: float
    shown_recipients: str = ""
    quiet: bool = False
    hooks: MessageHooks | None = None     # subscriptions: per-recipient links, DKIM


def send_mailing(job: MailJob, stop: StopRequest) -> Report:
    report = Report(total=len(job.recipients))
    done = job.journal.done
    pending = [r for r in job.recipients if r.key not in done]
    report.earlier_unconfirmed = [Unsure(r, job.journal.unconfirmed[r.key], "unconfirmed in an earlier run")
                                  for r in job.recipients if r.key in job.journal.unconfirmed]
    report.already = report.total - len(pending) - len(report.earlier_unconfirmed)
    connection = Connection(job.server)
    interval = 1.0 / job.rate if job.rate > 0 else 0.0
    next_at = time.monotonic()
    in_flight: tuple[Recipient, str] | None = None
    unconfirmed_in_a_row = 0
    progress = tqdm(total=report.total, initial=report.total - len(pending), unit="msg", file=sys.stderr,
                    desc=f"bulletin {job.number}", disable=True if job.quiet else None, dynamic_ncols=True)
    try:
        for recipient in pending:
            if stop.requested:
                report.stopped = "stopped by Ctrl-C"
                break
            stop.sleep(next_at - time.monotonic())
            if stop.requested:
                report.stopped = "stopped by Ctrl-C"
                break
            message = build_message(job.edition, recipient, job.mail, job.base_url, job.journal.mailing_id,
                                    hooks=job.hooks)
            in_flight = (recipient, str(message["Message-ID"]))
            attempt = 0
            while True:
                try:
                    connection.send(message, job.mail.sender, recipient.email)
                except Permanent as exc:
                    report.failures.append(Failure(recipient, exc.reply, permanent=True))
                    break
                except Unconfirmed as exc:
                    # The server has the message and may have queued it: sending it again could
                    # deliver it twice. Journal it as unconfirmed; it is never sent again.
                    job.journal.record(recipient, in_flight[1], status=UNCONFIRMED)
                    report.unconfirmed.append(Unsure(recipient, in_flight[1], exc.reply))
                    progress.write(f"{recipient.email}: {exc.reply}; not sent again (unconfirmed)", file=sys.stderr)
                    progress.update(1)
                    unconfirmed_in_a_row += 1
                    if unconfirmed_in_a_row >= UNCONFIRMED_IN_A_ROW:
                        raise MailingStopped(f"{unconfirmed_in_a_row} messages in a row got no reply from "
                                             f"{job.server.host}:{job.server.port} after they were sent; "
                                             "check the server before going on") from None
                    break
                except Transient as exc:
                    attempt += 1
                    if attempt > job.mail.retries:
                        if exc.connection_lost:
                            raise MailingStopped(f"{job.server.host}:{job.server.port} keeps failing: "
                                                 f"{exc.reply}") from None
                        report.failures.append(Failure(recipient, exc.reply, permanent=False))
                        break
                    delay = job.mail.retry_delay * 2 ** (attempt - 1)
                    progress.write(f"{recipient.email}: {exc.reply}; retry {attempt} of {job.mail.retries} "
                                   f"in {delay:g} s", file=sys.stderr)
                    stop.sleep(delay)
                    if stop.requested:
                        break
                    continue
                # The server said 250: journal it before anything else can happen.
                job.journal.record(recipient, in_flight[1])
                report.sent += 1
                unconfirmed_in_a_row = 0
                progress.update(1)
                break
            in_flight = None
            next_at = max(next_at + interval, time.monotonic()) if interval else next_at
        if stop.requested and not report.stopped:
            report.stopped = "stopped by Ctrl-C"
    except MailingStopped as exc:
        report.stopped = str(exc)
    except KeyboardInterrupt:
        # Stopped at once (a second Ctrl-C). If the message in flight had reached DATA,
        # the server may have accepted it: count it as sent rather than risk a second copy.
        report.stopped = "interrupted at once by a second Ctrl-C"
        if in_flight is not None and connection.data_started and in_flight[0].key not in job.journal.done:
            job.journal.record(in_flight[0], in_flight[1], status=UNCONFIRMED)
            report.unconfirmed.append(Unsure(in_flight[0], in_flight[1], "the mailing was interrupted while "
                                             "the message was being sent"))
    finally:
        progress.close()
        connection.quit()
    return report


def write_dry_run(job: MailJob, folder: Path) -> tuple[int, int]:
    """Write the messages that would be sent as .eml files; returns (written, skipped)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    mailing_id = job.journal.mailing_id or "dry-run"
    written = skipped = 0
    done = job.journal.done
    for index, recipient in enumerate(job.recipients, start=1):
        if recipient.key in done:
            skipped += 1
            continue
        message = build_message(job.edition, recipient, job.mail, job.base_url, mailing_id, hooks=job.hooks)
        (folder / eml_name(index, recipient)).write_bytes(message.as_bytes())
        written += 1
    return written, skipped


# --- the command -------------------------------------------------------------------------------

def parse_smtp(value: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or ``[ipv6]:port``."""
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\s]+)(?::(\d+))?", value.strip())
    if not match:
        raise ValueError(f"--smtp {value!r}: write HOST:PORT, e.g. smtp.example.org:587")
    host = match.group(1) or match.group(3)
    port = match.group(2) or match.group(4)
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"--smtp {value!r}: the port must be 1–65535")
    return host, int(port) if port else None


def _error(message: str) -> None:
    print(f"mail: {message}", file=sys.stderr)


def run_mail(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    number = args.number
    if args.out is not None and not args.dry_run:
        _error("--out is the folder for --dry-run; add --dry-run or leave --out out")
        return EXIT_USAGE
    if args.rate is not None and args.rate <= 0:
        _error("--rate must be a positive number of messages per second")
        return EXIT_USAGE
    try:
        smtp_host, smtp_port = parse_smtp(args.smtp) if args.smtp else (None, None)
    except ValueError as exc:
        _error(str(exc))
        return EXIT_USAGE

    try:
        site = load_site(root, BuildOptions(drafts=False))
    except BuildFailed as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        _error("the site has errors; fix them (see `python build.py check`) before sending")
        return EXIT_FAILED
    bulletin: Bulletin | None = next((b for b in site.bulletins if b.number == number), None)
    if bulletin is None:
        if (root / "content" / "bulletins" / f"{number}.md").is_file():
            _error(f"bulletin {number} is not published (draft: true or a date in the future); "
                   "the site does not show it, so it is not sent")
            return EXIT_FAILED
        known = ", ".join(str(b.number) for b in site.bulletins[:5])
        _error(f"there is no bulletin {number} in content/bulletins/" + (f"; the newest are {known}" if known else ""))
        return EXIT_USAGE

    # --- subscriptions: the list of the subscription service, per-recipient links, DKIM
    from .subscriptions.letters import NotConfigured
    from .subscriptions.outgoing import file_list_hooks, subscriber_list
    subscribers: list[tuple[str, str]] = []
    hooks: MessageHooks | None
    try:
        if args.recipients is None:
            subscribers, hooks = subscriber_list(root, site.settings)
        else:
            hooks = file_list_hooks(site.settings)
    except NotConfigured as exc:
        _error(str(exc))
        return EXIT_USAGE
    if args.recipients is None:
        if not subscribers:
            _error("the subscriber list has no active subscriber: nothing to send")
            return EXIT_FAILED
        shown = "subscribers"     # a refusal is reported as subscribers:N: email: …
        recipients = RecipientList([Recipient(a, n, i) for i, (a, n) in enumerate(subscribers, start=1)])
    else:
        shown = str(args.recipients)
        recipients = read_recipients(args.recipients, shown)
    for note in recipients.duplicates:
        print(note, file=sys.stderr)
    if recipients.problems:
        for problem in recipients.problems.sorted():
            print(problem, file=sys.stderr)
        count = len(recipients.problems)
        print(f"{count} error{'s' if count != 1 else ''} in the recipients file: nothing was sent; "
              "fix the lines above and run again.", file=sys.stderr)
        return EXIT_FAILED

    settings = site.settings
    mail = settings.mail
    if smtp_host:
        mail = replace(mail, host=smtp_host, port=smtp_port or mail.port)
    bodies = BodyCache(MarkdownOptions(allow_raw_html=settings.allow_raw_html))
    edition = EmailRenderer(site, bodies).render(bulletin, hooks.placeholder_url if hooks else None)
    journal = Journal(journal_path(root, mail, number), number)

    if args.dry_run:
        folder = args.out or root / CACHE_DIR / DRY_RUN_DIR / f"bulletin-{number}-dry-run"
        job = MailJob(number, edition, recipients.recipients, mail, settings.base_url, journal,
                      Server(mail.host, mail.port, mail.tls, mail.user, ""), args.rate or mail.rate, shown,
                      hooks=hooks)
        written, skipped = write_dry_run(job, folder)
        note = f"; {skipped} already sent (in {journal.path}) skipped" if skipped else ""
        print(f"dry run: {written} message{'s' if written != 1 else ''} of bulletin {number} written to "
              f"{folder}{note}; nothing was sent", file=sys.stderr)
        return EXIT_OK

    password = ""
    if mail.user:
        password = os.environ.get(mail.password_env, "")
        if not password:
            _error(f"mail.user is {mail.user!r} but the environment variable {mail.password_env} is empty; "
                   f"set it to the SMTP password (export {mail.password_env}=…) and run again")
            return EXIT_USAGE
    if not mail.unsubscribe_url and not (hooks and hooks.service_url) and not args.quiet:
        print("note: mail.unsubscribe_url is empty, so messages offer unsubscribing by e-mail only "
              "(no one-click List-Unsubscribe-Post)", file=sys.stderr)

    try:
        journal.open()
    except JournalLocked:
        _error(f"another mailing of bulletin {number} is running (its journal {journal.path} is locked)")
        return EXIT_FAILED
    job = MailJob(number, edition, recipients.recipients, mail, settings.base_url, journal,
                  Server(mail.host, mail.port, mail.tls, mail.user, password), args.rate or mail.rate,
                  shown, args.quiet, hooks)
    try:
        with StopRequest() as stop:
            report = send_mailing(job, stop)
    finally:
        journal.close()
    return _summary(job, report)


def _summary(job: MailJob, report: Report) -> int:
    permanent = [f for f in report.failures if f.permanent]
    temporary = [f for f in report.failures if not f.permanent]
    parts = [f"{report.sent} sent now"]
    if report.already:
        parts.append(f"{report.already} already sent before")
    if permanent:
        parts.append(f"{len(permanent)} refused")
    if temporary:
        parts.append(f"{len(temporary)} not sent (temporary errors)")
    if report.unconfirmed:
        parts.append(f"{len(report.unconfirmed)} unconfirmed")
    if report.earlier_unconfirmed:
        parts.append(f"{len(report.earlier_unconfirmed)} unconfirmed earlier")
    if report.left:
        parts.append(f"{report.left} not tried yet")
    print(f"bulletin {job.number}: " + ", ".join(parts) + f" of {report.total}.", file=sys.stderr)

    def report_line(recipient, detail: str) -> None:    # path:line: field: message
        print(f"{job.shown_recipients}:{recipient.line}: email: {recipient.email}: {detail}", file=sys.stderr)
    if permanent:
        print("Refused by the server (correct or remove these addresses):", file=sys.stderr)
        for failure in permanent:
            report_line(failure.recipient, failure.reply)
    if temporary:
        print("Temporary errors (run the same command later to try them again):", file=sys.stderr)
        for failure in temporary:
            report_line(failure.recipient, failure.reply)
    if report.stopped:
        print(f"The mailing stopped: {report.stopped}.", file=sys.stderr)
    if report.unconfirmed:
        print("Unconfirmed: these messages were handed to the mail server, but its reply never came, so "
              "they may or may not have been delivered. They are marked in the journal and are NOT sent "
              "again. Check the mail server's log for their Message-ID before re-sending any of them "
              "by hand:", file=sys.stderr)
        for unsure in report.unconfirmed:
            report_line(unsure.recipient, f"{unsure.reason}; Message-ID {unsure.message_id}")
    if report.earlier_unconfirmed:
        print(f"Unconfirmed in an earlier run, so not sent again (see {UNCONFIRMED} in {job.journal.path}; "
              "check the mail server's log before re-sending by hand):", file=sys.stderr)
        for unsure in report.earlier_unconfirmed:
            report_line(unsure.recipient, f"Message-ID {unsure.message_id}")
    if report.stopped or temporary or report.left:
        print(f"Run the same command again to continue: the addresses in {job.journal.path} "
              "are not sent the issue again (keep that file).", file=sys.stderr)
    ok = not report.failures and not report.stopped and not report.left and not report.unconfirmed
    return EXIT_OK if ok else EXIT_FAILED
