"""Does a Hugging Face model fit on these GPUs, and which GPU shapes are the cheapest that fit?

Answered before a project is rendered, so that `--gpu L4` with a 70B model fails at `modalgen new`
with the arithmetic, not minutes into a Modal deploy with a CUDA out-of-memory error.

Sizes are in GB = 1e9 bytes throughout (not GiB), the unit of Modal's GPU table ("H100 80 GB"), so a
model's need and a card's VRAM are compared in the same unit. The figures are estimates: weights are
exact for a known parameter count; KV cache, activations and overhead follow the documented heuristics
below and err on the generous side.

Standard library only and cheap to import: the network is touched (with `urllib`, imported there) only
by `model_shape`, only when the Hub is allowed, and never for longer than its timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modalgen import catalog
from modalgen.catalog import models
from modalgen.catalog.hub import (  # the Hub's side of sizing
    REPO_RE,
    REVISION_RE,
    hub_allowed,
    hub_lookup,
    safetensors_total,
)
from modalgen.catalog.models import KNOWN, ModelShape  # sizing's own names for them, as before the split
from modalgen.catalog.params import (  # sizing's own names for them, as before the split
    SizingError,
    experts_from_name,
    params_from_name,
    parse_params,
)

GB = 1e9  # bytes; Modal's GPU table counts VRAM in these


_MAX_MODEL_LEN_RANGE = (256, 1_048_576)
_MAX_MODEL_LEN_ALLOWED = "a whole number of tokens from 256 to 1,048,576"

DTYPE_BYTES: dict[str, float] = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}

# Per stack, as its catalogue record gives them (Stack.memory), under the names sizing had before
# the facts moved onto the records: default weight dtype, whether a KV cache is counted, the usable
# fraction of VRAM and the default context.
STACK_DEFAULTS: dict[str, dict[str, Any]] = {
    s.name: dict(
        dtype=s.memory.dtype, kv=s.memory.kv, usable=s.memory.usable, max_model_len=s.memory.max_model_len
    )
    for s in catalog.STACKS
    if s.memory
}

# CUDA context (~0.3-0.5 GB) + framework/allocator slack (cuBLAS workspaces, CUDA graphs, NCCL buffers).
OVERHEAD_GB = 1.0

# KV estimate when the architecture is unknown: a power law through two grouped-query-attention models of
# stacks.md, Llama-3.1-8B (128 KiB/token in bf16) and Llama-3.1-70B (320 KiB/token):
#   bytes/token = 128 KiB * (params / 8e9) ** 0.42.
# It over-estimates smaller GQA models (Qwen2.5-7B is 56 KiB, the formula says ~120 KiB), which is the
# safe side; an old multi-head-attention model (Llama 2) needs ~4x more than this says.
_KV_ANCHOR_PARAMS = 8e9
_KV_ANCHOR_BYTES = 128 * 1024
_KV_EXPONENT = 0.42


# --------------------------------------------------------------------------------------------------
# Model shape: flag, Hub, KNOWN, name


def _split_repo(repo: str) -> tuple[str, str]:
    """Validated (repo id, revision); the id goes into a URL, so it is checked before it is used."""
    text = str(repo).strip()
    repo_id, _, revision = text.partition("@")
    if not REPO_RE.match(repo_id) or ".." in repo_id or (revision and not REVISION_RE.match(revision)):
        raise SizingError("--hf-model", repo, "a Hugging Face repo id such as Qwen/Qwen2.5-7B-Instruct")
    return repo_id, revision or "main"


def model_shape(
    repo: str, *, params: str | None = None, hub: bool = True, timeout: float = 2.0
) -> ModelShape:
    """Parameter count, attention shape, context and kind of REPO (optionally "REPO@REVISION").

    Params come from the first that answers: the --model-params flag, the Hub's safetensors metadata,
    KNOWN, the size in the name. The architecture (for the KV cache), the context and the kind come
    from the Hub's config.json and model info (models.shape_of), else KNOWN, else stay unknown. The
    Hub is asked only when `hub` is true and neither HF_HUB_OFFLINE nor MODALGEN_OFFLINE is set; any
    failure there (DNS, refused, timeout, HTTP error, bad JSON) counts as "not reachable", silently,
    and the whole look-up never takes much longer than `timeout`.
    """
    repo_id, revision = _split_repo(repo)
    flag_params = parse_params(params) if params is not None else None
    known = KNOWN.get(repo_id.lower())
    info: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    want_config = known is None or known.layers is None
    if hub_allowed(hub) and (flag_params is None or want_config):
        info, config = hub_lookup(repo_id, revision, want_params=flag_params is None, timeout=timeout)
    hub_params = safetensors_total(info) if info is not None else None
    total, source = _pick_params(repo, repo_id, flag_params, hub_params, known)
    experts = known.experts if known is not None and known.experts else experts_from_name(repo_id)
    return models.shape_of(repo_id, total, source, experts, known=known, info=info, config=config)


def _pick_params(
    repo: str, repo_id: str, flag_params: float | None, hub_params: float | None, known: ModelShape | None
) -> tuple[float, str]:
    """The first parameter count available, and its source, in the order model_shape documents."""
    if flag_params is not None:
        return flag_params, "flag"
    if hub_params is not None:
        return hub_params, "hub"
    if known is not None:
        return known.params, "known"
    from_name = params_from_name(repo_id)
    if from_name is not None:
        return from_name, "name"
    # The model is what the user named (--hf-model, as typed); --model-params is how to size it.
    raise SizingError(
        "--hf-model",
        str(repo).strip(),
        f"its size is unknown: the parameter count of {repo_id} could not be read from the Hub or the name; "
        "give it with --model-params N, e.g. --model-params 8B",
    )


# --------------------------------------------------------------------------------------------------
# Memory need


def fmt_gb(value: float) -> str:
    """One decimal under 10 GB, whole numbers above; two decimals for tiny amounts so they are not 0.0."""
    if value < 0.1:
        return f"{value:.2f}"
    if round(value, 1) < 10:
        return f"{value:.1f}"
    return f"{value:.0f}"


@dataclass(frozen=True)
class Need:
    """Memory one model needs on the GPU(s), in GB (1e9 bytes), by part."""

    repo: str
    dtype: str
    params: float
    weights_gb: float
    kv_gb: float
    activations_gb: float
    overhead_gb: float
    max_model_len: int | None
    usable_fraction: float
    kv_estimated: bool = field(default=False)  # True when the KV term came from the params heuristic

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.kv_gb + self.activations_gb + self.overhead_gb

    def arithmetic(self, vram_gb: float | None = None, shape: str | None = None) -> str:
        """The sum, on one line a user can check, e.g.
        "Llama-3.1-70B-Instruct in bf16 needs ~141 GB of weights + 2.7 GB KV (8,192 tokens) + 3.8 GB
        activations + 1.0 GB overhead = 149 GB; L4 has 24 GB (22 GB usable at 0.90)".

        `vram_gb` is the shape's total VRAM (all its GPUs), `shape` how it is written ("H200:2").
        """
        name = self.repo.rsplit("/", 1)[-1]
        parts = [f"~{fmt_gb(self.weights_gb)} GB of weights"]
        if self.max_model_len is not None:
            estimated = ", estimated" if self.kv_estimated else ""
            parts.append(f"{fmt_gb(self.kv_gb)} GB KV ({self.max_model_len:,} tokens{estimated})")
        parts.append(f"{fmt_gb(self.activations_gb)} GB activations")
        parts.append(f"{fmt_gb(self.overhead_gb)} GB overhead")
        line = f"{name} in {self.dtype} needs {' + '.join(parts)} = {fmt_gb(self.total_gb)} GB"
        if vram_gb is None:
            return line
        usable = vram_gb * self.usable_fraction
        return (
            f"{line}; {shape or 'the GPU'} has {fmt_gb(vram_gb)} GB "
            f"({fmt_gb(usable)} GB usable at {self.usable_fraction:.2f})"
        )


def kv_bytes_per_token(shape: ModelShape, dtype: str = "bf16") -> float:
    """KV cache bytes for one token: 2 (K and V) x layers x KV heads x head size x bytes per value.

    KV values are 2 bytes (bf16/fp16) whatever the weights, because vLLM and transformers keep the cache
    in the compute dtype even for int8/int4 weights; with fp8 the cache is taken as fp8 (1 byte), as
    `--kv-cache-dtype fp8` would make it. Unknown architecture: the power-law estimate above.
    """
    value_bytes = 1 if dtype == "fp8" else 2
    if shape.layers and shape.kv_heads and shape.head_dim:
        return 2.0 * shape.layers * shape.kv_heads * shape.head_dim * value_bytes
    return _KV_ANCHOR_BYTES * (shape.params / _KV_ANCHOR_PARAMS) ** _KV_EXPONENT * value_bytes / 2


def _stack_memory(stack: str | catalog.Stack) -> catalog.Memory:
    """How sizing counts a stack's model: its catalogue record's `memory`."""
    record = catalog.STACK_BY_NAME.get(stack) if isinstance(stack, str) else stack
    if record is None or record.memory is None:
        sized = [s.name for s in catalog.STACKS if s.memory]
        raise SizingError("--stack", getattr(stack, "name", stack), "one of " + ", ".join(sized))
    return record.memory


def _check_dtype(dtype: str) -> str:
    if dtype not in DTYPE_BYTES:
        raise SizingError("--dtype", dtype, "one of " + ", ".join(DTYPE_BYTES))
    return dtype


def _check_max_model_len(value: Any) -> int:
    low, high = _MAX_MODEL_LEN_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SizingError("--max-model-len", value, _MAX_MODEL_LEN_ALLOWED)
    return value


def _context_tokens(shape: ModelShape, asked: int | None, default: int) -> int:
    """The tokens the KV cache is sized for: those asked, at most the model's context (vLLM refuses
    more at startup); the stack's default, capped at the context, when none are asked."""
    if asked is None:
        return min(default, shape.context) if shape.context else default
    if shape.context and asked > shape.context:
        where = f"the context of {shape.repo} ({shape.context_from})"
        raise SizingError("--max-model-len", asked, f"at most {shape.context}, {where}")
    return asked


