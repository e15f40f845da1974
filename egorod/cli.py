"""The command line: parses arguments and calls the pipeline. No logic of its own."""
from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import NoReturn

from . import pipeline
from .errors import BuildFailed, Exit
from .i18n import _, configured_language, ngettext, set_language
from .output import OutputBusy, SwapInterrupted, UnsafeDestination


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:   # usage errors exit 2 with a hint, as argparse does
        self.print_usage(sys.stderr)
        print(_("{program}: error: {reason}").format(program=self.prog, reason=message), file=sys.stderr)
        raise SystemExit(Exit.USAGE)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="build.py", description="Build the site of the International Assembly "
                     "of Capitals and Large Cities from Markdown.")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current folder)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    build = commands.add_parser("build", help="build the whole site into output/ (the default)")
    add_build_options(build)

    check = commands.add_parser("check", help="validate settings and content without writing anything")
    check.add_argument("files", nargs="*", type=Path, help="check only these files (and what they refer to)")

    serve = commands.add_parser("serve", help="preview: build, serve on http://127.0.0.1:8000, "
                                "rebuild and reload the browser on every change (drafts shown)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--pdf", action="store_true", help="also make the print PDFs (slower)")
    serve.add_argument("--search", action="store_true", help="also build the search index (slower)")

    new = commands.add_parser("new", help="start a new bulletin, Vestnik issue, practice or city "
                              "(front matter filled in, draft: true)")
    new.add_argument("kind", choices=("bulletin", "vestnik", "practice", "city"))
    new.add_argument("title", nargs="?", default=None, help="title; gives the file name of a practice or city")
    new.add_argument("--city", default=None, help="practice: the city's slug, e.g. kazan")
    new.add_argument("--rubric", action="append", default=[], help="practice: a problem slug from the "
                     "rubricator (repeat for several)")
    new.add_argument("--country", default=None, help="city: the country as named in site.yaml")
    new.add_argument("--date", type=_iso_date, default=None, help="date of the issue (default: today)")
    new.add_argument("--from-news", action="store_true", help="bulletin: start it from the month's news: "
                     "the items dated after the previous issue's date up to --date (without a previous issue, "
                     "after the same day a month before --date), drafts left out, each item once as a ## section linking to its "
                     "news page")

    mail = commands.add_parser("mail", help="send the e-mail edition of a bulletin issue to its subscribers "
                               "(resumable: nobody gets it twice)")
    mail.add_argument("number", type=int, help="the bulletin issue to send, e.g. 238")
    mail.add_argument("--recipients", type=Path, default=None, metavar="FILE",
                      help="CSV of subscribers: email, optional name; a header row is optional "
                      "(default: the active subscribers of the subscription service)")
    mail.add_argument("--dry-run", action="store_true", help="write the messages as .eml files instead of "
                      "sending them (into --out, default .cache/mail/bulletin-NUMBER-dry-run/)")
    mail.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the --dry-run .eml files")
    mail.add_argument("--smtp", metavar="HOST:PORT", help="SMTP server instead of mail.host and mail.port of site.yaml")
    mail.add_argument("--rate", type=float, metavar="N", help="at most N messages per second (default: mail.rate)")
    mail.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    deploy = commands.add_parser("deploy", help="publish the built site to the server of deploy.target in "
                                 "site.yaml (rsync: changed files only, in an order that keeps the site whole)")
    deploy.add_argument("--dry-run", action="store_true", help="list what would be sent and deleted; send nothing")
    deploy.add_argument("--out", type=Path, default=None, metavar="DIR", help="the built site (default: output/)")
    deploy.add_argument("--target", default=None, help="user@host:/path or a folder, instead of deploy.target")

    from .subscriptions.commands import add_parser as add_subscriptions
    add_subscriptions(commands)
    return parser


def _iso_date(value: str):
    import datetime as dt
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value!r} is not a date written YYYY-MM-DD").format(value=value)) from None


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: output/)")
    parser.add_argument("--drafts", action="store_true", help="include drafts and future-dated entries")
    parser.add_argument("--base-url", default=None, help="absolute site address for feeds and sitemap")
    parser.add_argument("--no-pdf", action="store_true", help="skip print PDFs (quick preview)")
    parser.add_argument("--no-search", action="store_true", help="skip the search index")
    parser.add_argument("--no-compress", action="store_true",
                        help="skip the .br and .gz twins of text files (for a web server that compresses as it sends)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print what each step did")


def print_problems(problems: list) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(ngettext("{count} error: nothing was written; fix the line above and run again.",
                   "{count} errors: nothing was written; fix the lines above and run again.",
                   count).format(count=count), file=sys.stderr)


def unwritable(error: OSError, out: Path) -> Path:
    """The folder a failed write was for: the output folder, or the one outside it (the cache)."""
    if not error.filename:
        return out
    path = Path(os.fsdecode(error.filename))
    return out if path.is_relative_to(out) else path.parent


