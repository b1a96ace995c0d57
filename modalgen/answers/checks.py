"""The rules between answers that need to know where each function runs: which options apply, which
GPUs the stack can use, whether the model fits. Run by `parse_spec`, before any plan is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modalgen import catalog
from modalgen.answers import model
from modalgen.answers.fields import SpecError
from modalgen.answers.placement import Placement, every_kind, placements
from modalgen.catalog import sizing

if TYPE_CHECKING:
    from modalgen.answers.spec import Spec


def project_knobs(spec: Spec) -> set[str]:
    """The knobs of the project as a whole: those of its kinds, and a model sized for its GPUs."""
    knobs = {knob for k in spec.workloads for knob in catalog.KIND_BY_NAME[k].knobs}
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.sizing and spec.hf_model:
        knobs.add(catalog.SIZED)
        if stack.memory and stack.memory.kv:
            knobs.add(catalog.KV_CACHE)
    return knobs


def applies(spec: Spec, fns: tuple[Placement, ...]) -> set[str]:
    """The answer keys some function of the project takes, or the project itself."""
    keys = {key for fn in fns for key in fn.accepts}
    knobs = project_knobs(spec)
    return keys | {o.key for o in catalog.OPTIONS if o.scope == catalog.PROJECT and o.needs in knobs}


def _where(option: catalog.Option, spec: Spec) -> tuple[str, str]:
    """What an option applies to, and what to do about it, for the refusal of one nothing takes."""
    hint = "add a workload with --workload, or leave the option out"
    if option.needs in (catalog.SIZED, catalog.KV_CACHE):
        kv = option.needs == catalog.KV_CACHE
        sized = [s.name for s in catalog.STACKS if s.sizing and (not kv or (s.memory and s.memory.kv))]
        return f"a model sized for its GPUs, with the {', '.join(sized)} stacks", "choose one with --stack"
    if option.needs == catalog.FINETUNE:
        return "the train workload of the finetune stack", "use --stack finetune, or leave the option out"
    if option.scope == catalog.PROJECT:
        return "the " + " and ".join(catalog.kinds_taking(option.needs)) + " workloads", hint
    takers = sorted({fn.kind for fn in every_kind(spec) if option.key in fn.accepts})
    return ("the " + ", ".join(takers) + " workloads" if takers else "no workload"), hint


def _refuse_inapplicable(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """Refuse an option that nothing in the project takes: it would do nothing."""
    taken = applies(spec, fns)
    options = [o for o in catalog.OPTIONS if o.needs is not None]
    numbers_first = [o for o in options if o.key in catalog.INT_KNOB_BY_KEY] + [
        o for o in options if o.key not in catalog.INT_KNOB_BY_KEY
    ]
    for option in numbers_first:
        if spec.value(option.key) == option.default or option.key in taken:
            continue
        target, hint = _where(option, spec)
        allowed = f"applies to {target}, and nothing in this project takes it; {hint}"
        raise SpecError(option.key, SpecError.NO_VALUE, allowed)


def check_applicable(spec: Spec) -> None:
    """Refuse options that do nothing, GPUs the stack cannot use and a model that does not fit."""
    fns = placements(spec)
    _refuse_inapplicable(spec, fns)
    if spec.gpu_snapshot and not spec.snapshot:
        raise SpecError(
            "gpu_snapshot",
            SpecError.NO_VALUE,
            "needs --snapshot: a GPU snapshot is part of a memory snapshot",
        )
    if spec.gpu_snapshot and not any(fn.snapshot_possible and fn.role == "core" and fn.gpu for fn in fns):
        raise SpecError("gpu_snapshot", SpecError.NO_VALUE, "needs a function that loads the model on a GPU")
    for key, _ in spec.gpu_for:
        if key not in {fn.key for fn in fns}:
            raise SpecError(
                "gpu_for", f"{key}=...", f"a function this project has: {', '.join(fn.key for fn in fns)}"
            )
    _check_gpu_needed(spec, fns)
    _check_gpu_counts(spec, fns)
    check_cluster(spec, fns)
    if spec.base == "cuda" and not any(fn.gpu for fn in fns):
        raise SpecError(
            "base",
            "cuda",
            "debian-slim for a CPU-only project: a CUDA image without a GPU is paid for and unused",
        )
    check_fits(spec, fns)
    check_training_fits(spec, fns)


def _check_gpu_needed(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """A stack that does not run on a CPU gets a GPU wherever the model is loaded."""
    stack = catalog.STACK_BY_NAME[spec.stack]
    if not stack.needs_gpu:
        return
    for fn in fns:
        if fn.role == "core" and fn.model_cache and not fn.gpu:
            field = "gpu_for" if spec.gpu_override(fn.key) is not None else "gpu"
            allowed = f"a GPU for {fn.name}: the {stack.name} stack does not run on a CPU"
            raise SpecError(field, "cpu", allowed)


def _check_gpu_counts(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """A stack that loads one copy of the model on `cuda` uses one GPU: more, in any function that
    runs the core (a fallback entry or a --gpu-for too), would sit idle and be billed. The download
    and a CPU front hold no model and keep any GPU."""
    stack = catalog.STACK_BY_NAME[spec.stack]
    if stack.gpu_use != catalog.ONE_GPU:
        return
    splitters = " or ".join(f"--stack {s.name}" for s in catalog.STACKS if s.gpu_use == catalog.SPLIT_GPUS)
    for fn in fns:
        if fn.role != "core" or _every_gpu(fn):
            continue
        for choice in fn.gpu:
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


def check_fits(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """A model that does not fit the GPUs planned for it is refused, with the arithmetic and what fits."""
    need = model.model_need(spec)
    if need is None:
        return
    split = model.tensor_parallel(spec.stack)
    for fn in fns:
        # A fine-tune's train function is sized for training (check_training_fits), FSDP included.
        if not (fn.model_cache and fn.gpu) or catalog.FINETUNE in fn.knobs:
            continue
        for choice in fn.gpu:
            count = choice.count if split else 1
            if sizing.fits(need, choice.gpu.vram_gb, count):
                continue
            cheapest = ", ".join(model.shape_text(row) for row in model.fitting_shapes(spec, need)[:3])
            field = "gpu_for" if spec.gpu_override(fn.key) is not None else "gpu"
            arithmetic = need.arithmetic(choice.gpu.vram_gb * count, str(choice))
            raise SpecError(field, str(choice), f"{arithmetic}; cheapest that fit: {cheapest or 'none'}")


def check_training_fits(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """The finetune stack's run, sized before anything is written: weights, gradients, AdamW states
    and activations for the generated loop (its batch and sequence length, no checkpointing; DDP, or
    FSDP where only a share fits each GPU) on each GPU choice of `train`; one that does not fit is
    refused with the arithmetic and what would."""
    from modalgen.catalog import train_loop

    train = next((fn for fn in fns if fn.kind == "train"), None)
    if train is None or catalog.FINETUNE not in train.knobs or not spec.hf_model or not train.gpu:
        return
    shape = model.model_shape(spec)
    for choice in train.gpu:
        need = train_loop.loop_need(shape, spec.knob("train_method"), choice.gpu.name, choice.count)
        if need.fits:
            continue
        fits = ", ".join(train_loop.loop_alternatives(need, shape)[:3]) or "none in the catalogue"
        field = "gpu_for" if spec.gpu_override("train") is not None else "gpu"
        raise SpecError(field, str(choice), f"{need.arithmetic()}; what fits: {fits}")


def _every_gpu(fn: Placement) -> bool:
    kind = catalog.KIND_BY_NAME.get(fn.kind)
    return kind is not None and kind.every_gpu


def check_cluster(spec: Spec, fns: tuple[Placement, ...]) -> None:
    """`--nodes N`: a Modal cluster (`@modal.clustered`) of N containers, each with all the GPUs of
    its machine ("Each container must request all GPUs on its host", and "CPU-only clusters are not
    supported": modal.clustered's docstring, modal 1.6), so one GPU type at its full count."""
    nodes = spec.knob("nodes")
    if nodes == 1:
        return
    for fn in fns:
        if catalog.TRAINING not in fn.knobs:
            continue
        field = "gpu_for" if spec.gpu_override(fn.key) is not None else "gpu"
        if not fn.gpu:
            raise SpecError("nodes", nodes, "1: Modal has no CPU-only clusters; give train a GPU")
        choice = fn.gpu[0]
        full = f"{choice.gpu.name}:{choice.gpu.max_count}"
        if len(fn.gpu) > 1:
            raise SpecError(field, ",".join(map(str, fn.gpu)), f"one GPU type for a cluster of {nodes} "
                            f"machines (its containers are alike): {full}")  # fmt: skip
        if choice.count != choice.gpu.max_count:
            raise SpecError(field, str(choice), f"{full} for a cluster of {nodes}: each of a cluster's "
                            "containers takes all the GPUs of its machine")  # fmt: skip
