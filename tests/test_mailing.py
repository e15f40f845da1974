"""Sending the bulletin over a real SMTP server (aiosmtpd on 127.0.0.1): once per address."""
from __future__ import annotations

import asyncio
import email
import email.policy
import errno
import os
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
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import free_port

from egorod.mailing import Journal, JournalLocked, Recipient, normalise_address, read_recipients
from egorod.mailing.journal import Status

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "EGOROD_TEST_SMTP_PASSWORD"


# --- a real SMTP server ------------------------------------------------------------------

@dataclass
class Mailbox:
    """aiosmtpd handler: stores what it accepts; can drop, refuse or hold messages."""
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    drop_after: int | None = None        # drop the connection once this many are stored ...
    drop_at: str = "data"                # ... at DATA (message received, before the reply) or at "rcpt"
    drop_once: bool = False              # ... only the first time
    drop_data_for: set[str] = field(default_factory=set)    # drop at DATA of these recipients
    data_seen: Counter = field(default_factory=Counter)     # DATA received, per recipient
    data_reply: str | None = None        # instead of dropping: answer DATA with this (e.g. 421)
    refuse: dict[str, str] = field(default_factory=dict)      # RCPT address → reply
    refuse_times: dict[str, int] = field(default_factory=dict)  # ... only this many times
    hold_at_data: int | None = None      # wait at DATA (message received, not yet answered)
    hold_at_rcpt: int | None = None      # wait at RCPT of the message with this index
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    connections: int = 0

    def delivered(self) -> Counter:
        return Counter(rcpt.lower() for rcpt, _ in self.messages)

    def parsed(self) -> dict[str, email.message.EmailMessage]:
        return {rcpt.lower(): email.message_from_bytes(data, policy=email.policy.default)
                for rcpt, data in self.messages}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    def _drop_now(self, where: str) -> bool:
        if self.drop_at != where or self.drop_after is None or len(self.messages) < self.drop_after:
            return False
        if self.drop_once:
            self.drop_after = None
        return True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._drop_now("rcpt"):
            server.transport.close()          # the connection is lost before DATA
            return "451 never seen by the client"
        if self.hold_at_rcpt is not None and len(self.messages) == self.hold_at_rcpt:
            self.hold_at_rcpt = None
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 try again later"
        if address.lower() in self.refuse:
            left = self.refuse_times.get(address.lower())
            if left is None or left > 0:
                if left is not None:
                    self.refuse_times[address.lower()] = left - 1
                return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen.update(rcpt.lower() for rcpt in envelope.rcpt_tos)
        if any(rcpt.lower() in self.drop_data_for for rcpt in envelope.rcpt_tos):
            server.transport.close()          # the message arrived; the client never hears back
            return "451 never seen by the client"
        if self._drop_now("data"):
            if self.data_reply:
                return self.data_reply
            server.transport.close()          # the connection is lost before the 250
            return "451 never seen by the client"
        if self.hold_at_data is not None and len(self.messages) == self.hold_at_data:
            self.hold_at_data = None
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, envelope.original_content))
        return "250 2.0.0 OK queued"



@dataclass
class Server:
    mailbox: Mailbox
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Server(mailbox, controller.port)
    finally:
        mailbox.release.set()
        controller.stop()


@pytest.fixture
def auth_server():
    mailbox = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"bulletin@e-gorod.ru" \
            and auth_data.password == b"s3cret-Parol"
        return AuthResult(success=ok, handled=False)

    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        yield Server(mailbox, controller.port)
    finally:
        controller.stop()


# --- the repository ----------------------------------------------------------------------------

