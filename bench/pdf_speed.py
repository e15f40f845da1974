"""Milliseconds per page: the PDF step's renderer against plain WeasyPrint, same layout, one run.

    .venv/bin/python bench/pdf_speed.py                 # the sample site's newest Vestnik issue
    .venv/bin/python bench/pdf_speed.py --issue 76 --repeat 5

Both sides get the same print HTML of one issue (as the build assembles it) and run in this
process, taking turns, so that a busy machine slows both alike:

* plain: ``HTML(string=...).render().write_pdf()``, one edition, nothing else, untagged;
* plain tagged: the same with ``pdf_variant="pdf/ua-1"`` (what the reader's edition is);
* ours: ``egorod.pdf.render`` of the build's job, which writes both editions (reader's and
  print shop's), the cover image and the cache entry.

Both are divided by the pages of the same layout (the print edition adds blank pages from
one laid-out filler page, the reader's edition leaves them out). Times are the process's CPU
time, which other processes on a shared machine hardly disturb (wall time is printed too);
the best of the repeats is reported, with the median beside it. The last line is
``ours_ms_per_page=X plain_ms_per_page=Y ratio=Z`` (CPU time).
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


def plain_weasyprint(job: pdf.Job, variant: str | None = None) -> int:
    from weasyprint import HTML

    document = HTML(string=job.html, base_url=Path(job.root).as_uri() + "/").render()
    document.write_pdf(pdf_variant=variant)
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
        ours_wall: list[float] = []
        plain_wall: list[float] = []
        tagged_ms: list[float] = []
        pages = 0
        for _ in range(args.repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            pdf.render(job)
            ours_ms.append((time.process_time() - cpu) * 1000)
            ours_wall.append((time.perf_counter() - wall) * 1000)
            cpu, wall = time.process_time(), time.perf_counter()
            pages = plain_weasyprint(job)
            plain_ms.append((time.process_time() - cpu) * 1000)
            plain_wall.append((time.perf_counter() - wall) * 1000)
            cpu = time.process_time()
            plain_weasyprint(job, "pdf/ua-1")
            tagged_ms.append((time.process_time() - cpu) * 1000)
        ours_ms, plain_ms = [t / pages for t in ours_ms], [t / pages for t in plain_ms]
        tagged_ms = [t / pages for t in tagged_ms]
        ours_wall, plain_wall = [t / pages for t in ours_wall], [t / pages for t in plain_wall]
    load = os.getloadavg()[0]
    print(f"{job.name}: {pages} pages laid out, {args.repeat} runs each, load average {load:.1f}")
    for label, cpu, wall in (("ours (both editions)", ours_ms, ours_wall),
                             ("plain WeasyPrint    ", plain_ms, plain_wall)):
        print(f"{label}: CPU best {min(cpu):.1f} ms/page, median {statistics.median(cpu):.1f}; "
              f"wall best {min(wall):.1f}, median {statistics.median(wall):.1f}")
    print(f"plain WeasyPrint, tagged (pdf/ua-1): CPU best {min(tagged_ms):.1f} ms/page, "
          f"median {statistics.median(tagged_ms):.1f}")
    print(f"ours_ms_per_page={min(ours_ms):.1f} plain_ms_per_page={min(plain_ms):.1f} "
          f"plain_tagged_ms_per_page={min(tagged_ms):.1f} ratio={min(ours_ms) / min(plain_ms):.2f}")


if __name__ == "__main__":
    main()
