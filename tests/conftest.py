"""Shared fixtures: a small but complete repository built in tmp_path.

Tests write content into ``repo`` with ``repo.write(path, text)`` and run the real
command line with ``repo.run("build", ...)``: no mocks between the editor's files and
the output a reader gets.
"""
from __future__ import annotations

import io
import os
import shutil
import socket
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from egorod import cli

PROJECT = Path(__file__).resolve().parent.parent

# The tests read the tool's messages in English, the text of the code; the Russian catalog
# (the editors' default) has tests of its own (test_i18n.py), which set the language they need.
os.environ["EGOROD_LANG"] = "en"


@dataclass
class Result:
    status: int
    output: str     # stdout and stderr together, as an editor sees them

    @property
    def lines(self) -> list[str]:
        return self.output.splitlines()


@dataclass
class Repo:
    root: Path

    @property
    def out(self) -> Path:
        return self.root / "output"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def read(self, relative: str) -> str:
        return (self.out / relative).read_text(encoding="utf-8")

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()

    def run(self, *args: str) -> Result:
        buffer = io.StringIO()
        with redirect_stdout(buffer), redirect_stderr(buffer):
            status = cli.main(["--root", str(self.root), *args])
        return Result(status, buffer.getvalue())

    def build(self, *args: str) -> Result:
        """A quick build (no PDFs, no search index) that must succeed."""
        result = self.run("build", "--no-pdf", "--no-search", "--quiet", *args)
        assert result.status == 0, result.output
        return result


CITY = """
---
title: {title}
country: {country}
coordinates: [{lat}, {lon}]
summary: Город {title}.
---
Описание города {title}.
"""

PRACTICE = """
---
title: {title}
city: {city}
year: {year}
rubrics: [{rubrics}]
summary: Кратко о практике {title}.
---
## Проблема

Текст практики {title}.
"""


def make_repo(root: Path) -> Repo:
    """A minimal site: the project's settings, templates and static files, small content."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "site.yaml", root / "site.yaml")
    shutil.copytree(PROJECT / "templates", root / "templates")
    shutil.copytree(PROJECT / "static", root / "static")
    os.symlink(PROJECT / "fonts", root / "fonts")
    repo = Repo(root)
    repo.write("content/cities/moskva.md", CITY.format(title="Москва", country="Россия", lat=55.75, lon=37.62))
    repo.write("content/cities/kazan.md", CITY.format(title="Казань", country="Россия", lat=55.79, lon=49.11))
    repo.write("content/cities/minsk.md", CITY.format(title="Минск", country="Беларусь", lat=53.9, lon=27.56))
    repo.write("content/practices/razdelnyy-sbor.md", PRACTICE.format(
        title="Раздельный сбор отходов", city="kazan", year=2020, rubrics="razdelnyy-sbor-otkhodov"))
    repo.write("content/practices/novye-avtobusy.md", PRACTICE.format(
        title="Новые автобусы", city="minsk", year=2019, rubrics="obshchestvennyy-transport, razdelnyy-sbor-otkhodov"))
    repo.write("content/bulletins/1.md", """
        ---
        number: 1
        date: 2024-01-15
        title: Первый выпуск
        summary: Новости января.
        cities: [kazan]
        ---
        ## Сессия МАГ

        Прошла годовая сессия.

        ## Практики Казани

        Казань представила [практику](/practices/razdelnyy-sbor/).
        """)
    repo.write("content/vestnik/1/_index.md", """
        ---
        number: 1
        date: 2024-03-01
        title: Город для людей
        editorial_board: [Редакционный совет МАГ]
        print_run: 500
        print_order: "17"
        signed_for_print: 2024-02-26
        ---
        Слово редакции.
        """)
    repo.write("content/vestnik/1/01-vvedenie.md", """
        ---
        title: Введение
        authors: [Редакция]
        ---
        Текст введения[^1].

        [^1]: Сноска.
        """)
    repo.write("content/vestnik/1/02-opyt.md", """
        ---
        title: Опыт городов
        authors: [Экспертный совет МАГ]
        section: Опыт городов
        cities: [minsk]
        ---
        ## Минск

        Текст об опыте.
        """)
    for position, (slug, title) in enumerate([("about", "Об Ассамблее"), ("partners", "Партнёры"),
                                               ("contacts", "Контакты")], start=1):
        repo.write(f"content/pages/{slug}.md", f"---\ntitle: {title}\nmenu: {position}\n---\n{title}.\n")
    return repo


CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))


def headless_chromium(user_data_dir: Path, javascript: bool = True, performance_log: bool = False):
    """Debian's Chromium driven by Selenium, offline; skips the test when it is not installed.
    ``performance_log``: the DevTools events (every network request) in ``get_log("performance")``."""
    if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
        pytest.skip(f"browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium and "
                    "chromium-driver; .ci/run and make test install them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")   # Selenium Manager must not download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync", "--window-size=1280,1000",
                     f"--user-data-dir={user_data_dir}"):
        options.add_argument(argument)
    # console messages, for CSP tests
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if performance_log else {})})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


# Collects the Content-Security-Policy violations a page causes, from before its first script
# runs: ``driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ...})``.
CSP_LISTENER = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile);
});
"""


def csp_violations(driver) -> list[str]:
    """The page's violations: those its listener saw and those the console reported."""
    seen = driver.execute_script("return window.__violations || []")
    console = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
    return seen + console


def free_port() -> int:
    """A local port nobody listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "site")


def npm_package(name: str) -> Path:
    """A package of package.json in node_modules/, installed with `npm ci` (the versions of
    package-lock.json) when missing, as `make test` installs Chromium; skips without npm."""
    folder = PROJECT / "node_modules" / name
    if not folder.is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"the npm package {name} is needed and npm is not installed (Debian: npm)")
        import subprocess
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=PROJECT,
                       check=True, capture_output=True, timeout=300)
    return folder
