"""Spec -> Plan: the project's functions, each with its own resources, and what the files show.

The plan is plain data. The templates print it and decide nothing; the summary, the wizard, the
README and `modalgen new --dry-run --json` read it; tests check it without rendering. Every rule
it applies (which kinds need a GPU, which knobs a kind accepts, defaults, limits) comes from the
catalogue.

Placement, the rule that matters for the user's money: a function gets a GPU only where the work
runs. Functions that run the core get the project's GPU; a web front, cron or spawn beside a
worker (`service`, `batched`) runs on CPU and sends its work to the worker, which holds the model
and the warm containers; the weights download runs on CPU with a long timeout. `--gpu-for`
overrides any of these.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from modalgen import catalog
from modalgen.answers.fields import GpuChoice, SpecError, parse_gpu, volume_identifier
from modalgen.answers.spec import Spec
from modalgen.catalog import models
from modalgen.plan import sizing

PERIOD_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Function:
    """One Modal function (or class, or Server) of the project, as it will be written."""

    name: str  # the Python object: "batch_job", "Service", "run_core", "download_weights"
    key: str  # what --gpu-for calls it: a kind, "core" or "download"
    kind: str
    module: str
    role: str  # "core": runs the core itself; "front": sends its work to `calls`; "download"
    gpu: tuple[str, ...]  # GPU specs in fallback order; () is CPU-only
    project_gpu: bool  # the project's GPU (the GPU constant in common.py)
    price_per_hour: float | None  # while a container runs: GPU + CPU + memory; None if unknown
    decorator: str = "function"  # "function", "cls" or "server"
    method: str | None = None
    # The image it runs on: the project's `image`, or `front_image` (no model, no torch: a front
    # that only sends work to a worker starts in seconds, not in the model image's time).
    image: str = "image"
    input_batch: int | None = None  # inputs per call, where the model wants them in batches
    cpu: float | None = None
    memory: int | None = None
    timeout: int | None = None
    retries: int | None = None
    min_containers: int | None = None
    max_containers: int | None = None
    buffer_containers: int | None = None
    scaledown_window: int | None = None
    max_inputs: int | None = None
    single_use: bool = False
    volumes: bool = False  # the project's Volumes
    model_cache: bool = False  # the Hugging Face cache Volume
    secrets: bool = False
    snapshot: bool = False
    gpu_snapshot: bool = False
    schedule: dict[str, Any] | None = None
    web: dict[str, Any] | None = None
    batching: dict[str, int] | None = None
    server: dict[str, Any] | None = None
    calls: dict[str, str] | None = None  # the worker a front sends its work to: {kind, module, obj, method}
    entrypoint: str | None = None
    warm: int = 0  # containers kept up, idle or not
    accepts: tuple[str, ...] = ()  # the options that apply to it (answer keys)

    @property
    def monthly_warm_cost(self) -> float | None:
        if not self.warm:
            return 0.0
        return (
            None if self.price_per_hour is None else self.price_per_hour * self.warm * catalog.HOURS_PER_MONTH
        )


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
    applies: frozenset[str] = field(default=frozenset())

    def function(self, key: str) -> Function:
        return next(f for f in self.functions if f.key == key)

    def to_data(self) -> dict[str, Any]:
        """The plan as JSON/YAML-ready data: what the templates and `--dry-run --json` get."""
        data = asdict(self)
        data.pop("applies")
        data["functions"] = [{**asdict(f), "monthly_warm_cost": f.monthly_warm_cost} for f in self.functions]
        data["costs"] = costs(self)
        return json.loads(json.dumps(data))  # lists, not tuples: plain YAML and JSON


def _price(gpu: tuple[GpuChoice, ...], cpu: float | None, memory: int | None) -> float | None:
    """$/hr while a container runs, on the first GPU choice (fallbacks cost what they cost)."""
    compute = (cpu or catalog.DEFAULT_CPU) * catalog.CPU_PRICE_PER_CORE_HOUR
    compute += (memory or catalog.DEFAULT_MEMORY_MIB) / 1024 * catalog.MEMORY_PRICE_PER_GIB_HOUR
    if not gpu:
        return round(compute, 4)
    gpu_price = gpu[0].price_per_hour
    return None if gpu_price is None else round(gpu_price + compute, 4)


def _worker(spec: Spec) -> catalog.Kind | None:
    """The kind that holds the model, which fronts send their work to (catalogue order)."""
    return next((catalog.KIND_BY_NAME[k] for k in spec.workloads if catalog.KIND_BY_NAME[k].worker), None)


def _calls(spec: Spec, worker: catalog.Kind) -> dict[str, Any]:
    """What a front sends its work to: the worker's object, and whether it holds a GPU."""
    override = spec.gpu_override(worker.name)
    gpu = spec.gpus if override is None else override
    return {"kind": worker.name, "module": worker.module, "obj": worker.obj, "method": worker.method,
            "gpu": bool(gpu)}  # fmt: skip


def _schedule(spec: Spec) -> dict[str, Any]:
    if spec.period:
        return {"period": spec.period, "unit": PERIOD_UNITS[spec.period[-1]], "amount": int(spec.period[:-1])}
    return {"cron": spec.cron, "timezone": spec.timezone}


