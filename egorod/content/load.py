"""Every content file of the site → ``Content``, through the record cache."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

from .. import sanitize
from ..errors import Problems
from ..paths import name_problems
from ..settings import Settings
from .cache import LoadJob, RecordCache
from .kinds import (
    COLLECTION_FOLDER,
    event_material_files,
    exhibition_files,
    load_bulletin,
    load_city,
    load_collection,
    load_contest_edition,
    load_event,
    load_exhibition,
    load_news,
    load_page,
    load_practice,
    load_vestnik_issue,
    load_video,
    video_captions_files,
)
from .read import markdown_files
from .records import CONTENT_DIR, Content, Rejected


def load_content(root: Path, settings: Settings, problems: Problems,
                 cache: RecordCache | None = None,
                 only: Callable[[Path], bool] = lambda path: True, workers: int = 1) -> Content:
    """Read every content file under ``content/``; invalid files are reported and kept apart
    (``Content.rejected``) for the checks across files.

    ``only`` narrows the practices, bulletins, pages, Vestnik issue and collection folders read (the
    commit hook's check); the cities are always read, every reference needs them.
    """
    base = root / CONTENT_DIR
    # A name with a line break could smuggle another path into the lists the build writes.
    problems.items.extend(name_problems(base, root))
    cache = cache or RecordCache(None, "")
    jobs: list[tuple[str, LoadJob]] = []      # (collection, job), in the order of the site

    def add(collection: str, loader: Callable, folder: Path, selected: bool = True) -> None:
        for path in markdown_files(folder):
            if not selected or only(path):
                jobs.append((collection, LoadJob((path,), functools.partial(loader, root, path, settings))))

    add("cities", load_city, base / "cities", selected=False)
    add("practices", load_practice, base / "practices")
    add("bulletins", load_bulletin, base / "bulletins")
    for event_file in markdown_files(base / "events"):
        if only(event_file):      # its materials are part of it: a new slide deck is a change of the event
            jobs.append(("events", LoadJob((event_file, *event_material_files(event_file)),
                                           functools.partial(load_event, root, event_file, settings))))
    events_dir = base / "events"
    for folder in sorted(p for p in events_dir.iterdir() if p.is_dir()) if events_dir.is_dir() else []:
        papers = folder / COLLECTION_FOLDER      # an event's analytic collection
        if papers.is_dir() and only(papers):
            jobs.append(("collections", LoadJob(_folder_files(papers),
                                                functools.partial(load_collection, root, papers, settings))))
    add("news", load_news, base / "news")
    for video_file in markdown_files(base / "video"):
        if only(video_file):      # its captions are part of it: a corrected caption is a change of the video
            jobs.append(("videos", LoadJob((video_file, *video_captions_files(video_file)),
                                           functools.partial(load_video, root, video_file, settings))))
    contests_dir = base / "contests"
    for folder in sorted(p for p in contests_dir.iterdir() if p.is_dir()) if contests_dir.is_dir() else []:
        add("contests", load_contest_edition, folder)
    vestnik_dir = base / "vestnik"
    if vestnik_dir.is_dir():
        for folder in sorted(p for p in vestnik_dir.iterdir() if p.is_dir() and only(p)):
            # An issue is one record with its articles: it is valid or not as a whole.
            jobs.append(("vestnik", LoadJob(_folder_files(folder),
                                            functools.partial(load_vestnik_issue, root, folder, settings))))
    add("pages", load_page, base / "pages")
    exhibitions_dir = base / "exhibitions"
    for folder in sorted(p for p in exhibitions_dir.iterdir() if p.is_dir()) if exhibitions_dir.is_dir() else []:
        if only(folder):      # its pictures are part of it: one that is added or removed changes it
            jobs.append(("exhibitions", LoadJob(tuple(exhibition_files(folder)) if (folder / "index.md").is_file()
                                                else (), functools.partial(load_exhibition, root, folder, settings))))
    content = Content()
    for path, line, message in sanitize.content_svg_problems(root):    # published as they are
        problems.add(path, line, "-", message)
    records = cache.load_all([job for _, job in jobs], problems, workers)
    for (collection, _), record in zip(jobs, records, strict=True):
        if isinstance(record, Rejected):
            content.add_rejected(record)
        elif record is not None:
            getattr(content, collection).append(record)
    return content


def _folder_files(folder: Path) -> tuple[Path, ...]:
    """The files of a record made of a folder (_index.md first, its articles and pictures), hashed
    together for the record cache; none (never cached) without an _index.md."""
    index = folder / "_index.md"
    if not index.exists():
        return ()
    return (index, *(f for f in sorted(folder.iterdir()) if f.is_file() and f.name != "_index.md"))