def set_mail(repo, **values) -> None:
    """Replace the ``mail:`` section of the repo's site.yaml."""
    settings = dict(host="127.0.0.1", port=25, tls="none", user='""', sender="bulletin@e-gorod.ru",
                    sender_name="Бюллетень МАГ", list_id="bulletin.e-gorod.ru",
                    unsubscribe_mailto="unsubscribe@e-gorod.ru",
                    unsubscribe_url="https://e-gorod.ru/unsubscribe/", password_env=PASSWORD_ENV,
                    rate=1000, retries=2, retry_delay=0.01)
    settings.update(values)
    path = repo.root / "site.yaml"
    text = re.sub(r"^mail:\n(?:[ ].*\n|\n)*", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    block = "mail:\n" + "".join(f"  {key}: {value}\n" for key, value in settings.items())
    path.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")


@pytest.fixture
def site(repo):
    set_mail(repo)
    return repo


def recipients(repo, count: int, header: bool = True, extra: str = "") -> Path:
    lines = ["email,name"] if header else []
    lines += [f"reader{i}@example.org,Читатель {i}" for i in range(1, count + 1)]
    return repo.write("subscribers.csv", "\n".join(lines) + "\n" + extra)


def addresses(count: int) -> list[str]:
    return [f"reader{i}@example.org" for i in range(1, count + 1)]


def mail(repo, server, csv: Path, *extra: str):
    return repo.run("mail", "1", "--recipients", str(csv), "--smtp", server.address, "-q", *extra)


JOURNAL = "mail-journal/bulletin-1.journal"


def journalled(repo) -> dict[str, str]:
    """The last status journalled for each address (sending, sent, not-sent, unconfirmed)."""
    status = {}
    for line in (repo.root / JOURNAL).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            address, *_, last = line.split("\t")
            status[address] = last
    return status


def all_sent(addresses: list[str]) -> dict[str, str]:
    return {address: "sent" for address in addresses}


# --- delivery ------------------------------------------------------------------------------------

def test_every_recipient_gets_exactly_one_multipart_message(site, smtp_server):
    csv = recipients(site, 4, extra="READER2@Example.ORG,Дубль\n\n# a comment line\n")
    result = mail(site, smtp_server, csv)
    assert result.status == 0, result.output
    assert "subscribers.csv:6: email: READER2@Example.ORG is already on line 3; it gets one message" in result.output
    box = smtp_server.mailbox
    assert box.delivered() == Counter({a: 1 for a in addresses(4)})
    message_ids = set()
    for address, msg in box.parsed().items():
        assert msg.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
        assert address in msg["To"].lower() and "Читатель" in str(msg["To"])
        assert msg["From"].addresses[0].addr_spec == "bulletin@e-gorod.ru"
        assert msg["Subject"] == "Бюллетень МАГ № 1: Первый выпуск"
        assert msg["Date"].datetime is not None
        assert re.fullmatch(r"<bulletin-1\.[0-9a-f]+\.[0-9a-f]+@e-gorod\.ru>", msg["Message-ID"])
        message_ids.add(msg["Message-ID"])
        assert msg["List-Id"] == "Бюллетень МАГ <bulletin.e-gorod.ru>"
        unsubscribe = msg["List-Unsubscribe"]
        assert "<mailto:unsubscribe@e-gorod.ru?subject=unsubscribe>" in unsubscribe
        assert re.search(r"<https://e-gorod\.ru/unsubscribe/\?list=bulletin\.e-gorod\.ru&email=reader\d%40example\.org>",
                         unsubscribe)
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "Сессия МАГ" in text and "Практики Казани" in text
        assert "Сессия МАГ" in html and "<style" not in html
    assert len(message_ids) == 4
    assert journalled(site) == all_sent(addresses(4))
    # the same command again: the journal says everybody has it
    again = mail(site, smtp_server, csv)
    assert again.status == 0, again.output
    assert "0 sent now, 4 already sent before" in again.output
    assert box.delivered() == Counter({a: 1 for a in addresses(4)})


@pytest.mark.slow
def test_the_mailing_renders_the_edition_from_content_not_output(site, smtp_server):
    site.build()
    (site.out / "bulletins/1/email.html").write_text("stale", encoding="utf-8")
    csv = recipients(site, 1)
    assert mail(site, smtp_server, csv).status == 0
    [msg] = smtp_server.mailbox.parsed().values()
    html = msg.get_body(("html",)).get_content()
    assert "stale" not in html and "Прошла годовая сессия" in html
    site.build()   # the build makes the very same edition
    assert html.replace("\r\n", "\n") == site.read("bulletins/1/email.html")
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == site.read("bulletins/1/email.txt")


@pytest.mark.slow
def test_a_connection_dropped_before_data_is_retried_within_the_run(site, smtp_server):
    box = smtp_server.mailbox
    box.drop_after, box.drop_at, box.drop_once = 2, "rcpt", True
    result = mail(site, smtp_server, recipients(site, 5))
    assert result.status == 0, result.output
    assert smtp_server.mailbox.delivered() == Counter({a: 1 for a in addresses(5)})
    assert smtp_server.mailbox.connections >= 2


@pytest.mark.slow
@pytest.mark.parametrize("how", ["drop", "421"])
def test_an_interrupted_mailing_is_resumed_and_nobody_gets_two(site, smtp_server, how):
    box = smtp_server.mailbox
    box.drop_after = 3                    # the server goes away after three messages …
    if how == "421":
        box.data_reply = "421 4.3.2 Service shutting down"
    else:
        box.drop_at = "rcpt"              # (before DATA: a drop after DATA is another story)
    csv = recipients(site, 7)
    first = mail(site, smtp_server, csv)
    assert first.status == 1, first.output
    assert "3 sent now" in first.output and "4 not tried yet" in first.output
    assert "Run the same command again" in first.output
    assert box.delivered() == Counter({a: 1 for a in addresses(3)})
    assert Journal(site.root / JOURNAL, 1).done == set(addresses(3))      # reader4: not-sent, if journalled

    box.drop_after = None                 # … and comes back
    second = mail(site, smtp_server, csv)
    assert second.status == 0, second.output
    assert "4 sent now, 3 already sent before" in second.output
    assert box.delivered() == Counter({a: 1 for a in addresses(7)})


@pytest.mark.slow
def test_a_connection_lost_after_data_is_unconfirmed_and_never_sent_again(site, smtp_server):
    """The server drops the connection after it has received reader3's message, before its
    reply: it may have queued it. Sending it again could deliver it twice, so the address is
    journalled as unconfirmed, reported, and left alone in this run and the next."""
    box = smtp_server.mailbox
    box.drop_data_for = {"reader3@example.org"}
    csv = recipients(site, 5)
    first = mail(site, smtp_server, csv)
    assert first.status == 1, first.output
    assert box.data_seen["reader3@example.org"] == 1, first.output      # not retried
    others = Counter({a: 1 for a in addresses(5) if a != "reader3@example.org"})
    assert box.delivered() == others
    assert "4 sent now, 1 unconfirmed of 5" in first.output
    assert re.search(rf"^{re.escape(str(csv))}:4: email: reader3@example.org: .*connection", first.output,
                     re.MULTILINE), first.output
    assert "mail server's log" in first.output and "retry" not in first.output
    assert journalled(site) == {**all_sent(list(others)), "reader3@example.org": "unconfirmed"}
    journal = Journal(site.root / JOURNAL, 1)
    assert journal.unconfirmed.keys() == {"reader3@example.org"} and "reader3@example.org" not in journal.sent

    box.drop_data_for = set()             # even a healthy server does not get it again
    second = mail(site, smtp_server, csv)
    assert second.status == 0, second.output
    assert "0 sent now, 4 already sent before, 1 unconfirmed earlier of 5" in second.output
    assert f"{csv}:4: email: reader3@example.org" in second.output
    assert box.data_seen["reader3@example.org"] == 1
    assert box.delivered() == others


@pytest.mark.slow
def test_a_server_that_keeps_dropping_after_data_stops_the_mailing(site, smtp_server):
    box = smtp_server.mailbox
    box.drop_after = 1                    # every DATA after the first one is cut off
    csv = recipients(site, 7)
    first = mail(site, smtp_server, csv)
    assert first.status == 1, first.output
    assert "1 sent now, 3 unconfirmed, 3 not tried yet of 7" in first.output
    assert "The mailing stopped" in first.output
    assert box.data_seen == Counter({a: 1 for a in addresses(4)})
    box.drop_after = None
    second = mail(site, smtp_server, csv)
    assert second.status == 0, second.output
    assert "3 sent now, 1 already sent before, 3 unconfirmed earlier of 7" in second.output
    assert box.data_seen == Counter({a: 1 for a in addresses(7)})
    assert box.delivered() == Counter({a: 1 for a in ["reader1@example.org", *addresses(7)[4:]]})


@pytest.mark.slow
def test_make_clean_keeps_the_journal(site, smtp_server):
    csv = recipients(site, 3)
    assert mail(site, smtp_server, csv).status == 0
    site.build()
    assert (site.root / ".cache").is_dir() and (site.root / "output").is_dir()
    subprocess.run(["make", "--no-print-directory", "-f", str(PROJECT / "Makefile"), "-C", str(site.root), "clean"],
                   check=True, capture_output=True)
    assert not (site.root / ".cache").exists() and not (site.root / "output").exists()
    assert journalled(site) == all_sent(addresses(3))
    again = mail(site, smtp_server, csv)
    assert again.status == 0 and "0 sent now, 3 already sent before" in again.output, again.output
    assert smtp_server.mailbox.delivered() == Counter({a: 1 for a in addresses(3)})
    ignored = (PROJECT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/mail-journal/" in ignored


def test_the_journal_folder_is_configurable_but_not_inside_the_cache(site, smtp_server):
    set_mail(site, journal_dir="records/mail")
    assert mail(site, smtp_server, recipients(site, 2)).status == 0
    assert (site.root / "records/mail/bulletin-1.journal").is_file() and not (site.root / JOURNAL).exists()
    set_mail(site, journal_dir=".cache/mail")
    refused = mail(site, smtp_server, recipients(site, 3))
    assert refused.status == 1
    assert re.search(r"site\.yaml:\d+: mail\.journal_dir: .*make clean", refused.output), refused.output
    assert smtp_server.mailbox.delivered() == Counter({a: 1 for a in addresses(2)})


def test_a_permanent_refusal_is_reported_and_the_others_still_get_theirs(site, smtp_server):
    box = smtp_server.mailbox
    box.refuse["reader3@example.org"] = "550 5.1.1 <reader3@example.org>: user unknown"
    csv = recipients(site, 5)
    result = mail(site, smtp_server, csv)
    assert result.status == 1, result.output
    assert f"{csv}:4: email: reader3@example.org: 550 5.1.1 <reader3@example.org>: user unknown" in result.output
    assert "4 sent now, 1 refused of 5" in result.output
    expected = Counter({a: 1 for a in addresses(5) if a != "reader3@example.org"})
    assert box.delivered() == expected
    assert "reader3@example.org" not in journalled(site)
    # a second run tries only the refused address again
    again = mail(site, smtp_server, csv)
    assert again.status == 1 and "0 sent now, 4 already sent before, 1 refused" in again.output
    assert box.delivered() == expected


def test_a_temporary_refusal_is_retried_with_back_off(site, smtp_server):
    box = smtp_server.mailbox
    box.refuse["reader2@example.org"] = "451 4.7.1 greylisted, try again"
    box.refuse_times["reader2@example.org"] = 2
    started = time.monotonic()
    result = mail(site, smtp_server, recipients(site, 3))
    assert result.status == 0, result.output
    assert "retry 1 of 2" in result.output and "retry 2 of 2" in result.output
    assert box.delivered() == Counter({a: 1 for a in addresses(3)})
    assert time.monotonic() - started >= 0.01 + 0.02        # 0.01 s, then twice that


@pytest.mark.slow
def test_temporary_errors_that_do_not_pass_are_listed_for_later(site, smtp_server):
    box = smtp_server.mailbox
    box.refuse["reader1@example.org"] = "452 4.2.2 mailbox full"
    result = mail(site, smtp_server, recipients(site, 2))
    assert result.status == 1
    assert "Temporary errors" in result.output and "reader1@example.org: 452 4.2.2 mailbox full" in result.output
    assert box.delivered() == Counter({"reader2@example.org": 1})
    del box.refuse["reader1@example.org"]
    assert mail(site, smtp_server, recipients(site, 2)).status == 0
    assert box.delivered() == Counter({a: 1 for a in addresses(2)})


def test_an_unreachable_server_stops_the_mailing_for_a_later_run(site):
    nobody = Server(Mailbox(), free_port())
    result = mail(site, nobody, recipients(site, 2))
    assert result.status == 1
    assert "cannot connect to 127.0.0.1" in result.output and "2 not tried yet" in result.output
    assert "Run the same command again" in result.output


def test_bad_addresses_are_reported_by_line_and_nothing_is_sent(site, smtp_server):
    csv = site.write("subscribers.csv", "email;name\nok@example.org;Да\nbad.example.org;Нет\nx@y@z.org\n"
                                        "name@localhost\nиван@почта.рф\n;Без адреса\n")
    result = mail(site, smtp_server, csv)
    assert result.status == 1
    for line, words in ((3, "has no @"), (4, "more than one @"), (5, "must be a domain"), (6, "Latin letters"),
                        (7, "empty")):
        assert re.search(rf"^{re.escape(str(csv))}:{line}: email: .*{words}", result.output, re.MULTILINE), line
    assert "nothing was sent" in result.output
    assert smtp_server.mailbox.messages == []


def test_dry_run_writes_eml_files_and_sends_nothing(site, smtp_server, tmp_path):
    out = tmp_path / "eml"
    result = site.run("mail", "1", "--recipients", str(recipients(site, 3)), "--dry-run", "--out", str(out))
    assert result.status == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert [f.name for f in files] == [f"0000{i}-reader{i}@example.org.eml" for i in (1, 2, 3)]
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative" and msg["List-Unsubscribe-Post"]
    assert smtp_server.mailbox.messages == []
    assert not (site.root / JOURNAL).exists() and not (site.root / ".cache/mail/bulletin-1.journal").exists()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_password_comes_from_the_environment(repo, auth_server, monkeypatch):
    set_mail(repo, user="bulletin@e-gorod.ru")
    csv = recipients(repo, 2)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    missing = mail(repo, auth_server, csv)
    assert missing.status == 2 and PASSWORD_ENV in missing.output
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    wrong = mail(repo, auth_server, csv)
    assert wrong.status == 1 and "refused the login" in wrong.output
    assert auth_server.mailbox.messages == []
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-Parol")
    right = mail(repo, auth_server, csv)
    assert right.status == 0, right.output
    assert auth_server.mailbox.delivered() == Counter({a: 1 for a in addresses(2)})
    assert "s3cret" not in (repo.root / "site.yaml").read_text(encoding="utf-8")


def test_unknown_or_unpublished_issues_are_not_sent(site, smtp_server):
    csv = recipients(site, 1)
    unknown = site.run("mail", "7", "--recipients", str(csv), "--smtp", smtp_server.address)
    assert unknown.status == 2 and "no bulletin 7" in unknown.output
    site.write("content/bulletins/2.md", "---\nnumber: 2\ndate: 2024-02-15\ndraft: true\n---\n## Н\n\nТекст.\n")
    draft = site.run("mail", "2", "--recipients", str(csv), "--smtp", smtp_server.address)
    assert draft.status == 1 and "not published" in draft.output
    assert smtp_server.mailbox.messages == []


def test_a_journal_that_cannot_be_written_stops_the_mailing_before_data(site, smtp_server, monkeypatch):
    """The disk fills up after the first message: the 'sending' line of the second one cannot
    be written, so its DATA is never sent and the mailing stops."""
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if data.startswith(b"reader2@example.org\t"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    result = mail(site, smtp_server, recipients(site, 3))
    assert result.status == 1
    assert "cannot write the journal" in result.output and "No space left" in result.output, result.output
    assert "1 sent now" in result.output and "2 not tried yet" in result.output, result.output
    assert smtp_server.mailbox.data_seen == Counter(["reader1@example.org"])


# --- titles and lists as editors write them --------------------------------------------------

def title_with_control_characters(repo) -> None:
    """A title `check` accepts: YAML escapes put a line break, a tab and a line separator into it
    (other control characters `check` refuses)."""
    path = repo.root / "content/bulletins/1.md"
    text = path.read_text(encoding="utf-8").replace("title: Первый выпуск",
                                                    'title: "Первый\\nвыпуск года\\tи\\u2028всё"')
    path.write_text(text, encoding="utf-8")
    assert repo.run("check").status == 0


CLEAN_SUBJECT = "Бюллетень МАГ № 1: Первый выпуск года и всё"


def test_a_title_with_line_breaks_makes_a_one_line_subject_in_a_dry_run(site, tmp_path):
    title_with_control_characters(site)
    out = tmp_path / "eml"
    result = site.run("mail", "1", "--recipients", str(recipients(site, 2)), "--dry-run", "--out", str(out))
    assert result.status == 0, result.output
    subjects = [email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)["Subject"]
                for eml in sorted(out.glob("*.eml"))]
    assert subjects == [CLEAN_SUBJECT] * 2


def test_a_title_with_line_breaks_is_sent_with_a_one_line_subject(site, smtp_server):
    title_with_control_characters(site)
    result = mail(site, smtp_server, recipients(site, 2))
    assert result.status == 0, result.output
    assert [msg["Subject"] for msg in smtp_server.mailbox.parsed().values()] == [CLEAN_SUBJECT] * 2


def test_a_semicolon_list_with_a_comma_in_a_name_is_read_by_its_semicolons(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("a@example.org;Иванов, Иван\nb@example.org;Петрова, Анна\nc@example.org\n", encoding="utf-8")
    result = read_recipients(path)
    assert not result.problems, result.problems.sorted()
    assert [(r.email, r.name) for r in result.recipients] == [
        ("a@example.org", "Иванов, Иван"), ("b@example.org", "Петрова, Анна"), ("c@example.org", "")]


def test_a_header_row_does_not_decide_the_delimiter_alone(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("ФИО, должность;email\nИванов, мэр;a@example.org\n", encoding="utf-8")
    result = read_recipients(path)
    assert not result.problems, result.problems.sorted()
    assert [(r.email, r.name) for r in result.recipients] == [("a@example.org", "Иванов, мэр")]


# --- crashes: a real process, really killed ----------------------------------------------------

def start_mailing(repo, server, csv: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "mail", "1",
         "--recipients", str(csv), "--smtp", server.address, "-q"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_a_killed_mailing_resumes_without_sending_anyone_twice(site, smtp_server):
    """SIGKILL while message 4 is on its way: messages 1–3 are journalled (each before the
    next one starts), message 4 was never accepted, so the second run sends 4–6."""
    box = smtp_server.mailbox
    box.hold_at_rcpt = 3
    csv = recipients(site, 6)
    process = start_mailing(site, smtp_server, csv)
    try:
        assert box.reached.wait(30), process.communicate(timeout=5)[0]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        box.release.set()
    assert journalled(site) == all_sent(addresses(3))
    result = mail(site, smtp_server, csv)
    assert result.status == 0, result.output
    assert "3 sent now, 3 already sent before" in result.output
    assert box.delivered() == Counter({a: 1 for a in addresses(6)})


@pytest.mark.slow
def test_ctrl_c_stops_after_the_message_in_flight_is_journalled(site, smtp_server):
    """Ctrl-C while the server holds message 3 after its DATA: the server then accepts it,
    the mailing journals it before it stops, and the resumed run does not send it again."""
    box = smtp_server.mailbox
    box.hold_at_data = 2
    csv = recipients(site, 5)
    process = start_mailing(site, smtp_server, csv)
    try:
        assert box.reached.wait(30), process.communicate(timeout=5)[0]
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)                   # the signal arrives while the reply is awaited
        box.release.set()
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, output
    assert "stopped by Ctrl-C" in output and "3 sent now" in output, output
    assert box.delivered() == Counter({a: 1 for a in addresses(3)})
    assert journalled(site) == all_sent(addresses(3))
    result = mail(site, smtp_server, csv)
    assert result.status == 0, result.output
    assert box.delivered() == Counter({a: 1 for a in addresses(5)})


# --- parts -------------------------------------------------------------------------------------

def test_addresses_are_normalised():
    assert normalise_address(" <Ivan.Petrov+mag@Example.ORG> ") == "Ivan.Petrov+mag@example.org"
    assert normalise_address("anna@пример.рф") == "anna@xn--e1afmkfd.xn--p1ai"
    assert normalise_address("mailto:olga@example.org") == "olga@example.org"
    for bad in ("", "a b@example.org", "a..b@example.org", ".a@example.org", "a@-example.org",
                "a@example.123", "a@example"):
        with pytest.raises(ValueError):
            normalise_address(bad)


def test_recipient_file_without_header_and_with_a_semicolon(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("\ufeffone@example.org;Первый\ntwo@example.org\nONE@example.org;Снова\n", encoding="utf-8")
    result = read_recipients(path)
    assert not result.problems
    assert [(r.email, r.name, r.line) for r in result.recipients] == [
        ("one@example.org", "Первый", 1), ("two@example.org", "", 2)]
    assert len(result.duplicates) == 1


def test_the_journal_is_locked_while_in_use(tmp_path):
    path = tmp_path / "bulletin-5.journal"
    journal = Journal(path, 5)
    journal.open()
    try:
        with pytest.raises(JournalLocked):
            Journal(path, 5).open()
    finally:
        journal.close()
    Journal(path, 5).open()


def test_a_torn_last_line_leaves_its_address_in_doubt_and_the_journal_usable(tmp_path):
    """A crash in the middle of a write: whatever the line was going to say, its message
    may have gone out, so the address is not sent again; later lines still count."""
    path = tmp_path / "bulletin-5.journal"
    journal = Journal(path, 5)
    journal.open()
    journal.record(Recipient("a@example.org", "", 1), "<id-a>", Status.SENT)
    journal.close()
    with path.open("a", encoding="utf-8") as torn:
        torn.write("b@example.org\t2024-01-")
    again = Journal(path, 5)
    assert again.sent == {"a@example.org"} and again.in_doubt == {"b@example.org": ""}
    assert again.mailing_id == journal.mailing_id
    again.open()
    again.record(Recipient("C@example.org", "", 3), "<id-c>", Status.SENT)
    again.close()
    last = Journal(path, 5)
    assert last.sent == {"a@example.org", "c@example.org"} and last.done == {"a@example.org", "b@example.org",
                                                                              "c@example.org"}
    assert path.read_text(encoding="utf-8").splitlines()[-1].startswith("c@example.org\t")


def test_a_sending_line_without_a_verdict_is_in_doubt(tmp_path):
    path = tmp_path / "bulletin-5.journal"
    path.write_text("a@example.org\tT\t<a>\tsending\nb@example.org\tT\t<b>\tsending\n"
                    "b@example.org\tT\t<b>\tsent\n", encoding="utf-8")
    journal = Journal(path, 5)
    assert journal.in_doubt == {"a@example.org": "<a>"} and journal.sent == {"b@example.org"}
    assert journal.done == {"a@example.org", "b@example.org"}


def test_a_not_sent_verdict_lets_the_address_be_tried_again(tmp_path):
    path = tmp_path / "bulletin-5.journal"
    path.write_text("a@example.org\tT\t<a>\tsending\na@example.org\tT\t<a>\tnot-sent\n"
                    "b@example.org\tT\t<b>\tsending\nc@example.org\tT\t<c>\n", encoding="utf-8")
    journal = Journal(path, 5)
    assert journal.in_doubt == {"b@example.org": "<b>"}
    assert journal.sent == {"c@example.org"}          # the older format: no status means accepted
    assert journal.done == {"b@example.org", "c@example.org"}
