"""`modalgen doctor`: every check, each problem with its fix, exit 0 only when all is well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modalgen.render import render
from modalgen.spec import parse_spec


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
