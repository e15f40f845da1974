"""Two figures of the subscription service, measured with real local servers.

    .venv/bin/python bench/subscriptions.py [--requests 2000] [--clients 8] [--subscribers 10000]

1. Subscribe: `build.py subscriptions serve` (uvicorn, one process) on a free local port,
   ``--requests`` POSTs of the form with distinct addresses from ``--clients`` threads, each
   with a kept-alive connection. Every request goes the whole way: form parsing, the store
   (a pending row), and its confirmation letter handed to a local SMTP server (aiosmtpd) after
   the answer. Prints requests per second and the latency quantiles.
2. Mailing: ``--subscribers`` active addresses imported into the store, then `build.py mail 238`
   to a local SMTP server with no rate limit: the wall time of the whole command, from reading
   the list to the last journal line.

The client, the service and the SMTP server share the machine's cores: the figures are for
all three together. The sample site (its site.yaml, templates, static files and content) is
copied into a temporary folder; nothing of the repository is changed.
"""
from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from aiosmtpd.controller import Controller

PROJECT = Path(__file__).resolve().parent.parent
ISSUE = "238"           # a published issue of the sample content
SECRET = "bench-secret-of-the-subscription-links-0123456789"


class Counting:
    """An SMTP server that keeps nothing: counts the letters it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += len(envelope.rcpt_tos)
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_site(root: Path, service_port: int, smtp_port: int) -> None:
    for name in ("templates", "static", "content"):
        shutil.copytree(PROJECT / name, root / name)
    os.symlink(PROJECT / "fonts", root / "fonts")
    text = (PROJECT / "site.yaml").read_text(encoding="utf-8")
    text = text.replace("host: smtp.e-gorod.ru", "host: 127.0.0.1").replace("port: 587", f"port: {smtp_port}")
    text = text.replace("tls: starttls", "tls: none").replace("user: bulletin@e-gorod.ru", 'user: ""')
    text += f"\nsubscriptions:\n  url: http://127.0.0.1:{service_port}/\n  client_limit: 1000000\n"
    (root / "site.yaml").write_text(text, encoding="utf-8")


def environment() -> dict[str, str]:
    return {**os.environ, "EGOROD_LANG": "en", "EGOROD_SUBSCRIPTIONS_SECRET": SECRET}


def build_py(root: Path, *args: str) -> list[str]:
    return [sys.executable, str(PROJECT / "build.py"), "--root", str(root), *args]


def subscribe_load(root: Path, port: int, requests: int, clients: int, smtp: Counting) -> None:
    service = subprocess.Popen(build_py(root, "subscriptions", "serve", "--port", str(port)),
                               stderr=subprocess.PIPE, text=True, env=environment())
    assert service.stderr is not None
    line = service.stderr.readline()
    assert "listens on" in line, line
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index in range(first, requests, clients):
            body = urlencode({"email": f"reader{index}@example.org", "name": "Читатель", "form": "footer",
                              "website": ""}).encode()
            started = time.perf_counter()
            conn.request("POST", "/subscribe", body, {"Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(worker, range(clients)))
        wall = time.perf_counter() - started
        deadline = time.monotonic() + 60
        while smtp.count < requests and time.monotonic() < deadline:
            time.sleep(0.05)
        letters_done = time.perf_counter() - started
    finally:
        service.terminate()
        service.wait(timeout=30)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"subscribe: {requests} requests from {clients} clients in {wall:.2f} s = "
          f"{requests / wall:.0f} requests/s; statuses {statuses}; latency p50 {quantiles[49] * 1000:.1f} ms, "
          f"p99 {quantiles[98] * 1000:.1f} ms; {smtp.count} confirmation letters accepted by SMTP "
          f"within {letters_done:.2f} s")


def mailing(root: Path, subscribers: int, smtp: Counting) -> None:
    csv = root / "bench-list.csv"
    csv.write_text("email,name\n" + "".join(f"member{i}@example.org,Подписчик {i}\n" for i in range(subscribers)),
                   encoding="utf-8")
    subprocess.run(build_py(root, "subscriptions", "import", str(csv), "--source", "bench"), check=True,
                   env=environment(), capture_output=True)
    csv.unlink()
    before = smtp.count
    started = time.perf_counter()
    result = subprocess.run(build_py(root, "mail", ISSUE, "--rate", "1000000", "-q"), env=environment(),
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    sent = smtp.count - before
    print(f"mailing: bulletin {ISSUE} to {subscribers} subscribers from the store in {wall:.1f} s "
          f"({sent / wall:.0f} letters/s, {sent} accepted); {result.stderr.strip().splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    smtp = Counting()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="egorod-bench-subs-") as folder:
            root = Path(folder)
            port = free_port()
            make_site(root, port, controller.port)
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
            subscribe_load(root, port, args.requests, args.clients, smtp)
            if args.subscribers:
                mailing(root, args.subscribers, smtp)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
