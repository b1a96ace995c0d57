"""The combinations of options that CI renders and proves, grown from the plan's shapes.

What changes a project's code is its plan: which kinds it has, which functions hold a GPU and
which are CPU fronts that send their work to a worker, and the GPU shape. So the STRUCTURES are:
every kind alone in every GPU shape (CPU, one GPU, several, fallbacks), every pair of kinds, every
front beside every worker on CPU, and all kinds together in every shape. Every other option is a
dimension whose values each structure may take where they apply (exactly where modalgen accepts
them); a greedy all-pairs construction gives every value of every option, next to every value of
every other option and next to each kind's presence, at least once wherever both can meet.
`pairs_missing` proves the coverage; the GPU type is a dimension, so every type is rendered.
"""

from __future__ import annotations

import copy
import functools
import itertools
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.answers.fields import SpecError
from modalgen.answers.spec import parse_spec

SHA = "0123456789abcdef0123456789abcdef01234567"
SHAPES = ("cpu", "one", "several", "fallbacks")
VOLUME_SETS = ([], [{"name": "model-cache"}], [{"name": "data", "mount": "/data"}, {"name": "2024.runs"}])
TRICKY_TEXT = 'Quotes " and \\ backslashes, {{ braces }}, {% tags %}, # and $HOME, unicode é ✓ 🚀'
KINDS = catalog.KIND_NAMES
FRONTS = tuple(k.name for k in catalog.KINDS if k.placement == "front")


def _structures() -> list[tuple[tuple[str, ...], str]]:
    ordered = lambda kinds: tuple(k for k in KINDS if k in kinds)  # noqa: E731
    found: list[tuple[tuple[str, ...], str]] = []
    found += [((kind,), shape) for kind in KINDS for shape in SHAPES]
    found += [(pair, "one") for pair in itertools.combinations(KINDS, 2)]
    found += [(ordered((front, worker)), "cpu") for front in FRONTS for worker in catalog.WORKER_KINDS]
    found += [(ordered((*FRONTS, worker)), "fallbacks") for worker in catalog.WORKER_KINDS]
    found += [(KINDS, shape) for shape in SHAPES]
    return list(dict.fromkeys(found))


STRUCTURES = _structures()


def gpu_answer(shape: str, gpu_type: str) -> list[str]:
    gpu = catalog.GPU_BY_NAME[gpu_type.upper()]
    other = catalog.GPUS[(catalog.GPUS.index(gpu) + 5) % len(catalog.GPUS)]
    return {
        "cpu": [],
        "one": [gpu.name],
        "several": [f"{gpu.name}:{gpu.max_count}"],
        "fallbacks": [f"{gpu.name}:2", f"{other.name}:2", other.name],
    }[shape]


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[dict[str, Any], ...]  # each value is the answers it sets


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("gpu_type", tuple({"gpu_type": g.name} for g in catalog.GPUS)),
    Dimension(
        "python",
        tuple(
            {"python": p, "image_builder": b}
            for b, ps in catalog.IMAGE_BUILDERS.items()
            for p in ps
            if b == catalog.DEFAULT_IMAGE_BUILDER or p == "3.10"
        ),
    ),  # fmt: skip
    Dimension("volumes", tuple({"volume": v} for v in VOLUME_SETS)),
    Dimension("web", tuple({"web_style": s} for s in catalog.WEB_STYLES)),
    Dimension("public", ({"public": False}, {"public": True})),
    Dimension(
        "schedule",
        (
            {"cron": "0 6 * * *"},
            {"cron": "*/10 * * * 1-5", "timezone": "Asia/Tokyo"},
            {"period": "6h"},
            {"period": "30m"},
        ),
    ),  # fmt: skip
    Dimension("timeout", ({"timeout": 600}, {"timeout": 3600}, {"timeout": 45})),
    Dimension("min_containers", ({"min_containers": 0}, {"min_containers": 2})),
    Dimension("max_containers", ({"max_containers": None}, {"max_containers": 10})),
    Dimension("buffer", ({"buffer_containers": None}, {"buffer_containers": 1})),
    Dimension("scaledown", ({"scaledown_window": None}, {"scaledown_window": 300})),
    Dimension("retries", ({"retries": 0}, {"retries": 3})),
    # --max-inputs and --single-use-containers exclude each other: one dimension.
    Dimension("inputs", ({}, {"max_inputs": 16}, {"single_use_containers": True})),
    Dimension("batching", ({"batch_size": 32, "batch_wait_ms": 100}, {"batch_size": 8, "batch_wait_ms": 0})),
    Dimension("server", ({"target_concurrency": None}, {"target_concurrency": 20})),
    Dimension("resources", ({}, {"cpu": 2.0, "memory": 4096})),
    Dimension("apt", ({"apt": []}, {"apt": ["ffmpeg", "git"]})),
    Dimension(
        "pip",
        (
            {"pip": []},
            {"pip": ["torch==2.8.0", "transformers[torch]==4.57.1"]},
            {"pip": ["numpy>=2,<3"], "allow_unpinned": True},
        ),
    ),  # fmt: skip
    Dimension(
        "env",
        ({"env": {}}, {"env": {"MY_VAR": "value"}}, {"env": {"TRICKY": TRICKY_TEXT, "QUOTE": "it's"}}),
    ),  # fmt: skip
    Dimension("base", tuple({"base": b} for b in catalog.BASES)),
    Dimension("uv_sync", ({"uv_sync": False}, {"uv_sync": True})),
    Dimension(
        "secrets",
        ({"secret": []}, {"secret": ["openai"]}, {"secret": ["hf-token", "db.prod:DB_USER,DB_PASSWORD"]}),
    ),  # fmt: skip
    Dimension(
        "model",
        (
            {"hf_model": None},
            {"hf_model": f"org/model@{SHA}"},
            {"hf_model": f"org/model@{SHA}", "gpu_for": {"download": ["T4"]}},
        ),
    ),  # fmt: skip
    Dimension(
        "gpu_for",
        (
            {},
            {"gpu_for": {"web": "cpu"}},
            {"gpu_for": {"cron": ["A100-80GB:4"]}},
            {"gpu_for": {"core": "cpu"}},
            {"gpu_for": {"service": ["H100!:2", "B200+"]}},
        ),
    ),  # fmt: skip
    Dimension(
        "snapshot", ({"snapshot": False}, {"snapshot": True}, {"snapshot": True, "gpu_snapshot": True})
    ),
    Dimension("description", ({"description": "Patterns"}, {"description": TRICKY_TEXT})),
)
BY_NAME = {d.name: d for d in DIMENSIONS}


