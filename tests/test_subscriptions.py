"""The subscription service, run for real: `build.py subscriptions serve` in a subprocess on a
local port, aiosmtpd as the mail server, `build.py mail` reading the list it keeps."""
from __future__ import annotations

import email
import email.policy
import http.client
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from conftest import PROJECT, Repo, free_port
from test_mailing import Mailbox, set_mail

from egorod.subscriptions.tokens import Purpose, Secret, sign

SECRET = "test-secret-of-the-subscription-links-0123456789"
DATABASE = "subscribers/subscribers.sqlite"
START_TIMEOUT = 60.0
pytestmark = pytest.mark.slow


# --- the servers -----------------------------------------------------------------------------------

@dataclass
class Smtp:
    mailbox: Mailbox
    port: int

    def letters_to(self, address: str) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(data, policy=email.policy.default)
                for rcpt, data in self.mailbox.messages if rcpt.lower() == address]

    def wait_for(self, address: str, count: int = 1) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            letters = self.letters_to(address)
            if len(letters) >= count:
                return letters
            time.sleep(0.02)
        pytest.fail(f"no letter to {address} within 10 s")


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Smtp(mailbox, controller.port)
    finally:
        controller.stop()


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "EGOROD_LANG": "en", "EGOROD_SUBSCRIPTIONS_SECRET": SECRET, **extra}


def set_subscriptions(repo: Repo, url: str, **values: object) -> None:
    path = repo.root / "site.yaml"
    block = f"subscriptions:\n  url: {url}\n" + "".join(f"  {key}: {value}\n" for key, value in values.items())
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + block, encoding="utf-8")


@dataclass
class Service:
    repo: Repo
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def request(self, method: str, path: str, body: bytes = b"",
                content_type: str = "application/x-www-form-urlencoded",
                headers: dict[str, str] | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body if method == "POST" else None,
                         headers={"Content-Type": content_type, **(headers or {})} if method == "POST" else {})
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()

    def post(self, path: str, **fields: str) -> tuple[int, str]:
        return self.request("POST", path, urlencode(fields).encode())

    def subscribe(self, address: str, name: str = "", form: str = "footer") -> tuple[int, str]:
        return self.post("/subscribe", email=address, name=name, form=form, website="")

    def status(self, address: str) -> str | None:
        with sqlite3.connect(self.repo.root / DATABASE) as db:
            row = db.execute("SELECT status FROM subscribers WHERE address = ?", (address,)).fetchone()
        return row[0] if row else None

    def key(self, address: str) -> bytes:
        with sqlite3.connect(self.repo.root / DATABASE) as db:
            return bytes(db.execute("SELECT key FROM subscribers WHERE address = ?", (address,)).fetchone()[0])

    def output(self) -> str:
        self.process.terminate()
        return self.process.communicate(timeout=20)[1]


def start_service(repo: Repo, port: int) -> Service:
    process = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root),
                                "subscriptions", "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
    assert process.stderr is not None
    line = process.stderr.readline()            # the service says where it listens once it does
    if "listens on" not in line:
        process.kill()
        pytest.fail(f"the service did not start: {line}{process.communicate()[1]}")
    return Service(repo, port, process)


@pytest.fixture
def service(repo, smtp):
    """The sample repository with the service configured and running, mail going to aiosmtpd."""
    port = free_port()
    set_mail(repo, port=smtp.port, unsubscribe_url='""')
    set_subscriptions(repo, f"http://127.0.0.1:{port}/", client_limit=50)
    running = start_service(repo, port)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.communicate()


def mail(repo: Repo, smtp: Smtp, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "mail", "1",
                           "--smtp", f"127.0.0.1:{smtp.port}", "-q", *extra],
                          capture_output=True, text=True, env=environment(), timeout=120)


def subscriptions(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "subscriptions",
                           *args], capture_output=True, text=True, env=environment(), timeout=120)


def confirmation_link(letter: email.message.EmailMessage) -> str:
    found = re.search(r"http://127\.0\.0\.1:\d+/subscribe/confirm/\S+", letter.get_content())
    assert found, letter.get_content()
    return urlsplit(found.group(0)).path