def _kind_function(spec: Spec, kind: catalog.Kind, worker: catalog.Kind | None) -> Function:
    override = spec.gpu_override(kind.name)
    gpu = spec.gpus if override is None else override
    front_possible = kind.placement == "front" and worker is not None
    if override is None and front_possible:
        gpu = ()  # the worker holds the GPU; this function only sends it work
    role = "front" if front_possible and not gpu else "core"
    # A front holds no model: warm containers, resources and the concurrency knob belong to the worker.
    front_only = {catalog.WARM, catalog.RESOURCES, catalog.MAX_CONTAINERS, catalog.CONCURRENT}
    knobs = kind.knobs if role == "core" else kind.knobs - front_only
    value = spec.knob
    accepts = [k.key for k in catalog.INT_KNOBS if k.needs in knobs]
    if catalog.SINGLE_USE in knobs:
        accepts.append("single_use_containers")
    if catalog.RESOURCES in knobs:
        accepts.append("cpu")
    if catalog.SNAPSHOT in knobs and role == "core":
        accepts += ["snapshot", "gpu_snapshot"]
    max_inputs = value("max_inputs") if catalog.CONCURRENT in knobs else None
    if role == "front" and catalog.CONCURRENT in kind.knobs:
        max_inputs = catalog.FRONT_MAX_INPUTS
    cpu = spec.cpu if catalog.RESOURCES in knobs else None
    memory = value("memory") if catalog.RESOURCES in knobs else None
    warm = catalog.WARM in knobs
    snapshot = spec.snapshot and catalog.SNAPSHOT in knobs and role == "core"
    as_cls = role == "core" and kind.cls_when_core is not None
    input_batch = catalog.STACK_BY_NAME[spec.stack].input_batch if kind.batch_obj else None
    return Function(
        name=kind.cls_when_core if as_cls else (kind.batch_obj if input_batch else kind.obj),
        input_batch=input_batch,
        key=kind.name,
        kind=kind.name,
        module=kind.module,
        decorator="cls" if as_cls else kind.decorator,
        method=kind.obj if as_cls else kind.method,
        image="front_image" if role == "front" else "image",
        role=role,
        gpu=tuple(str(g) for g in gpu),
        project_gpu=bool(gpu) and gpu == spec.gpus,
        cpu=cpu,
        memory=memory,
        timeout=value("timeout") if catalog.TIMEOUT in knobs else None,
        retries=(value("retries") or None) if catalog.RETRIES in knobs else None,
        min_containers=(value("min_containers") or None) if warm else None,
        max_containers=value("max_containers") if catalog.MAX_CONTAINERS in knobs else None,
        buffer_containers=value("buffer_containers") if warm else None,
        scaledown_window=_scaledown_window(spec, kind) if warm else None,
        max_inputs=max_inputs,
        single_use=spec.single_use_containers and catalog.SINGLE_USE in knobs,
        volumes=bool(spec.volumes),
        model_cache=bool(spec.hf_model) and role == "core",
        secrets=bool(spec.secrets),
        snapshot=snapshot,
        gpu_snapshot=snapshot and spec.gpu_snapshot and bool(gpu),
        schedule=_schedule(spec) if catalog.SCHEDULE in kind.knobs else None,
        web={"style": spec.web_style, "public": spec.public} if catalog.WEB in kind.knobs else None,
        batching=(
            {"size": value("batch_size"), "wait_ms": value("batch_wait_ms")}
            if catalog.BATCHING in knobs
            else None
        ),
        server=_server(spec) if catalog.SERVER in knobs else None,
        calls=_calls(spec, worker) if role == "front" else None,
        entrypoint=kind.entrypoint,
        price_per_hour=_price(gpu, cpu, memory),
        warm=(value("min_containers") or 0) if warm else 0,
        accepts=tuple(accepts),
    )


def startup_timeout(spec: Spec) -> int:
    """Seconds a Server's container has to listen: the model loads first, and a big one takes longer
    (a minute per ~10 GB of weights read from the Volume, on top of vLLM's own start and compile)."""
    need = model_need(spec)
    if need is None:
        return catalog.SERVER_STARTUP_TIMEOUT
    minutes = catalog.SERVER_STARTUP_TIMEOUT // 60 + int(need.weights_gb // 10)
    return min(minutes, 60) * 60


def _server(spec: Spec) -> dict[str, Any]:
    stack = catalog.STACK_BY_NAME[spec.stack]
    return {
        "port": catalog.SERVER_PORT,
        "startup_timeout": startup_timeout(spec),
        "target_concurrency": spec.knob("target_concurrency") or stack.target_concurrency,
        "exit_grace_period": stack.exit_grace_period or None,
        # Scaling from zero, a replica boots for every burst: skip CUDA graph capture (vLLM's
        # --enforce-eager) to boot faster; with warm replicas, capture them for faster tokens.
        "fast_boot": not spec.knob("min_containers"),
        "public": spec.public,
    }


def _scaledown_window(spec: Spec, kind: catalog.Kind) -> int | None:
    """The answer, else the stack's for its Server: longer than a cold start, or every lull pays one."""
    given = spec.knob("scaledown_window")
    if given is not None or catalog.SERVER not in kind.knobs:
        return given
    default = catalog.STACK_BY_NAME[spec.stack].scaledown_window
    return None if default is None else max(default, startup_timeout(spec))