def _raw(kinds: tuple[str, ...], shape: str, values: dict[str, Any], name: str = "x") -> dict[str, Any]:
    raw = {k: v for k, v in values.items() if k != "gpu_type"}
    gpu_type = values.get("gpu_type", catalog.DEFAULT_GPU)
    gpu_for = {**raw.pop("gpu_for", {})}
    raw.update(name=name, workload=list(kinds), gpu=gpu_answer(shape, gpu_type))
    if gpu_for:
        raw["gpu_for"] = gpu_for
    return raw


@functools.cache
def _admissible(kinds: tuple[str, ...], shape: str, dimension: str, index: int) -> bool:
    """Whether a dimension's value is one modalgen accepts for the structure (it applies there)."""
    value = BY_NAME[dimension].values[index]
    if dimension == "gpu_type":
        return shape != "cpu" or index == 0  # a CPU project takes no GPU type: one value stands for it
    # modalgen refuses an option no function of the plan takes, so "it parses" is "it applies".
    try:
        parse_spec(_raw(kinds, shape, value))
    except SpecError:
        return False
    return True


def _structural(kinds: tuple[str, ...], shape: str) -> list[tuple[str, Any]]:
    return [("shape", shape)] + [(f"has_{k}", k in kinds) for k in KINDS]


def _pairs_of(row: list[tuple[str, Any]]) -> set:
    return {frozenset(pair) for pair in itertools.combinations(row, 2)}


def _options(kinds, shape) -> list[list[tuple[str, int]]]:
    return [
        [(d.name, i) for i in range(len(d.values)) if _admissible(kinds, shape, d.name, i)]
        for d in DIMENSIONS
    ]


@functools.cache
def required_pairs() -> frozenset:
    """Every pair of option values that can meet in one project (each admissible there)."""
    required = set()
    for kinds, shape in STRUCTURES:
        fixed = _structural(kinds, shape)
        options = [o for o in _options(kinds, shape) if len(o) > 1]
        for a in fixed:
            for opts in options:
                required |= {frozenset((a, o)) for o in opts}
        for o1, o2 in itertools.combinations(options, 2):
            required |= {frozenset((a, b)) for a in o1 for b in o2}
    return frozenset(required)


def _row_is_valid(kinds, shape, row) -> bool:
    values: dict[str, Any] = {}
    for name, index in row:
        if name in BY_NAME:
            values.update(BY_NAME[name].values[index])
    try:
        parse_spec(_raw(kinds, shape, values))
    except SpecError:
        return False
    return True


def _greedy_row(kinds, shape, covered, required, forced=None) -> list[tuple[str, Any]]:
    row = _structural(kinds, shape)
    forced = forced or {}
    for d, opts in zip(DIMENSIONS, _options(kinds, shape), strict=True):
        if d.name in forced and (d.name, forced[d.name]) in opts:
            row.append((d.name, forced[d.name]))
            continue
        gain = lambda o: sum(1 for x in row if (p := frozenset((x, o))) in required and p not in covered)  # noqa: E731
        ranked = sorted(opts, key=lambda o: -gain(o))
        for option in ranked:  # the best value that keeps the whole row valid
            if _row_is_valid(kinds, shape, [*row, option]):
                row.append(option)
                break
    return row


def _answers(n: int, kinds, shape, row) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, index in row:
        if name in BY_NAME:
            values.update(BY_NAME[name].values[index])
    return _raw(kinds, shape, values, name=f"p{n:03d}-{shape}")


def build() -> tuple[list[dict[str, Any]], list[list[tuple[str, Any]]]]:
    """The matrix's projects (answers) and their rows: a copy of the one build of this process."""
    return copy.deepcopy(_build())


@functools.cache
def _build() -> tuple[list[dict[str, Any]], list[list[tuple[str, Any]]]]:
    required = required_pairs()
    covered: set = set()
    projects, rows = [], []
    for kinds, shape in STRUCTURES:
        row = _greedy_row(kinds, shape, covered, required)
        covered |= _pairs_of(row) & required
        projects.append(_answers(len(projects), kinds, shape, row))
        rows.append(row)
    while required - covered:  # top up: a structure that admits a missing pair, the pair forced
        missing = min(required - covered, key=lambda pair: sorted(map(repr, pair)))
        forced = {name: value for name, value in missing if name in BY_NAME}
        for kinds, shape in STRUCTURES:
            fixed = dict(_structural(kinds, shape))
            if any(name not in BY_NAME and fixed.get(name) != value for name, value in missing):
                continue
            admitted = {option for options in _options(kinds, shape) for option in options}
            if not admitted.issuperset(forced.items()):
                continue  # a value the structure refuses: no row of it holds the pair
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
