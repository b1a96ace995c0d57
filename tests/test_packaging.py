"""The built wheel, installed into a fresh environment, carries the template and renders with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the wheel (.ci/run installs it)"
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(ROOT)], check=True, capture_output=True
    )
    (built,) = out.glob("modalgen-*.whl")
    return built


def test_wheel_ships_the_template_with_its_dotfiles(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    base = "modalgen/templates/project/"
    for rel in ("copier.yml", "template/.gitignore", "template/{{ _copier_conf.answers_file }}.jinja",
                "template/{{ plan.package }}/common.py.jinja", "template/tests/test_core.py.jinja",
                "template/.github/workflows/ci.yml.jinja"):  # fmt: skip
        assert base + rel in names, rel
    assert "modalgen/templates/releases/0.1.0/project/copier.yml" in names  # every release ships
    assert "modalgen/tools/serve_local.py" in names  # `modalgen bench` runs it in a project's environment
    template_files = {
        p.relative_to(ROOT / "templates") for p in (ROOT / "templates").rglob("*") if p.is_file()
    }
    assert {f"modalgen/templates/{p}" for p in template_files} <= names


def test_installed_wheel_runs_modalgen_new(wheel, tmp_path):
    uv = shutil.which("uv")
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin/python"), str(wheel)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [str(venv / "bin/modalgen"), "new", "from-wheel", "--workload", "batch,web", "--no-git"],
        cwd=work, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    project = work / "from-wheel"
    assert (project / ".gitignore").is_file()
    answers_text = (project / ".modalgen-answers.yml").read_text()
    assert "site-packages" not in answers_text and str(tmp_path) not in answers_text
    assert yaml.safe_load(answers_text)["workload"] == ["batch", "web"]
    assert (project / "from_wheel/web.py").is_file()
    # `modalgen check` from the wheel: the CHANGELOG travels inside the package.
    checked = subprocess.run(
        [str(venv / "bin/modalgen"), "check"], cwd=project, capture_output=True, text=True
    )
    assert checked.returncode == 0 and "the project is current" in checked.stdout, checked.stderr
    assert "modalgen/CHANGELOG.md" in zipfile.ZipFile(wheel).namelist()
    module = subprocess.run(
        [str(venv / "bin/python"), "-m", "modalgen", "--version"], capture_output=True, text=True
    )
    assert module.returncode == 0 and "modalgen" in module.stdout
    # `make bench` in the new project: the installed modalgen measures it (here: a refused port).
    bench = subprocess.run(
        [str(venv / "bin/modalgen"), "bench", "--url", "http://127.0.0.1:9", "--ready-timeout", "0"],
        cwd=project, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert bench.returncode == 1 and "gave up" in bench.stderr, bench.stderr


def test_modalgen_itself_passes_ruff():
    """The repo holds itself to the standard it sets for generated projects."""
    root = Path(__file__).resolve().parent.parent
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run([sys.executable, "-m", "ruff", *args, "."], cwd=root, capture_output=True,
                                text=True)  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
