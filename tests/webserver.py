"""A real nginx for the tests, run with the configuration shipped in deploy/nginx/.

Only what belongs to one server is written here (into tmp: port, the site's folder, pid, logs
and temporary folders, the subscription service's address); every rule of the site comes from
the shipped files, included as they are. Runs without root; as root, the workers stay root so
that they can read the test's private tmp folder.
"""
from __future__ import annotations

import getpass
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from conftest import PROJECT, free_port

SHIPPED = PROJECT / "deploy" / "nginx"



def nginx_paths() -> tuple[str, Path, Path]:
    """The nginx binary, its configuration folder (mime.types) and its modules folder."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if binary is None:
        pytest.skip("web-server tests need nginx (Debian package nginx; .ci/run and make test install it)")
    described = subprocess.run([binary, "-V"], capture_output=True, text=True).stderr
    conf = re.search(r"--conf-path=(\S+)", described)
    modules = re.search(r"--modules-path=(\S+)", described)
    return (binary, Path(conf.group(1)).parent if conf else Path("/etc/nginx"),
            Path(modules.group(1)) if modules else Path("/usr/lib/nginx/modules"))


def brotli_module() -> Path | None:
    module = nginx_paths()[2] / "ngx_http_brotli_static_module.so"
    return module if module.is_file() else None


@dataclass
class Nginx:
    port: int
    folder: Path      # its configuration, pid and logs

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None
                ) -> tuple[int, bytes, http.client.HTTPMessage]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), response.headers
        finally:
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def write_config(folder: Path, site: Path, port: int, upstream_port: int) -> Path:
    _, conf_dir, _ = nginx_paths()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e-gorod").symlink_to(SHIPPED / "e-gorod", target_is_directory=True)
    brotli = brotli_module()
    temp = {name: folder / f"temp-{name}" for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    lines = [
        f"load_module {brotli};" if brotli else "",
        f"user {getpass.getuser()};" if os.getuid() == 0 else "",
        f"pid {folder / 'nginx.pid'};",
        f"error_log {folder / 'error.log'} warn;",
        "worker_processes 1;",
        "events { worker_connections 64; }",
        "http {",
        f"    include {conf_dir / 'mime.types'};",
        "    default_type application/octet-stream;",
        f"    access_log {folder / 'access.log'};",
        f"    client_body_temp_path {temp['body']};",
        f"    proxy_temp_path {temp['proxy']};",
        f"    fastcgi_temp_path {temp['fastcgi']};",
        f"    uwsgi_temp_path {temp['uwsgi']};",
        f"    scgi_temp_path {temp['scgi']};",
        "    include e-gorod/http.conf;",
        f"    upstream egorod_subscriptions {{ server 127.0.0.1:{upstream_port}; }}",
        "    server {",
        f"        listen 127.0.0.1:{port};",
        f"        root {site};",
        "        include e-gorod/site.conf;",
        "        include e-gorod/brotli.conf;" if brotli else "",
        f"        include {site}/.server/nginx-redirects*.conf;",
        "    }",
        "}",
    ]
    config = folder / "nginx.conf"
    config.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
    return config


@contextmanager
def running_nginx(folder: Path, site: Path, upstream_port: int = 9) -> Iterator[Nginx]:
    """nginx serving ``site`` on a free local port until the block ends."""
    binary = nginx_paths()[0]
    port = free_port()
    config = write_config(folder, site, port, upstream_port)
    tested = subprocess.run([binary, "-p", str(folder), "-c", str(config), "-t"], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    process = subprocess.Popen([binary, "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield Nginx(port, folder)
    finally:
        process.send_signal(signal.SIGQUIT)      # graceful stop of the master and its worker
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
