"""The preview's short way (egorod/warm.py): a change of an entry's text alone."""
import dataclasses
import datetime as dt

import pytest
from PIL import Image

from egorod import pipeline
from egorod.warm import Warm

pytestmark = pytest.mark.slow


def preview_config(repo):
    return pipeline.BuildConfig(root=repo.root, out=repo.root / "preview", drafts=True, pdf=False, search=False,
                                compress=False, live_reload=True, quiet=True, workers=1)


def test_a_change_of_text_alone_renders_and_announces_only_its_page_first(repo):
    warm = Warm()
    pipeline.build(preview_config(repo), warm=warm)
    practice = repo.root / "content/practices/razdelnyy-sbor.md"
    practice.write_text(practice.read_text(encoding="utf-8") + "\nНовый абзац.\n", encoding="utf-8")
    assert warm.patch(repo.root, {"content/practices/razdelnyy-sbor.md"}, dt.date.today())
    page = repo.root / "preview/practices/razdelnyy-sbor/index.html"
    announced = []

    def page_ready(path, html):
        # announced before the build has written anything into the folder
        announced.append((path, "Новый абзац." in html, "Новый абзац." in page.read_text(encoding="utf-8")))

    context = pipeline.build(preview_config(repo), warm=warm, page_ready=page_ready)
    assert announced == [("practices/razdelnyy-sbor/index.html", True, False)]
    assert context.report.pages_rendered == ["/practices/razdelnyy-sbor/"]
    assert "Новый абзац." in page.read_text(encoding="utf-8")


def test_a_change_of_front_matter_or_a_new_file_takes_the_full_build(repo):
    warm = Warm()
    pipeline.build(preview_config(repo), warm=warm)
    practice = repo.root / "content/practices/razdelnyy-sbor.md"
    practice.write_text(practice.read_text(encoding="utf-8").replace("year: 2020", "year: 2021"), encoding="utf-8")
    assert not warm.patch(repo.root, {"content/practices/razdelnyy-sbor.md"}, dt.date.today())
    repo.write("content/practices/novaya.md", "---\ntitle: Новая\ncity: kazan\nyear: 2022\n"
               "rubrics: [ozelenenie]\nsummary: Кратко.\n---\nТекст.\n")
    assert not warm.patch(repo.root, {"content/practices/novaya.md"}, dt.date.today())
    assert not warm.patch(repo.root, {"templates/practice.html"}, dt.date.today())
    context = pipeline.build(preview_config(repo), warm=warm)
    assert context.edited_only is None
    assert "/practices/novaya/" in context.report.pages_rendered


def test_after_a_change_of_text_alone_the_preview_is_the_site_a_full_build_makes(repo):
    # (a practice with a picture: the short way takes the pictures of the last build)
    Image.new("RGB", (1200, 800), (40, 120, 90)).save(repo.root / "content/practices/sbor.jpg", quality=80)
    practice = repo.root / "content/practices/razdelnyy-sbor.md"
    practice.write_text(practice.read_text(encoding="utf-8") + "\n![Контейнеры во дворе](sbor.jpg)\n",
                        encoding="utf-8")
    warm = Warm()
    pipeline.build(preview_config(repo), warm=warm)
    practice.write_text(practice.read_text(encoding="utf-8") + "\nНовый абзац.\n", encoding="utf-8")
    assert warm.patch(repo.root, {"content/practices/razdelnyy-sbor.md"}, dt.date.today())
    warm_context = pipeline.build(preview_config(repo), warm=warm)
    assert warm_context.edited_only is not None and warm_context.facts.pictures
    full = dataclasses.replace(preview_config(repo), out=repo.root / "full")
    pipeline.build(full)
    assert tree(repo.root / "preview") == tree(repo.root / "full")


def tree(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*") if path.is_file() and ".egorod" not in path.as_posix()}
