"""The journal of a mailing: who has the issue already, so that nobody gets it twice."""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from pathlib import Path

from ..settings import MailSettings
from .recipients import Recipient

UNCONFIRMED = "unconfirmed"  # journal status: handed to the server, its verdict never came


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