def _core_probe(spec: Spec) -> Function:
    """run_core: the GPU core on its own, what `make smoke` and `make shell` use."""
    override = spec.gpu_override(catalog.CORE_PROBE)
    gpu = spec.gpus if override is None else override
    return Function(
        name="run_core",
        key=catalog.CORE_PROBE,
        kind=catalog.CORE_PROBE,
        module="common",
        role="core",
        gpu=tuple(str(g) for g in gpu),
        project_gpu=bool(gpu) and gpu == spec.gpus,
        price_per_hour=_price(gpu, spec.cpu, spec.knob("memory")),
        cpu=spec.cpu,
        memory=spec.knob("memory"),
        timeout=spec.knob("timeout"),
        volumes=bool(spec.volumes),
        model_cache=bool(spec.hf_model),
        secrets=bool(spec.secrets),
        entrypoint="run_core",
        accepts=("timeout", "cpu", "memory"),
    )


def _download(spec: Spec) -> Function:
    """download_weights: fetch the pinned revision into the cache Volume, on CPU, for an hour at most."""
    gpu = spec.gpu_override(catalog.DOWNLOAD) or ()
    return Function(
        name="download_weights",
        key=catalog.DOWNLOAD,
        kind=catalog.DOWNLOAD,
        module="weights",
        role="download",
        gpu=tuple(str(g) for g in gpu),
        project_gpu=bool(gpu) and gpu == spec.gpus,
        price_per_hour=_price(gpu, None, None),
        timeout=catalog.DOWNLOAD_TIMEOUT,
        volumes=bool(spec.volumes),  # MODEL_VOLUMES: the project's Volumes and the cache
        model_cache=True,
        secrets=bool(spec.secrets),
        entrypoint="download_weights",
    )


def functions(spec: Spec) -> tuple[Function, ...]:
    worker = _worker(spec)
    made = [_core_probe(spec)]
    if spec.hf_model:
        made.append(_download(spec))
    made += [_kind_function(spec, catalog.KIND_BY_NAME[k], worker) for k in spec.workloads]
    return tuple(made)


# Answers that belong to one knob of a kind rather than to a function's numbers.
KNOB_ANSWERS = {catalog.SCHEDULE: ("cron", "timezone", "period"), catalog.WEB: ("web_style",),
                catalog.PUBLIC: ("public",)}  # fmt: skip


def _applies(spec: Spec, fns: tuple[Function, ...]) -> set[str]:
    """The answer keys some function of the plan takes."""
    keys = {key for fn in fns for key in fn.accepts}
    for knob, answers in KNOB_ANSWERS.items():
        if any(knob in catalog.KIND_BY_NAME[k].knobs for k in spec.workloads):
            keys |= set(answers)
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.sizing and spec.hf_model:
        keys |= {"model_params", "dtype"}
        if sizing.STACK_DEFAULTS[spec.stack]["kv"]:
            keys.add("max_model_len")
    return keys


def check_applicable(spec: Spec) -> None:
    """Refuse an option that no function of the plan takes: it would do nothing."""
    fns = functions(spec)
    applies = _applies(spec, fns)
    defaults = Spec(name="x")
    where = {key: "the " + " and ".join(catalog.kinds_taking(knob)) + " workloads"
             for knob, keys in KNOB_ANSWERS.items() for key in keys}  # fmt: skip
    checks: list[tuple[str, Any, Any]] = [
        *((k.key, spec.knob(k.key), k.default) for k in catalog.INT_KNOBS),
        ("single_use_containers", spec.single_use_containers, False),
        ("cpu", spec.cpu, None),
        ("cron", spec.cron, defaults.cron),
        ("timezone", spec.timezone, defaults.timezone),
        ("period", spec.period, None),
        ("web_style", spec.web_style, defaults.web_style),
        ("public", spec.public, False),
        ("snapshot", spec.snapshot, False),
        ("gpu_snapshot", spec.gpu_snapshot, False),
        ("model_params", spec.model_params, None),
        ("dtype", spec.dtype, None),
        ("max_model_len", spec.max_model_len, None),
    ]
    for key, value, default in checks:
        if value == default or key in applies:
            continue
        takers = sorted({fn.kind for fn in _all_kinds_plan(spec) if key in fn.accepts})
        target = where.get(key) or ("the " + ", ".join(takers) + " workloads" if takers else "no workload")
        hint = "add a workload with --workload, or leave the option out"
        if key in SIZING_KEYS:
            sized = [
                s.name
                for s in catalog.STACKS
                if s.sizing and (key != "max_model_len" or sizing.STACK_DEFAULTS[s.name]["kv"])
            ]
            target, hint = (
                f"a model sized for its GPUs, with the {', '.join(sized)} stacks",
                "choose one with --stack",
            )
        raise SpecError(
            key, SpecError.NO_VALUE, f"applies to {target}, and nothing in this project takes it; {hint}"
        )
    if spec.gpu_snapshot and not spec.snapshot:
        raise SpecError(
            "gpu_snapshot",
            SpecError.NO_VALUE,
            "needs --snapshot: a GPU snapshot is part of a memory snapshot",
        )
    if spec.gpu_snapshot and not any(fn.gpu_snapshot for fn in fns):
        raise SpecError("gpu_snapshot", SpecError.NO_VALUE, "needs a function that loads the model on a GPU")
    for key, _ in spec.gpu_for:
        if key not in {fn.key for fn in fns}:
            raise SpecError(
                "gpu_for", f"{key}=...", f"a function this project has: {', '.join(fn.key for fn in fns)}"
            )
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.needs_gpu:
        for fn in fns:
            if fn.role == "core" and fn.model_cache and not fn.gpu:
                field = "gpu_for" if spec.gpu_override(fn.key) is not None else "gpu"
                raise SpecError(
                    field, "cpu", f"a GPU for {fn.name}: the {stack.name} stack does not run on a CPU"
                )
    _check_gpu_counts(spec, fns)
    if spec.base == "cuda" and not any(fn.gpu for fn in fns):
        raise SpecError(
            "base",
            "cuda",
            "debian-slim for a CPU-only project: a CUDA image without a GPU is paid for and unused",
        )
    check_fits(spec, fns)


