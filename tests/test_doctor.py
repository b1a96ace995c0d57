"""`modalgen doctor`: every check, each problem with its fix, exit 0 only when all is well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render


def doctor(tmp_path: Path, *args: str, env: dict | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    base["MODAL_CONFIG_PATH"] = str(tmp_path / "absent.toml")
    result = subprocess.run(
        [sys.executable, "-m", "modalgen", "doctor", *args],
        cwd=cwd or tmp_path,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def checks(result) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_no_token_fails_with_the_fix(tmp_path):
    result = doctor(tmp_path)
    assert result.returncode == 1
    assert "FAIL  token" in result.stdout and "modal token set" in result.stdout
    assert "ok    python" in result.stdout and "ok    uv" in result.stdout and "info  modal" in result.stdout


def test_all_well_exits_0(tmp_path):
    result = doctor(tmp_path, "--json", env={"MODAL_TOKEN_ID": "ak-1", "MODAL_TOKEN_SECRET": "as-1"})
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] is True and checks(result)["token"]["detail"].endswith("environment")


@pytest.mark.parametrize(
    ("config", "profile", "ok", "active"),
    [
        ('[default]\ntoken_id = "ak"\ntoken_secret = "as"\n', None, True, "default"),
        ('[default]\n[work]\nactive = true\ntoken_id = "ak"\ntoken_secret = "as"\n', None, True, "work"),
        ('[default]\ntoken_id = "ak"\ntoken_secret = "as"\n[other]\n', "other", False, "other"),
        ('[default]\ntoken_id = "ak"\n', None, False, "default"),
    ],
)
def test_profiles_of_the_config_file(tmp_path, config, profile, ok, active):
    path = tmp_path / "modal.toml"
    path.write_text(config)
    env = {"MODAL_CONFIG_PATH": str(path), "MODAL_ENVIRONMENT": "staging"}
    if profile:
        env["MODAL_PROFILE"] = profile
    result = doctor(tmp_path, "--json", env=env)
    found = checks(result)
    assert found["token"]["ok"] is ok
    assert (
        f"profile {active}" in found["profile"]["detail"]
        and "environment staging" in found["profile"]["detail"]
    )


def test_malformed_config_is_reported_with_its_path(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[default\ntoken_id = \n")
    result = doctor(tmp_path, env={"MODAL_CONFIG_PATH": str(path)})
    assert result.returncode == 1
    assert f"FAIL  modal config  {path}: cannot be read" in result.stdout


def test_inside_a_project(tmp_path):
    project = render(parse_spec({"name": "doc"}), tmp_path / "doc")
    token = {"MODAL_TOKEN_ID": "ak-1", "MODAL_TOKEN_SECRET": "as-1"}
    found = checks(doctor(tmp_path, "--json", env=token, cwd=project))
    assert found["answers"]["ok"] is True
    assert found["modal"]["ok"] is False and found["modal"]["fix"] == "make install"
    (project / ".modalgen-answers.yml").write_text("- not answers\n")
    found = checks(doctor(tmp_path, "--json", "--project", str(project), env=token))
    assert found["answers"]["ok"] is False


def test_modal_pin_matches_the_installed_minor(tmp_path):
    project = render(parse_spec({"name": "pinned"}), tmp_path / "pinned")
    site = project / ".venv/lib/python3.11/site-packages"
    (site / "modal-1.6.4.dist-info").mkdir(parents=True)
    found = checks(doctor(tmp_path, "--json", cwd=project))
    assert found["modal"]["ok"] is True
    (site / "modal-1.6.4.dist-info").rename(site / "modal-1.5.0.dist-info")
    found = checks(doctor(tmp_path, "--json", cwd=project))
    assert found["modal"]["ok"] is False and "1.5.0" in found["modal"]["detail"]


def test_the_verdict_does_not_depend_on_how_modalgen_was_installed(tmp_path):
    """uv tool, pipx or `uv run` from a checkout: modal is checked in the project, not beside modalgen.

    The same modalgen code runs from an environment without modal (like `uv tool install modalgen`)
    and from this one (which has modal): the reports are the same, outside a project and inside one.
    """
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    own_site = next(Path(p) for p in sys.path if p.endswith("site-packages") and (Path(p) / "click").is_dir())
    pure = tmp_path / "pure-site"  # modalgen's own dependencies, without modal
    pure.mkdir()
    for name in ("click", "yaml", "packaging", "croniter", "dateutil", "six.py", "tzdata"):
        source = own_site / name
        if source.exists():
            (pure / name).symlink_to(source)
    repo = Path(__file__).resolve().parent.parent
    project = render(parse_spec({"name": "verdict"}), tmp_path / "verdict")
    for where in (tmp_path, project):
        results = []
        for python, path in ((sys.executable, None), (str(bare / "bin/python"), f"{repo}{os.pathsep}{pure}")):
            env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
            env["MODAL_CONFIG_PATH"] = str(tmp_path / "absent.toml")
            env.pop("PYTHONPATH", None)
            if path:
                env["PYTHONPATH"] = path
            probe = subprocess.run([python, "-c", "import modal"], env=env, capture_output=True)
            assert (probe.returncode == 0) is (path is None)  # one side has modal, the other has not
            result = subprocess.run([python, "-m", "modalgen", "doctor", "--json"], cwd=where, env=env,
                                    capture_output=True, text=True, timeout=60)  # fmt: skip
            report = json.loads(result.stdout)
            results.append(
                [(c["name"], c["ok"]) for c in report["checks"] if c["name"] not in ("python", "uv")]
            )
        assert results[0] == results[1], (where, results)


@pytest.mark.parametrize("where", ["doc", "doc/tests", "doc/doc"])
def test_the_project_is_found_from_any_folder_inside_it(tmp_path, where):
    """`doctor` walks up to the folder holding .modalgen-answers.yml, and its fix runs from here."""
    project = render(parse_spec({"name": "doc"}), tmp_path / "doc")
    here = tmp_path / where
    found = checks(doctor(tmp_path, "--json", cwd=here))
    assert (
        found["answers"]["ok"] is True
        and str(project / ".modalgen-answers.yml") in found["answers"]["detail"]
    )
    fix = found["modal"]["fix"]
    assert found["modal"]["ok"] is False and fix.startswith("make ") and fix.endswith(" install")
    dry = subprocess.run([*fix.split()[:-1], "-n", "install"], cwd=here, capture_output=True, text=True)
    assert dry.returncode == 0 and "uv sync" in dry.stdout, dry.stderr  # the target exists, from here
    inside_other = checks(doctor(tmp_path, "--json", "--project", str(project / "tests")))
    assert inside_other["answers"]["ok"] is True


def _modal_commands(fix: str) -> list[list[str]]:
    """Each `modal` command line a fix names: `uvx modal token set --token-id <ID> ...` -> its words."""
    import re

    found = re.findall(r"(?:uvx |uv run )?modal ([a-z]+(?: [a-z]+)?)((?: --[a-z-]+(?: <[A-Z]+>)?)*)", fix)
    return [[*sub.split(), *(w for w in flags.split() if w.startswith("--"))] for sub, flags in found]


def test_every_fix_outside_a_project_works_as_written(tmp_path):
    """Outside a project, each fix is a command that exists, with options that exist: `uv run modal`
    finds no modal there, so the token fixes run modal with uvx; a broken config is moved aside."""
    import shutil

    broken = tmp_path / "broken.toml"
    broken.write_text("[default\n")
    result = doctor(tmp_path, "--json", env={"MODAL_CONFIG_PATH": str(broken)})
    fixes = [c["fix"] for c in json.loads(result.stdout)["checks"] if c["fix"]]
    assert len(fixes) == 2 and all("uv run modal" not in fix for fix in fixes), fixes
    commands = [command for fix in fixes for command in _modal_commands(fix)]
    assert ["token", "set", "--token-id", "--token-secret"] in commands and ["token", "new"] in commands
    for command in commands:  # the modal CLI this project's tests install: each command, each option
        words = [w for w in command if not w.startswith("--")]
        shown = subprocess.run(
            [sys.executable, "-m", "modal", *words, "--help"], capture_output=True, text=True
        )
        assert shown.returncode == 0, (command, shown.stderr)
        assert all(option in shown.stdout for option in command if option.startswith("--")), command
    assert all(fix.startswith(("uvx modal ", "mv ")) for fix in fixes) and shutil.which("uvx")
    moved = next(fix for fix in fixes if fix.startswith("mv "))
    assert moved.startswith(f"mv {broken} {broken}.bak, then uvx modal token set")
