"""The combinations of options that CI renders and proves.

Two sets:

- BASE: the options of `modalgen new`'s first release (GPU shape x every non-empty set of the
  kinds batch, map, web, cron x 0/1/2 Volumes x every container Python), in full: 540 projects.
- PATTERNS: every option. The options that change the code's structure are crossed in full (every
  non-empty set of the seven workload kinds x CPU / one GPU / fallbacks: 381 structures); every
  other option gets, by a greedy all-pairs construction over those structures, each of its values
  next to each value of every other option (and next to each kind's presence or absence) at least
  once wherever both apply. Options apply only where some chosen kind uses them (a warm pool needs
  a kind that serves requests, say), which is also where modalgen accepts them. `pairs_missing`
  proves the coverage.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modalgen import catalog

SHA = "0123456789abcdef0123456789abcdef01234567"
BASE_KINDS = ("batch", "map", "web", "cron")
VOLUME_SETS = ([], [{"name": "model-cache"}], [{"name": "data", "mount": "/data"}, {"name": "2024.runs"}])
TRICKY_TEXT = 'Quotes " and \\ backslashes, {{ braces }}, {% tags %}, # and $HOME, unicode é ✓ 🚀'


def _subsets(kinds: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [c for n in range(1, len(kinds) + 1) for c in itertools.combinations(kinds, n)]


def gpu_answer(shape: str, i: int) -> list[str]:
    gpu = catalog.GPUS[i % len(catalog.GPUS)]
    other = catalog.GPUS[(i + 4) % len(catalog.GPUS)]
    return {
        "cpu": [],
        "one": [gpu.name],
        "several": [f"{gpu.name}:{gpu.max_count}"],
        "fallbacks": [f"{gpu.name}:2", f"{other.name}:2", other.name],
    }[shape]


BASE: list[dict[str, Any]] = [
    {
        "project_name": f"b{i:03d}-{shape}",
        "gpu": gpu_answer(shape, i),
        "workloads": list(kinds),
        "volumes": volumes,
        "python_version": python,
        "cron": ("0 6 * * *", "*/15 * * * *", "30 2 * * 1-5")[i % 3],
        "timezone": ("UTC", "Europe/Berlin", "America/New_York")[i % 3],
        "description": TRICKY_TEXT if i % 7 == 0 else "Matrix",
    }
    for i, (shape, kinds, volumes, python) in enumerate(
        itertools.product(
            ("cpu", "one", "several", "fallbacks"),
            _subsets(BASE_KINDS),
            VOLUME_SETS,
            catalog.CONTAINER_PYTHONS,
        )  # fmt: skip
    )
]


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[Any, ...]  # each value is a dict of answers it sets
    applies: Callable[[tuple[str, ...]], bool]


def _needs(knob: str) -> Callable[[tuple[str, ...]], bool]:
    return lambda kinds: any(k in kinds for k in catalog.kinds_taking(knob))


def _always(kinds: tuple[str, ...]) -> bool:
    return True


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("python", tuple({"python_version": p} for p in catalog.CONTAINER_PYTHONS), _always),
    Dimension("volumes", tuple({"volumes": v} for v in VOLUME_SETS), _always),
    Dimension("web", tuple({"web_style": s} for s in catalog.WEB_STYLES), _needs("web")),
    Dimension("public", ({"public": False}, {"public": True}), _needs("web")),
    Dimension(
        "schedule",
        (
            {"cron": "0 6 * * *"},
            {"cron": "*/10 * * * 1-5", "timezone": "Asia/Tokyo"},
            {"period": "6h"},
            {"period": "30m"},
        ),
        _needs("cron"),
    ),  # fmt: skip
    Dimension("timeout", ({"timeout": 600}, {"timeout": 3600}, {"timeout": 45}), _always),
    Dimension("min_containers", ({"min_containers": 0}, {"min_containers": 2}), _needs(catalog.WARM)),
    Dimension("max_containers", ({"max_containers": None}, {"max_containers": 10}), _always),
    Dimension("buffer", ({"buffer_containers": None}, {"buffer_containers": 1}), _needs(catalog.WARM)),
    Dimension("scaledown", ({"scaledown_window": None}, {"scaledown_window": 300}), _needs(catalog.WARM)),
    Dimension("retries", ({"retries": 0}, {"retries": 3}), _needs(catalog.RETRIES)),
    Dimension("max_inputs", ({"max_inputs": None}, {"max_inputs": 16}), _needs(catalog.CONCURRENT)),
    Dimension(
        "batching",
        ({"batch_size": 32, "batch_wait_ms": 100}, {"batch_size": 8, "batch_wait_ms": 0}),
        _needs("batched"),
    ),  # fmt: skip
    Dimension(
        "single_use",
        ({"single_use_containers": False}, {"single_use_containers": True}),
        _needs(catalog.SINGLE_USE),
    ),  # fmt: skip
    Dimension("apt", ({"apt": []}, {"apt": ["ffmpeg", "git"]}), _always),
    Dimension(
        "pip",
        (
            {"pip": []},
            {"pip": ["torch==2.8.0", "transformers[torch]==4.57.1"]},
            {"pip": ["numpy>=2,<3"], "allow_unpinned": True},
        ),
        _always,
    ),  # fmt: skip
    Dimension(
        "env",
        ({"env": {}}, {"env": {"MY_VAR": "value"}}, {"env": {"TRICKY": TRICKY_TEXT, "QUOTE": "it's"}}),
        _always,
    ),  # fmt: skip
    Dimension("base", tuple({"base": b} for b in catalog.BASES), _always),
    Dimension("uv_sync", ({"uv_sync": False}, {"uv_sync": True}), _always),
    Dimension(
        "secrets", ({"secrets": []}, {"secrets": ["openai"]}, {"secrets": ["hf-token", "db.prod"]}), _always
    ),  # fmt: skip
    Dimension("hf_model", ({"hf_model": None}, {"hf_model": f"org/model@{SHA}"}), _always),
    Dimension("snapshot", ({"snapshot": False}, {"snapshot": True}), _always),
    Dimension("description", ({"description": "Patterns"}, {"description": TRICKY_TEXT}), _always),
)

STRUCTURES: list[tuple[tuple[str, ...], str]] = [
    (kinds, shape) for kinds in _subsets(catalog.WORKLOAD_KINDS) for shape in ("cpu", "one", "fallbacks")
]


def _structural_values(kinds: tuple[str, ...], shape: str) -> list[tuple[str, Any]]:
    return [("gpu", shape)] + [(f"has_{k}", k in kinds) for k in catalog.WORKLOAD_KINDS]


def _pairs_of(row: list[tuple[str, Any]]) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
    return {tuple(sorted((a, b), key=repr)) for a, b in itertools.combinations(row, 2)}


@functools.cache
def required_pairs() -> frozenset:
    """Every pair of option values that can meet in one project."""
    required = set()
    for kinds, shape in STRUCTURES:
        fixed = _structural_values(kinds, shape)
        dims = [d for d in DIMENSIONS if d.applies(kinds)]
        options = [[(d.name, i) for i in range(len(d.values))] for d in dims]
        for a in fixed:
            for opts in options:
                required |= {tuple(sorted((a, o), key=repr)) for o in opts}
        for o1, o2 in itertools.combinations(options, 2):
            required |= {tuple(sorted((a, b), key=repr)) for a in o1 for b in o2}
    return frozenset(required)


def _greedy_row(kinds, shape, covered, required, forced=None) -> list[tuple[str, Any]]:
    row = _structural_values(kinds, shape)
    forced = forced or {}
    for d in (d for d in DIMENSIONS if d.applies(kinds)):
        if d.name in forced:
            row.append((d.name, forced[d.name]))
            continue
        best, best_gain = 0, -1
        for i in range(len(d.values)):
            gain = sum(1 for p in _pairs_of([*row, (d.name, i)]) - covered if p in required)
            if gain > best_gain:
                best, best_gain = i, gain
        row.append((d.name, best))
    return row


def _answers(n: int, kinds, shape, row) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "project_name": f"p{n:03d}-{shape}",
        "gpu": gpu_answer(shape, n),
        "workloads": list(kinds),
    }
    by_name = {d.name: d for d in DIMENSIONS}
    for name, index in row:
        if name in by_name:
            answers.update(by_name[name].values[index])
    return answers


def build_patterns() -> tuple[list[dict[str, Any]], list[list[tuple[str, Any]]]]:
    required = required_pairs()
    covered: set = set()
    projects, rows = [], []
    for kinds, shape in STRUCTURES:
        row = _greedy_row(kinds, shape, covered, required)
        covered |= _pairs_of(row) & required
        projects.append(_answers(len(projects), kinds, shape, row))
        rows.append(row)
    while required - covered:  # top up: a structure that admits a missing pair, the pair forced
        missing = sorted(required - covered, key=repr)[0]
        forced = {name: value for name, value in missing if any(d.name == name for d in DIMENSIONS)}
        for kinds, shape in STRUCTURES:
            row = _greedy_row(kinds, shape, covered, required, forced)
            if missing in _pairs_of(row):
                break
        else:
            raise AssertionError(f"no structure admits {missing}")
        covered |= _pairs_of(row) & required
        projects.append(_answers(len(projects), kinds, shape, row))
        rows.append(row)
    return projects, rows


def pairs_missing(rows: list[list[tuple[str, Any]]]) -> set:
    covered = set().union(*(_pairs_of(r) for r in rows))
    return required_pairs() - covered


PATTERNS, PATTERN_ROWS = build_patterns()