def reason(error: OSError) -> str:
    return error.strerror or str(error)


def run_build(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    config = pipeline.BuildConfig(
        root=root, out=(args.out or root / "output").resolve(), drafts=args.drafts,
        base_url=args.base_url, pdf=not args.no_pdf, search=not args.no_search, compress=not args.no_compress,
        quiet=args.quiet,
        verbose=args.verbose)
    try:
        context = pipeline.build(config)
    except BuildFailed as failed:
        print_problems(failed.problems)
        return Exit.CONTENT
    except (UnsafeDestination, OutputBusy) as refused:
        print(_("build.py: error: {reason}").format(reason=refused), file=sys.stderr)
        return Exit.USAGE
    except SwapInterrupted as error:
        print(_("build.py: error: cannot write {folder}: {reason}; the output is partly updated and the next "
                "build completes the update").format(folder=unwritable(error, config.out), reason=reason(error)),
              file=sys.stderr)
        return Exit.CONTENT
    except OSError as error:     # a full disk, a read-only folder: the swap has not begun
        print(_("build.py: error: cannot write {folder}: {reason}; the previous output is unchanged").format(
            folder=unwritable(error, config.out), reason=reason(error)), file=sys.stderr)
        return Exit.CONTENT
    except BrokenProcessPool:
        print(_("build.py: error: a worker process of the build died (out of memory?); nothing was "
                "written: run the build again"), file=sys.stderr)
        return Exit.CONTENT
    if not args.quiet:
        pages = len(context.routes)
        rendered = len(context.report.pages_rendered)
        print(_("built {pages} pages into {out} in {seconds:.2f} s (rendered {rendered} pages, "
                "{unchanged} unchanged)").format(pages=pages, out=config.out, seconds=context.timings["total"],
                                                 rendered=rendered, unchanged=pages - rendered), file=sys.stderr)
    return Exit.OK


def run_check(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    if args.files:
        from .checkfiles import NotAFile, check_files
        try:
            problems = check_files(root, args.files)
        except NotAFile as exc:
            print(_("build.py check: error: {reason}").format(reason=exc), file=sys.stderr)
            return Exit.USAGE
    else:
        problems = pipeline.check(root)
    if problems:
        print_problems(problems)
        return Exit.CONTENT
    if args.files:
        print(ngettext("ok: {count} file is valid", "ok: {count} files are valid",
                       len(args.files)).format(count=len(args.files)), file=sys.stderr)
    else:
        print(_("ok: settings and content are valid"), file=sys.stderr)
    return Exit.OK


def run_serve(args: argparse.Namespace) -> int:
    from .serve import serve
    return serve(args.root.resolve(), host=args.host, port=args.port, pdf=args.pdf, search=args.search)


def run_new(args: argparse.Namespace) -> int:
    from .new import Refused, Request, create
    root = args.root.resolve()
    request = Request(args.kind, args.title, city=args.city, rubrics=tuple(args.rubric),
                      country=args.country, date=args.date, from_news=args.from_news)
    try:
        paths = create(root, request)
    except Refused as refused:
        print(f"build.py new: {refused.message}", file=sys.stderr)
        return refused.status
    for path in paths:
        print(path.relative_to(root).as_posix())
    print(_("created as a draft: fill in the fields, preview with `python build.py serve`, "
            "remove `draft: true` to publish"), file=sys.stderr)
    return Exit.OK


def run_mail(args: argparse.Namespace) -> int:
    from .mailing import Request, run_mail
    request = Request(args.number, args.recipients, dry_run=args.dry_run, out=args.out, smtp=args.smtp,
                      rate=args.rate, quiet=args.quiet)
    return run_mail(args.root.resolve(), request)


def run_deploy(args: argparse.Namespace) -> int:
    from .deploy import Request, deploy
    return deploy(args.root.resolve(), Request(out=args.out, target=args.target, dry_run=args.dry_run))


def main(argv: list[str]) -> int:
    parser = make_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--root"):
        argv = ["build", *argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    set_language(configured_language(args.root.resolve()))
    if args.command in (None, "build"):
        if args.command is None:
            args = parser.parse_args([*argv, "build"])
        return run_build(args)
    if args.command == "check":
        return run_check(args)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "new":
        return run_new(args)
    if args.command == "mail":
        return run_mail(args)
    if args.command == "subscriptions":
        from .subscriptions.commands import run as run_subscriptions
        return run_subscriptions(args)
    if args.command == "deploy":
        return run_deploy(args)
    parser.print_help()
    return Exit.USAGE


def console_main() -> None:
    """The ``egorod`` command of an installed package (``pip install -e .``)."""
    sys.exit(main(sys.argv[1:]))
