"""``python build.py subscriptions serve|import|export|stats|forget|bounces``.

What these commands print never holds an address in clear but where the operator asked for
the list itself (``export``): their output ends up in cron mails and service logs.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from email.message import Message
from pathlib import Path
from typing import TextIO

from ..errors import Exit, Problems
from ..i18n import _
from ..settings import Settings, load_settings
from .letters import NotConfigured, database_path, dkim_key, letter_environment, secret_of, smtp_of
from .store import Change, Status, Store, Subscriber

EXPORT_COLUMNS = ("email", "name", "status", "requested_at", "source", "confirmed_at", "changed_at")


def masked(address: str) -> str:
    """``ivan.petrov@example.org`` → ``i***@example.org``: enough to recognise, not to collect."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _error(message: str) -> None:
    print(_("subscriptions: {message}").format(message=message), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:
        for problem in problems.sorted():
            print(problem, file=sys.stderr)
        return Exit.CONTENT
    try:
        if args.action == "serve":
            return serve(root, settings, args.host, args.port)
        path = database_path(root, settings)
        if args.action == "import":
            return import_list(path, args.file, args.source)
        if not path.is_file():
            _error(_("there is no subscriber list yet ({path})").format(path=path))
            return Exit.USAGE
        store = Store(path)
        try:
            if args.action == "export":
                return export(store, args.out)
            if args.action == "stats":
                return stats(store)
            if args.action == "forget":
                return forget(store, args.address)
            return bounces(store, settings, args)
        finally:
            store.close()
    except NotConfigured as exc:
        _error(str(exc))
        return Exit.USAGE


# --- the service -----------------------------------------------------------------------------

def serve(root: Path, settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from ..errors import BuildFailed
    from ..markup import MarkdownOptions
    from ..model import BuildOptions
    from ..pipeline import load_site
    from ..render_html import BodyCache, make_environment
    from ..routes import HOME, Route
    from . import links
    from .app import Service, create_app, render_pages

    if not settings.subscriptions.url:
        raise NotConfigured(_("subscriptions.url is not set in site.yaml: the service needs its public "
                              "address for the links of its letters"))
    service = Service(settings, secret_of(settings, os.environ), smtp_of(settings.mail, os.environ),
                      dkim_key(settings, os.environ), letter_environment(root))
    try:
        site = load_site(root, BuildOptions())       # the answer pages have the site's header and footer
    except BuildFailed as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        return Exit.CONTENT
    env = make_environment(root, site, BodyCache(MarkdownOptions(allow_raw_html=settings.allow_raw_html)))
    url = links.path_prefix(settings.subscriptions.url) + "/" + links.SUBSCRIBE
    pages = render_pages(env, lambda which, title: Route(url, "subscriptions/answer.html", title, title,
                                                         (HOME,), indexed=False))
    store = Store(database_path(root, settings))
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)          # connections wait in the queue until uvicorn has started
    except OSError as exc:
        raise NotConfigured(_("cannot listen on {host}:{port}: {reason}").format(
            host=host, port=port, reason=exc.strerror)) from None
    bound = listener.getsockname()[1]
    print(_("the subscription service listens on http://{host}:{port}/ (Ctrl-C stops it)").format(
        host=host, port=bound), file=sys.stderr, flush=True)
    # No access log: it would keep the visitors' addresses and the links' tokens.
    config = uvicorn.Config(create_app(service, pages, store), log_level="warning", access_log=False,
                            proxy_headers=True, forwarded_allow_ips="127.0.0.1", server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        store.close()
    return Exit.OK


# --- the list --------------------------------------------------------------------------------

def import_list(path: Path, file: Path, source: str) -> int:
    from ..mailing import read_recipients
    if not source.strip():
        _error(_("--source must say where the consent of these addresses came from"))
        return Exit.USAGE
    found = read_recipients(file, str(file))
    if found.problems:
        for problem in found.problems.sorted():
            print(problem, file=sys.stderr)
        _error(_("nothing was imported: fix the lines above and run again"))
        return Exit.CONTENT
    store = Store(path)
    try:
        now = _now()
        added = sum(store.add_imported(r.email, r.name, source.strip(), now) for r in found.recipients)
    finally:
        store.close()
    known = len(found.recipients) - added
    print(_("imported {added} addresses as active; {known} were already in the list and were left as "
            "they are").format(added=added, known=known), file=sys.stderr)
    return Exit.OK


def export(store: Store, out: Path | None) -> int:
    if out is None:
        _write_csv(sys.stdout, store.all())
        return Exit.OK
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)     # personal data
    with open(descriptor, "w", encoding="utf-8", newline="") as file:
        _write_csv(file, store.all())
    return Exit.OK


def _write_csv(file: TextIO, subscribers: Iterable[Subscriber]) -> None:
    writer = csv.writer(file)
    writer.writerow(EXPORT_COLUMNS)
    for s in subscribers:
        writer.writerow((s.address, s.name, s.status.value, s.requested_at, s.source, s.confirmed_at or "",
                         s.changed_at))


def stats(store: Store) -> int:
    for status, count in store.counts().items():
        print(f"{status.value}\t{count}")
    return Exit.OK


def forget(store: Store, raw: str) -> int:
    from ..mailing import InvalidAddress, normalise_address
    try:
        address = normalise_address(raw)
    except InvalidAddress as exc:
        _error(str(exc))
        return Exit.USAGE
    if store.forget(address):
        print(_("erased the address and its history from the subscriber list"), file=sys.stderr)
    else:
        print(_("the address is not in the subscriber list"), file=sys.stderr)
    return Exit.OK


# --- bounces ---------------------------------------------------------------------------------

def bounces(store: Store, settings: Settings, args: argparse.Namespace) -> int:
    from .bounces import Imap, from_imap, from_maildir, from_mbox, read_report

    subs = settings.subscriptions
    messages: Iterator[Message]
    if args.mbox:
        messages = from_mbox(args.mbox)
    elif args.maildir:
        messages = from_maildir(args.maildir)
    else:
        password = os.environ.get(subs.imap_password_env, "")
        if not subs.imap_host or not subs.imap_user or not password:
            raise NotConfigured(_("--imap needs subscriptions.imap_host and imap_user in site.yaml and the "
                                  "password in the environment variable {name}").format(name=subs.imap_password_env))
        messages = from_imap(Imap(subs.imap_host, subs.imap_user, password, subs.imap_folder))
    secret = secret_of(settings, os.environ)
    read = reports = 0
    changes: list[tuple[str, Change]] = []
    now = _now()
    try:
        for message in messages:
            read += 1
            notices = read_report(message, secret, subs.url)
            reports += bool(notices)
            for notice in notices:
                subscriber = (store.by_key(notice.key) if notice.key else None) or \
                    (store.by_address(notice.address) if notice.address else None)
                if subscriber is None:
                    continue
                change = store.bounce(subscriber, notice.kind, notice.issue, notice.detail, subs.soft_bounce_limit, now)
                if change:
                    changes.append((f"{notice.kind.value} ({notice.detail})", change))
    except OSError as exc:
        _error(_("cannot read the bounce mailbox: {reason}").format(reason=exc.strerror or exc))
        return Exit.USAGE
    for what, change in changes:
        if change.before is change.after:
            print(_("{address}: {what}: still {status}, {count} soft bounces in a row").format(
                address=masked(change.address), what=what, status=change.after.value, count=change.soft_bounces))
        else:
            print(_("{address}: {what}: {before} → {after}").format(
                address=masked(change.address), what=what, before=change.before.value, after=change.after.value))
    stopped = sum(1 for _what, c in changes if c.after in (Status.BOUNCED, Status.COMPLAINED) and c.before != c.after)
    print(_("{read} messages read, {reports} bounce or complaint reports; {stopped} addresses no longer get "
            "the bulletin").format(read=read, reports=reports, stopped=stopped), file=sys.stderr)
    return Exit.OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("subscriptions", help="the subscription service and its subscriber list")
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
    serve_ = actions.add_parser("serve", help="run the subscription service (subscribe, confirm, unsubscribe)")
    serve_.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_.add_argument("--port", type=int, default=8001, help="port (default 8001; 0 picks a free one)")
    import_ = actions.add_parser("import", help="add an existing list (CSV: email, name) as active subscribers")
    import_.add_argument("file", type=Path, metavar="FILE.csv")
    import_.add_argument("--source", required=True, help="where these addresses' consent came from")
    export_ = actions.add_parser("export", help="the whole list as CSV, with statuses and consent evidence")
    export_.add_argument("--out", type=Path, default=None, metavar="FILE", help="write here (default: stdout)")
    actions.add_parser("stats", help="how many addresses have each status")
    forget_ = actions.add_parser("forget", help="erase an address and its history (right to erasure)")
    forget_.add_argument("address")
    bounces_ = actions.add_parser("bounces", help="read bounces and complaints; stop mail to those addresses")
    source = bounces_.add_mutually_exclusive_group(required=True)
    source.add_argument("--mbox", type=Path, metavar="FILE")
    source.add_argument("--maildir", type=Path, metavar="DIR")
    source.add_argument("--imap", action="store_true", help="the folder in subscriptions.imap_* of site.yaml")
