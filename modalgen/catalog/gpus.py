"""GPUs: what each card is, holds and costs; what CPU and memory cost beside it."""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# GPUs


@dataclass(frozen=True)
class Gpu:
    name: str  # canonical spelling, as written in `gpu=`
    vram_gb: int
    price_per_hour: float | None  # USD per GPU, the seed's table; None where no price is known offline
    max_count: int
    best_for: str
    # How `nvidia-smi --query-gpu=name` names the cards Modal may serve this request on (regexes).
    served_as: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    note: str = ""
    # Whether the card computes in bfloat16 (Ampere and newer). The model's dtype is decided from
    # this fact, not by asking CUDA: a CUDA query before a memory snapshot pins the device count at 0.
    bf16: bool = True


# The seed's table (shared/seed/modal-skill.md) and Modal's GPU guide. Modal's strings are
# case-insensitive; modalgen writes the canonical spelling. RTX-PRO-6000 has no price in the seed:
# it is shown as unknown rather than invented.
GPUS: tuple[Gpu, ...] = (
    Gpu("T4", 16, 0.59, 8, "light inference, prototyping", (r"\bT4\b",), bf16=False),  # Turing: fp16
    Gpu("L4", 24, 0.80, 8, "lightweight inference", (r"\bL4\b",)),
    Gpu("A10G", 24, 1.10, 4, "inference, moderate training", (r"\bA10G?\b",), aliases=("A10",)),
    Gpu("L40S", 48, 1.95, 8, "vision, mid training", (r"\bL40S\b",)),
    Gpu("A100-40GB", 40, 2.10, 8, "training, large inference", (r"\bA100\b",), aliases=("A100",),
        note="may be served on an 80 GB A100"),
    Gpu("A100-80GB", 80, 2.50, 8, "7B-70B models", (r"\bA100\b.*80GB",)),
    Gpu("RTX-PRO-6000", 96, None, 8, "Blackwell workstation card, 96 GB", (r"RTX PRO 6000",)),
    Gpu("H100", 80, 3.95, 8, "large-scale training, best ecosystem support", (r"\bH100\b", r"\bH200\b"),
        note="may be served on an H200 at H100 price (H100! forbids it)"),
    Gpu("H100!", 80, 3.95, 8, "an H100 and never an H200", (r"\bH100\b",)),
    Gpu("H200", 141, 4.54, 8, "large models, 671B fits on 8x", (r"\bH200\b",)),
    Gpu("B200", 192, 6.25, 8, "fastest; ~2.5x faster TTFT than H200", (r"\bB200\b",)),
    Gpu("B200+", 192, 6.25, 8, "a B200 or better (B300) at B200 price", (r"\bB200\b", r"\bB300\b")),
)  # fmt: skip

GPU_BY_NAME: dict[str, Gpu] = {}
for _gpu in GPUS:
    for _key in (_gpu.name, *_gpu.aliases):
        GPU_BY_NAME[_key.upper()] = _gpu

DEFAULT_GPU = "L4"

# CPU and memory are billed too (Modal's pricing page, mid-2026): a function's $/hr while a
# container runs is GPU + CPU + memory. Modal's defaults when nothing is requested.
CPU_PRICE_PER_CORE_HOUR = 0.047
MEMORY_PRICE_PER_GIB_HOUR = 0.008
DEFAULT_CPU = 0.125  # cores
DEFAULT_MEMORY_MIB = 128
HOURS_PER_MONTH = 730
