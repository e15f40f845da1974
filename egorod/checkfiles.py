"""`python build.py check FILE...`: check only the given files, fast enough for a commit hook.

Reads the settings, the cities (every reference to a city needs them) and the given files
only; reports problems of the given files, including their references: the city a
practice names, the rubrics it uses, the cities a bulletin or an article mentions, the
order and slug of an article among the others of its issue (an issue is checked as a
whole). A change to site.yaml can break any file (countries, rubricator), so it checks
everything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import content as c
from .errors import Problem, Problems
from .i18n import _
from .model import BuildOptions, build_site
from .settings import SETTINGS_FILE, load_settings

# Paths only, no words: they go into a message in any language.
PLACES = ("content/cities/<slug>.md, content/practices/<slug>.md, content/bulletins/<number>.md, "
          "content/vestnik/<number>/_index.md, content/vestnik/<number>/NN-slug.md, content/pages/<slug>.md, "
          "content/events/<year>-<slug>.md, content/events/<year>-<slug>/collection/_index.md, "
          "content/events/<year>-<slug>/collection/NN-slug.md, content/news/<date>-<slug>.md, "
          "content/contests/<contest>/<edition>.md, "
          "content/exhibitions/<slug>/index.md, "
          "content/video/<slug>.md")



class NotAFile(ValueError):
    """A path on the command line that is not a file of this repository (a usage error)."""


@dataclass
class Selection:
    """The given files sorted by what has to be loaded for them."""
    paths: set[str] = field(default_factory=set)        # relative paths to report on
    settings: bool = False
    cities: list[Path] = field(default_factory=list)
    practices: list[Path] = field(default_factory=list)
    bulletins: list[Path] = field(default_factory=list)
    issues: set[Path] = field(default_factory=set)      # vestnik issue folders and analytic collection folders
    pages: list[Path] = field(default_factory=list)
    events: list[Path] = field(default_factory=list)
    news: list[Path] = field(default_factory=list)
    contests: list[Path] = field(default_factory=list)
    exhibitions: set[Path] = field(default_factory=set)     # exhibition folders
    videos: list[Path] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)  # Markdown the site never reads
    collections: bool = False                           # an analytic collection: every event is needed


def relative_path(root: Path, given: Path, cwd: Path | None = None) -> str:
    """``given`` (absolute, relative to the current folder or to the root) relative to the root."""
    root = root.resolve()
    candidates = [given] if given.is_absolute() else [(cwd or Path.cwd()) / given, root / given]
    for candidate in candidates:
        path = Path(candidate).resolve()
        if path.is_file() and path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    for candidate in candidates:
        if Path(candidate).resolve().is_relative_to(root):
            raise NotAFile(_("{path}: no such file").format(path=given))
    raise NotAFile(_("{path}: not inside the repository {root}").format(path=given, root=root))


def select(root: Path, relative: list[str]) -> Selection:
    chosen = Selection()
    for rel in relative:
        parts = rel.split("/")
        chosen.paths.add(rel)
        if rel == SETTINGS_FILE:
            chosen.settings = True
            continue
        if parts[0] != c.CONTENT_DIR:
            continue                      # not content: nothing of ours to check
        path = root / rel
        kind = parts[1] if len(parts) > 2 else ""
        if kind == "vestnik" and len(parts) >= 4:
            chosen.issues.add(root / "content" / "vestnik" / parts[2])   # a cover image too
            if len(parts) == 4 and rel.endswith(".md"):
                continue
        elif len(parts) == 3 and rel.endswith(".md") and kind in ("cities", "practices", "bulletins", "pages",
                                                                   "events", "news"):
            getattr(chosen, kind).append(path)
            continue
        elif kind == "events" and len(parts) == 5 and parts[3] == "collection":
            # A collection is checked as a whole, as an issue is (a picture of it too), with the events it may name.
            chosen.issues.add(root / "content" / "events" / parts[2] / "collection")
            chosen.collections = True
            if rel.endswith(".md"):
                continue
        elif kind == "events" and len(parts) == 4:      # a material: it is checked with its event
            event = root / "content" / "events" / f"{parts[2]}.md"
            chosen.events.append(event)
            chosen.paths.add(event.relative_to(root).as_posix())
            continue
        elif kind == "exhibitions" and len(parts) == 4:    # index.md or a picture: checked with the exhibition
            chosen.exhibitions.add(root / "content" / "exhibitions" / parts[2])
            continue
        elif kind == "contests" and len(parts) == 4 and rel.endswith(".md"):
            chosen.contests.append(path)
            continue
        elif kind == "video" and len(parts) == 3:
            if rel.endswith(".md"):
                chosen.videos.append(path)
            else:   # a video's file or captions: checked with the videos beside it, which name it
                beside = sorted(path.parent.glob("*.md"))
                chosen.videos += beside
                chosen.paths |= {p.relative_to(root).as_posix() for p in beside}
            continue
        if rel.endswith(".md"):
            chosen.misplaced.append(rel)
    return chosen


def check_files(root: Path, files: list[Path], cwd: Path | None = None) -> list[Problem]:
    """Problems of the given files (raises NotAFile for a path that is not a file here)."""
    from .pipeline import check  # the full check, for site.yaml

    root = root.resolve()
    chosen = select(root, [relative_path(root, f, cwd) for f in files])
    if chosen.settings:
        return check(root)
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:          # nothing can be checked without valid settings
        return problems.sorted()
    selected = {*chosen.practices, *chosen.bulletins, *chosen.pages, *chosen.issues, *chosen.events, *chosen.news,
                *chosen.contests, *chosen.exhibitions}
    base = root / c.CONTENT_DIR
    if chosen.contests:
        # The results name practices and events: all of them are needed to tell which exist.
        selected |= {*(base / "practices").glob("*.md"), *(base / "events").glob("*.md")}
    if chosen.collections:      # a collection's folder names its event
        selected |= set((root / c.CONTENT_DIR / "events").glob("*.md"))
    if chosen.videos:
        # A video names an event and issues of the Vestnik and the bulletin.
        selected |= {*chosen.videos, *(base / "events").glob("*.md"), *(base / "bulletins").glob("*.md"),
                     *(p for p in (base / "vestnik").glob("*") if p.is_dir())}
    content = c.load_content(root, settings, problems, only=lambda path: path in selected)
    build_site(content, settings, BuildOptions(drafts=True), problems)
    for rel in chosen.misplaced:
        problems.add(rel, 1, "-", _("the site does not read this file here: put it in one of {places}")
                     .format(places=PLACES))

    # A Vestnik issue or a collection is checked as a whole: its articles share numbers and slugs;
    # an exhibition with its pictures.
    issues = tuple(folder.relative_to(root).as_posix() for folder in (*chosen.issues, *chosen.exhibitions))
    return [p for p in problems.sorted()
            if p.path in chosen.paths or p.path in issues or p.path.startswith(tuple(i + "/" for i in issues))]
