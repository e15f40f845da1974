"""The subscriber list: one SQLite file (WAL), readable by its owner only, never in output/ or git.

One row per address with its status and the evidence of consent (when and from which form
the address asked, when it confirmed), and a history of what happened to it. Addresses are
kept normalised (domain in ASCII, all lower-case), so one person is one row. ``forget``
erases a row and its history so that no byte of the address is left in the file: deleted
content is overwritten (``secure_delete``), the WAL is checkpointed and truncated and the file
vacuumed.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path

from .tokens import KEY_BYTES

LETTER_INTERVAL = dt.timedelta(days=1)      # at most one confirmation letter per address per day
PENDING_KEPT = dt.timedelta(days=30)        # an address that never confirmed is erased after this
BUSY_TIMEOUT_MS = 10_000                    # the service, `mail` and the commands share the file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    key BLOB NOT NULL UNIQUE,
    requested_at TEXT NOT NULL,
    source TEXT NOT NULL,
    confirmed_at TEXT,
    changed_at TEXT NOT NULL,
    letter_at TEXT,
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    soft_bounce_issue INTEGER
);
CREATE INDEX IF NOT EXISTS subscribers_status ON subscribers (status);
CREATE TABLE IF NOT EXISTS history (
    subscriber INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS history_subscriber ON history (subscriber);
"""


