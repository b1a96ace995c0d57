"""The project's functions, each with its own resources, as the templates write them.

Where each runs and which options it takes is the answers' placement (modalgen/answers/placement.py);
this module turns each placement into a Function: its decorator, image, numbers, Volumes, schedule,
endpoint and price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.answers.fields import GpuChoice
from modalgen.answers.model import model_need
from modalgen.answers.placement import Placement, core_probe, download, placements, worker_of
from modalgen.answers.spec import Spec, knob_options

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
    # The answers to options it takes that have no field above (an option record added to the
    # catalogue): the templates read them as `fn.settings.KEY`.
    settings: tuple[tuple[str, Any], ...] = ()

    @property
    def monthly_warm_cost(self) -> float | None:
        if not self.warm:
            return 0.0
        return (
            None if self.price_per_hour is None else self.price_per_hour * self.warm * catalog.HOURS_PER_MONTH
        )


# Numbers the plan shows inside a group of their own: `batching` and `server`.
GROUPED_NUMBERS = ("batch_size", "batch_wait_ms", "target_concurrency")


def settings(spec: Spec, accepts: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """The answers to the options a function takes that no field of Function shows."""
    shown = {f for f in Function.__dataclass_fields__} | set(GROUPED_NUMBERS)
    return tuple((o.key, spec.knob(o.key)) for o in knob_options() if o.key in accepts and o.key not in shown)


def price(gpu: tuple[GpuChoice, ...], cpu: float | None, memory: int | None) -> float | None:
    """$/hr while a container runs, on the first GPU choice (fallbacks cost what they cost)."""
    compute = (cpu or catalog.DEFAULT_CPU) * catalog.CPU_PRICE_PER_CORE_HOUR
    compute += (memory or catalog.DEFAULT_MEMORY_MIB) / 1024 * catalog.MEMORY_PRICE_PER_GIB_HOUR
    if not gpu:
        return round(compute, 4)
    gpu_price = gpu[0].price_per_hour
    return None if gpu_price is None else round(gpu_price + compute, 4)


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


def _numbers(spec: Spec, kind: catalog.Kind, knobs: frozenset[str], role: str) -> dict[str, Any]:
    """The function's numbers: those of the knobs it takes where it runs."""
    value = spec.knob
    warm = catalog.WARM in knobs
    max_inputs = value("max_inputs") if catalog.CONCURRENT in knobs else None
    if role == "front" and catalog.CONCURRENT in kind.knobs:
        max_inputs = catalog.FRONT_MAX_INPUTS
    return {
        "cpu": spec.cpu if catalog.RESOURCES in knobs else None,
        "memory": value("memory") if catalog.RESOURCES in knobs else None,
        "timeout": _timeout(spec, knobs),
        "retries": _retries(spec, knobs),
        "min_containers": (value("min_containers") or None) if warm else None,
        "max_containers": value("max_containers") if catalog.MAX_CONTAINERS in knobs else None,
        "buffer_containers": value("buffer_containers") if warm else None,
        "scaledown_window": _scaledown_window(spec, kind) if warm else None,
        "max_inputs": max_inputs,
        "warm": (value("min_containers") or 0) if warm else 0,
    }


def _timeout(spec: Spec, knobs: frozenset[str]) -> int | None:
    if catalog.TRAINING in knobs:  # one attempt of a run: hours, where a request takes minutes
        return spec.knob("train_timeout")
    return spec.knob("timeout") if catalog.TIMEOUT in knobs else None


def _retries(spec: Spec, knobs: frozenset[str]) -> int | None:
    if catalog.TRAINING in knobs:  # every attempt resumes from the newest checkpoint
        return spec.knob("train_retries") or None
    return (spec.knob("retries") or None) if catalog.RETRIES in knobs else None


