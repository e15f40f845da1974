"""The record cache: valid records of unchanged files are not parsed again.

Loading also runs here, in worker processes when many files must be parsed.
"""
from __future__ import annotations

import hashlib
import pickle
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, cast

from ..errors import Problems
from ..files import write_atomically
from ..parallel import forked_batches
from .read import body_of
from .records import Collection, Entry, LazyBody, Rejected, VestnikIssue

# The records made of several files: a Vestnik issue, an analytic collection, each with its articles.
WITH_ARTICLES = (VestnikIssue, Collection)


def _with_articles(record: Any, articles: tuple) -> Any:
    return replace(record, articles=articles)


def _without_bodies(record: Any) -> Any:
    if isinstance(record, WITH_ARTICLES):
        record = _with_articles(record, tuple(replace(a, body="") for a in record.articles))
    return replace(record, body="")


def _body_offsets(record: Any, contents: dict[str, bytes]) -> dict[str, int]:
    """Where each file's body starts in its bytes, when the body is a plain suffix of them."""
    entries = [record, *getattr(record, "articles", ())]
    offsets = {}
    for entry in entries:
        name = entry.source.path.rsplit("/", 1)[-1]
        data, body = contents.get(name), entry.body.encode("utf-8")
        if data is not None and data.endswith(body):
            offsets[name] = len(data) - len(body)
    return offsets


def _with_lazy_bodies(record: Any, files: tuple[Path, ...], offsets: dict[str, int]) -> Any:
    by_name = {file.name: file for file in files}

    def body(entry: Entry) -> str:
        name = entry.source.path.rsplit("/", 1)[-1]
        return cast(str, LazyBody(by_name[name], offsets[name], entry.source.digest))   # str-like
    if isinstance(record, WITH_ARTICLES):
        record = _with_articles(record, tuple(replace(a, body=body(a)) for a in record.articles))
    return replace(record, body=body(record))


def _with_bodies(record: Any, contents: dict[str, bytes], offsets: dict[str, int]) -> Any:
    def body(entry: Entry) -> str:
        name = entry.source.path.rsplit("/", 1)[-1]
        if name in offsets:
            return contents[name][offsets[name]:].decode("utf-8")
        return body_of(contents[name])
    if isinstance(record, WITH_ARTICLES):
        record = _with_articles(record, tuple(replace(a, body=body(a)) for a in record.articles))
    return replace(record, body=body(record))


@dataclass(frozen=True)
class LoadJob:
    """One record to load: the files it is made of (hashed together for the cache; none:
    never cached) and the function that reads and checks them."""
    files: tuple[Path, ...]
    load: Callable[[Problems], Any]


def _read_files(files: tuple[Path, ...]) -> tuple[str, dict[str, bytes]] | None:
    digest = hashlib.sha1()
    contents: dict[str, bytes] = {}
    for file in files:      # names too: renaming an article changes its slug and order
        try:
            data = file.read_bytes()
        except OSError:
            return None
        contents[file.name] = data
        digest.update(file.name.encode("utf-8") + b"\0")
        digest.update(data)
    return digest.hexdigest(), contents


def _load_one(job: LoadJob, read: tuple[str, dict[str, bytes]] | None) -> tuple:
    """Parse and check one job's files: (hash of the files, record, body offsets, problems).

    ``read`` is the files' hash and bytes when the caller has them already; otherwise the
    files are read here (in a worker, when many are loaded). A valid record whose bodies
    are plain ends of its files comes with them left in the files (sent back cheaply, read
    again where a page needs them); offsets are None for a record that cannot be cached.
    """
    if read is None and job.files:
        read = _read_files(job.files)
    stamp, contents = read if read is not None else (None, {})
    problems = Problems()
    record = job.load(problems)
    if record is None or isinstance(record, Rejected) or problems or not contents:
        return stamp, record, None, problems.items
    offsets = _body_offsets(record, contents)
    if len(offsets) == len(job.files):
        record = _with_lazy_bodies(record, job.files, offsets)
    return stamp, record, offsets, []


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_LOAD_THRESHOLD = 300


def _run_loaders(jobs: list[LoadJob], pending: list[tuple[int, tuple | None]], workers: int) -> list[tuple]:
    if workers <= 1 or len(pending) < PARALLEL_LOAD_THRESHOLD:
        return [_load_one(jobs[index], read) for index, read in pending]

    # Forked workers see the jobs (and any bytes already read here) and read the rest
    # themselves; records come back with their bodies left in the files: small to send.
    def batch(positions: list[int]) -> list[tuple[int, tuple]]:
        return [(position, _load_one(jobs[pending[position][0]], pending[position][1])) for position in positions]

    results: list[tuple] = [()] * len(pending)
    for done in forked_batches(batch, len(pending), workers):
        for position, result in done:
            results[position] = result
    return results


