"""The editors' CI on GitHub and the commit hook: files that do not run here, read as data."""
from __future__ import annotations

import re

import yaml
from conftest import PROJECT


def load(relative: str) -> dict:
    return yaml.safe_load((PROJECT / relative).read_text(encoding="utf-8"))


def _build_steps() -> tuple[list[dict], list[str], list[str]]:
    steps = load(".github/workflows/site.yml")["jobs"]["build"]["steps"]
    return steps, [step.get("uses", "") for step in steps], [step.get("run", "") for step in steps]


def test_site_workflow_checks_builds_and_uploads_every_pull_request():
    workflow = load(".github/workflows/site.yml")
    triggers = workflow.get("on", workflow.get(True))      # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    steps, uses, runs = _build_steps()
    checkout = steps[uses.index(next(u for u in uses if u.startswith("actions/checkout@")))]
    assert checkout["with"]["fetch-depth"] == 0            # dates come from the whole history
    assert any(u.startswith("actions/setup-python@") for u in uses)
    order = [i for i, run in enumerate(runs) if re.search(r"pip install -r requirements\.txt", run)]
    check = [i for i, run in enumerate(runs) if run.strip() == "python build.py check"]
    build_step = [i for i, run in enumerate(runs) if run.strip() == "python build.py build"]
    assert order and check and build_step and order[0] < check[0] < build_step[0]
    artifact = steps[next(i for i, u in enumerate(uses) if u.startswith("actions/upload-artifact@"))]
    assert artifact["with"]["path"].rstrip("/") == "output"


def test_site_workflow_restores_and_saves_the_build_cache_before_building():
    steps, uses, runs = _build_steps()
    cache = next(i for i, u in enumerate(uses) if u.startswith("actions/cache@"))
    build_step = next(i for i, run in enumerate(runs) if run.strip() == "python build.py build")
    assert cache < build_step
    paths = steps[cache]["with"]["path"].split()
    assert ".cache" in paths and "output" in paths        # the page keys and the pages they describe
    # Caches are immutable: a key of its own per run saves a new one; restore-keys find the last.
    assert "github.run_id" in steps[cache]["with"]["key"] and steps[cache]["with"]["restore-keys"]


def test_site_workflow_deploys_main_to_the_server_with_the_deploy_command():
    steps, uses, runs = _build_steps()
    deploy = next(i for i, run in enumerate(runs) if "python build.py deploy" in run)
    build_step = next(i for i, run in enumerate(runs) if run.strip() == "python build.py build")
    assert build_step < deploy
    step = steps[deploy]
    assert "github.event_name == 'push'" in step["if"] and "refs/heads/main" in step["if"]
    assert step["env"]["DEPLOY_SSH_KEY"] == "${{ secrets.DEPLOY_SSH_KEY }}"
    assert "known_hosts" in step["run"]
    workflow = load(".github/workflows/site.yml")
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_site_workflow_keeps_github_pages_as_an_option():
    steps, uses, _ = _build_steps()
    package = steps[next(i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact@"))]
    assert package["with"]["path"].rstrip("/") == "output" and "vars.PUBLISH_TO == 'pages'" in package["if"]
    pages = load(".github/workflows/site.yml")["jobs"]["pages"]
    assert pages["needs"] == "build" and "vars.PUBLISH_TO == 'pages'" in pages["if"]
    assert pages["permissions"]["pages"] == "write" and pages["permissions"]["id-token"] == "write"
    assert pages["environment"]["name"] == "github-pages"
    assert any(step.get("uses", "").startswith("actions/deploy-pages@") for step in pages["steps"])


def test_pre_commit_hook_runs_check_on_content_and_settings():
    config = load(".pre-commit-config.yaml")
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hook = next(hook for hook in repo["hooks"] if hook["id"] == "egorod-check")   # beside ruff and mypy
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