def memory_need(
    shape: ModelShape,
    *,
    stack: str | catalog.Stack,
    dtype: str | None = None,
    max_model_len: int | None = None,
) -> Need:
    """Weights + KV cache for one full `max_model_len` sequence + activations + overhead, in GB.

    One full sequence is the least vLLM needs to start (its KV cache must hold max_model_len tokens);
    more concurrent sequences use whatever VRAM is left. Stacks without a KV cache ignore max_model_len.
    A max_model_len beyond the model's context is refused; the stack's default is capped at it.
    """
    memory = _stack_memory(stack)
    dtype = _check_dtype(dtype if dtype is not None else memory.dtype)
    if max_model_len is not None:
        _check_max_model_len(max_model_len)
    tokens = _context_tokens(shape, max_model_len, memory.max_model_len) if memory.kv else None

    weights_gb = shape.params * DTYPE_BYTES[dtype] / GB
    kv_gb = kv_bytes_per_token(shape, dtype) * tokens / GB if tokens else 0.0
    fixed, fraction = memory.activations
    compute_bytes = 4 if dtype == "fp32" else 2
    activations_gb = fixed + fraction * shape.params * compute_bytes / GB
    return Need(
        repo=shape.repo,
        dtype=dtype,
        params=shape.params,
        weights_gb=weights_gb,
        kv_gb=kv_gb,
        activations_gb=activations_gb,
        overhead_gb=OVERHEAD_GB,
        max_model_len=tokens,
        usable_fraction=memory.usable,
        kv_estimated=bool(tokens) and not shape.has_architecture,
    )


