"""`python build.py deploy [--dry-run]`: publish the built site to the Assembly's server.

rsync compares checksums (never times, which a fresh CI checkout changes), so only files whose
bytes changed travel. The order keeps the live site whole at every moment:

1. assets — hashed stylesheets, scripts, fonts, images, PDFs, the search index: new names
   arrive before any page names them;
2. pages — every ``.html`` (with its compressed twins), each naming only files already there;
3. feeds, the sitemap and the server's redirects — which announce pages that now exist;
4. files the build no longer makes are deleted last, when no page names them any more.

Within a phase rsync moves the files into place together at its end (``--delay-updates``).
Only a finished build without drafts is published: the build leaves a record (``buildrecord``).
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .buildrecord import BuildRecord, load_record
from .context import CACHE_DIR
from .errors import Exit, Problems
from .i18n import _
from .output import MARKER, listed_files
from .redirects import REDIRECTS_FILE
from .settings import load_settings

ASSETS, PAGES, FEEDS = "assets", "pages", "feeds"
PHASES = (ASSETS, PAGES, FEEDS)
_PAGE_SUFFIXES = (".html", ".htm", "email.txt")
_FEED_SUFFIXES = (".xml", ".ics")
_TWIN_SUFFIXES = (".br", ".gz")
# A remote target is [user@]host:/path; anything else is a folder on this machine.
_REMOTE = re.compile(r"^((?:[\w.-]+@)?[\w.-]+):(/.*)$")
# Files on the server that no build makes and a deploy must never delete: the challenges of
# the TLS certificate's renewal (certbot writes them into the site's folder).
_PROTECTED = ("/.well-known/",)


@dataclass(frozen=True)
class Request:
    out: Path | None = None       # the built site (default output/)
    target: str | None = None     # instead of deploy.target of site.yaml
    dry_run: bool = False


class Refused(Exception):
    """Deploying cannot go on; ``message`` says why and what to do."""

    def __init__(self, message: str, status: int = Exit.CONTENT):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Transfer:
    """What rsync reported for one phase."""
    files: int = 0            # regular files sent (new or changed)
    file_bytes: int = 0       # their total size
    bytes_sent: int = 0       # bytes that went over the wire (rsync sends differences)
    deleted: int = 0
    changed: list[str] = field(default_factory=list)   # the paths sent or deleted


@dataclass(frozen=True)
class Target:
    destination: str          # as rsync takes it, ending with /
    host: str                 # [user@]host for SSH; empty for a local folder
    ssh_port: int


# --- pure parts: what goes when, and what rsync said ---------------------------------------

def phase_of(relative: str) -> str:
    name = relative
    for suffix in _TWIN_SUFFIXES:
        name = name.removesuffix(suffix)
    if name.endswith(_PAGE_SUFFIXES):
        return PAGES
    if name.endswith(_FEED_SUFFIXES) or name in ("robots.txt", REDIRECTS_FILE):
        return FEEDS
    return ASSETS


def plan(files: list[str]) -> dict[str, list[str]]:
    """The site's files by phase, each list sorted; build metadata is not published."""
    phases: dict[str, list[str]] = {phase: [] for phase in PHASES}
    for relative in sorted(files):
        if relative != MARKER:
            phases[phase_of(relative)].append(relative)
    return phases


_STATS = {
    "Number of regular files transferred": "files",
    "Total transferred file size": "file_bytes",
    "Total bytes sent": "bytes_sent",
    "Number of deleted files": "deleted",
}
_STAT_LINE = re.compile(r"^(" + "|".join(_STATS) + r"): ([\d,.]+)")
# An --itemize line of a regular file whose data is sent (<, >) or created (c); not ".f..t…",
# a file whose checksum matched and only its time was set.
_SENT_FILE = re.compile(r"^[<>c]f\S{9} (.+)$")


