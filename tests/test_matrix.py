"""Every combination of `modalgen new`'s options, rendered and proven.

Structure-changing options are crossed in full: GPU shape (CPU-only, one GPU, several of one
type, ordered fallbacks) x every non-empty set of workload kinds x 0, 1 or 2 Volumes x every
container Python. Values that only change a literal (which GPU type, cron string, time zone)
rotate through the combinations, so each still meets every other option. Each project is checked
for Jinja residue, ruff-clean code and, imported with the real `modal` package, every function's
settings against its recorded answers.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.render import render
from modalgen.spec import parse_spec
from tests.generated import check_settings, check_text

GPU_SHAPES = ("cpu", "one", "several", "fallbacks")
WORKLOAD_SETS = [
    list(combo)
    for size in range(1, len(catalog.WORKLOAD_KINDS) + 1)
    for combo in itertools.combinations(catalog.WORKLOAD_KINDS, size)
]
VOLUME_SETS = ([], [{"name": "model-cache"}], [{"name": "data", "mount": "/data"}, {"name": "2024.runs"}])
CRONS = ("0 6 * * *", "*/15 * * * *", "30 2 * * 1-5")
ZONES = ("UTC", "Europe/Berlin", "America/New_York")


def gpu_answer(shape: str, i: int) -> list[str]:
    gpu = catalog.GPUS[i % len(catalog.GPUS)]
    other = catalog.GPUS[(i + 4) % len(catalog.GPUS)]
    return {
        "cpu": [],
        "one": [gpu.name],
        "several": [f"{gpu.name}:{gpu.max_count}"],
        "fallbacks": [f"{gpu.name}:2", f"{other.name}:2", f"{other.name}"],
    }[shape]


COMBINATIONS = [
    {
        "project_name": f"m{i:03d}-{shape}",
        "gpu": gpu_answer(shape, i),
        "workloads": workloads,
        "volumes": volumes,
        "python_version": python,
        "cron": CRONS[i % len(CRONS)],
        "timezone": ZONES[i % len(ZONES)],
        "description": 'Quotes " and \\ backslashes, {{ braces }} and # too' if i % 7 == 0 else "Matrix",
    }
    for i, (shape, workloads, volumes, python) in enumerate(
        itertools.product(GPU_SHAPES, WORKLOAD_SETS, VOLUME_SETS, catalog.CONTAINER_PYTHONS)
    )
]


@pytest.fixture(scope="session")
def matrix_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("matrix")
    for raw in COMBINATIONS:
        render(parse_spec(raw), root / raw["project_name"])
    return root


def test_matrix_covers_every_structural_combination():
    assert len(COMBINATIONS) == 4 * 15 * 3 * 3
    assert {c["python_version"] for c in COMBINATIONS} == set(catalog.CONTAINER_PYTHONS)
    singles = {c["gpu"][0] for c in COMBINATIONS if len(c["gpu"]) == 1}
    assert {g.split(":")[0] for g in singles} == {g.name for g in catalog.GPUS}


def test_every_project_passes_ruff(matrix_root):
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "."], cwd=matrix_root, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("raw", COMBINATIONS, ids=[c["project_name"] for c in COMBINATIONS])
def test_combination(matrix_root, raw):
    project = matrix_root / raw["project_name"]
    check_text(project)
    assert check_settings(project) == 1 + len(raw["workloads"])
