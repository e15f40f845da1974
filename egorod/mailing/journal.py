"""The journal of a mailing: who has the issue already, so that nobody gets it twice."""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..i18n import _
from ..settings import MailSettings
from .recipients import Recipient


class Status(StrEnum):
    """The last field of a journal line: how far one address got."""
    SENDING = "sending"            # about to hand the message over: written before DATA
    SENT = "sent"                  # the server accepted it (250 after DATA)
    NOT_SENT = "not-sent"          # DATA was refused or broke off before the message went out
    UNCONFIRMED = "unconfirmed"    # the message went out, the server's verdict never came


_STATUSES = {status.value for status in Status}


class JournalLocked(RuntimeError):
    pass


class JournalWriteFailed(Exception):
    """The journal cannot be written: sending on would risk a second copy. Not an OSError,
    so that no SMTP error handler mistakes it for a lost connection."""


_MAILING_ID = re.compile(r"\bmailing ([0-9a-f]{8,})\b")


@dataclass(frozen=True)
class Entry:
    address: str        # lower case
    message_id: str
    status: Status


def parse_line(line: str, whole: bool) -> Entry | None:
    """One line ``address<TAB>time<TAB>Message-ID<TAB>status``; None for comments and noise.

    A line cut short by a crash (``whole`` false: the file ends without its newline) or
    otherwise malformed still names its address if the first tab reached the disk; what
    happened to that message is unknown, so it counts as SENDING, i.e. in doubt. A whole
    line of three fields is the older format for an accepted message.
    """
    if line.startswith("#"):
        return None
    address, tab, rest = line.partition("\t")
    address = address.strip().lower()
    if not tab or "@" not in address:
        return None
    fields = rest.split("\t")
    message_id = fields[1].strip() if len(fields) > 1 else ""
    if whole and len(fields) == 2 and message_id.endswith(">"):
        return Entry(address, message_id, Status.SENT)
    if whole and len(fields) == 3 and fields[2].strip() in _STATUSES:
        return Entry(address, message_id, Status(fields[2].strip()))
    return Entry(address, message_id, Status.SENDING)


class Journal:
    """Append-only record of what happened to each address's message.

    Before DATA a ``sending`` line is written; the server's verdict follows as a ``sent``,
    ``not-sent`` or ``unconfirmed`` line. An address whose last word is ``sending`` was
    being sent when the program was killed: the server may have queued its message, so
    it is in doubt and, like ``sent`` and ``unconfirmed``, never sent again. Each line is
    written with a single write() on an O_APPEND descriptor and fsync'ed before the
    mailing goes on.
    """

    def __init__(self, path: Path, number: int):
        self.path = path
        self.number = number
        self.sent: set[str] = set()
        self.unconfirmed: dict[str, str] = {}     # address → Message-ID
        self.in_doubt: dict[str, str] = {}        # address → Message-ID: ``sending``, no verdict
        self.mailing_id = ""
        self._fd: int | None = None
        self._needs_newline = False
        self._read()

    def _read(self) -> None:
        try:
            data = self.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return
        lines = data.splitlines()
        self._needs_newline = bool(data) and not data.endswith("\n")
        for number, line in enumerate(lines, start=1):
            found = _MAILING_ID.search(line) if line.startswith("#") else None
            if found and not self.mailing_id:
                self.mailing_id = found.group(1)
            entry = parse_line(line, whole=number < len(lines) or not self._needs_newline)
            if entry is not None:
                self._apply(entry)

    def _apply(self, entry: Entry) -> None:
        """An accepted message is never undone; an unconfirmed one is never sent again."""
        key = entry.address
        if entry.status is Status.SENT:
            self.sent.add(key)
            self.unconfirmed.pop(key, None)
            self.in_doubt.pop(key, None)
        elif key in self.sent:
            return
        elif entry.status is Status.UNCONFIRMED:
            self.unconfirmed[key] = entry.message_id
            self.in_doubt.pop(key, None)
        elif entry.status is Status.SENDING:
            if key not in self.unconfirmed:
                self.in_doubt[key] = entry.message_id
        else:
            self.in_doubt.pop(key, None)

    @property
    def done(self) -> set[str]:
        """The addresses never to be sent this issue again: accepted or maybe delivered."""
        return self.sent | set(self.unconfirmed) | set(self.in_doubt)

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
                         "lines per address: sending, then sent, not-sent or "
                         "unconfirmed (maybe delivered); keep this file\n")
            if created:
                _fsync_directory(self.path.parent)

    def record(self, recipient: Recipient, message_id: str, status: Status) -> None:
        """Write one line and fsync it: when this returns, the line survives a crash."""
        stamp = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
        self._append(f"{recipient.key}\t{stamp}\t{message_id}\t{status}\n")
        self._apply(Entry(recipient.key, message_id, status))

    def _append(self, text: str) -> None:
        assert self._fd is not None, "journal not open"
        data = text.encode("utf-8")
        try:
            written = os.write(self._fd, data)
            while written < len(data):                   # regular files write all at once
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            raise JournalWriteFailed(_("cannot write the journal {journal}: {reason}").format(
                journal=self.path, reason=exc.strerror or exc)) from None


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