def parse_rsync_output(stdout: str) -> Transfer:
    """rsync's ``--stats`` figures, and the paths of its ``--out-format='%i %n'`` lines."""
    transfer = Transfer()
    for line in stdout.splitlines():
        stat = _STAT_LINE.match(line)
        if stat:
            setattr(transfer, _STATS[stat.group(1)], int(re.sub(r"[,.]", "", stat.group(2))))
        elif line.startswith("*deleting "):
            transfer.changed.append(line.split(None, 1)[1].strip())
        elif sent := _SENT_FILE.match(line):
            transfer.changed.append(sent.group(1))
    return transfer


def parse_target(raw: str, root: Path, ssh_port: int) -> Target:
    remote = _REMOTE.match(raw)
    if remote:
        return Target(raw.rstrip("/") + "/", remote.group(1), ssh_port)
    folder = (root / raw).resolve()
    return Target(str(folder) + "/", "", ssh_port)


def _rsync_base(target: Target, dry_run: bool) -> list[str]:
    command = ["rsync", "--links", "--times", "--perms", "--chmod=D755,F644", "--checksum",
               "--stats", "--out-format=%i %n"]
    if target.host:
        # BatchMode: a missing key fails at once instead of waiting for a password nobody types.
        command += ["-e", f"ssh -p {target.ssh_port} -o BatchMode=yes -o ConnectTimeout=20"]
    if dry_run:
        command.append("--dry-run")
    return command


def phase_command(target: Target, out: Path, file_list: Path, dry_run: bool) -> list[str]:
    return [*_rsync_base(target, dry_run), "--delay-updates", f"--files-from={file_list}",
            f"{out}/", target.destination]


def delete_command(target: Target, out: Path, dry_run: bool) -> list[str]:
    """A pass that sends nothing (``--existing --ignore-existing``) and deletes what is gone."""
    filters = [f"--filter=protect {path}" for path in _PROTECTED] + [f"--exclude=/{MARKER}"]
    return [*_rsync_base(target, dry_run), "--recursive", "--delete", "--existing", "--ignore-existing",
            *filters, f"{out}/", target.destination]


# --- the command -----------------------------------------------------------------------------

def check_build(record: BuildRecord | None, out: Path, base_url: str) -> None:
    """Refuse a folder whose last build failed, showed drafts, or is not known to be a build."""
    if record is None:
        raise Refused(_("no finished build of {out} is known here: run `python build.py build` first")
                      .format(out=out))
    if not record.succeeded:
        raise Refused(_("the last build of {out} failed, so it does not show the content as committed: "
                        "fix the errors that build printed, build again, then deploy").format(out=out))
    if record.drafts:
        raise Refused(_("{out} was built with --drafts (drafts and future entries are only for preview): "
                        "run `python build.py build` without --drafts, then deploy").format(out=out))
    if record.base_url != base_url:
        raise Refused(_("{out} was built for {built}, but base_url in site.yaml is {configured}: run "
                        "`python build.py build` without --base-url, then deploy")
                      .format(out=out, built=record.base_url, configured=base_url))


# How rsync ends when its SSH connection could not be made (status 255, or 12 from rsync 3.5).
_SSH_FAILED = re.compile(r"^ssh: |Permission denied|Host key verification failed|\(0 bytes received so far\)",
                         re.MULTILINE)


def _failure(target: Target, phase: str, status: int, stderr: str) -> Refused:
    # The first line names the cause; rsync's own summary follows it.
    detail = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
    if target.host and (status == 255 or _SSH_FAILED.search(stderr)):
        return Refused(_(
            "could not reach {host} over SSH ({detail}). Check deploy.target in site.yaml, that "
            "`ssh -p {port} {host}` logs in without a password prompt (a key loaded with ssh-add; in CI "
            "the DEPLOY_SSH_KEY secret) and that the server is in known_hosts. The site on the server is "
            "whole; run deploy again when the connection works.").format(
                host=target.host, detail=detail, port=target.ssh_port))
    if "command not found" in stderr or status == 127:
        return Refused(_("rsync is missing on {host}: install it there (Debian/Ubuntu: sudo apt-get install "
                         "rsync) and run deploy again").format(host=target.host or _("this machine")))
    return Refused(_(
        "rsync stopped while sending the {phase} (exit status {status}: {detail}). The site on the server "
        "is whole, as files go in a safe order: fix the cause (space, permissions of the folder) and run "
        "deploy again; only what is still missing will be sent.").format(
            phase=phase, status=status, detail=detail))


