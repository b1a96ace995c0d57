"""`--environments dev,prod`: every Make target that talks to Modal acts on ENV (the first by
default) and says so first; `make deploy ENV=prod` takes only a clean tree whose commit passed
`make smoke`; the real modal CLI names that environment to Modal; CI deploys the last environment
on a tag or by hand, after the smoke tests of that very commit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from modalgen.answers.spec import parse_spec
from modalgen.plan.make import MODAL_TARGETS
from modalgen.render.template import render

ANSWERS = {"environments": ["dev", "prod"], "workload": ["web", "spawn", "train"], "gpu": ["L4"],
           "secret": ["openai"]}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return render(parse_spec({"name": "envs", **ANSWERS}), tmp_path_factory.mktemp("envs") / "envs")


def make(project: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "MODAL_ENVIRONMENT"}}
    if path:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    return subprocess.run(["make", *args], cwd=project, env=env, capture_output=True, text=True)


def targets_of(project: Path) -> list[str]:
    return [
        line.split(":")[0] for line in (project / "Makefile").read_text().splitlines() if ":  ## " in line
    ]


def test_each_target_that_talks_to_modal_acts_on_env_and_says_so(project):
    talking = [t for t in targets_of(project) if t in MODAL_TARGETS or t in {"submit", "fetch", "train",
               "metrics", "checkpoints", "upload-data"}]  # fmt: skip
    assert {"deploy", "smoke", "run", "logs", "train", "submit"} <= set(talking)
    for target in talking:
        for env, args in (("dev", []), ("prod", ["ENV=prod"])):
            dry = make(project, "-n", target, *args, "ID=fc-1", "FILE=x.jsonl", "URL=https://x.modal.run")
            assert dry.returncode == 0, (target, dry.stderr)
            assert dry.stdout.splitlines()[0] == f'echo "Modal environment: {env}"', (target, dry.stdout)
            modal_cli = [line for line in dry.stdout.splitlines() if "uv run modal " in line]
            assert all(f"--env {env}" in line for line in modal_cli), (target, modal_cli)
    for quiet in ("test", "lint", "install"):
        assert "Modal environment" not in make(project, "-n", quiet).stdout


def test_an_environment_the_project_does_not_have_is_refused_naming_them(project):
    result = make(project, "-n", "deploy", "ENV=staging")
    assert result.returncode == 2 and "ENV=staging is not one of: dev prod" in result.stderr


def test_an_env_variable_of_the_shell_does_not_pick_the_environment(project):
    env = {**os.environ, "ENV": "/home/me/.shrc"}  # sh's ENV: only `make ENV=...` picks one
    dry = subprocess.run(["make", "-n", "deploy"], cwd=project, env=env, capture_output=True, text=True)
    assert dry.returncode == 0 and "--env dev" in dry.stdout, dry.stderr


@pytest.fixture
def repo(tmp_path) -> Path:
    """A committed project, and a `uv` that passes whatever it is asked (the smoke tests, here)."""
    root = render(parse_spec({"name": "guarded", **ANSWERS}), tmp_path / "guarded")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "first"], cwd=root, check=True)
    (tmp_path / "bin").mkdir()
    uv = tmp_path / "bin/uv"
    uv.write_text('#!/bin/sh\necho "uv $*"\n')
    uv.chmod(0o755)
    (root / ".venv").mkdir()
    return root


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()


def test_deploying_the_last_environment_takes_only_a_smoke_tested_commit(repo):
    fake_uv = str(repo.parent / "bin")
    untested = make(repo, "deploy", "ENV=prod", path=fake_uv)
    assert untested.returncode != 0 and "has not passed make smoke ENV=dev" in untested.stderr
    assert "uv run modal deploy" not in untested.stdout
    smoke = make(repo, "smoke", path=fake_uv)  # in dev, on a clean tree: the commit is recorded
    assert smoke.returncode == 0 and (repo / ".venv/modal-tested").read_text().strip() == head(repo)
    deployed = make(repo, "deploy", "ENV=prod", path=fake_uv)
    assert deployed.returncode == 0 and "uv run modal deploy --env prod" in deployed.stdout, deployed.stderr
    (repo / "guarded/core.py").write_text((repo / "guarded/core.py").read_text() + "\n# an edit\n")
    dirty = make(repo, "deploy", "ENV=prod", path=fake_uv)
    assert dirty.returncode != 0 and "commit first" in dirty.stderr
    assert make(repo, "deploy", path=fake_uv).returncode == 0  # dev takes work in progress


def test_smoke_records_only_a_clean_commit_in_an_earlier_environment(repo):
    fake_uv = str(repo.parent / "bin")
    make(repo, "smoke", "ENV=prod", path=fake_uv)
    assert not (repo / ".venv/modal-tested").exists()
    (repo / "notes.txt").write_text("work in progress\n")
    make(repo, "smoke", path=fake_uv)
    assert not (repo / ".venv/modal-tested").exists()


def test_the_real_modal_cli_names_the_environment_to_modal(control_plane, project):
    deployed = control_plane.make(project, "deploy")
    assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
    assert "Modal environment: dev" in deployed.stdout
    assert {r.environment_name for r in control_plane.calls("AppCreate")} == {"dev"}


def test_ci_deploys_the_last_environment_on_a_tag_or_by_hand_after_its_smoke_tests(project):
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    dispatch = workflow[True]["workflow_dispatch"]["inputs"]["deploy_prod"]
    assert dispatch["type"] == "boolean" and dispatch["default"] is False
    job = workflow["jobs"]["deploy-prod"]
    assert job["needs"] == "test" and "refs/tags/" in job["if"] and "inputs.deploy_prod" in job["if"]
    runs = [step.get("run") for step in job["steps"] if "run" in step]
    assert runs == ["uv sync --locked", "make smoke", "make deploy ENV=prod"]  # the same commit, tested
    for name in ("smoke", "freshness"):  # the Makefile picks the environment, not a variable of CI
        assert "MODAL_ENVIRONMENT" not in workflow["jobs"][name]["env"]
    assert "--env prod" in (project / "README.md").read_text()
    example = (project / ".env.example").read_text()
    assert all(
        f"modal secret create openai --from-dotenv .env.openai --env {e}" in example for e in ("dev", "prod")
    )


def test_doctor_online_names_the_secrets_each_environment_lacks(control_plane, project, capsys):
    """`modalgen doctor --online` asks Modal (SecretList, per environment) through the real client."""
    import json

    from modalgen.cli.main import main

    control_plane.world.secrets["dev"] = {"openai": ["OPENAI_API_KEY"]}
    with control_plane.connected():
        main(["doctor", "--online", "--json", "--project", str(project)])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["env dev"]["ok"] and "holds the Secrets: openai" in checks["env dev"]["detail"]
    assert not checks["env prod"]["ok"] and "lacks the Secrets openai" in checks["env prod"]["detail"]
    assert checks["env prod"]["fix"] == "uv run modal secret create openai OPENAI_API_KEY=... --env prod"
    asked = {r.environment_name for r in control_plane.calls("SecretList")}
    assert asked == {"dev", "prod"}


def test_doctor_without_online_asks_modal_nothing(control_plane, project, capsys):
    from modalgen.cli.main import main

    with control_plane.connected():
        main(["doctor", "--project", str(project)])
    assert control_plane.calls("SecretList") == []