def _kind_function(spec: Spec, place: Placement, worker: catalog.Kind | None) -> Function:
    kind = catalog.KIND_BY_NAME[place.kind]
    knobs, role, gpu = place.knobs, place.role, place.gpu
    numbers = _numbers(spec, kind, knobs, role)
    snapshot = spec.snapshot and catalog.SNAPSHOT in knobs and role == "core"
    batching = {"size": spec.knob("batch_size"), "wait_ms": spec.knob("batch_wait_ms")}
    return Function(
        name=place.name,
        input_batch=place.input_batch,
        key=kind.name,
        kind=kind.name,
        module=kind.module,
        decorator="cls" if place.as_cls else kind.decorator,
        method=kind.obj if place.as_cls else kind.method,
        image="front_image" if role == "front" else "image",
        role=role,
        gpu=tuple(str(g) for g in gpu),
        project_gpu=bool(gpu) and gpu == spec.gpus,
        **numbers,
        single_use=spec.single_use_containers and catalog.SINGLE_USE in knobs,
        volumes=bool(spec.mounted_volumes),
        model_cache=place.model_cache,
        secrets=bool(spec.secrets),
        snapshot=snapshot,
        gpu_snapshot=snapshot and spec.gpu_snapshot and bool(gpu),
        schedule=_schedule(spec) if catalog.SCHEDULE in kind.knobs else None,
        web={"style": spec.web_style, "public": spec.public} if catalog.WEB in kind.knobs else None,
        batching=batching if catalog.BATCHING in knobs else None,
        server=_server(spec) if catalog.SERVER in knobs else None,
        calls=_calls(spec, worker) if role == "front" and worker else None,
        entrypoint=kind.entrypoint,
        price_per_hour=price(gpu, numbers["cpu"], numbers["memory"]),
        accepts=place.accepts,
        settings=settings(spec, place.accepts) + _parallel(spec, place),
    )


def _parallel(spec: Spec, place: Placement) -> tuple[tuple[str, Any], ...]:
    """A fine-tune's several GPUs: DDP where each holds the whole run, FSDP where only a share fits
    (catalog/train_loop.py); the loop the template writes reads it as `fn.settings.parallel`."""
    if catalog.FINETUNE not in place.knobs or not spec.hf_model or not place.gpu:
        return ()
    from modalgen.answers.model import model_shape
    from modalgen.catalog import train_loop

    choices = [(choice.gpu.name, choice.count) for choice in place.gpu]
    return (("parallel", train_loop.loop_parallel(model_shape(spec), spec.knob("train_method"), choices)),)


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


def _placed(spec: Spec, place, **own: Any) -> Function:
    """A function the answers stage placed on its own (run_core, download_weights): where it runs,
    what it costs there, and the project's Volumes and Secrets; `own` holds the rest."""
    return Function(
        name=place.name,
        key=place.key,
        kind=place.kind,
        gpu=tuple(str(g) for g in place.gpu),
        project_gpu=bool(place.gpu) and place.gpu == spec.gpus,
        volumes=bool(spec.mounted_volumes),
        secrets=bool(spec.secrets),
        **own,
    )


def _core_probe(spec: Spec) -> Function:
    """run_core: the GPU core on its own, what `make smoke` and `make shell` use."""
    place = core_probe(spec)
    return _placed(
        spec,
        place,
        module="common",
        role="core",
        price_per_hour=price(place.gpu, spec.cpu, spec.knob("memory")),
        cpu=spec.cpu,
        memory=spec.knob("memory"),
        timeout=spec.knob("timeout"),
        model_cache=place.model_cache,
        entrypoint="run_core",
        accepts=place.accepts,
        settings=settings(spec, place.accepts),
    )


def _download(spec: Spec) -> Function:
    """download_weights: fetch the pinned revision into the cache Volume, on CPU, for an hour at most."""
    place = download(spec)
    # Its Volumes are MODEL_VOLUMES: the project's and the cache.
    return _placed(
        spec,
        place,
        module="weights",
        role="download",
        price_per_hour=price(place.gpu, None, None),
        timeout=catalog.DOWNLOAD_TIMEOUT,
        model_cache=True,
        entrypoint="download_weights",
    )


def functions(spec: Spec) -> tuple[Function, ...]:
    """Every function of the project, in the order of its placements."""
    worker = worker_of(spec)
    made = []
    for place in placements(spec):
        if place.role == "download":
            made.append(_download(spec))
        elif place.key == catalog.CORE_PROBE:
            made.append(_core_probe(spec))
        else:
            made.append(_kind_function(spec, place, worker))
    return tuple(made)