def run_rsync(command: list[str], target: Target, phase: str) -> Transfer:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Refused(_("rsync is not installed here: install it (Debian/Ubuntu: sudo apt-get install rsync) "
                        "and run deploy again"), Exit.USAGE) from None
    if finished.returncode != 0:
        raise _failure(target, phase, finished.returncode, finished.stderr)
    return parse_rsync_output(finished.stdout)


def run_phase(target: Target, out: Path, files: list[str], phase: str, dry_run: bool) -> Transfer:
    if not files:
        return Transfer()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".list", prefix="egorod-deploy-") as listing:
        listing.write("\n".join(files) + "\n")
        listing.flush()
        return run_rsync(phase_command(target, out, Path(listing.name), dry_run), target, phase)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _report(name: str, transfer: Transfer, dry_run: bool) -> None:
    if dry_run:
        for path in transfer.changed:
            print(path)
    _say(_("  {phase}: {files} files ({size} bytes) sent, {wire} bytes over the wire").format(
        phase=name, files=transfer.files, size=transfer.file_bytes, wire=transfer.bytes_sent))


def deploy(root: Path, request: Request) -> int:
    try:
        return _deploy(root, request)
    except Refused as refused:
        _say(_("build.py deploy: {reason}").format(reason=refused.message))
        return refused.status


def _deploy(root: Path, request: Request) -> int:
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:
        for problem in problems.sorted():
            _say(str(problem))
        return Exit.CONTENT
    raw_target = request.target or settings.deploy.target
    if not raw_target:
        raise Refused(_("no place to deploy to: set deploy.target in site.yaml (user@host:/path or a "
                        "folder) or give --target"), Exit.USAGE)
    target = parse_target(raw_target, root, settings.deploy.ssh_port)
    out = (request.out or root / "output").resolve()
    files = listed_files(out / MARKER)
    if files is None:
        raise Refused(_("{out} holds no built site: run `python build.py build` first").format(out=out))
    check_build(load_record(root / CACHE_DIR, out), out, settings.base_url)

    started = time.perf_counter()
    _say((_("deploy (dry run, nothing is sent): {out} → {target}") if request.dry_run else
          _("deploy: {out} → {target}")).format(out=out, target=target.destination))
    phases = plan(files)
    total = Transfer()
    names = {ASSETS: _("assets, images and PDFs"), PAGES: _("pages"), FEEDS: _("feeds, sitemap, redirects")}
    for phase in PHASES:
        transfer = run_phase(target, out, phases[phase], names[phase], request.dry_run)
        _report(names[phase], transfer, request.dry_run)
        total.files += transfer.files
        total.file_bytes += transfer.file_bytes
        total.bytes_sent += transfer.bytes_sent
        total.changed += transfer.changed
    removed = run_rsync(delete_command(target, out, request.dry_run), target, _("deletions"))
    if request.dry_run:
        for path in removed.changed:
            print(f"delete {path}")
    _say((_("would send {files} files ({size} bytes) and delete {deleted}") if request.dry_run else
          _("sent {files} files ({size} bytes; {wire} bytes over the wire), deleted {deleted}, in {seconds:.1f} s"))
         .format(files=total.files, size=total.file_bytes, wire=total.bytes_sent, deleted=removed.deleted,
                 seconds=time.perf_counter() - started))
    if REDIRECTS_FILE in total.changed and not request.dry_run:
        _say(_("the redirects (aliases) changed: reload nginx on the server (sudo systemctl reload nginx)"))
    return Exit.OK
