"""The editors' CI on GitHub and the commit hook: files that do not run here, read as data."""
from __future__ import annotations

import re

import yaml
from conftest import PROJECT


def load(relative: str) -> dict:
    return yaml.safe_load((PROJECT / relative).read_text(encoding="utf-8"))


def test_site_workflow_checks_builds_uploads_and_publishes_main():
    workflow = load(".github/workflows/site.yml")
    triggers = workflow.get("on", workflow.get(True))      # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    build = workflow["jobs"]["build"]
    steps = build["steps"]
    uses = [step.get("uses", "") for step in steps]
    runs = [step.get("run", "") for step in steps]
    checkout = steps[uses.index(next(u for u in uses if u.startswith("actions/checkout@")))]
    assert checkout["with"]["fetch-depth"] == 0            # dates come from the whole history
    assert any(u.startswith("actions/setup-python@") for u in uses)
    order = [i for i, run in enumerate(runs) if re.search(r"pip install -r requirements\.txt", run)]
    check = [i for i, run in enumerate(runs) if run.strip() == "python build.py check"]
    build_step = [i for i, run in enumerate(runs) if run.strip() == "python build.py build"]
    assert order and check and build_step and order[0] < check[0] < build_step[0]
    artifact = steps[next(i for i, u in enumerate(uses) if u.startswith("actions/upload-artifact@"))]
    assert artifact["with"]["path"].rstrip("/") == "output"
    pages = steps[next(i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact@"))]
    assert pages["with"]["path"].rstrip("/") == "output"
    assert "push" in pages["if"] and "refs/heads/main" in pages["if"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"]["pages"] == "write" and deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"]["name"] == "github-pages"
    assert any(step.get("uses", "").startswith("actions/deploy-pages@") for step in deploy["steps"])


def test_pre_commit_hook_runs_check_on_content_and_settings():
    config = load(".pre-commit-config.yaml")
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    hook = hooks["egorod-check"]
    assert hook["language"] == "system"
    assert hook["entry"] == ".venv/bin/python build.py check"
    assert hook["pass_filenames"] is True
    pattern = re.compile(hook["files"])
    for path in ("content/practices/x.md", "content/vestnik/75/_index.md", "site.yaml"):
        assert pattern.search(path), path
    for path in ("templates/base.html", "egorod/cli.py", "README.md", "tests/test_new.py"):
        assert not pattern.search(path), path


def test_pre_commit_hook_runs_the_code_checks_ci_runs():
    hooks = {hook["id"]: hook for hook in load(".pre-commit-config.yaml")["repos"][0]["hooks"]}
    assert hooks["ruff"]["entry"] == ".venv/bin/ruff check"
    assert hooks["mypy"]["entry"] == ".venv/bin/mypy"
    assert re.search(hooks["ruff"]["files"], "egorod/content/kinds.py")
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make lint" in ci
