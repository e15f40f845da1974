"""Fault injection: a real mailing process, killed with SIGKILL at chosen moments, run again.

The server is a real aiosmtpd on 127.0.0.1 that answers DATA late, as a busy server does: it
queues each message the moment it has received it and replies only afterwards. Killing the
mailing in that gap is what once delivered the issue twice; these tests count, at the server,
how many messages each address received.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port
from test_mailing import JOURNAL, PROJECT, addresses, journalled, recipients, set_mail

from egorod.mailing import Journal

pytestmark = pytest.mark.slow


@dataclass
class SlowMailbox:
    """aiosmtpd handler: queues each message at once, answers its DATA ``delay`` seconds later.

    ``hold_at`` (a message index) holds that message's reply until ``release`` is set, so a
    test can kill the client at a known moment; the message is queued all the same.
    """
    delay: float = 0.0
    hold_at: int | None = None
    queued: list[tuple[str, str]] = field(default_factory=list)      # (recipient, Message-ID)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def delivered(self) -> Counter:
        return Counter(rcpt.lower() for rcpt, _ in self.queued)

    def message_id(self, address: str) -> str:
        return next(mid for rcpt, mid in self.queued if rcpt.lower() == address)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        index = len(self.queued)
        with self.changed:
            self.queued.extend((rcpt, str(message["Message-ID"])) for rcpt in envelope.rcpt_tos)
            self.changed.notify_all()
        if index == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        await asyncio.sleep(self.delay)
        return "250 2.0.0 OK queued"

    def wait_for(self, count: int, timeout: float = 30) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.queued) >= count, timeout)


@dataclass
class SlowServer:
    mailbox: SlowMailbox
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def slow_server():
    mailbox = SlowMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SlowServer(mailbox, controller.port)
    finally:
        mailbox.release.set()
        controller.stop()


@pytest.fixture
def site(repo):
    set_mail(repo)
    return repo


def command(repo, server: SlowServer, csv: Path) -> list[str]:
    return [sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "mail", "1",
            "--recipients", str(csv), "--smtp", server.address, "-q"]


def start(repo, server: SlowServer, csv: Path) -> subprocess.Popen:
    return subprocess.Popen(command(repo, server, csv), cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def run(repo, server: SlowServer, csv: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command(repo, server, csv), cwd=PROJECT, capture_output=True, text=True, timeout=120)


def kill_while_the_server_holds(site, server: SlowServer, csv: Path, index: int) -> None:
    """Start the mailing and SIGKILL it while the server sits on message ``index`` (0-based),
    which it has queued but not yet answered."""
    server.mailbox.hold_at = index
    process = start(site, server, csv)
    try:
        assert server.mailbox.holding.wait(30), process.communicate(timeout=5)[0]
        kill(process)
    finally:
        if process.poll() is None:
            process.kill()
        server.mailbox.release.set()


def unconfirmed(output: str, csv: Path) -> set[str]:
    """The addresses of the report's ``path:line: email: address: … Message-ID …`` lines."""
    found = re.findall(rf"^{re.escape(str(csv))}:\d+: email: (\S+): .*Message-ID", output, re.MULTILINE)
    return set(found)


def test_a_mailing_killed_while_the_server_holds_data_sends_nobody_two_copies(site, slow_server):
    csv = recipients(site, 5)
    kill_while_the_server_holds(site, slow_server, csv, index=2)
    assert slow_server.mailbox.delivered() == Counter(addresses(3))
    resumed = run(site, slow_server, csv)
    assert slow_server.mailbox.delivered() == Counter(addresses(5)), resumed.stderr


def test_an_address_killed_in_the_middle_of_data_is_reported_unconfirmed_with_exit_1(site, slow_server):
    csv = recipients(site, 5)
    kill_while_the_server_holds(site, slow_server, csv, index=2)
    resumed = run(site, slow_server, csv)
    assert resumed.returncode == 1, resumed.stderr
    assert "2 sent now, 2 already sent before, 1 unconfirmed of 5" in resumed.stderr
    message_id = slow_server.mailbox.message_id("reader3@example.org")
    assert re.search(rf"^{re.escape(str(csv))}:4: email: reader3@example.org: .*killed.*Message-ID "
                     rf"{re.escape(message_id)}$", resumed.stderr, re.MULTILINE), resumed.stderr
    assert journalled(site)["reader3@example.org"] == "unconfirmed"


def test_an_address_found_unconfirmed_stays_unsent_in_later_runs(site, slow_server):
    csv = recipients(site, 5)
    kill_while_the_server_holds(site, slow_server, csv, index=2)
    run(site, slow_server, csv)
    again = run(site, slow_server, csv)
    assert again.returncode == 0, again.stderr
    assert "0 sent now, 4 already sent before, 1 unconfirmed earlier of 5" in again.stderr
    assert slow_server.mailbox.delivered() == Counter(addresses(5))


def test_repeated_kills_at_random_moments_never_deliver_an_issue_twice(site, slow_server):
    """Like the field reports: a mailing to a longer list killed again and again (here at random
    moments while the server is slow to answer DATA), then run to its end. Nobody gets two
    copies; whoever may have none is among the addresses reported unconfirmed."""
    box = slow_server.mailbox
    box.delay = 0.05
    count = 40
    csv = recipients(site, count)
    chance = random.Random(20)
    for _ in range(8):
        process = start(site, slow_server, csv)
        try:
            box.wait_for(min(len(box.queued) + chance.randint(1, 4), count), timeout=30)
            time.sleep(chance.uniform(0, box.delay))
            kill(process)
        finally:
            if process.poll() is None:
                process.kill()
        if len(box.queued) >= count:
            break
    in_doubt = set(Journal(site.root / JOURNAL, 1).in_doubt)
    resumed = run(site, slow_server, csv)
    assert resumed.returncode == (1 if in_doubt else 0), resumed.stderr
    finished = run(site, slow_server, csv)           # reports every unconfirmed one, sends nothing
    assert finished.returncode == 0 and "0 sent now" in finished.stderr, finished.stderr
    delivered = box.delivered()
    assert max(delivered.values()) == 1, delivered.most_common(3)
    assert set(addresses(count)) - set(delivered) <= unconfirmed(finished.stderr, csv)