def _check_gpu_counts(spec: Spec, fns: tuple[Function, ...]) -> None:
    """A stack that loads one copy of the model on `cuda` uses one GPU: more, in any function that
    runs the core (a fallback entry or a --gpu-for too), would sit idle and be billed. The download
    and a CPU front hold no model and keep any GPU."""
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.gpu_use != catalog.ONE_GPU:
        return
    splitters = " or ".join(f"--stack {s.name}" for s in catalog.STACKS if s.gpu_use == catalog.SPLIT_GPUS)
    for fn in fns:
        if fn.role != "core":
            continue
        for choice in map(parse_gpu, fn.gpu):
            if choice.count == 1:
                continue
            given_for = spec.gpu_override(fn.key) is not None
            field, value = ("gpu_for", f"{fn.key}={choice}") if given_for else ("gpu", str(choice))
            raise SpecError(
                field,
                value,
                f"the {stack.name} stack loads one copy of the model on one GPU, so {choice.count - 1} of "
                f"these {choice.count} would sit idle: use {choice.gpu.name} (one GPU), or {splitters} to "
                "split a model over a container's GPUs (tensor parallelism)",
            )


SIZING_KEYS = ("model_params", "dtype", "max_model_len")
HUB_LOOKUPS = False  # the CLI turns on Hub look-ups for parameter counts; tests and imports stay offline


@functools.lru_cache(maxsize=64)
def _shape(model: str, params: str | None, hub: bool) -> sizing.ModelShape:
    return sizing.model_shape(model, params=params, hub=hub)


def model_need(spec: Spec) -> sizing.Need | None:
    """What the model needs on a GPU, for stacks sized before rendering; None for the others."""
    if not spec.hf_model or not catalog.STACK_BY_NAME[spec.stack].sizing:
        return None
    try:
        shape = _shape(spec.hf_model, spec.model_params, HUB_LOOKUPS)
        refusal = models.kind_refusal(shape, catalog.STACK_BY_NAME[spec.stack])
        if refusal:
            raise SpecError("hf_model", spec.hf_model, refusal)
        return sizing.memory_need(shape, stack=spec.stack, dtype=spec.dtype, max_model_len=spec.max_model_len)
    except sizing.SizingError as exc:
        raise SpecError(exc.field.lstrip("-").replace("-", "_"), exc.value, exc.allowed) from None


def pin_params(spec: Spec) -> Spec:
    """Record a parameter count the Hub gave as an answer, so that re-planning (`set`, `add`,
    `update`) gives the same sizing without asking the Hub again."""
    if not spec.hf_model or spec.model_params or not catalog.STACK_BY_NAME[spec.stack].sizing:
        return spec
    shape = _shape(spec.hf_model, None, HUB_LOOKUPS)
    if shape.source != "hub":
        return spec
    return dataclasses.replace(spec, model_params=f"{shape.params / 1e9:.4g}B")


PINNED_REVISION = re.compile(r"[0-9a-f]{40}")


# How each model revision came to be what it is, as pin_revision found it: "REPO@<sha>" -> the branch it
# was the commit of; "REPO" or "REPO@BRANCH" left as it was -> why. The summary says it (revision_note).
_PIN_NOTES: dict[str, str] = {}


@functools.lru_cache(maxsize=64)
def _branch_commit(repo: str, branch: str) -> str | None:
    return sizing.hub_commit(repo, branch)


def pin_revision(spec: Spec) -> Spec:
    """A branch becomes the commit it is at on the Hub when the Hub answers (2 s at most): REPO alone
    (its main) and REPO@BRANCH (with --allow-unpinned) alike, so the project serves that commit until
    the user changes it. Otherwise the branch is kept, and revision_note says why it is not pinned."""
    if not spec.hf_model:
        return spec
    repo, _, branch = spec.hf_model.partition("@")
    if PINNED_REVISION.fullmatch(branch) or not HUB_LOOKUPS:
        return spec
    branch = branch or "main"
    switch = sizing.offline_switch()
    if switch:
        _PIN_NOTES[spec.hf_model] = f"{switch} is set, so the Hub was not asked for {branch}'s commit"
        return spec
    sha = _branch_commit(repo, branch)
    if sha is None:
        _PIN_NOTES[spec.hf_model] = (
            f"the Hub gave no commit for {branch} (no answer within 2 s, or no such repo or branch)"
        )
        return spec
    _PIN_NOTES[f"{repo}@{sha}"] = f"{branch}'s commit on the Hub now"
    return dataclasses.replace(spec, hf_model=f"{repo}@{sha}")


