"""Step "images": every raster picture the published entries use, through the one pipeline
(``egorod/images.py``); pages learn its renditions in ``prepare``, ``run`` publishes them.

A picture no published page uses is not published; one that is the same as last time is
taken from the cache, not decoded again.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .. import images
from ..content import Entry
from ..context import BuildContext, entry_pictures
from ..errors import BuildFailed, Problem
from ..model import Site
from ..output import StagedOutput
from ..parallel import forked_batches
from .base import Step

CACHE_FOLDER = "images"


def published_entries(site: Site) -> list[Entry]:
    entries: list[Entry] = [*site.cities, *site.practices, *site.bulletins, *site.pages, *site.exhibitions, *site.videos]
    for issue in site.vestnik:
        entries += [issue, *issue.articles]
    return entries


def used_images(site: Site) -> list[str]:
    """Every raster file under content/ that a published entry shows or links to, or names as
    its cover, relative to the repository root."""
    found = {local for entry in published_entries(site) for local in entry_pictures(entry)}
    for issue in site.vestnik:
        if issue.cover:
            local = images.local_image(issue.source.path, issue.cover)
            if local is not None:
                found.add(local)
    return sorted(found)


def plan_pictures(root: Path, files: list[str], modern: str) -> tuple[list[images.Picture], list[Problem]]:
    settings = images.settings_key()
    pictures, problems = [], []
    for local in files:
        path = root / local
        if not path.is_file() or path.is_symlink():
            continue    # reported by the link check
        try:
            size = images.header_size(path)
        except images.ImageProblem as problem:
            problems.append(Problem(local, 0, "image", str(problem)))
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        pictures.append(images.plan(images.site_url(local), local, digest, size, modern, settings))
    return pictures, problems


def unreadable_pictures(root: Path, site: Site) -> list[Problem]:
    """The pictures of ``site`` whose header is no image's, for ``check`` (a file cut short
    further on is found when the build decodes it)."""
    problems = []
    for local in used_images(site):
        path = root / local
        if path.is_file() and not path.is_symlink():
            try:
                images.header_size(path)
            except images.ImageProblem as problem:
                problems.append(Problem(local, 0, "image", str(problem)))
    return problems


def planned_pictures(root: Path, site: Site) -> dict[str, images.Picture]:
    """The pictures of ``site`` by address, with the names of their renditions, nothing made:
    for the mail command, whose letters show what the published site holds."""
    pictures, _problems = plan_pictures(root, used_images(site), images.modern_format())
    return {picture.url: picture for picture in pictures}


class ImagesStep(Step):
    name = "images"

    def __init__(self) -> None:
        self.pictures: list[images.Picture] = []

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        root = context.config.root
        problems: list[Problem]
        if context.warm is not None and context.warm.pictures is not None:
            # The preview, after a change of text alone (warm.patch: the same links and pictures,
            # no picture file saved): the pictures are the last build's, each file read then.
            pictures, problems = list(context.warm.pictures.values()), []
        else:
            pictures, problems = plan_pictures(root, used_images(context.site), images.modern_format())
        made, broken = images.process_all(root, self.cache(context), pictures, context.config.processes,
                                          forked_batches)
        problems += [Problem(source, 0, "image", message) for source, message in broken]
        if problems:
            raise BuildFailed(sorted(problems))
        context.report.images_made = made
        self.pictures = pictures
        context.facts.pictures = {picture.url: picture for picture in pictures}

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        cache = self.cache(context)
        published: set[str] = set()
        for picture in self.pictures:
            for rendition in picture.renditions:
                if rendition.url not in published:
                    published.add(rendition.url)
                    staged.copy_file(images.cached(cache, rendition), rendition.url.lstrip("/"))

    @staticmethod
    def cache(context: BuildContext) -> Path:
        return context.config.cache / CACHE_FOLDER