# --------------------------------------------------------------------------------------------------
# Fit and shapes


def fits(need: Need, vram_gb_per_gpu: float, count: int) -> bool:
    """Whether the whole need fits in `count` GPUs' usable VRAM.

    Tensor parallelism splits weights and KV cache across the GPUs, so the total is compared with the
    total. Each extra GPU also carries its own CUDA context (~0.5 GB), which the (1 - usable) reserve of
    every card (1.6 GB on a 16 GB T4 at 0.90) absorbs. Only a stack that splits a model (vLLM's tensor
    parallelism) passes a count above 1; the others load one copy on one GPU and are sized for one.
    """
    if count < 1:
        raise SizingError("--gpu", count, "a GPU count of 1 or more")
    return need.total_gb <= count * vram_gb_per_gpu * need.usable_fraction


def gpu_counts(max_count: int) -> list[int]:
    """1, 2, 4, 8 ... up to max_count: tensor parallel needs a divisor of the attention (and KV) heads,
    and head counts are powers of two times small factors, so powers of two are the safe choice."""
    counts, n = [], 1
    while n <= max_count:
        counts.append(n)
        n *= 2
    return counts


def shapes(
    need: Need, gpus: list[tuple[str, float, int, float | None]], *, only_fitting: bool = True
) -> list[dict[str, Any]]:
    """The smallest fitting count of each GPU type, cheapest per hour first, unknown prices last.

    `gpus` holds (name, VRAM GB, max count, $/hour or None when unknown). With only_fitting=False a type
    that fits at no count is listed too, at its largest count with fits False, after all fitting ones.
    """
    rows = []
    for name, vram_gb, max_count, price in gpus:
        counts = gpu_counts(max_count)
        if not counts:
            continue
        count = next((n for n in counts if fits(need, vram_gb, n)), None)
        if count is None and only_fitting:
            continue
        n = count if count is not None else counts[-1]
        rows.append(
            {
                "gpu": name,
                "count": n,
                "vram_gb": n * vram_gb,
                "need_gb": round(need.total_gb, 1),
                "fits": count is not None,
                "price_per_hour": round(price * n, 2) if price is not None else None,
            }
        )
    rows.sort(key=shape_order)
    return rows


def shape_order(row: dict[str, Any]) -> tuple[bool, bool, float, float]:
    """Fitting first, then known prices cheapest first, then less VRAM (less waste) first."""
    price = row["price_per_hour"]
    return (not row["fits"], price is None, price if price is not None else 0.0, row["vram_gb"])
