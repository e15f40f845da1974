"""Milliseconds per page: the PDF step against plain WeasyPrint, same layouts, one run.

    .venv/bin/python bench/pdf_speed.py                 # the sample site's documents
    .venv/bin/python bench/pdf_speed.py --issue 76 --repeat 5

Both sides get the same print HTML (as the build assembles it) and are measured in CPU time,
which other processes on a shared machine disturb far less than wall time:

1. **the step**: every document of the site (Vestnik issues and bulletins) through
   ``egorod.pdf.render_all`` as the build runs it, in worker processes, writing both
   editions (reader's PDF/UA-1 and print shop's PDF/X-4), the covers and the cache entries;
   the workers' CPU time and this process's, over the pages of the layouts; beside it plain
   WeasyPrint (``HTML(string=...).render().write_pdf()``, one untagged edition) over the same
   documents in this process;
2. **one issue** (``--issue``, default the longest), in this process, taking turns: the
   step's ``render`` against plain WeasyPrint untagged and tagged (``pdf_variant="pdf/ua-1"``,
   what the reader's edition is); best of ``--repeat`` runs, the median beside it.

The last line is ``step_ms_per_page=X plain_ms_per_page=Y ratio=Z`` (part 1).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
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
from egorod.print_html import PrintDocument  # noqa: E402
from egorod.render_html import BodyCache  # noqa: E402
from egorod.routes import all_routes  # noqa: E402
from egorod.steps.pdf import collect_documents, make_job  # noqa: E402


def site_documents(root: Path, cache: Path, workers: int | None) -> tuple[BuildContext, list[PrintDocument]]:
    site = load_site(root, BuildOptions(drafts=False, today=dt.date.today()))
    config = BuildConfig(root=root, out=cache / "out", cache_dir=cache, quiet=True, workers=workers)
    bodies = BodyCache(MarkdownOptions(allow_raw_html=site.settings.allow_raw_html))
    context = BuildContext(config, site.settings, site, all_routes(site), bodies)
    return context, collect_documents(context)


def plain_weasyprint(job: pdf.Job, variant: str | None = None) -> int:
    from weasyprint import HTML

    document = HTML(string=job.html, base_url=Path(job.root).as_uri() + "/").render()
    document.write_pdf(pdf_variant=variant)
    return len(document.pages)


def cpu_of_workers() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def the_step(jobs: list[pdf.Job], workers: int | None) -> tuple[float, float, int]:
    """(step ms/page, plain ms/page, pages of the layouts), all documents."""
    plain_cpu, pages = time.process_time(), 0
    for job in jobs:
        pages += plain_weasyprint(job)
    plain_cpu = time.process_time() - plain_cpu
    own, children = time.process_time(), cpu_of_workers()
    pdf.render_all(jobs, quiet=True, workers=workers)
    step_cpu = time.process_time() - own + cpu_of_workers() - children
    return step_cpu * 1000 / pages, plain_cpu * 1000 / pages, pages


def one_issue(job: pdf.Job, repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"ours": [], "plain": [], "plain tagged": []}
    pages = 0
    for _ in range(repeat):
        started = time.process_time()
        pdf.render(job)
        times["ours"].append(time.process_time() - started)
        started = time.process_time()
        pages = plain_weasyprint(job)
        times["plain"].append(time.process_time() - started)
        started = time.process_time()
        plain_weasyprint(job, "pdf/ua-1")
        times["plain tagged"].append(time.process_time() - started)
    return {label: [t * 1000 / pages for t in values] for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--issue", type=int, help="Vestnik issue number (default: the longest)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, help="worker processes of the step (default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="egorod-pdf-bench-") as folder:
        context, documents = site_documents(ROOT, Path(folder), args.workers)
        version = pdf.code_version()
        jobs = [make_job(context, document, version, Path(folder)) for document in documents]
        issues = [job for job in jobs if job.signature > 1]
        if args.issue is not None:
            issues = [job for job in issues if job.name == f"vestnik-{args.issue}.pdf"]
        if not issues:
            raise SystemExit("no such Vestnik issue")
        issue = max(issues, key=lambda job: len(job.html))
        plain_weasyprint(issue)        # warm-up: imports, fonts, the first layout's caches
        step, plain, pages = the_step(jobs, args.workers)
        single = one_issue(issue, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"the step, {len(jobs)} documents, {pages} pages: {step:.1f} ms/page (both editions, worker "
          f"processes) against plain WeasyPrint {plain:.1f} ms/page (one untagged edition)")
    for label, values in single.items():
        print(f"{issue.name}, {label}: best {min(values):.1f} ms/page, median {statistics.median(values):.1f}")
    print(f"step_ms_per_page={step:.1f} plain_ms_per_page={plain:.1f} ratio={step / plain:.2f}")


if __name__ == "__main__":
    main()