def revision_note(hf_model: str) -> str | None:
    """Why a revision is what it is: the branch a pinned commit came from, or why a branch is not pinned
    (None for a commit the user gave)."""
    if hf_model in _PIN_NOTES:
        return _PIN_NOTES[hf_model]
    branch = hf_model.partition("@")[2]
    if PINNED_REVISION.fullmatch(branch):
        return None
    return f"modalgen did not ask the Hub for {branch or 'main'}'s commit"


def tensor_parallel(stack: str) -> bool:
    """Whether a stack splits one model over the GPUs of a container (its catalogue record says)."""
    return catalog.STACK_BY_NAME[stack].gpu_use == catalog.SPLIT_GPUS


def fitting_shapes(spec: Spec, need: sizing.Need) -> list[dict[str, Any]]:
    """The GPU shapes the model fits on, cheapest per hour first (what `modalgen gpus --model` lists)."""
    split = tensor_parallel(spec.stack)
    gpus = [(g.name, g.vram_gb, g.max_count if split else 1, g.price_per_hour) for g in catalog.GPUS]
    return sizing.shapes(need, gpus)


def shape_text(row: dict[str, Any]) -> str:
    """One GPU shape with its price: "H200:2 ($9.08/hr)"."""
    name = row["gpu"] if row["count"] == 1 else f"{row['gpu']}:{row['count']}"
    price = "price unknown" if row["price_per_hour"] is None else f"${row['price_per_hour']:.2f}/hr"
    return f"{name} ({price})"


def check_fits(spec: Spec, fns: tuple[Function, ...]) -> None:
    """A model that does not fit the GPUs planned for it is refused, with the arithmetic and what fits."""
    need = model_need(spec)
    if need is None:
        return
    split = tensor_parallel(spec.stack)
    for fn in fns:
        if not (fn.model_cache and fn.gpu):
            continue
        for gpu_spec in fn.gpu:
            choice = parse_gpu(gpu_spec)
            count = choice.count if split else 1
            if sizing.fits(need, choice.gpu.vram_gb, count):
                continue
            cheapest = ", ".join(shape_text(row) for row in fitting_shapes(spec, need)[:3])
            field = "gpu_for" if spec.gpu_override(fn.key) is not None else "gpu"
            arithmetic = need.arithmetic(choice.gpu.vram_gb * count, gpu_spec)
            raise SpecError(field, gpu_spec, f"{arithmetic}; cheapest that fit: {cheapest or 'none'}")


def _all_kinds_plan(spec: Spec) -> tuple[Function, ...]:
    """Every kind planned as if it were in the project: which kinds would take an option."""
    return tuple(_kind_function(spec, kind, None) for kind in catalog.KINDS)


# ---------------------------------------------------------------------------------------------
# What the files show


def _kind_packages(spec: Spec, fns: tuple[Function, ...]) -> tuple[list[str], list[str]]:
    """What the project's kinds need: pins for the model image (a front's go to its own image),
    requirements for the offline tests."""
    image: list[str] = []
    dev: list[str] = []
    stack = catalog.STACK_BY_NAME[spec.stack]
    fronts = {fn.kind for fn in fns if fn.image == "front_image"}
    for name in spec.workloads:
        kind = catalog.KIND_BY_NAME[name]
        packages, dev_packages = kind.packages, kind.dev_packages
        if kind.decorator == "server" and stack.own_server:
            packages = ()  # the stack's server brings its own web framework, at the versions it pins
        if catalog.WEB in kind.knobs:
            style_packages, style_dev = catalog.WEB_STYLE_PACKAGES[spec.web_style]
            packages, dev_packages = (*packages, *style_packages), (*dev_packages, *style_dev)
        if name in fronts:
            packages = ()
        image += [p for p in packages if p not in image]
        dev += [p for p in dev_packages if p not in dev]
    if spec.hf_model:
        image.append("huggingface_hub")
        dev.append("huggingface-hub>=1.0")
    return [catalog.PINS[p] for p in sorted(image, key=list(catalog.PINS).index)], sorted(dev)


def _package_name(requirement: str) -> str:
    import re

    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _front_image(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any] | None:
    """The light image of the fronts: the web framework they serve with, and nothing of the model's."""
    fronts = [fn for fn in fns if fn.image == "front_image"]
    if not fronts:
        return None
    web = any(catalog.WEB in catalog.KIND_BY_NAME[fn.kind].knobs for fn in fronts)
    packages = catalog.WEB_STYLE_PACKAGES[spec.web_style][0] if web else ()
    return {"packages": [catalog.PINS[p] for p in packages], "for": [fn.name for fn in fronts]}


