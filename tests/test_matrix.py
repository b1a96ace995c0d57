"""Every combination CI proves: see tests/combinations.py for how they are chosen.

Each project is checked for Jinja residue and files that parse, ruff-clean code, and, imported
with the real `modal` package, every function's settings against its recorded answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.render import answers_for, render
from modalgen.spec import parse_spec
from tests.combinations import BASE, PATTERN_ROWS, PATTERNS, STRUCTURES, pairs_missing, required_pairs
from tests.generated import check_settings, check_text, read_answers

ALL = BASE + PATTERNS


def _render(job: tuple[dict, Path]) -> None:
    raw, destination = job
    render(parse_spec(raw), destination)


@pytest.fixture(scope="session")
def matrix_root(tmp_path_factory) -> Path:
    """Render every combination once, on every core (rendering is CPU-bound Python)."""
    root = tmp_path_factory.mktemp("matrix")
    jobs = [(raw, root / raw["project_name"]) for raw in ALL]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_render, jobs, chunksize=16))
    return root


def test_base_is_the_full_product_of_the_first_options():
    assert len(BASE) == 4 * 15 * 3 * 3
    assert {c["python_version"] for c in BASE} == set(catalog.CONTAINER_PYTHONS)
    singles = {c["gpu"][0] for c in BASE if len(c["gpu"]) == 1}
    assert {g.split(":")[0] for g in singles} == {g.name for g in catalog.GPUS}


def test_patterns_cross_every_structure_and_cover_every_pair():
    assert len(STRUCTURES) == (2 ** len(catalog.WORKLOAD_KINDS) - 1) * 3
    structures = {(tuple(p["workloads"]), p["project_name"].split("-", 1)[1]) for p in PATTERNS}
    assert structures == set(STRUCTURES)
    assert len(required_pairs()) > 2000
    assert pairs_missing(PATTERN_ROWS) == set()


def test_every_project_passes_ruff(matrix_root):
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "."], cwd=matrix_root, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("raw", ALL, ids=[c["project_name"] for c in ALL])
def test_combination(matrix_root, raw):
    project = matrix_root / raw["project_name"]
    recorded = read_answers(project)
    assert recorded == {**answers_for(parse_spec(raw)), "_src_path": "modalgen:project"}
    check_text(project)
    expected = 1 + len(raw["workloads"]) + (1 if raw.get("hf_model") else 0)
    assert check_settings(project) == expected
