"""Every answer a project takes, one record each: its value type, default, flag, question and when it applies.

The records are read by the CLI flags (modalgen/cli/options.py), the wizard (modalgen/cli/wizard.py),
the answers (modalgen/answers/spec.py: the order of the answers file, the check of each value),
copier.yml and the checks that refuse an option nothing in the project takes. An option with no
field of its own on the Spec (every number, and any option added here) is held in `Spec.knobs`,
checked by its type, written to the answers file when it applies, asked by the wizard among the
tuning questions, and reaches the templates on the functions that take it (`fn.settings`) or on
the plan (`plan.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modalgen.catalog.gpus import DEFAULT_GPU, GPUS
from modalgen.catalog.images import (
    BASES,
    CONTAINER_PYTHONS,
    DEFAULT_BASE,
    DEFAULT_IMAGE_BUILDER,
    DEFAULT_PYTHON,
    IMAGE_BUILDERS,
)
from modalgen.catalog.kinds import (
    BATCHING,
    CONCURRENT,
    DEFAULT_WEB_STYLE,
    FINETUNE,
    KIND_NAMES,
    MAX_CONTAINERS,
    PUBLIC,
    RESOURCES,
    RETRIES,
    SCHEDULE,
    SERVER,
    SINGLE_USE,
    SNAPSHOT,
    TIMEOUT,
    TRAINING,
    WARM,
    WEB,
    WEB_STYLES,
)
from modalgen.catalog.project import DEFAULT_CRON, DEFAULT_DESCRIPTION, DEFAULT_TIMEZONE
from modalgen.catalog.stacks import DEFAULT_STACK, DTYPES, STACKS

TRAIN_METHODS = ("lora", "qlora", "full")  # catalog/train_sizing.py sizes each

# Value types: how an answer is checked, asked and shown.
TEXT = "text"
CHOICE = "choice"  # one of `choices`
BOOL = "bool"  # yes/no: --name / --no-name
INT = "int"  # a whole number from `low` to `high`
NUMBER = "number"
LIST = "list"  # repeatable flag; a list in the answers file
MAPPING = "mapping"

# Where an option applies.
FUNCTION = "function"  # to each function that takes its knob: listed in the function's `accepts`
PROJECT = "project"  # to the project, when one of its kinds takes its knob

# Knobs of the project rather than of a kind: a model sized for its GPUs, and one whose stack counts
# a KV cache.
SIZED = "sized"
KV_CACHE = "kv_cache"


@dataclass(frozen=True)
class Option:
    key: str  # answer key; its flag is --key-with-dashes
    type: str  # TEXT, CHOICE, BOOL, INT, NUMBER, LIST or MAPPING
    default: Any  # what an answer left out means (None: nothing, Modal's default or the stack's)
    help: str  # the flag's help; for a number, what it counts (its bounds and default are added)
    question: str  # what the answer is, as copier.yml says it
    needs: str | None = None  # the knob that makes it apply (None: every project)
    scope: str = FUNCTION  # FUNCTION or PROJECT, for an option that `needs` a knob
    metavar: str | None = None
    aliases: tuple[str, ...] = ()  # more spellings of its flag
    low: int = 0  # a number's bounds
    high: int = 0
    ask: str | None = None  # the wizard's tuning question for an option without a question of its own
    choices: tuple[str, ...] = ()  # a CHOICE option with no field of its own: what it may be

    @property
    def flag(self) -> str:
        return self.key.replace("_", "-")

    @property
    def multiple(self) -> bool:
        return self.type == LIST


def number(key: str, low: int, high: int, default: int | None, needs: str, help: str) -> Option:
    """A whole-number option of the functions that take `needs`."""
    return Option(key, INT, default, help, help, needs, FUNCTION, "N", low=low, high=high)


_GPU_NAMES = ", ".join(n for g in GPUS for n in (g.name, *g.aliases))

# In the order of the answers file. Number bounds: the client's own checks where it has them
# (scaledown_window, batching), Modal's documented limits where only its servers check (timeout up
# to 24 h, retries capped at 10), and generous sanity caps elsewhere.
OPTIONS: tuple[Option, ...] = (
    Option("name", TEXT, None, "",
           "Project name (the folder and the Modal app; its package is derived from it)"),
    Option("description", TEXT, DEFAULT_DESCRIPTION, "One line that says what the project does.",
           "One line that says what the project does", metavar="TEXT"),
    Option("stack", CHOICE, DEFAULT_STACK, "What the core runs: "
           + "; ".join(f"{s.name}: {s.summary}" for s in STACKS) + f" [default: {DEFAULT_STACK}].",
           "What the core runs (plain, torch, transformers, embeddings, vllm, diffusers)", metavar="NAME"),
    Option("gpu", LIST, [DEFAULT_GPU], f"GPU type and count, e.g. H100:2; a comma list or repeated flags are "
           f"fallbacks. Types: {_GPU_NAMES}. See `modalgen gpus`.",
           "GPU types with counts, in fallback order (e.g. [H100:2, A100-80GB:2]); [] for CPU-only",
           metavar="TYPE[:COUNT]"),
    Option("gpu_for", LIST, None, "Where one function runs: KIND is a workload, core (run_core) or download; "
           "SPEC is a GPU as --gpu takes it, or cpu. Repeatable.",
           "Where single functions run: {KIND: [GPU, ...]} or {KIND: []} for CPU", metavar="KIND=SPEC"),
    Option("cpu", NUMBER, None, "CPU cores requested by the functions that run the core [default: Modal's, "
           "0.125].", "CPU cores for the functions that run the core (null: Modal's default)", RESOURCES,
           metavar="CORES"),
    Option("workload", LIST, None, f"What the project runs: {', '.join(KIND_NAMES)}. Repeatable; comma lists "
           "accepted.", "What the project runs", metavar="KIND"),
    Option("cron", TEXT, DEFAULT_CRON, f"5-field schedule of the cron workload [default: {DEFAULT_CRON}].",
           "Schedule of the cron job, 5 fields", SCHEDULE, PROJECT, metavar="EXPR"),
    Option("timezone", TEXT, DEFAULT_TIMEZONE, "IANA time zone of the schedule [default: UTC].",
           "IANA time zone of the schedule", SCHEDULE, PROJECT, metavar="ZONE"),
    Option("period", TEXT, None, "Run the cron workload every 30m, 6h, 1d ... instead of on --cron.",
           "Run every N minutes, hours or days instead of a cron string: 30m, 6h, 1d (null: cron)", SCHEDULE,
           PROJECT, metavar="EVERY"),
    Option("volume", LIST, None, "A Modal Volume to mount (default mount /NAME). Repeatable.",
           "Volumes to mount, e.g. [{name: model-cache, mount: /model-cache}]", metavar="NAME[:MOUNT]"),
    Option("python", CHOICE, DEFAULT_PYTHON,
           f"The container's Python: {', '.join(CONTAINER_PYTHONS)}, as the image builder allows "
           f"[default: {DEFAULT_PYTHON}].", "The container's Python", metavar="X.Y"),
    Option("image_builder", CHOICE, DEFAULT_IMAGE_BUILDER, f"Modal image builder version the project pins: "
           f"{', '.join(IMAGE_BUILDERS)} [default: {DEFAULT_IMAGE_BUILDER}].",
           "The Modal image builder version the project pins", metavar="VERSION"),
    Option("web_style", CHOICE, DEFAULT_WEB_STYLE, "How the web workload is served: "
           + "; ".join(f"{k}: {v}" for k, v in WEB_STYLES.items()) + f" [default: {DEFAULT_WEB_STYLE}].",
           "How the endpoint is served", WEB, PROJECT, metavar="STYLE", aliases=("--web",)),
    Option("public", BOOL, False,
           "Serve the web endpoint or Server without Modal proxy auth (on by default).",
           "Serve the endpoint without Modal proxy auth", PUBLIC, PROJECT),
    number("timeout", 1, 24 * 3600, 600, TIMEOUT, "seconds one input may run"),
    number("min_containers", 0, 100, 0, WARM, "containers kept warm (billed while idle)"),
    number("max_containers", 1, 1000, None, MAX_CONTAINERS, "cap on containers per function"),
    number("buffer_containers", 0, 100, None, WARM, "extra warm containers while busy"),
    number("scaledown_window", 2, 3600, None, WARM, "seconds an idle container stays up"),
    number("retries", 0, 10, 0, RETRIES, "retries with exponential backoff (modal.Retries)"),
    number("max_inputs", 1, 1000, None, CONCURRENT, "inputs one container handles at once"),
    number("batch_size", 1, 1000, 32, BATCHING, "most items in one dynamic batch"),
    number("batch_wait_ms", 0, 600_000, 100, BATCHING, "longest wait to fill a batch, ms"),
    number("target_concurrency", 1, 1000, None, SERVER, "requests one Server container aims to hold"),
    number("memory", 128, 344_064, None, RESOURCES, "MiB of memory requested for the core's functions"),
    number("checkpoint_every", 1, 1_000_000, 100, TRAINING, "training steps between checkpoints"),
    # One attempt of a training run: Modal's limit is 24 h; each retry is an attempt with a timeout of
    # its own that resumes from the newest checkpoint (modal.com/docs/guide/timeouts).
    number("train_timeout", 60, 24 * 3600, 4 * 3600, TRAINING, "seconds one attempt of a training run takes"),
    number("train_retries", 0, 10, 10, TRAINING, "attempts after a failure or timeout, each resuming"),
    number("nodes", 1, 64, 1, TRAINING, "machines of a Modal cluster for training (@modal.clustered)"),
    Option("train_method", CHOICE, "lora", f"How the finetune stack trains: {', '.join(TRAIN_METHODS)} "
           "(LoRA adapters; LoRA on 4-bit weights; every weight). On several GPUs (--gpu-for "
           "train=TYPE:N) the loop shards the run (FSDP) where no one GPU holds it whole [default: lora].",
           "How the finetune stack trains the model: lora, qlora or full", FINETUNE, metavar="METHOD",
           choices=TRAIN_METHODS),
    Option("dataset", TEXT, None, "A Hugging Face dataset to fine-tune on, REPO@REVISION (a 40-hex commit; a "
           "branch with --allow-unpinned): its JSON-lines or Parquet files, fetched by `make download` "
           "[default: your data/train.jsonl in the Volume, else the examples].",
           "A Hugging Face dataset to fine-tune on: org/name@revision (null: your uploaded data)", FINETUNE,
           metavar="REPO[@REV]"),
    Option("single_use_containers", BOOL, False, "A fresh container for every input (jobs only).",
           "A fresh container for every input (jobs only)", SINGLE_USE),
    Option("apt", LIST, None, "A Debian package for the image. Repeatable.", "Debian packages for the image",
           metavar="PKG"),
    Option("pip", LIST, None, "A pinned Python package for the image (NAME==VERSION). Repeatable.",
           "Pinned Python packages for the image (NAME==VERSION)", metavar="SPEC"),
    Option("allow_unpinned", BOOL, False, "Accept unpinned --pip specs and --hf-model revisions.",
           "Accept unpinned pip specs and model revisions"),
    Option("env", LIST, None, "An environment variable baked into the image. Repeatable.",
           "Environment variables baked into the image", metavar="KEY=VALUE"),
    Option("base", CHOICE, DEFAULT_BASE, f"The image's base: {', '.join(BASES)} [default: {DEFAULT_BASE}].",
           "The image's base", metavar="BASE"),
    Option("uv_sync", BOOL, False, "The image installs the project's runtime dependencies from uv.lock.",
           "The image installs the project's runtime dependencies from uv.lock"),
    Option("secret", LIST, None, "A Modal Secret every function receives, with the keys it holds (known "
           "services know theirs: huggingface, wandb, openai ...). Repeatable.",
           "Modal Secrets every function receives, with keys: [{name: openai, keys: [OPENAI_API_KEY]}]",
           metavar="NAME[:KEY,...]"),
    Option("hf_model", TEXT, None, "A Hugging Face model, REPO[@REVISION], cached in a Volume: a 40-hex "
           "commit, or a branch with --allow-unpinned (REPO alone is REPO@main); a branch is pinned to its "
           "commit when the Hub answers, else followed [default: the stack's].",
           "A Hugging Face model: org/name@revision (null for none; a model stack has a default)",
           metavar="REPO[@REV]"),
    Option("model_params", TEXT, None,
           "The model's parameter count (8B, 0.5B, 8x7B) when neither the Hub nor its name tells.",
           "The model's parameter count (8B, 0.5B) when neither the Hub nor its name tells",
           SIZED, PROJECT, metavar="N"),
    Option("dtype", CHOICE, None,
           f"The weights' dtype for sizing: {', '.join(DTYPES)} [default: the stack's].",
           "The weights' dtype for sizing (null: the stack's)", SIZED, PROJECT, metavar="DTYPE"),
    Option("max_model_len", INT, None, "Tokens of context to size the KV cache for (vllm, transformers) "
           "[default: the stack's].", "Tokens of context to size the KV cache for (null: the stack's)",
           KV_CACHE, PROJECT, metavar="N"),
    Option("environments", LIST, None, "Modal environments the project deploys to, first to last (dev,prod): "
           "each Make target that talks to Modal takes ENV= (default: the first) and says which it acts on; "
           "`make deploy ENV=<last>` takes only a committed tree that passed `make smoke`.",
           "Modal environments, first to last (e.g. [dev, prod]); [] for the workspace's default",
           metavar="NAME"),
    Option("snapshot", BOOL, False, "Memory snapshots for faster cold starts (deployed apps only).",
           "Memory snapshots for faster cold starts (deployed apps only)", SNAPSHOT),
    Option("gpu_snapshot", BOOL, False, "GPU memory snapshots too (experimental; needs --snapshot).",
           "GPU memory snapshots (experimental; with snapshot)", SNAPSHOT),
)  # fmt: skip
OPTION_BY_KEY: dict[str, Option] = {o.key: o for o in OPTIONS}
ANSWER_KEYS: tuple[str, ...] = tuple(o.key for o in OPTIONS)


@dataclass(frozen=True)
class IntKnob:
    """A number option as the flags, the wizard and copier.yml read it (the records above)."""

    key: str  # answer key; the flag is --key-with-dashes
    low: int
    high: int
    default: int | None  # None: left to Modal (the option is not written)
    needs: str  # the knob (WARM, ...) a function must accept for the option to apply
    help: str


INT_KNOBS: tuple[IntKnob, ...] = tuple(
    IntKnob(o.key, o.low, o.high, o.default, o.needs, o.help)
    for o in OPTIONS
    if o.type == INT and o.scope == FUNCTION and o.needs
)
INT_KNOB_BY_KEY: dict[str, IntKnob] = {k.key: k for k in INT_KNOBS}
CPU_RANGE = (0.125, 64.0)  # cores a function may request