def subscribed(service: Service, smtp: Smtp, address: str) -> None:
    """The whole double opt-in: the form, the letter, its link, the button."""
    service.subscribe(address)
    link = confirmation_link(smtp.wait_for(address)[-1])
    assert service.post(link, confirm="yes")[0] == 200


def import_readers(repo: Repo, count: int) -> list[str]:
    addresses = [f"reader{i}@example.org" for i in range(1, count + 1)]
    csv = repo.write("old-list.csv", "email,name\n" + "".join(f"{a},Читатель\n" for a in addresses))
    result = subscriptions(repo, "import", str(csv), "--source", "list of the 2023 forum")
    assert result.returncode == 0, result.stderr
    csv.unlink()
    return addresses


def unsubscribe_path(letter: email.message.EmailMessage) -> str:
    header = str(letter["List-Unsubscribe"])
    found = re.match(r"<(http://127\.0\.0\.1:\d+/unsubscribe/[A-Za-z0-9_-]+)>, <mailto:", header)
    assert found, header
    return urlsplit(found.group(1)).path


# --- subscribing ---------------------------------------------------------------------------------------

def test_a_confirmed_subscriber_gets_the_next_mailing(service, smtp, repo):
    status, page = service.subscribe("Ivan.Petrov@Пример.рф", "Иван Петров", form="bulletin")
    assert status == 200 and "Проверьте почту" in page
    address = "ivan.petrov@xn--e1afmkfd.xn--p1ai"
    [letter] = smtp.wait_for(address)
    assert letter["Subject"] == "Подтвердите подписку на бюллетень МАГ"
    assert service.status(address) == "pending"
    link = confirmation_link(letter)
    status, page = service.request("GET", link)             # a scanner opening the link confirms nothing
    assert status == 200 and "Подтвердить подписку" in page and service.status(address) == "pending"
    status, page = service.post(link, confirm="yes")
    assert status == 200 and "Подписка подтверждена" in page and service.status(address) == "active"

    sent = mail(repo, smtp)
    assert sent.returncode == 0, sent.stderr
    [issue] = [m for m in smtp.letters_to(address) if m["Subject"].startswith("Бюллетень МАГ № 1")]
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    own_link = service.url.rstrip("/") + unsubscribe_path(issue)
    assert own_link in issue.get_body(("html",)).get_content()
    assert own_link in issue.get_body(("plain",)).get_content()
    assert "ivan" not in own_link.lower() and "%40" not in own_link


def test_the_consent_evidence_is_kept(service, smtp):
    subscribed(service, smtp, "olga@example.org")
    with sqlite3.connect(service.repo.root / DATABASE) as db:
        source, requested, confirmed = db.execute(
            "SELECT source, requested_at, confirmed_at FROM subscribers WHERE address = 'olga@example.org'").fetchone()
    assert source == "footer" and requested and confirmed and requested <= confirmed


def test_the_answer_does_not_tell_whether_an_address_is_subscribed(service, smtp):
    subscribed(service, smtp, "known@example.org")
    known = service.subscribe("known@example.org")
    unknown = service.subscribe("unknown@example.org")
    assert known == unknown and known[0] == 200
    smtp.wait_for("unknown@example.org")
    assert len(smtp.letters_to("known@example.org")) == 1      # the subscriber got no second letter


def test_one_confirmation_letter_per_address_per_day(service, smtp):
    answers = {service.subscribe("victim@example.org") for _ in range(5)}
    assert len(answers) == 1 and next(iter(answers))[0] == 200
    smtp.wait_for("victim@example.org")
    time.sleep(0.5)
    assert len(smtp.letters_to("victim@example.org")) == 1