class Status(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    name: str
    status: Status
    key: bytes
    requested_at: str           # when the address asked (or was imported)
    source: str                 # the form it asked from, or where an imported list's consent came from
    confirmed_at: str | None
    changed_at: str
    letter_at: str | None       # the last confirmation letter
    soft_bounces: int           # soft-bounced issues in a row
    soft_bounce_issue: int | None


class Requested(Enum):
    """What a subscribe request leads to; the visitor sees the same answer for all of them."""
    SEND_LETTER = "send"        # a confirmation letter is due
    ALREADY_ACTIVE = "active"   # nothing to do
    LETTER_LIMIT = "limit"      # a letter went to this address less than a day ago


class Outcome(Enum):
    DONE = "done"
    ALREADY = "already"         # repeating is harmless
    UNKNOWN = "unknown"         # no such subscriber (forgotten), or not in a state for this


class Bounce(Enum):
    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Change:
    address: str
    before: Status
    after: Status
    soft_bounces: int


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def _create_private(path: Path) -> None:
    """The file and its folder are made readable by the owner only before SQLite opens them
    (SQLite gives the -wal and -shm files the permissions of the database file)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


class Store:
    def __init__(self, path: Path):
        self.path = path
        if not path.exists():
            _create_private(path)
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA secure_delete=ON")      # deleted rows are overwritten, not left in free pages
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")    # WAL: durable at checkpoints, never corrupt
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- reading -------------------------------------------------------------------------

    _COLUMNS = ("id, address, name, status, key, requested_at, source, confirmed_at, changed_at, letter_at, "
                "soft_bounces, soft_bounce_issue")

    @staticmethod
    def _row(row: tuple) -> Subscriber:
        return Subscriber(row[0], row[1], row[2], Status(row[3]), bytes(row[4]), *row[5:])

    def _one(self, where: str, value: object) -> Subscriber | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM subscribers WHERE {where} = ?", (value,)).fetchone()
        return self._row(row) if row else None

    def by_key(self, key: bytes) -> Subscriber | None:
        return self._one("key", key)

    def by_address(self, address: str) -> Subscriber | None:
        return self._one("address", address.lower())

    def all(self, status: Status | None = None) -> Iterator[Subscriber]:
        query = f"SELECT {self._COLUMNS} FROM subscribers"
        rows = (self.db.execute(query + " WHERE status = ? ORDER BY id", (status.value,)) if status
                else self.db.execute(query + " ORDER BY id"))
        return (self._row(row) for row in rows)

    def counts(self) -> dict[Status, int]:
        found = dict(self.db.execute("SELECT status, count(*) FROM subscribers GROUP BY status").fetchall())
        return {status: found.get(status.value, 0) for status in Status}

    # --- changing ----------------------------------------------------------------------------

    def _log(self, subscriber_id: int, now: dt.datetime, event: str, detail: str = "") -> None:
        self.db.execute("INSERT INTO history (subscriber, at, event, detail) VALUES (?, ?, ?, ?)",
                        (subscriber_id, stamp(now), event, detail))

    def request(self, address: str, name: str, source: str, now: dt.datetime) -> tuple[Requested, bytes]:
        """A subscribe request from a form: a pending row (or the existing one) and what to do next.

        An active address stays as it is; any other asks again (pending) with the new evidence.
        The letter limit is counted here, before any letter is sent, so that a flood of requests
        for one address sends it at most one letter a day.
        """
        address = address.lower()
        with self._transaction():
            found = self.by_address(address)
            if found is None:
                key = secrets.token_bytes(KEY_BYTES)
                cursor = self.db.execute(
                    "INSERT INTO subscribers (address, name, status, key, requested_at, source, changed_at, letter_at) "
                    "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)", (address, name, key, stamp(now), source, stamp(now), stamp(now)))
                self._log(int(cursor.lastrowid or 0), now, "asked", source)
                return Requested.SEND_LETTER, key
            if found.status is Status.ACTIVE:
                return Requested.ALREADY_ACTIVE, found.key
            if found.letter_at and now - _parse(found.letter_at) < LETTER_INTERVAL:
                return Requested.LETTER_LIMIT, found.key
            self.db.execute("UPDATE subscribers SET status = 'pending', name = ?, requested_at = ?, source = ?, "
                            "changed_at = ?, letter_at = ? WHERE id = ?",
                            (name or found.name, stamp(now), source, stamp(now), stamp(now), found.id))
            self._log(found.id, now, "asked", source)
            return Requested.SEND_LETTER, found.key

    def confirm(self, key: bytes, now: dt.datetime) -> Outcome:
        with self._transaction():
            found = self.by_key(key)
            if found is None:
                return Outcome.UNKNOWN
            if found.status is Status.ACTIVE:
                return Outcome.ALREADY
            if found.status is not Status.PENDING:     # unsubscribed since: an old link must not undo that
                return Outcome.UNKNOWN
            self.db.execute("UPDATE subscribers SET status = 'active', confirmed_at = ?, changed_at = ?, "
                            "soft_bounces = 0, soft_bounce_issue = NULL WHERE id = ?", (stamp(now), stamp(now), found.id))
            self._log(found.id, now, "confirmed")
            return Outcome.DONE

    def unsubscribe(self, key: bytes, now: dt.datetime, how: str) -> Outcome:
        with self._transaction():
            found = self.by_key(key)
            if found is None:
                return Outcome.UNKNOWN
            if found.status is not Status.ACTIVE and found.status is not Status.PENDING:
                return Outcome.ALREADY
            self.db.execute("UPDATE subscribers SET status = 'unsubscribed', changed_at = ? WHERE id = ?",
                            (stamp(now), found.id))
            self._log(found.id, now, "unsubscribed", how)
            return Outcome.DONE

    def add_imported(self, address: str, name: str, source: str, now: dt.datetime) -> bool:
        """An address of an existing list, active at once (its consent was given elsewhere: ``source``).

        An address already known is left alone: importing an old list again must not bring back
        those who unsubscribed, bounced or complained since.
        """
        with self._transaction():
            if self.by_address(address) is not None:
                return False
            cursor = self.db.execute(
                "INSERT INTO subscribers (address, name, status, key, requested_at, source, confirmed_at, changed_at) "
                "VALUES (?, ?, 'active', ?, ?, ?, NULL, ?)",
                (address.lower(), name, secrets.token_bytes(KEY_BYTES), stamp(now), source, stamp(now)))
            self._log(int(cursor.lastrowid or 0), now, "imported", source)
            return True

    def bounce(self, subscriber: Subscriber, kind: Bounce, issue: int | None, detail: str, soft_limit: int,
               now: dt.datetime) -> Change | None:
        """Record a bounce or complaint; the change of status it made, if any.

        A soft bounce counts once per issue (remote servers send several notices for one
        letter); the count starts again when a later issue was not soft-bounced in between.
        """
        with self._transaction():
            current = self.by_key(subscriber.key)
            if current is None:
                return None
            soft = current.soft_bounces
            status = current.status
            if kind is Bounce.COMPLAINT:
                status = Status.COMPLAINED
            elif kind is Bounce.HARD:
                status = Status.BOUNCED if status is not Status.COMPLAINED else status
            else:
                last = current.soft_bounce_issue
                if issue is None or last is None or issue == last + 1:
                    soft += 1
                elif issue != last:
                    soft = 1
                if soft >= soft_limit and status in (Status.ACTIVE, Status.PENDING):
                    status = Status.BOUNCED
            self.db.execute("UPDATE subscribers SET status = ?, soft_bounces = ?, "
                            "soft_bounce_issue = coalesce(?, soft_bounce_issue), changed_at = ? WHERE id = ?",
                            (status.value, soft, issue if kind is Bounce.SOFT else None, stamp(now), current.id))
            self._log(current.id, now, kind.value, detail)
            if status is current.status and soft == current.soft_bounces:
                return None
            return Change(current.address, current.status, status, soft)

    def forget(self, address: str) -> bool:
        """Erase an address and its history from the file itself, not only from the table."""
        with self._transaction():
            deleted = self.db.execute("DELETE FROM subscribers WHERE address = ?", (address.lower(),)).rowcount
        if deleted:
            self.scrub()
        return bool(deleted)

    def purge_pending(self, now: dt.datetime) -> int:
        """Addresses that never confirmed are not kept: nobody consented to their keeping."""
        with self._transaction():
            return self.db.execute("DELETE FROM subscribers WHERE status = 'pending' AND requested_at < ?",
                                   (stamp(now - PENDING_KEPT),)).rowcount

    def scrub(self) -> None:
        """Leave no deleted byte in the database file or its WAL."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---

    def _transaction(self) -> "_Transaction":
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): read-then-write without a race between processes."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
