"""Where each function of a project runs, and which options it takes: decided from the answers.

The rule that matters for the user's money: a function gets a GPU only where the work runs.
Functions that run the core get the project's GPU; a web front, cron or spawn beside a worker
(`service`, `batched`) runs on CPU and sends its work to the worker, which holds the model and the
warm containers; the weights download runs on CPU with a long timeout. `--gpu-for` overrides any
of these.

The answers stage decides it, so that its checks (which options apply, which GPUs fit) and the
plan (`modalgen/plan/functions.py`, which writes each function out) read the one decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from modalgen import catalog
from modalgen.answers.fields import GpuChoice

if TYPE_CHECKING:
    from modalgen.answers.spec import Spec

# What a front leaves to its worker, which holds the model: warm containers, resources, the
# concurrency knob, memory snapshots.
WORKER_KNOBS = frozenset(
    {catalog.WARM, catalog.RESOURCES, catalog.MAX_CONTAINERS, catalog.CONCURRENT, catalog.SNAPSHOT}
)


@dataclass(frozen=True)
class Placement:
    """One function of the project: where it runs and the knobs it takes there."""

    key: str  # what --gpu-for calls it: a kind, "core" or "download"
    kind: str
    name: str  # the Python object: "batch_job", "Service", "run_core", "download_weights"
    role: str  # "core": runs the core itself; "front": sends its work to the worker; "download"
    gpu: tuple[GpuChoice, ...]  # in fallback order; () is CPU-only
    knobs: frozenset[str]  # the knobs it takes where it runs
    accepts: tuple[str, ...]  # the options that apply to it (answer keys)
    model_cache: bool  # it reads the Hugging Face cache Volume: it holds the model
    input_batch: int | None = None  # inputs per call, where the stack wants them in batches
    as_cls: bool = False  # a kind's function that runs the core becomes its class (Kind.cls_when_core)

    @property
    def snapshot_possible(self) -> bool:
        return catalog.SNAPSHOT in self.knobs


def worker_of(spec: Spec) -> catalog.Kind | None:
    """The kind that holds the model, which fronts send their work to (catalogue order)."""
    return next((catalog.KIND_BY_NAME[k] for k in spec.workloads if catalog.KIND_BY_NAME[k].worker), None)


def accepted(knobs: frozenset[str]) -> tuple[str, ...]:
    """The options a function with these knobs takes: the numbers, then the others knob by knob."""
    taken = [o for o in catalog.OPTIONS if o.scope == catalog.FUNCTION and o.needs in knobs]
    numbers = [o.key for o in taken if o.key in catalog.INT_KNOB_BY_KEY]
    others = sorted((o for o in taken if o.key not in catalog.INT_KNOB_BY_KEY), key=_knob_rank)
    return (*numbers, *(o.key for o in others))


def _knob_rank(option: catalog.Option) -> int:
    return catalog.KNOBS.index(option.needs) if option.needs in catalog.KNOBS else len(catalog.KNOBS)


def kind_placement(spec: Spec, kind: catalog.Kind, worker: catalog.Kind | None) -> Placement:
    override = spec.gpu_override(kind.name)
    gpu = spec.gpus if override is None else override
    front_possible = kind.placement == "front" and worker is not None
    if override is None and front_possible:
        gpu = ()  # the worker holds the GPU; this function only sends it work
    role = "front" if front_possible and not gpu else "core"
    knobs = kind.knobs if role == "core" else kind.knobs - WORKER_KNOBS
    knobs |= catalog.STACK_BY_NAME[spec.stack].knobs_of(kind.name)  # its stack's own, e.g. finetune
    as_cls = role == "core" and kind.cls_when_core is not None
    input_batch = catalog.STACK_BY_NAME[spec.stack].input_batch if kind.batch_obj else None
    name = kind.cls_when_core if as_cls else (kind.batch_obj if input_batch else kind.obj)
    return Placement(key=kind.name, kind=kind.name, name=name, role=role, gpu=tuple(gpu), knobs=knobs,
                     accepts=accepted(knobs), model_cache=bool(spec.hf_model) and role == "core",
                     input_batch=input_batch, as_cls=as_cls)  # fmt: skip


def core_probe(spec: Spec) -> Placement:
    """run_core: the GPU core on its own, what `make smoke` and `make shell` use."""
    override = spec.gpu_override(catalog.CORE_PROBE)
    gpu = spec.gpus if override is None else override
    one_copy = catalog.STACK_BY_NAME[spec.stack].gpu_use == catalog.ONE_GPU
    if override is None and one_copy and any(catalog.KIND_BY_NAME[k].every_gpu for k in spec.workloads):
        # One copy of the model on one GPU: the project's several GPUs are the train workload's.
        gpu = tuple(dict.fromkeys(GpuChoice(choice.name) for choice in gpu))
    knobs = frozenset({catalog.TIMEOUT, catalog.RESOURCES})
    return Placement(key=catalog.CORE_PROBE, kind=catalog.CORE_PROBE, name="run_core", role="core",
                     gpu=gpu, knobs=knobs,
                     accepts=("timeout", "cpu", "memory"),  # as plan data has always listed them
                     model_cache=bool(spec.hf_model))  # fmt: skip


def download(spec: Spec) -> Placement:
    """download_weights: the pinned revision into the cache Volume, on CPU unless --gpu-for says."""
    return Placement(key=catalog.DOWNLOAD, kind=catalog.DOWNLOAD, name="download_weights", role="download",
                     gpu=spec.gpu_override(catalog.DOWNLOAD) or (), knobs=frozenset(), accepts=(),
                     model_cache=True)  # fmt: skip


def placements(spec: Spec) -> tuple[Placement, ...]:
    """Every function of the project: run_core, the download with a model, then one per kind."""
    worker = worker_of(spec)
    made = [core_probe(spec)]
    if spec.hf_model:
        made.append(download(spec))
    made += [kind_placement(spec, catalog.KIND_BY_NAME[k], worker) for k in spec.workloads]
    return tuple(made)


def every_kind(spec: Spec) -> tuple[Placement, ...]:
    """Every kind placed as if it were in the project: which kinds would take an option."""
    return tuple(kind_placement(spec, kind, None) for kind in catalog.KINDS)