def test_a_client_over_its_limit_is_refused(repo, smtp):
    port = free_port()
    set_mail(repo, port=smtp.port)
    set_subscriptions(repo, f"http://127.0.0.1:{port}/", client_limit=3)
    service = start_service(repo, port)
    try:
        statuses = [service.subscribe(f"reader{i}@example.org")[0] for i in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
    finally:
        service.process.kill()
        service.process.communicate()


def test_a_filled_honeypot_sends_nothing(service, smtp):
    status, page = service.post("/subscribe", email="bot@example.org", website="http://spam.example")
    assert status == 200 and "Проверьте почту" in page
    time.sleep(0.5)
    assert smtp.letters_to("bot@example.org") == [] and service.status("bot@example.org") is None


@pytest.mark.parametrize("method, path, body, content_type, status, says", [
    ("POST", "/subscribe", b"email=not-an-address", "application/x-www-form-urlencoded", 400, "Проверьте адрес"),
    ("POST", "/subscribe", b"email=a%40b.org&name=" + b"x" * 20000, "application/x-www-form-urlencoded", 413,
     "Слишком большой запрос"),
    ("POST", "/subscribe", b'{"email": "a@b.org"}', "application/json", 415, "Запрос не понят"),
    ("POST", "/subscribe", b"--x\r\nbroken", "multipart/form-data", 400, "Запрос не понят"),
    ("POST", "/unsubscribe/" + "A" * 54, b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded", 400,
     "Ссылка недействительна"),
    ("GET", "/unsubscribe/%00%ff", b"", "", 400, "Ссылка недействительна"),
    ("PUT", "/subscribe", b"", "", 405, "Запрос не понят"),
    ("GET", "/no/such/page", b"", "", 404, "Страница не найдена"),
])
def test_bad_input_gets_a_clear_answer_and_no_traceback(service, method, path, body, content_type, status, says):
    got, page = service.request(method, path, body, content_type)
    assert got == status and says in page and "<html lang=\"ru\">" in page
    assert "Traceback" not in page and "Traceback" not in service.output()


def test_the_form_works_without_javascript(service, smtp, repo, tmp_path):
    from conftest import headless_chromium
    from selenium.webdriver.common.by import By

    repo.build()
    browser = headless_chromium(tmp_path / "chromium", javascript=False)
    try:
        browser.get((repo.out / "bulletins/1/index.html").as_uri())
        form = browser.find_element(By.CSS_SELECTOR, "form.subscribe-form")
        form.find_element(By.NAME, "email").send_keys("reader@example.org")
        form.find_element(By.NAME, "name").send_keys("Читатель")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        deadline = time.monotonic() + 15
        while "Проверьте почту" not in browser.page_source and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Проверьте почту" in browser.page_source
        browser.get(service.url.rstrip("/") + confirmation_link(smtp.wait_for("reader@example.org")[0]))
        browser.find_element(By.CSS_SELECTOR, "form.subscription-button button").click()
        deadline = time.monotonic() + 15
        while "Подписка подтверждена" not in browser.page_source and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.status("reader@example.org") == "active"
    finally:
        browser.quit()


def test_the_site_offers_the_form_only_when_the_service_is_configured(repo):
    repo.build()
    assert "subscribe-form" not in repo.read("index.html") + repo.read("bulletins/1/index.html")
    set_subscriptions(repo, "https://e-gorod.ru/")
    repo.build()
    for page in ("index.html", "bulletins/index.html", "bulletins/1/index.html"):
        assert 'action="https://e-gorod.ru/subscribe" method="post"' in repo.read(page), page


# --- unsubscribing ------------------------------------------------------------------------------------

def test_opening_the_unsubscribe_link_changes_nothing(service, smtp, repo):
    [address] = import_readers(repo, 1)
    assert mail(repo, smtp).returncode == 0
    status, page = service.request("GET", unsubscribe_path(smtp.letters_to(address)[0]))
    assert status == 200 and "Отписаться" in page and service.status(address) == "active"


def test_one_click_unsubscribes_and_a_resumed_mailing_skips_the_address(service, smtp, repo):
    addresses = import_readers(repo, 4)
    smtp.mailbox.drop_after, smtp.mailbox.drop_at = 1, "rcpt"        # the mailing is cut short …
    first = mail(repo, smtp)
    assert first.returncode == 1 and "1 sent now" in first.stderr, first.stderr
    [first_letter] = smtp.letters_to(addresses[0])
    path = unsubscribe_path(first_letter)
    # … a reader whose letter came through passes the link on: it is theirs, not the others'
    assert service.post(path, **{"List-Unsubscribe": "One-Click"}) == (200, service.post(path, **{
        "List-Unsubscribe": "One-Click"})[1])                           # repeating is harmless
    assert service.status(addresses[0]) == "unsubscribed"
    # meanwhile reader2 unsubscribes by the one-click POST of a letter of an earlier issue
    token = sign(Secret.from_text(SECRET), Purpose.UNSUBSCRIBE, service.key(addresses[1]))
    assert service.post(f"/unsubscribe/{token}", **{"List-Unsubscribe": "One-Click"})[0] == 200
    smtp.mailbox.drop_after = None
    second = mail(repo, smtp)                                            # … and resumed
    assert second.returncode == 0, second.stderr
    assert smtp.mailbox.delivered() == Counter({addresses[0]: 1, addresses[2]: 1, addresses[3]: 1})


def test_a_one_click_post_as_multipart_form_data_unsubscribes(service, smtp, repo):
    """RFC 8058 lets the mail service send the POST as multipart/form-data, as some do."""
    [address] = import_readers(repo, 1)
    assert mail(repo, smtp).returncode == 0
    body = (b'--b0undary\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n--b0undary--\r\n")
    status, _page = service.request("POST", unsubscribe_path(smtp.letters_to(address)[0]), body,
                                    "multipart/form-data; boundary=b0undary")
    assert status == 200 and service.status(address) == "unsubscribed"


def test_a_one_click_post_without_its_field_changes_nothing(service, smtp, repo):
    [address] = import_readers(repo, 1)
    assert mail(repo, smtp).returncode == 0
    status, _page = service.post(unsubscribe_path(smtp.letters_to(address)[0]), other="x")
    assert status == 400 and service.status(address) == "active"


def _tampered(token: str) -> str:
    return token[:10] + ("A" if token[10] != "A" else "B") + token[11:]


@pytest.mark.parametrize("forge", ["tampered", "foreign secret", "confirm token", "expired"])
def test_forged_altered_and_expired_tokens_are_refused_and_change_nothing(service, smtp, forge):
    service.subscribe("eve@example.org")
    smtp.wait_for("eve@example.org")
    key = service.key("eve@example.org")
    ours = Secret.from_text(SECRET)
    if forge == "expired":
        token = sign(ours, Purpose.CONFIRM, key, int(time.time()) - 60)
        status, page = service.post(f"/subscribe/confirm/{token}", confirm="yes")
        assert status == 410 and "Срок действия ссылки истёк" in page
        assert service.status("eve@example.org") == "pending"
        return
    service.post(confirmation_link(smtp.letters_to("eve@example.org")[0]), confirm="yes")
    token = {"tampered": _tampered(sign(ours, Purpose.UNSUBSCRIBE, key)),
             "foreign secret": sign(Secret.from_text("another-installation-" * 3), Purpose.UNSUBSCRIBE, key),
             "confirm token": sign(ours, Purpose.CONFIRM, key)}[forge]
    status, page = service.post(f"/unsubscribe/{token}", **{"List-Unsubscribe": "One-Click"})
    assert status == 400 and "Ссылка недействительна" in page
    assert service.status("eve@example.org") == "active"


# --- the list ------------------------------------------------------------------------------------------

def test_importing_again_does_not_bring_back_who_left(service, smtp, repo):
    addresses = import_readers(repo, 2)
    token = sign(Secret.from_text(SECRET), Purpose.UNSUBSCRIBE, service.key(addresses[0]))
    service.post(f"/unsubscribe/{token}", **{"List-Unsubscribe": "One-Click"})
    import_readers(repo, 2)
    assert service.status(addresses[0]) == "unsubscribed"
    stats = subscriptions(repo, "stats")
    assert "active\t1" in stats.stdout and "unsubscribed\t1" in stats.stdout


def test_forget_leaves_no_trace_in_the_database_file(service, smtp, repo):
    subscribed(service, smtp, "forget.me@example.org")
    import_readers(repo, 3)
    result = subscriptions(repo, "forget", "Forget.Me@Example.org")
    assert result.returncode == 0, result.stderr
    files = [p for p in (repo.root / "subscribers").iterdir()]
    data = b"".join(p.read_bytes() for p in files)
    assert b"forget.me" not in data.lower() and b"reader1@example.org" in data
    export = subscriptions(repo, "export")
    assert "forget.me" not in export.stdout and "reader3@example.org" in export.stdout


def test_the_database_is_readable_by_its_owner_only(service, smtp):
    subscribed(service, smtp, "a@example.org")
    folder = service.repo.root / "subscribers"
    assert folder.stat().st_mode & 0o077 == 0
    assert all(path.stat().st_mode & 0o077 == 0 for path in folder.iterdir())


# --- bounces and complaints ----------------------------------------------------------------------------

def dsn(address: str, action: str, status: str, returned: email.message.EmailMessage) -> bytes:
    """A delivery status notification as in RFC 3464, section 10."""
    headers = "".join(f"{k}: {v}\r\n" for k, v in returned.items() if k in ("From", "To", "Subject", "Message-ID"))
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: bulletin@e-gorod.ru\r\nSubject: Returned mail\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="RAA14128.773615765/CS.UTK.EDU"\r\n'
        "\r\n--RAA14128.773615765/CS.UTK.EDU\r\nContent-Type: text/plain\r\n\r\n"
        "The original message was received but could not be delivered.\r\n"
        "\r\n--RAA14128.773615765/CS.UTK.EDU\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Fri, 4 Dec 2026 10:00:00 +0300\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status.replace('.', '')} mailbox problem\r\n"
        "\r\n--RAA14128.773615765/CS.UTK.EDU\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{headers}"
        "\r\n--RAA14128.773615765/CS.UTK.EDU--\r\n").encode()


def arf(returned: email.message.EmailMessage) -> bytes:
    """A complaint as in RFC 5965, appendix B.1, with the recipient redacted as providers do."""
    kept = "".join(f"{k}: {v}\r\n" for k, v in returned.items()
                   if k in ("From", "Subject", "Message-ID", "List-Unsubscribe", "List-Id"))
    return (
        "From: <abusedesk@example.com>\r\nTo: <bulletin@e-gorod.ru>\r\nSubject: FW: Бюллетень\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="part1_13d.2e68ed54_boundary"\r\n'
        "\r\n--part1_13d.2e68ed54_boundary\r\nContent-Type: text/plain; charset=\"US-ASCII\"\r\n\r\n"
        "This is an email abuse report for an email message received from IP 192.0.2.1.\r\n"
        "\r\n--part1_13d.2e68ed54_boundary\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
        "\r\n--part1_13d.2e68ed54_boundary\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{kept}To: redacted@example.com\r\n"
        "\r\n--part1_13d.2e68ed54_boundary--\r\n").encode()


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    path.write_bytes(b"".join(b"From MAILER-DAEMON Fri Dec  4 10:00:00 2026\n" + m.replace(b"\r\n", b"\n") + b"\n"
                              for m in messages))
    return path


def sent_issue(service: Service, smtp: Smtp, repo: Repo, count: int) -> list[tuple[str, email.message.EmailMessage]]:
    addresses = import_readers(repo, count)
    assert mail(repo, smtp).returncode == 0
    return [(a, smtp.letters_to(a)[0]) for a in addresses]


def test_a_hard_bounce_stops_mail_to_the_address(service, smtp, repo, tmp_path):
    [(address, letter)] = sent_issue(service, smtp, repo, 1)
    result = subscriptions(repo, "bounces", "--mbox", str(write_mbox(tmp_path / "box", [
        dsn(address, "failed", "5.1.1", letter)])))
    assert result.returncode == 0, result.stderr
    assert service.status(address) == "bounced"
    assert "r***@example.org: hard (5.1.1): active → bounced" in result.stdout
    assert address not in result.stdout + result.stderr


def test_soft_bounces_of_one_issue_count_once_and_delays_not_at_all(service, smtp, repo, tmp_path):
    [(address, letter)] = sent_issue(service, smtp, repo, 1)
    box = write_mbox(tmp_path / "box", [dsn(address, "failed", "4.2.2", letter)] * 3
                     + [dsn(address, "delayed", "4.4.1", letter)])
    assert subscriptions(repo, "bounces", "--mbox", str(box)).returncode == 0
    assert service.status(address) == "active"


def test_soft_bounces_of_issues_in_a_row_suspend_the_address(service, smtp, repo, tmp_path):
    [(address, letter)] = sent_issue(service, smtp, repo, 1)
    letters = []
    for number in (1, 2, 3):
        copy = email.message_from_bytes(letter.as_bytes(), policy=email.policy.default)
        copy.replace_header("Message-ID", f"<bulletin-{number}.abc.def@e-gorod.ru>")
        letters.append(dsn(address, "failed", "4.2.2", copy))
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for index, raw in enumerate(letters):
        (maildir / "new" / f"{index}.bounce").write_bytes(raw)
    result = subscriptions(repo, "bounces", "--maildir", str(maildir))
    assert result.returncode == 0, result.stderr
    assert service.status(address) == "bounced", result.stdout


def test_a_complaint_with_the_address_redacted_is_found_by_its_link(service, smtp, repo, tmp_path):
    (first, _), (second, letter) = sent_issue(service, smtp, repo, 2)
    box = write_mbox(tmp_path / "box", [arf(letter), b"From: friend@example.org\nSubject: Re: hello\n\nThanks!\n"])
    result = subscriptions(repo, "bounces", "--mbox", str(box))
    assert result.returncode == 0, result.stderr
    assert service.status(second) == "complained" and service.status(first) == "active"
    assert "2 messages read, 1 bounce or complaint reports" in result.stderr


# --- signing -------------------------------------------------------------------------------------------

def test_letters_carry_a_dkim_signature_over_the_unsubscribe_headers(repo, smtp, tmp_path):
    import dkim
    key_file = tmp_path / "dkim.pem"
    made = subprocess.run(["openssl", "genrsa", "-out", str(key_file), "2048"], capture_output=True)
    if made.returncode != 0:
        pytest.skip("openssl is needed to make a test key")
    public = subprocess.run(["openssl", "rsa", "-in", str(key_file), "-pubout", "-outform", "DER"],
                            capture_output=True, check=True).stdout
    set_mail(repo, port=smtp.port)
    set_subscriptions(repo, "http://127.0.0.1:9/", dkim_selector="mail2026")
    import_readers(repo, 1)
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "mail", "1",
                             "--smtp", f"127.0.0.1:{smtp.port}", "-q"], capture_output=True, text=True,
                            env=environment(EGOROD_DKIM_KEY=str(key_file)), timeout=120)
    assert result.returncode == 0, result.stderr
    [(_rcpt, raw)] = smtp.mailbox.messages
    import base64
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)
    signature = email.message_from_bytes(raw, policy=email.policy.default)["DKIM-Signature"]
    signed = re.search(r"h=([^;]+)", re.sub(r"\s+", "", str(signature))).group(1).lower().split(":")
    assert {"from", "list-unsubscribe", "list-unsubscribe-post"} <= set(signed)


