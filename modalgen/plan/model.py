"""The model in the plan: its repo and revision, its size and arithmetic, the dtype it runs in."""

from __future__ import annotations

from typing import Any

from modalgen import catalog
from modalgen.answers.fields import parse_gpu
from modalgen.answers.model import PINNED_REVISION, model_need, tensor_parallel
from modalgen.answers.spec import Spec
from modalgen.plan.functions import Function


def sizing_data(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    """The model's size and what it needs, as the summary and the README show them."""
    need = model_need(spec)
    if need is None:
        return {}
    # What serves the model (a fine-tune's train function is sized for training, in its own section).
    serving = [fn for fn in fns[1:] if fn.model_cache and fn.gpu and "train_method" not in dict(fn.settings)]
    holder = next(iter(serving), fns[0])
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


def model_data(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any] | None:
    """The model as the templates and the summary read it; None without one."""
    if not spec.hf_model:
        return None
    repo, _, revision = spec.hf_model.partition("@")
    revision = revision or "main"  # REPO alone, not pinned: the Hub did not answer `new`
    return {"repo": repo, "revision": revision, "pinned": bool(PINNED_REVISION.fullmatch(revision)),
            "cache_dir": catalog.HF_CACHE_MOUNT,
            "gated": repo.startswith(catalog.GATED_ORGS), "gpu_dtype": gpu_dtype(spec, fns),
            **sizing_data(spec, fns)}  # fmt: skip
