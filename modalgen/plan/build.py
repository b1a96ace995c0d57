"""Spec -> Plan: the project's functions, each with its own resources, and what the files show.

The plan is plain data. The templates print it and decide nothing; the summary, the wizard, the
README and `modalgen new --dry-run --json` read it; tests check it without rendering. Every rule
it applies (which kinds need a GPU, which knobs a kind accepts, defaults, limits) comes from the
catalogue; where each function runs comes from the answers (modalgen/answers/placement.py).

One module per part of the plan: `functions`, `image`, `make`, `readme`, `model`; this one puts
them together. The names callers used before the split are kept here (`plan.make_plan`,
`plan.model_need` ...).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from modalgen import catalog
from modalgen.answers.checks import applies, check_applicable, check_fits
from modalgen.answers.fields import volume_identifier
from modalgen.answers.model import (
    PINNED_REVISION,
    SIZING_KEYS,
    fitting_shapes,
    model_need,
    pin_params,
    pin_revision,
    revision_note,
    shape_text,
    tensor_parallel,
)
from modalgen.answers.placement import placements
from modalgen.answers.spec import Spec, knob_options
from modalgen.catalog import sizing
from modalgen.plan.functions import PERIOD_UNITS, Function, functions, startup_timeout
from modalgen.plan.image import image, kind_packages
from modalgen.plan.make import BENCH_MAKE_VARS, COLDSTART_NEEDS_URL, bench_target, make_targets, make_vars
from modalgen.plan.model import gpu_dtype, model_data
from modalgen.plan.readme import readme

__all__ = [
    "BENCH_MAKE_VARS", "COLDSTART_NEEDS_URL", "PERIOD_UNITS", "PINNED_REVISION", "SIZING_KEYS", "Function",
    "Plan", "bench_target", "check_applicable", "check_fits", "costs", "fitting_shapes", "functions",
    "gpu_dtype", "make_plan", "model_need", "pin_params", "pin_revision", "revision_note", "shape_text",
    "sizing", "startup_timeout", "tensor_parallel",
]  # fmt: skip


@dataclass(frozen=True)
class Plan:
    name: str
    package: str
    description: str
    gpu: tuple[str, ...]
    python: str
    image_builder: str
    kinds: tuple[str, ...]
    functions: tuple[Function, ...]
    image: dict[str, Any]
    volumes: tuple[dict[str, str], ...]
    secrets: tuple[dict[str, Any], ...]
    model: dict[str, Any] | None
    stack: dict[str, Any]
    caches: tuple[dict[str, str], ...]  # the stack's cache Volumes beside the Hugging Face one
    make: tuple[dict[str, Any], ...]
    make_vars: tuple[dict[str, str], ...]  # Makefile variables the targets use
    readme: dict[str, Any]
    dev_packages: tuple[str, ...]
    bench: dict[str, Any] | None = None  # `make bench` / `make coldstart`: the endpoint they measure
    environments: tuple[str, ...] = ()  # Modal environments, first to last: `make ... ENV=NAME`
    applies: frozenset[str] = field(default=frozenset())
    # The answers to project options with no field above (an option record added to the catalogue):
    # the templates read them as `plan.settings.KEY`.
    settings: tuple[tuple[str, Any], ...] = ()

    def function(self, key: str) -> Function:
        return next(f for f in self.functions if f.key == key)

    def to_data(self) -> dict[str, Any]:
        """The plan as JSON/YAML-ready data: what the templates and `--dry-run --json` get.

        `settings` appear only where an option has one (a plan without them reads as before)."""
        data = asdict(self)
        data.pop("applies")
        data["functions"] = [_function_data(f) for f in self.functions]
        _settings_data(data, self.settings)
        data["costs"] = costs(self)
        return json.loads(json.dumps(data))  # lists, not tuples: plain YAML and JSON


def _function_data(fn: Function) -> dict[str, Any]:
    data = {**asdict(fn), "monthly_warm_cost": fn.monthly_warm_cost}
    _settings_data(data, fn.settings)
    return data


def _settings_data(data: dict[str, Any], settings: tuple[tuple[str, Any], ...]) -> None:
    if settings:
        data["settings"] = dict(settings)
    else:
        data.pop("settings")


def _stack_data(stack: catalog.Stack) -> dict[str, Any]:
    """What the templates read of the stack's record."""
    return {"name": stack.name, "summary": stack.summary, "media_type": stack.media_type,
            "example": stack.example, "licence": stack.licence, "sizing": stack.sizing,
            "own_server": stack.own_server, "input_batch": stack.input_batch, "test_model": stack.test_model,
            "test_packages": list(stack.test_packages), "model": stack.model}  # fmt: skip


def make_plan(spec: Spec) -> Plan:
    fns = functions(spec)
    volumes = tuple(
        {"name": v.name, "mount": v.mount, "ident": volume_identifier(v.name)} for v in spec.mounted_volumes
    )
    stack = catalog.STACK_BY_NAME[spec.stack]
    caches = [
        {"name": name, "mount": mount, "ident": volume_identifier(name)} for name, mount in stack.volumes
    ]
    taken = applies(spec, placements(spec))
    project_settings = tuple((o.key, spec.knob(o.key)) for o in knob_options()
                             if o.scope == catalog.PROJECT and o.key in taken)  # fmt: skip
    return Plan(
        name=spec.name,
        package=spec.package,
        description=spec.description,
        gpu=tuple(str(g) for g in spec.gpus),
        python=spec.python,
        image_builder=spec.image_builder,
        kinds=spec.workloads,
        functions=fns,
        image=image(spec, fns),
        volumes=volumes,
        secrets=tuple({"name": s.name, "keys": list(s.keys)} for s in spec.secrets),
        model=model_data(spec, fns),
        stack=_stack_data(stack),
        caches=tuple(caches),
        make=make_targets(spec, fns),
        make_vars=make_vars(spec),
        environments=spec.environments,
        readme=readme(spec, fns),
        dev_packages=tuple(kind_packages(spec, fns)[1]),
        bench=bench_target(spec, fns),
        applies=frozenset(taken),
        settings=project_settings,
    )


def costs(plan: Plan) -> dict[str, Any]:
    """Per hour while everything runs, and per month for the warm containers alone."""
    hourly = [fn.price_per_hour for fn in plan.functions]
    monthly = [fn.monthly_warm_cost for fn in plan.functions]
    return {
        "warm_per_month": None if None in monthly else round(sum(m or 0 for m in monthly), 2),
        "known": None not in hourly,
    }