# --- configuration -------------------------------------------------------------------------------------

def test_mail_without_a_list_says_where_to_get_one(repo):
    result = repo.run("mail", "1", "--dry-run")
    assert result.status == 2
    assert "subscriptions.url is not set in site.yaml; give a list with --recipients FILE" in result.output


def test_the_service_does_not_start_without_its_secret(repo):
    set_subscriptions(repo, "https://e-gorod.ru/")
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "subscriptions",
                             "serve", "--port", "0"], capture_output=True, text=True, timeout=60,
                            env={**environment(), "EGOROD_SUBSCRIPTIONS_SECRET": "short"})
    assert result.returncode == 2
    assert "EGOROD_SUBSCRIPTIONS_SECRET must hold the signing secret" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_service_logs_no_personal_data(service, smtp):
    subscribed(service, smtp, "private.person@example.org")
    service.subscribe("not an address")
    log = service.output()
    assert "private.person" not in log and "/subscribe/confirm/" not in log and "127.0.0.1:" not in log.split("\n", 1)[-1]


def test_the_service_pages_have_no_script_or_inline_style_under_a_strict_policy(service):
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        conn.request("GET", "/subscribe")
        response = conn.getresponse()
        page = response.read().decode("utf-8")
        policy = response.getheader("Content-Security-Policy")
    finally:
        conn.close()
    assert "default-src 'none'" in policy and "script-src" not in policy
    # a JSON-LD block is data, never run: the policy needs no script-src for it
    runnable = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page, flags=re.S)
    assert "<script" not in runnable and " style=" not in page and "<style" not in page
    assert 'name="website"' in page and 'action="http://127.0.0.1:' in page
