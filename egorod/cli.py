"""The command line: parses arguments and calls the pipeline. No logic of its own."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline
from .errors import BuildFailed

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # usage errors exit 2 with a hint, as argparse does
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="build.py", description="Build the site of the International Assembly "
                     "of Capitals and Large Cities from Markdown.")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current folder)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    build = commands.add_parser("build", help="build the whole site into output/ (the default)")
    add_build_options(build)

    check = commands.add_parser("check", help="validate settings and content without writing anything")
    check.add_argument("files", nargs="*", type=Path, help="check only these files (and what they refer to)")
    return parser


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: output/)")
    parser.add_argument("--drafts", action="store_true", help="include drafts and future-dated entries")
    parser.add_argument("--base-url", default=None, help="absolute site address for feeds and sitemap")
    parser.add_argument("--no-pdf", action="store_true", help="skip print PDFs (quick preview)")
    parser.add_argument("--no-search", action="store_true", help="skip the search index")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")


def print_problems(problems: list) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{count} error{'s' if count != 1 else ''}: nothing was written; fix the lines above and run again.",
          file=sys.stderr)


def run_build(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    config = pipeline.BuildConfig(
        root=root, out=(args.out or root / "output").resolve(), drafts=args.drafts,
        base_url=args.base_url, pdf=not args.no_pdf, search=not args.no_search, quiet=args.quiet)
    try:
        context = pipeline.build(config)
    except BuildFailed as failed:
        print_problems(failed.problems)
        return EXIT_CONTENT
    if not args.quiet:
        pages = len(context.routes)
        rendered = len(context.artifacts.get("html_rendered", []))
        print(f"built {pages} pages into {config.out} in {context.timings['total']:.2f} s "
              f"(rendered {rendered} pages, {pages - rendered} unchanged)", file=sys.stderr)
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    problems = pipeline.check(root)
    if problems:
        print_problems(problems)
        return EXIT_CONTENT
    print("ok: settings and content are valid", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str]) -> int:
    parser = make_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--root"):
        argv = ["build", *argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command in (None, "build"):
        if args.command is None:
            args = parser.parse_args([*argv, "build"])
        return run_build(args)
    if args.command == "check":
        return run_check(args)
    parser.print_help()
    return EXIT_USAGE
