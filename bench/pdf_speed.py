"""Milliseconds per page: the PDF step's renderer against plain WeasyPrint, same layout, one run.

    .venv/bin/python bench/pdf_speed.py                 # the sample site's newest Vestnik issue
    .venv/bin/python bench/pdf_speed.py --issue 76 --repeat 5

Both sides get the same print HTML of one issue (as the build assembles it) and run in this
process, taking turns, so that a busy machine slows both alike:

* plain: ``HTML(string=...).render().write_pdf()``, one edition, nothing else;
* ours: ``egorod.pdf.render`` of the build's job, which writes both editions (reader's and
  print shop's), the cover image and the cache entry.

The best of the repeats is reported (the least disturbed by other processes), with the
median beside it. The last line is ``ours_ms_per_page=X plain_ms_per_page=Y ratio=Z``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from egorod import pdf  # noqa: E402
from egorod.context import BuildConfig, BuildContext  # noqa: E402
from egorod.markup import MarkdownOptions  # noqa: E402
from egorod.model import BuildOptions  # noqa: E402
from egorod.pipeline import load_site  # noqa: E402
from egorod.render_html import BodyCache  # noqa: E402
from egorod.routes import all_routes  # noqa: E402
from egorod.steps.pdf import collect_documents, make_job  # noqa: E402


def issue_job(root: Path, number: int | None, cache: Path) -> pdf.Job:
    site = load_site(root, BuildOptions(drafts=False, today=dt.date.today()))
    config = BuildConfig(root=root, out=cache / "out", cache_dir=cache, quiet=True, workers=1)
    bodies = BodyCache(MarkdownOptions(allow_raw_html=site.settings.allow_raw_html))
    context = BuildContext(config, site.settings, site, all_routes(site), bodies)
    documents = [d for d in collect_documents(context) if d.kind == "vestnik"]
    if number is not None:
        documents = [d for d in documents if d.name == f"vestnik-{number}.pdf"]
    if not documents:
        raise SystemExit("no such Vestnik issue")
    document = max(documents, key=lambda d: len(d.html))
    return make_job(context, document, pdf.code_version(), cache)


def plain_weasyprint(job: pdf.Job) -> int:
    from weasyprint import HTML

    document = HTML(string=job.html, base_url=Path(job.root).as_uri() + "/").render()
    document.write_pdf()
    return len(document.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--issue", type=int, help="Vestnik issue number (default: the longest)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="egorod-pdf-bench-") as folder:
        job = issue_job(ROOT, args.issue, Path(folder))
        plain_weasyprint(job)        # warm-up: imports, fonts, the first layout's caches
        ours_ms: list[float] = []
        plain_ms: list[float] = []
        pages = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            rendered = pdf.render(job)
            ours_ms.append((time.perf_counter() - started) * 1000 / rendered.pages)
            started = time.perf_counter()
            plain_pages = plain_weasyprint(job)
            plain_ms.append((time.perf_counter() - started) * 1000 / plain_pages)
            pages = rendered.pages
    load = os.getloadavg()[0]
    print(f"{job.name}: {pages} pages (plain WeasyPrint: {plain_pages}), load average {load:.1f}")
    print(f"ours (both editions): best {min(ours_ms):.1f} ms/page, median {statistics.median(ours_ms):.1f}")
    print(f"plain WeasyPrint:     best {min(plain_ms):.1f} ms/page, median {statistics.median(plain_ms):.1f}")
    print(f"ours_ms_per_page={min(ours_ms):.1f} plain_ms_per_page={min(plain_ms):.1f} "
          f"ratio={min(ours_ms) / min(plain_ms):.2f}")


if __name__ == "__main__":
    main()
