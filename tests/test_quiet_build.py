"""A quiet build: the system packages WeasyPrint needs are installed everywhere the
workflow installs them, and what WeasyPrint says reaches the editor as path:line lines."""
from __future__ import annotations

import logging
import re

import pytest
import yaml
from conftest import PROJECT

from egorod import pdf

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


def _workflow_packages() -> set[str]:
    workflow = yaml.safe_load((PROJECT / ".github/workflows/site.yml").read_text(encoding="utf-8"))
    runs = " ".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    return {word for line in re.findall(r"apt-get install ([^\n]*)", runs) for word in line.split()
            if not word.startswith("-")}


def test_make_and_ci_install_every_library_the_workflow_installs():
    packages = _workflow_packages()
    assert "libharfbuzz-subset0" in packages
    make_deps = (PROJECT / "Makefile").read_text(encoding="utf-8").split("system-deps:", 1)[1]
    ci = (PROJECT / ".ci/run").read_text(encoding="utf-8")
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for package in packages:
        assert package in make_deps, package
        assert package in ci, package
        assert package in readme, package
    # .ci/run finds the libraries the way it finds Pango: by their shared object
    assert 'ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so"' in ci


def test_weasyprint_notes_about_the_machine_are_dropped_the_others_kept():
    collect = pdf._Collect()

    def record(message: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("weasyprint", logging.WARNING, __file__, 1, message, args, None)
    collect.emit(record('Using fontTools instead of HarfBuzz-Subset for font "%s". This will ...', "PT Sans"))
    collect.emit(record("Failed to load image at %r", "file:///plan.png"))
    assert collect.messages == ["Failed to load image at 'file:///plan.png'"]
