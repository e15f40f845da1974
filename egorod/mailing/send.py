"""The mailing run: messages sent one by one, journalled, with progress and a summary."""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from enum import Enum
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable

from tqdm import tqdm

from ..content import Bulletin
from ..email_edition import EmailEdition, EmailRenderer
from ..errors import BuildFailed, Exit
from ..i18n import _, ngettext
from ..markup import MarkdownOptions
from ..model import BuildOptions, Site
from ..pipeline import CACHE_DIR, load_site
from ..render_html import BodyCache
from ..settings import MailSettings, Settings
from ..steps.images import planned_pictures
from .journal import Journal, JournalLocked, JournalWriteFailed, Status, journal_path
from .message import build_message, eml_name, message_id
from .recipients import Recipient, read_recipients
from .smtp import Connection, MailingStopped, Permanent, Server, Transient, Unconfirmed

if TYPE_CHECKING:
    from ..subscriptions.outgoing import MessageHooks

DRY_RUN_DIR = "mail"         # under the cache: the --dry-run .eml files (not the journals)
UNCONFIRMED_IN_A_ROW = 3     # this many unconfirmed messages in a row stop the mailing


@dataclass(frozen=True)
class Failure:
    recipient: Recipient
    reply: str
    permanent: bool


class StopRequest:
    """Ctrl-C / SIGTERM ask the mailing to stop after the message in flight.

    A message the server has accepted must reach the journal before the program stops,
    so the first signal only sets a flag that the loop checks between messages; a second
    one stops at once (and may leave the current address unjournalled).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
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


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"              # refused, or temporary errors outlasted the retries
    UNCONFIRMED = "unconfirmed"
    STOPPED = "stopped"            # a stop was requested while waiting to retry


def send_mailing(job: MailJob, stop: StopRequest) -> Report:
    journal = job.journal
    report = Report(total=len(job.recipients))
    report.earlier_unconfirmed = [Unsure(r, journal.unconfirmed[r.key], "unconfirmed in an earlier run")
                                  for r in job.recipients if r.key in journal.unconfirmed]
    report.already = sum(1 for r in job.recipients if r.key in journal.sent)
    pending = [r for r in job.recipients if r.key not in journal.done]
    connection = Connection(job.server)
    interval = 1.0 / job.rate if job.rate > 0 else 0.0
    next_at = time.monotonic()
    in_flight: tuple[Recipient, str] | None = None
    unconfirmed_in_a_row = 0
    progress = tqdm(total=report.total, initial=report.total - len(pending), unit="msg", file=sys.stderr,
                    desc=_("bulletin {number}").format(number=job.number), disable=True if job.quiet else None, dynamic_ncols=True)
    try:
        report.unconfirmed = settle_in_doubt(job)
        for recipient in pending:
            stop.sleep(next_at - time.monotonic())
            if stop.requested:
                break
            message = build_message(job.edition, recipient, job.mail, job.base_url, journal.mailing_id,
                                    hooks=job.hooks)
            in_flight = (recipient, str(message["Message-ID"]))
            outcome = _deliver(job, connection, message, recipient, stop, progress, report)
            in_flight = None
            if outcome is Outcome.STOPPED:
                break
            unconfirmed_in_a_row = unconfirmed_in_a_row + 1 if outcome is Outcome.UNCONFIRMED else 0
            if unconfirmed_in_a_row >= UNCONFIRMED_IN_A_ROW:
                raise MailingStopped(_("{count} messages in a row got no reply from {host}:{port} after they "
                                       "were sent; check the server before going on").format(
                                           count=unconfirmed_in_a_row, host=job.server.host, port=job.server.port))
            next_at = max(next_at + interval, time.monotonic()) if interval else next_at
        if stop.requested:
            report.stopped = _("stopped by Ctrl-C")
    except (MailingStopped, JournalWriteFailed) as exc:
        report.stopped = str(exc)
    except KeyboardInterrupt:
        # Stopped at once (a second Ctrl-C). If the message in flight had reached DATA,
        # the server may have accepted it: never send it again rather than risk a second copy.
        report.stopped = _("interrupted at once by a second Ctrl-C")
        if in_flight is not None and in_flight[0].key in journal.in_doubt:
            recipient, mid = in_flight
            if connection.data_started:
                journal.record(recipient, mid, Status.UNCONFIRMED)
                report.unconfirmed.append(Unsure(recipient, mid, "the mailing was interrupted while "
                                                 "the message was being sent"))
            else:
                journal.record(recipient, mid, Status.NOT_SENT)
    finally:
        progress.close()
        connection.quit()
    return report


def settle_in_doubt(job: MailJob) -> list[Unsure]:
    """Addresses a killed run left ``sending``: the server may have queued their message.

    They are journalled as unconfirmed, reported in this run and never sent again.
    """
    unsure = []
    for recipient in job.recipients:
        if recipient.key in job.journal.in_doubt:
            found = job.journal.in_doubt[recipient.key]
            # (the Message-ID is the same in every run: a torn line can do without it)
            mid = found or message_id(job.number, job.journal.mailing_id, recipient, job.mail.sender)
            job.journal.record(recipient, mid, Status.UNCONFIRMED)
            unsure.append(Unsure(recipient, mid, "a run was killed while this message was being sent"))
    return unsure


def _deliver(job: MailJob, connection: Connection, message: EmailMessage, recipient: Recipient,
             stop: StopRequest, progress: tqdm, report: Report) -> Outcome:
    """Send one message, retrying what may be retried; every verdict is journalled first."""
    journal = job.journal
    mid = str(message["Message-ID"])
    # Journalled before DATA: from then on a kill leaves the address in doubt, not unsent.
    announce = partial(journal.record, recipient, mid, Status.SENDING)
    attempt = 0
    while True:
        try:
            connection.send(message, job.mail.sender, recipient.email, announce)
        except MailingStopped:
            _settle_not_sent(journal, recipient, mid)
            raise
        except Permanent as exc:
            _settle_not_sent(journal, recipient, mid)
            report.failures.append(Failure(recipient, exc.reply, permanent=True))
            return Outcome.FAILED
        except Unconfirmed as exc:
            # The server has the message and may have queued it: sending it again could
            # deliver it twice. Journal it as unconfirmed; it is never sent again.
            journal.record(recipient, mid, Status.UNCONFIRMED)
            report.unconfirmed.append(Unsure(recipient, mid, exc.reply))
            progress.write(_("{email}: {reply}; not sent again (unconfirmed)").format(
                email=recipient.email, reply=exc.reply), file=sys.stderr)
            progress.update(1)
            return Outcome.UNCONFIRMED
        except Transient as exc:
            _settle_not_sent(journal, recipient, mid)
            attempt += 1
            if attempt > job.mail.retries:
                if exc.connection_lost:
                    raise MailingStopped(_("{host}:{port} keeps failing: {reply}").format(
                        host=job.server.host, port=job.server.port, reply=exc.reply)) from None
                report.failures.append(Failure(recipient, exc.reply, permanent=False))
                return Outcome.FAILED
            delay = job.mail.retry_delay * 2 ** (attempt - 1)
            progress.write(_("{email}: {reply}; retry {attempt} of {retries} in {delay:g} s").format(
                email=recipient.email, reply=exc.reply, attempt=attempt, retries=job.mail.retries, delay=delay),
                file=sys.stderr)
            stop.sleep(delay)
            if stop.requested:
                return Outcome.STOPPED
            continue
        journal.record(recipient, mid, Status.SENT)
        report.sent += 1
        progress.update(1)
        return Outcome.SENT


def _settle_not_sent(journal: Journal, recipient: Recipient, mid: str) -> None:
    """A failure the server answered (or one before the message went out) ends the doubt
    a ``sending`` line opened: the address may be tried again."""
    if recipient.key in journal.in_doubt:
        journal.record(recipient, mid, Status.NOT_SENT)


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
        raise ValueError(_("--smtp {value!r}: write HOST:PORT, e.g. smtp.example.org:587").format(value=value))
    host = match.group(1) or match.group(3)
    port = match.group(2) or match.group(4)
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(_("--smtp {value!r}: the port must be 1–65535").format(value=value))
    return host, int(port) if port else None


@dataclass(frozen=True)
class Request:
    """What the command line asks of ``mail``."""
    number: int
    recipients: Path | None          # None: the active subscribers of the subscription service
    dry_run: bool = False
    out: Path | None = None          # the folder of the --dry-run .eml files
    smtp: str | None = None          # HOST:PORT instead of mail.host and mail.port
    rate: float | None = None        # messages per second instead of mail.rate
    quiet: bool = False


class Refused(Exception):
    """The mailing does not start; ``status`` is the exit code, ``message`` (if any) says why."""

    def __init__(self, status: Exit, message: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message


def run_mail(root: Path, request: Request) -> int:
    try:
        return _run(root, request)
    except Refused as refused:
        if refused.message:
            print(_("mail: {reason}").format(reason=refused.message), file=sys.stderr)
        return refused.status


def _run(root: Path, request: Request) -> int:
    smtp = _check_request(request)
    site = _load_site(root)
    bulletin = _published_bulletin(site, root, request.number)
    settings = site.settings
    shown, recipients, hooks = _recipients_and_hooks(root, request, settings)
    mail = replace(settings.mail, host=smtp[0], port=smtp[1] or settings.mail.port) if smtp else settings.mail
    renderer = EmailRenderer(site, BodyCache(MarkdownOptions(allow_raw_html=settings.allow_raw_html)),
                             planned_pictures(root, site))
    edition = renderer.render(bulletin, hooks.placeholder_url if hooks else None)
    journal = Journal(journal_path(root, mail, bulletin.number), bulletin.number)
    rate = request.rate or mail.rate

    if request.dry_run:
        folder = request.out or root / CACHE_DIR / DRY_RUN_DIR / f"bulletin-{bulletin.number}-dry-run"
        job = MailJob(bulletin.number, edition, recipients, mail, settings.base_url, journal,
                      Server(mail.host, mail.port, mail.tls, mail.user, ""), rate, shown, hooks=hooks)
        written, skipped = write_dry_run(job, folder)
        print(ngettext("dry run: {count} message of bulletin {number} written to {folder}; nothing was sent",
                       "dry run: {count} messages of bulletin {number} written to {folder}; nothing was sent",
                       written).format(count=written, number=bulletin.number, folder=folder), file=sys.stderr)
        if skipped:
            print(_("dry run: {count} already sent (in {journal}) skipped").format(count=skipped, journal=journal.path),
                  file=sys.stderr)
        return Exit.OK

    password = _password(mail)
    if not mail.unsubscribe_url and not (hooks and hooks.service_url) and not request.quiet:
        print(_("note: mail.unsubscribe_url is empty, so messages offer unsubscribing by e-mail only "
                "(no one-click List-Unsubscribe-Post)"), file=sys.stderr)
    try:
        journal.open()
    except JournalLocked:
        raise Refused(Exit.CONTENT, _("another mailing of bulletin {number} is running (its journal {journal} is "
                                      "locked)").format(number=bulletin.number, journal=journal.path)) from None
    job = MailJob(bulletin.number, edition, recipients, mail, settings.base_url, journal,
                  Server(mail.host, mail.port, mail.tls, mail.user, password), rate, shown, request.quiet, hooks)
    try:
        with StopRequest() as stop:
            report = send_mailing(job, stop)
    finally:
        journal.close()
    return _summary(job, report)


def _check_request(request: Request) -> tuple[str, int | None] | None:
    """Usage mistakes, before anything is loaded; returns the --smtp host and port, if given."""
    if request.out is not None and not request.dry_run:
        raise Refused(Exit.USAGE, _("--out is the folder for --dry-run; add --dry-run or leave --out out"))
    if request.rate is not None and request.rate <= 0:
        raise Refused(Exit.USAGE, _("--rate must be a positive number of messages per second"))
    try:
        return parse_smtp(request.smtp) if request.smtp else None
    except ValueError as exc:
        raise Refused(Exit.USAGE, str(exc)) from None


def _load_site(root: Path) -> Site:
    try:
        return load_site(root, BuildOptions(drafts=False))
    except BuildFailed as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        raise Refused(Exit.CONTENT, _("the site has errors; fix them (see `python build.py check`) "
                                      "before sending")) from None


def _published_bulletin(site: Site, root: Path, number: int) -> Bulletin:
    bulletin = next((b for b in site.bulletins if b.number == number), None)
    if bulletin is not None:
        return bulletin
    if (root / "content" / "bulletins" / f"{number}.md").is_file():
        raise Refused(Exit.CONTENT, _("bulletin {number} is not published (draft: true or a date in the "
                                      "future); the site does not show it, so it is not sent").format(number=number))
    known = ", ".join(str(b.number) for b in site.bulletins[:5])
    if known:
        raise Refused(Exit.USAGE, _("there is no bulletin {number} in content/bulletins/; the newest are {known}")
                      .format(number=number, known=known))
    raise Refused(Exit.USAGE, _("there is no bulletin {number} in content/bulletins/").format(number=number))


def _recipients_and_hooks(root: Path, request: Request,
                          settings: Settings) -> tuple[str, list[Recipient], MessageHooks | None]:
    """Who gets the issue (the CSV file, or the subscription service's active subscribers), as
    shown in messages, and what each letter gets from the service (its own links, DKIM)."""
    from ..subscriptions.letters import NotConfigured
    from ..subscriptions.outgoing import file_list_hooks, subscriber_list
    try:
        if request.recipients is not None:
            shown = str(request.recipients)
            return shown, _recipient_list(request.recipients, shown), file_list_hooks(settings)
        subscribers, hooks = subscriber_list(root, settings)
    except NotConfigured as exc:
        raise Refused(Exit.USAGE, str(exc)) from None
    if not subscribers:
        raise Refused(Exit.CONTENT, _("the subscriber list has no active subscriber: nothing to send"))
    # a refusal by the server is reported as subscribers:N: email: …
    return "subscribers", [Recipient(a, n, i) for i, (a, n) in enumerate(subscribers, start=1)], hooks


def _recipient_list(path: Path, shown: str) -> list[Recipient]:
    """The checked subscribers; every mistake in the file is printed and nothing is sent."""
    recipients = read_recipients(path, shown)
    for note in recipients.duplicates:
        print(note, file=sys.stderr)
    if recipients.problems:
        for problem in recipients.problems.sorted():
            print(problem, file=sys.stderr)
        count = len(recipients.problems)
        print(ngettext("{count} error in the recipients file: nothing was sent; fix the line above and run again.",
                       "{count} errors in the recipients file: nothing was sent; fix the lines above and run again.",
                       count).format(count=count), file=sys.stderr)
        raise Refused(Exit.CONTENT)
    return recipients.recipients


def _password(mail: MailSettings) -> str:
    """The SMTP password, from the environment only (never from a file)."""
    if not mail.user:
        return ""
    password = os.environ.get(mail.password_env, "")
    if not password:
        raise Refused(Exit.USAGE, _("mail.user is {user!r} but the environment variable {variable} is empty; set "
                                    "it to the SMTP password (export {variable}=…) and run again").format(
                                        user=mail.user, variable=mail.password_env))
    return password


def _summary(job: MailJob, report: Report) -> int:
    permanent = [f for f in report.failures if f.permanent]
    temporary = [f for f in report.failures if not f.permanent]
    # Each count is a whole phrase of its own ("2 sent now"), listed; the first (sent now) is always said.

    counts = [(report.sent, _("{count} sent now")), (report.already, _("{count} already sent before")),
              (len(permanent), _("{count} refused")), (len(temporary), _("{count} not sent (temporary errors)")),
              (len(report.unconfirmed), _("{count} unconfirmed")),
              (len(report.earlier_unconfirmed), _("{count} unconfirmed earlier")),
              (report.left, _("{count} not tried yet"))]
    parts = [phrase.format(count=count) for index, (count, phrase) in enumerate(counts) if count or index == 0]
    print(_("bulletin {number}: {counts} of {total}.").format(number=job.number, counts=", ".join(parts),
                                                              total=report.total), file=sys.stderr)

    def report_line(recipient: Recipient, detail: str) -> None:    # path:line: field: message
        print(f"{job.shown_recipients}:{recipient.line}: email: {recipient.email}: {detail}", file=sys.stderr)
    if permanent:
        print(_("Refused by the server (correct or remove these addresses):"), file=sys.stderr)
        for failure in permanent:
            report_line(failure.recipient, failure.reply)
    if temporary:
        print(_("Temporary errors (run the same command later to try them again):"), file=sys.stderr)
        for failure in temporary:
            report_line(failure.recipient, failure.reply)
    if report.stopped:
        print(_("The mailing stopped: {reason}.").format(reason=report.stopped), file=sys.stderr)
    if report.unconfirmed:
        print(_("Unconfirmed: these messages were handed to the mail server, but its reply never came, so "
                "they may or may not have been delivered. They are marked in the journal and are NOT sent "
                "again. Check the mail server's log for their Message-ID before re-sending any of them "
                "by hand:"), file=sys.stderr)
        for unsure in report.unconfirmed:
            report_line(unsure.recipient, f"{unsure.reason}; Message-ID {unsure.message_id}")
    if report.earlier_unconfirmed:
        print(_("Unconfirmed in an earlier run, so not sent again (see {status} in {journal}; check the mail "
                "server's log before re-sending by hand):").format(status=Status.UNCONFIRMED, journal=job.journal.path),
              file=sys.stderr)
        for unsure in report.earlier_unconfirmed:
            report_line(unsure.recipient, f"Message-ID {unsure.message_id}")
    if report.stopped or temporary or report.left:
        print(_("Run the same command again to continue: the addresses in {journal} are not sent the issue "
                "again (keep that file).").format(journal=job.journal.path), file=sys.stderr)

    ok = not report.failures and not report.stopped and not report.left and not report.unconfirmed
    return Exit.OK if ok else Exit.CONTENT