def _file_stats(files: tuple[Path, ...]) -> tuple | None:
    try:
        stats = [file.stat() for file in files]
    except OSError:
        return None
    return tuple((file.name, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino) for file, s in zip(files, stats, strict=True))


# A file changed this close to the moment the cache was saved may have changed again within
# the same clock tick without its times showing it: such a file is hashed, never trusted.
RACY_NS = 2_000_000_000


class RecordCache:
    """Valid records of the last load, by file path and the hash of the file's bytes.

    Hashing a file is far cheaper than parsing its YAML. A file whose size, times and
    inode are those it had at the last save is not even read: as in git's index, this is
    trusted only for files last changed well before that save (an edit within the same
    clock tick cannot hide), every other file is hashed. Files with problems are never
    cached, so their messages are produced again on every run.
    """

    VERSION = 9
    STALE_PERCENT = 1           # up to this share of files out of date, the cache is not rewritten

    def __init__(self, path: Path | None, settings_key: str):
        self.path = path
        self.key = f"{self.VERSION}:{settings_key}"
        # path of the first file → (hash of the files, record with its bodies left in the files, body
        # offsets, file stats)
        self.previous: dict[str, tuple] = {}
        self.current: dict[str, tuple] = {}
        self.saved_at = 0           # when the files of the previous save were looked at (time.time_ns)
        self.looked_at = 0          # when this run's were
        if path is not None:
            try:
                with path.open("rb") as stream:
                    key, saved_at, entries = pickle.load(stream)
                if key == self.key:
                    self.previous, self.saved_at = entries, saved_at
            except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
                self.previous = {}

    def _trusted(self, hit: tuple | None, stats: tuple | None) -> bool:
        return (hit is not None and stats is not None and hit[3] == stats
                and all(max(mtime, ctime) < self.saved_at - RACY_NS for _, _, mtime, ctime, _ in stats))

    def load_all(self, jobs: list[LoadJob], problems: Problems, workers: int = 1) -> list[Any]:
        """The record of each job (None when invalid), from the cache where the files are unchanged.

        The files not in the cache are parsed in ``workers`` processes when there are many
        (a cold build, ``check``): YAML and validation are most of the cost of loading.
        """
        # Taken before the first stat: a file changed after its stat, within the same clock
        # tick, is then too recent to be trusted next time.
        self.looked_at = time.time_ns()
        results: list[Any] = [None] * len(jobs)
        # (index, hash and bytes of its files when already read here)
        pending: list[tuple[int, tuple[str, dict[str, bytes]] | None]] = []
        stats_of: dict[int, tuple | None] = {}
        for index, job in enumerate(jobs):
            if not job.files:
                pending.append((index, None))
                continue
            name = str(job.files[0])
            hit = self.previous.get(name)
            # Stat before reading: a change made while reading shows in the next run's stat.
            stats = stats_of[index] = _file_stats(job.files)
            if hit is not None and self._trusted(hit, stats) and len(hit[2]) == len(job.files):
                self.current[name] = hit
                results[index] = hit[1]         # its bodies are read from the files when needed
                continue
            if hit is None:                     # nothing to compare with: parsed straight away
                pending.append((index, None))
                continue
            read = _read_files(job.files)
            if read is not None and hit[0] == read[0]:
                self.current[name] = (*hit[:3], stats)
                # Bodies still in the files (checked by their hash when read) or cut from the bytes.
                results[index] = hit[1] if len(hit[2]) == len(job.files) else _with_bodies(hit[1], read[1], hit[2])
            else:
                pending.append((index, read))
        for (index, _), (stamp, record, offsets, found) in zip(pending, _run_loaders(jobs, pending, workers), strict=True):
            problems.items.extend(found)
            if offsets is not None and stamp is not None:
                files = jobs[index].files
                # The cache keeps no body: it is cut again from the file, which keeps the
                # cache small enough to load and save in a blink.
                kept = record if len(offsets) == len(files) else _without_bodies(record)
                self.current[str(files[0])] = (stamp, kept, offsets, stats_of.get(index))
            results[index] = record
        return results

    def save(self) -> None:
        """Write the cache unless it is out of date for only a few of many files.

        At the archive's size, hashing and parsing a handful of changed files again costs
        less than writing the whole cache after every edit (an editor's preview rebuilds
        dozens of times a day).
        """
        stale = sum(1 for name, entry in self.current.items() if self.previous.get(name) is not entry)
        if self.path is None or stale == 0 or stale * 100 <= len(self.current) * self.STALE_PERCENT:
            return
        write_atomically(self.path, pickle.dumps((self.key, self.looked_at, self.current),
                                                 protocol=pickle.HIGHEST_PROTOCOL))
