"""The facts modalgen generates from: GPUs, workload kinds, container Pythons, defaults.

Every option is defined here once; flags, the wizard, validation, `modalgen gpus` and the docs read
it from here, and tests prove that the template's copier.yml agrees with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gpu:
    name: str  # as written in `gpu=` (canonical spelling)
    vram_gb: int
    price_per_hour: float  # USD, the seed's table
    max_count: int
    best_for: str
    aliases: tuple[str, ...] = ()


# The seed's table (shared/seed/modal-skill.md). Modal's strings are case-insensitive; modalgen writes
# the canonical spelling so the generated tests can compare it with what the client reports.
GPUS: tuple[Gpu, ...] = (
    Gpu("T4", 16, 0.59, 8, "light inference, prototyping"),
    Gpu("L4", 24, 0.80, 8, "lightweight inference"),
    Gpu("A10G", 24, 1.10, 4, "inference, moderate training", aliases=("A10",)),
    Gpu("L40S", 48, 1.95, 8, "vision, mid training"),
    Gpu("A100-40GB", 40, 2.10, 8, "training, large inference", aliases=("A100",)),
    Gpu("A100-80GB", 80, 2.50, 8, "7B-70B models"),
    Gpu("H100", 80, 3.95, 8, "large-scale training, best ecosystem support"),
    Gpu("H200", 141, 4.54, 8, "large models, 671B fits on 8x"),
    Gpu("B200", 192, 6.25, 8, "fastest; ~2.5x faster TTFT than H200"),
)

GPU_BY_NAME: dict[str, Gpu] = {}
for _gpu in GPUS:
    for _key in (_gpu.name, *_gpu.aliases):
        GPU_BY_NAME[_key.upper()] = _gpu

DEFAULT_GPU = "L4"


# Knobs: which scaling and behaviour options a workload kind takes. An option given for a project
# whose kinds take none of it is refused, rather than silently ignored.
WARM = "warm"  # min_containers, buffer_containers, scaledown_window: kinds that serve requests
CONCURRENT = "concurrent"  # @modal.concurrent(max_inputs=...)
RETRIES = "retries"  # modal.Retries (web functions may not have retries)
SINGLE_USE = "single_use"  # single_use_containers=True: jobs, not services that load state


@dataclass(frozen=True)
class Workload:
    kind: str
    module: str  # the generated module under the package, one per workload
    summary: str
    knobs: frozenset[str]


WORKLOADS: tuple[Workload, ...] = (
    Workload("batch", "batch", "a GPU job started from your machine", frozenset({RETRIES, SINGLE_USE})),
    Workload(
        "map", "fanout", "fan-out over many inputs with .map()", frozenset({RETRIES, SINGLE_USE, CONCURRENT})
    ),
    Workload("web", "web", "an HTTP endpoint (see --web)", frozenset({WARM, CONCURRENT})),
    Workload(
        "cron", "cron", "a scheduled job (modal.Cron or modal.Period)", frozenset({RETRIES, SINGLE_USE})
    ),
    Workload(
        "service",
        "service",
        "a stateful @app.cls service: load once, serve many",
        frozenset({WARM, CONCURRENT, RETRIES}),
    ),
    Workload("batched", "batched", "dynamic batching: callers send single items", frozenset({WARM, RETRIES})),
    Workload(
        "spawn",
        "jobs",
        "background jobs: .spawn(), .spawn_map(), results by call id",
        frozenset({RETRIES, SINGLE_USE}),
    ),
)
WORKLOAD_KINDS: tuple[str, ...] = tuple(w.kind for w in WORKLOADS)
WORKLOAD_BY_KIND: dict[str, Workload] = {w.kind: w for w in WORKLOADS}
DEFAULT_WORKLOADS: tuple[str, ...] = ("batch",)


def kinds_taking(need: str) -> tuple[str, ...]:
    """The workload kinds an option applies to: those with the knob, or the kind itself."""
    return tuple(w.kind for w in WORKLOADS if need == w.kind or need in w.knobs)


WEB_STYLES: dict[str, str] = {
    "asgi": "a FastAPI app behind @modal.asgi_app",
    "fastapi": "one function behind @modal.fastapi_endpoint",
    "wsgi": "a Flask app behind @modal.wsgi_app",
}
DEFAULT_WEB_STYLE = "asgi"

BASES: dict[str, str] = {
    "debian-slim": "modal.Image.debian_slim: small, fast to build",
    "cuda": "NVIDIA's CUDA devel image (nvcc, cuDNN headers) via Image.from_registry",
}
DEFAULT_BASE = "debian-slim"


@dataclass(frozen=True)
class IntKnob:
    key: str  # answer key; the flag is --key-with-dashes
    low: int
    high: int
    default: int | None  # None: left to Modal (the option is not written)
    needs: str | None  # the knob (WARM, ...) or workload kind a project must have for it to apply
    help: str


# Bounds: the client's own checks where it has them (scaledown_window, batching), Modal's documented
# limits where only its servers check (timeout up to 24 h, retries capped at 10), and generous
# sanity caps elsewhere.
INT_KNOBS: tuple[IntKnob, ...] = (
    IntKnob("timeout", 1, 24 * 3600, 600, None, "seconds one input may run, for every function"),
    IntKnob("min_containers", 0, 100, 0, WARM, "containers kept warm (billed while idle)"),
    IntKnob("max_containers", 1, 1000, None, None, "cap on containers per function"),
    IntKnob("buffer_containers", 0, 100, None, WARM, "extra warm containers while busy"),
    IntKnob("scaledown_window", 2, 3600, None, WARM, "seconds an idle container stays up"),
    IntKnob("retries", 0, 10, 0, RETRIES, "retries with exponential backoff (modal.Retries)"),
    IntKnob("max_inputs", 1, 1000, None, CONCURRENT, "inputs one container handles at once"),
    IntKnob("batch_size", 1, 1000, 32, "batched", "most items in one dynamic batch"),
    IntKnob("batch_wait_ms", 0, 600_000, 100, "batched", "longest wait to fill a batch, ms"),
)
INT_KNOB_BY_KEY: dict[str, IntKnob] = {k.key: k for k in INT_KNOBS}

HF_CACHE_VOLUME = "huggingface-cache"
HF_CACHE_MOUNT = "/root/.cache/huggingface"

# Container Pythons that every Modal image builder version supports (see shared/notes/modal.md).
CONTAINER_PYTHONS: tuple[str, ...] = ("3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.12"

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DESCRIPTION = "A Modal project generated by modalgen."

# Mount paths a Volume may not take: Modal refuses the first three; the rest would hide the image's
# own system directories.
FORBIDDEN_MOUNTS: tuple[str, ...] = ("/", "/root", "/tmp")
SYSTEM_DIRS: tuple[str, ...] = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var",
)  # fmt: skip

ANSWERS_FILE = ".modalgen-answers.yml"
TEMPLATE_NAME = "project"
