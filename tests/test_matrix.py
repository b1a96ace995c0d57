"""Every combination CI proves: see tests/combinations.py for how they are chosen.

Each project is checked for Jinja residue and files that parse, ruff-clean code, and, imported
with the real `modal` package, every function's settings against its plan. A project of every
structure that holds all kinds, every kind alone and every front beside every worker also runs
its own test suite (tests/test_matrix_suites.py, a file of its own so that the two xdist workers
make the two halves side by side).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.render.template import answers_for, render
from tests.combinations import STRUCTURES, build, pairs_missing, required_pairs
from tests.generated import check_settings, check_text, read_answers, read_plan

PROJECTS, ROWS = build()


def _render(job: tuple[dict, Path]) -> None:
    raw, destination = job
    render(parse_spec(raw), destination)


def render_all(projects: list[dict], root: Path) -> Path:
    """Render the projects into root, on every core (rendering is CPU-bound Python)."""
    jobs = [(raw, root / raw["name"]) for raw in projects]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_render, jobs, chunksize=8))
    return root


@pytest.fixture(scope="session")
def matrix_root(tmp_path_factory) -> Path:
    """Every combination, rendered once."""
    return render_all(PROJECTS, tmp_path_factory.mktemp("matrix"))


def test_structures_cover_every_kind_and_shape_and_every_pair():
    kinds_seen = {k for p in PROJECTS for k in p["workload"]}
    assert kinds_seen == set(catalog.KIND_NAMES)
    assert {tuple(p["workload"]) for p in PROJECTS} >= {s[0] for s in STRUCTURES}
    gpu_types = {g.split(":")[0] for p in PROJECTS for g in p["gpu"]}
    assert gpu_types == {g.name for g in catalog.GPUS}
    assert len(required_pairs()) > 3000
    assert pairs_missing(ROWS) == set()


def test_every_project_passes_ruff(matrix_root):
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "."], cwd=matrix_root, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("raw", PROJECTS, ids=[p["name"] for p in PROJECTS])
def test_combination(matrix_root, raw):
    project = matrix_root / raw["name"]
    recorded = read_answers(project)
    assert recorded == {**answers_for(parse_spec(raw)), "_src_path": "modalgen:project"}
    check_text(project)
    assert check_settings(project) == len(read_plan(project)["functions"])


def test_no_project_uses_a_modal_api_the_client_has_changed(matrix_root):
    """The deprecations and removals `modalgen check` looks for (modalgen/catalog/modal_changes.py):
    none in any combination's code, its tests included, but the one its answers chose: a container
    Python of 3.10, which modal 1.7.0 will refuse (check names it; `modalgen set --python` moves it)."""
    from modalgen.tools.check import modal_changes_in

    found = [f for f in modal_changes_in(matrix_root) if f.path.split("/")[0] not in _ON_PYTHON_310]
    assert [f.to_data() for f in found] == []
    for name in _ON_PYTHON_310:
        (use,) = modal_changes_in(matrix_root / name)
        assert use.path.endswith("common.py") and "Python 3.10" in use.change.message


_ON_PYTHON_310 = [p["name"] for p in PROJECTS if p.get("python") == "3.10"]