def _image(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    stack = catalog.STACK_BY_NAME[spec.stack]
    kind_packages, _ = _kind_packages(spec, fns)
    packages: list[str] = []
    for requirement in [*stack.packages, *kind_packages]:  # the stack's pins win over modalgen's own
        if _package_name(requirement) not in {_package_name(p) for p in packages}:
            packages.append(requirement)
    env = {**dict(stack.env), **dict(spec.env)}
    if spec.hf_model:
        env.setdefault("HF_XET_HIGH_PERFORMANCE", "1")
    return {
        "base": spec.base,
        "cuda_image": catalog.cuda_image(stack) if spec.base == "cuda" else None,
        "apt": list(spec.apt),
        # With --uv-sync the runtime packages are the project's own dependencies (pyproject.toml):
        # the image installs them from uv.lock, and no pip layer installs anything twice.
        "packages": [] if spec.uv_sync else [*packages, *spec.pip],
        "dependencies": [*packages, *spec.pip] if spec.uv_sync else [],
        "env": dict(sorted(env.items())),
        "uv_sync": spec.uv_sync,
        "front": _front_image(spec, fns),
    }


def _make_targets(spec: Spec, fns: tuple[Function, ...]) -> tuple[dict[str, Any], ...]:
    run_fn = next((fn for fn in fns[1:] if fn.entrypoint and fn.role != "download"), fns[0])
    modal = "cd $(ROOT) && uv run modal"
    ref = "-m $(PACKAGE).app::app"
    # Never `modal run --detach` with a local entrypoint: it keeps only the last function the
    # entrypoint triggered (modal/cli/run.py says so); work that must outlive the terminal is
    # submitted to the deployed app instead (the spawn workload's `make submit`).
    run_help = f"Run {run_fn.name} on Modal (an ephemeral app: it stops when this command ends)"
    targets = [
        ("install", "Create .venv with modal and the dev tools", ["uv sync"]),
        (
            "test",
            "ruff (an undefined name fails here), then the offline tests: no network, no Modal account",
            ["uv run ruff check .", 'uv run pytest -m "not smoke and not model"'],
        ),
        ("lint", "ruff, as CI runs it", ["uv run ruff check .", "uv run ruff format --check ."]),
        ("fmt", "Fix what ruff can", ["uv run ruff check --fix .", "uv run ruff format ."]),
        ("run", run_help, [f"{modal} run $(ENV_FLAG) {ref}.{run_fn.entrypoint}"]),
    ]
    for name in spec.workloads:
        for target, help_text, command in catalog.KIND_BY_NAME[name].make:
            targets.append((target, help_text, [f"cd $(ROOT) && uv run {command}"]))
    if spec.hf_model:
        targets.append(("download", "Download the model's pinned revision into the huggingface-cache Volume",
                        [f"{modal} run $(ENV_FLAG) {ref}.download_weights"]))  # fmt: skip
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.test_packages:
        targets.append(("test-model", stack.test_model,
                        ["$(MODEL_RUN) pytest -m model -v"]))  # fmt: skip
    targets.append(("smoke", "Run each function on Modal; check its answer and the hardware it ran on",
                    ['uv run pytest -m smoke -v -rs']))  # fmt: skip
    if any(catalog.KIND_BY_NAME[k].serves_http for k in spec.workloads):
        targets.append(
            (
                "serve",
                "Serve the app with hot reload (modal serve)",
                [f"{modal} serve $(ENV_FLAG) -m $(PACKAGE).app"],
            )
        )
    if bench_target(spec, fns):
        flags = " ".join(f"$(if $({var}),--{flag} $({var}))" for var, flag in BENCH_MAKE_VARS)
        targets += [
            ("bench", "Load-test the endpoint: latency, throughput, $/request (URL= the deployed one, "
             "else served here)",
             [needs_modalgen("bench"), f"cd $(ROOT) && modalgen bench {flags} $(if $(JSON),--json)"]),
            ("coldstart", "Cold-start the deployed endpoint (URL=...): time to first byte, split by the "
             "container's own timestamps",
             [COLDSTART_NEEDS_URL, needs_modalgen("coldstart"),
              "cd $(ROOT) && modalgen coldstart --url $(URL) $(if $(JSON),--json)"]),
        ]  # fmt: skip
    logs = "uv run modal app logs $(ENV_FLAG) $(APP)"
    targets += [
        ("deploy", "Deploy the app (MODAL_ENVIRONMENT picks the environment)",
         [f"{modal} deploy $(ENV_FLAG) -m $(PACKAGE).app"]),
        ("logs", "Stream the deployed app's logs", [f"{logs} -f"]),
        ("logs-recent", "The deployed app's last log entries, then exit", [logs]),
        ("shell", "A shell in a container with run_core's image, hardware and Volumes",
         [f"{modal} shell $(ENV_FLAG) {ref}.run_core"]),
    ]  # fmt: skip
    return tuple({"name": n, "help": h, "recipe": r} for n, h, r in targets)


TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _make_vars(spec: Spec) -> tuple[dict[str, str], ...]:
    """MODEL_RUN: how `make test-model` gets the stack's packages without touching uv.lock.

    `uv run --with` adds them for the run only. torch comes from PyTorch's CPU index: from PyPI, uv
    would take a CUDA build of several GB on Linux, useless for a test on a CPU. Override it to use
    an environment you have: `make test-model MODEL_RUN="path/to/python -m"`.
    """
    stack = catalog.STACK_BY_NAME[spec.stack]
    if not stack.test_packages:
        return ()
    withs = " ".join(f"--with '{p}'" for p in stack.test_packages)
    torch = any(p.startswith("torch") for p in stack.test_packages)
    index = f"--index {TORCH_CPU_INDEX} --index-strategy unsafe-best-match " if torch else ""
    comment = ("the stack's packages for this run only (uv.lock untouched), torch as a CPU build"
               if torch else "the stack's packages for this run only (uv.lock untouched)")  # fmt: skip
    return ({"name": "MODEL_RUN", "value": f"uv run {index}{withs}", "comment": comment},)


def _own_server_readme(text: str, server: Function) -> str:
    """The stack's README text on its Server, with this Server's settings."""
    settings = server.server
    if settings["fast_boot"]:
        boot = (
            "It scales from zero, so it skips CUDA graph capture (`--enforce-eager`, `FAST_BOOT` in "
            "core.py) to boot faster; with warm replicas (`--min-containers`) it would capture them."
        )
    else:
        boot = (
            "Its replicas stay warm, so it captures CUDA graphs (`FAST_BOOT = False` in core.py) for "
            "faster tokens at a slower boot."
        )
    return text.format(
        startup=settings["startup_timeout"] // 60,
        concurrency=settings["target_concurrency"],
        scaledown=(server.scaledown_window or 0) // 60,
        grace=settings["exit_grace_period"] or 0,
        boot=boot,
    )


def _readme(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    pkg = spec.package
    files = [
        (
            f"{pkg}/common.py",
            "the `modal.App`, the image, the shared settings, and `run_core`, the core on Modal",
        ),
        (
            f"{pkg}/core.py",
            "the work itself, plain Python: Modal runs it on the planned hardware, the tests on a CPU",
        ),
        (f"{pkg}/app.py", "the deploy target: imports every module that registers functions"),
    ]
    for fn in fns[1:]:
        what = (
            catalog.KIND_BY_NAME[fn.kind].summary
            if fn.kind in catalog.KIND_BY_NAME
            else "downloads the model's pinned revision into the cache Volume"
        )
        files.append((f"{pkg}/{fn.module}.py", f"`{fn.name}`: {what}"))
    if spec.secrets:
        files.append((".env.example", "the keys each Modal Secret holds (values never written)"))
    files += [
        (".github/workflows/ci.yml",
         "lint and offline tests on push; smoke tests, then deploy, from main; smoke alone by hand"),
        ("AGENTS.md", "the project's commands, for coding agents"),
        ("tests/",
         "offline tests of every function (valid on Modal, logic run locally); smoke tests run on Modal"),
    ]  # fmt: skip
    readmes = [catalog.KIND_BY_NAME[k].readme for k in spec.workloads if catalog.KIND_BY_NAME[k].readme]
    sections = [{"title": title, "text": text} for title, text in readmes]
    server = next((fn for fn in fns if fn.server), None)
    own = catalog.STACK_BY_NAME[spec.stack].server_readme
    if server and own:  # the stack runs its own server process: its own word on it
        sections = [s for s in sections if s["title"] != "The Server"]
        sections.append({"title": "The Server", "text": _own_server_readme(own, server)})
    # Endpoints behind Modal proxy auth: their smoke tests (and CI) need a proxy auth token.
    proxy_auth = any(not (fn.web or fn.server)["public"] for fn in fns if fn.web or fn.server)
    return {"files": [{"path": p, "what": w} for p, w in files], "kinds": sections, "proxy_auth": proxy_auth}


def _sizing_data(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    """The model's size and what it needs, as the summary and the README show them."""
    need = model_need(spec)
    if need is None:
        return {}
    holder = next((fn for fn in fns[1:] if fn.model_cache and fn.gpu), fns[0])
    data: dict[str, Any] = {"params": need.params, "dtype": need.dtype, "need_gb": round(need.total_gb, 1),
                            "arithmetic": need.arithmetic(), "max_model_len": need.max_model_len}  # fmt: skip
    if holder.gpu:
        choice = parse_gpu(holder.gpu[0])
        count = choice.count if tensor_parallel(spec.stack) else 1
        data["arithmetic"] = need.arithmetic(choice.gpu.vram_gb * count, holder.gpu[0])
    return data


def gpu_dtype(spec: Spec, fns: tuple[Function, ...]) -> str:
    """The torch dtype the model runs in on this project's GPUs, decided here rather than by asking
    CUDA in the container: a CUDA query before a memory snapshot pins the device count at 0 for
    the life of the restored process (c10/cuda/CUDAFunctions.cpp, device_count()). bf16 where every
    GPU that may run the model has it, else fp16 (a T4 in the fallbacks)."""
    asked = {"fp16": "float16", "fp32": "float32", "bf16": "bfloat16"}.get(spec.dtype or "")
    choices = [parse_gpu(g).gpu for fn in fns if fn.model_cache and fn.role != "download" for g in fn.gpu]
    if not all(gpu.bf16 for gpu in choices):
        return "float32" if asked == "float32" else "float16"
    return asked or "bfloat16"


def make_plan(spec: Spec) -> Plan:
    fns = functions(spec)
    volumes = tuple(
        {"name": v.name, "mount": v.mount, "ident": volume_identifier(v.name)} for v in spec.volumes
    )
    model = None
    if spec.hf_model:
        repo, _, revision = spec.hf_model.partition("@")
        revision = revision or "main"  # REPO alone, not pinned: the Hub did not answer `new`
        model = {"repo": repo, "revision": revision, "pinned": bool(PINNED_REVISION.fullmatch(revision)),
                 "cache_dir": catalog.HF_CACHE_MOUNT,
                 "gated": repo.startswith(catalog.GATED_ORGS), "gpu_dtype": gpu_dtype(spec, fns),
                 **_sizing_data(spec, fns)}  # fmt: skip
    stack = catalog.STACK_BY_NAME[spec.stack]
    caches = [
        {"name": name, "mount": mount, "ident": volume_identifier(name)} for name, mount in stack.volumes
    ]
    return Plan(
        name=spec.name,
        package=spec.package,
        description=spec.description,
        gpu=tuple(str(g) for g in spec.gpus),
        python=spec.python,
        image_builder=spec.image_builder,
        kinds=spec.workloads,
        functions=fns,
        image=_image(spec, fns),
        volumes=volumes,
        secrets=tuple({"name": s.name, "keys": list(s.keys)} for s in spec.secrets),
        model=model,
        stack={
            "name": stack.name,
            "summary": stack.summary,
            "media_type": stack.media_type,
            "example": stack.example,
            "licence": stack.licence,
            "sizing": stack.sizing,
            "own_server": stack.own_server,
            "input_batch": stack.input_batch,
            "test_model": stack.test_model,
            "test_packages": list(stack.test_packages),
            "model": stack.model,
        },  # fmt: skip
        caches=tuple(caches),
        make=_make_targets(spec, fns),
        make_vars=_make_vars(spec),
        readme=_readme(spec, fns),
        dev_packages=tuple(_kind_packages(spec, fns)[1]),
        bench=bench_target(spec, fns),
        applies=frozenset(_applies(spec, fns)),
    )


# What `make bench` sends, per stack: the stack's own kind of request.
BENCH_REQUESTS = {
    "vllm": "a streamed chat completion (POST /v1/chat/completions), the tokens counted from its usage",
    "transformers": 'a prompt (POST {"text": ...}); the answer counts the tokens generated',
    "embeddings": 'a text to embed (POST {"text": ...})',
    "diffusers": 'a prompt for one image (POST {"text": ...}), a PNG back',
}
TOKEN_STACKS = ("transformers", "vllm")
# `make bench URL=... REQUESTS=200 CONCURRENCY=8 DURATION=60 READY_TIMEOUT=120 JSON=1`: Makefile
# variables -> flags
BENCH_MAKE_VARS = (
    ("URL", "url"),
    ("REQUESTS", "requests"),
    ("CONCURRENCY", "concurrency"),
    ("DURATION", "duration"),
    ("READY_TIMEOUT", "ready-timeout"),
)
# `make coldstart` without URL= stops in Make's words (GNU make's $(error), expanded when the recipe
# runs) rather than in argparse's about a --url flag the user never typed. No comma: $(if) splits on it.
COLDSTART_NEEDS_URL = (
    "$(if $(URL),,$(error coldstart measures the deployed endpoint: "
    "make coldstart URL=https://<your app>.modal.run (`make deploy` prints it)))"
)


def needs_modalgen(target: str) -> str:
    """`make bench` and `make coldstart` run modalgen's tools: without modalgen on PATH, one line
    says how to get the version that made the project (the rest of the Makefile never needs it)."""
    from modalgen import __version__

    says = f"make {target} needs modalgen {__version__} (the version that made this project):"
    get = f"uv tool install modalgen=={__version__}"
    return f'@command -v modalgen >/dev/null || {{ echo "{says} {get}" >&2; exit 1; }}'


def bench_target(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any] | None:
    """The HTTP endpoint `make bench` measures (a Server first, else the web function), or None."""
    serving = [fn for fn in fns if fn.server] + [fn for fn in fns if fn.web]
    if not serving:
        return None
    fn = serving[0]
    stack = catalog.STACK_BY_NAME[spec.stack]
    if fn.server:
        style = "openai" if stack.own_server else "server"
    else:
        style = fn.web["style"]
    path = {"openai": "/v1/chat/completions", "fastapi": ""}.get(style, "/process")
    holders = [{"module": fn.module, "obj": fn.name}]
    serving = [fn]
    if fn.calls:
        holders.append({"module": fn.calls["module"], "obj": fn.calls["obj"]})
        serving += [f for f in fns if f.name == fn.calls["obj"]]
    # The endpoint as code reaches it: a function, or the method of the class that loads the model.
    endpoint = (
        f"{fn.module}.{fn.name}().{fn.method}"
        if fn.web and fn.decorator == "cls"
        else f"{fn.module}.{fn.name}"
    )
    return {
        "module": fn.module,
        "obj": fn.name,
        "endpoint": endpoint,
        "style": style,
        "path": path,
        "public": (fn.server or fn.web)["public"],
        "holders": holders,
        "priced": all(f.price_per_hour is not None for f in serving),  # every GPU on the way has a price
        "tokens": spec.stack in TOKEN_STACKS,
        "stream": stack.own_server,
        "what": BENCH_REQUESTS.get(spec.stack, 'the core\'s input (POST {"text": ...})'),
    }


def costs(plan: Plan) -> dict[str, Any]:
    """Per hour while everything runs, and per month for the warm containers alone."""
    hourly = [fn.price_per_hour for fn in plan.functions]
    monthly = [fn.monthly_warm_cost for fn in plan.functions]
    return {
        "warm_per_month": None if None in monthly else round(sum(m or 0 for m in monthly), 2),
        "known": None not in hourly,
    }
