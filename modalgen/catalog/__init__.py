"""The facts modalgen generates from, as data: GPUs, workload kinds, knobs, Secrets, images, prices.

Every rule lives here once. Flags (`options.py`), the wizard, validation (`fields.py`, `spec.py`),
the plan (`plan.py`), copier.yml (`copier_yml.py`), `modalgen gpus` and the generated projects'
own tables read it from here; nothing downstream re-derives a rule from a kind's name.
"""

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

# ---------------------------------------------------------------------------------------------
# Knobs: the options a function may take. Each kind lists the knobs its functions accept; an
# option that no function of a project's plan accepts is refused rather than ignored.

WARM = "warm"  # min_containers, buffer_containers, scaledown_window: functions that hold the model
MAX_CONTAINERS = "max_containers"
CONCURRENT = "concurrent"  # @modal.concurrent(max_inputs=...)
RETRIES = "retries"  # modal.Retries (web functions and Servers may not have retries)
SINGLE_USE = "single_use"  # single_use_containers=True: jobs, not services that load state
BATCHING = "batching"  # @modal.batched
SCHEDULE = "schedule"
WEB = "web"
SERVER = "server"  # @app.server: port, startup_timeout, target_concurrency
PUBLIC = "public"  # an HTTP endpoint that can go without Modal proxy auth
RESOURCES = "resources"  # cpu=, memory=: the functions that run the core
TIMEOUT = "timeout"  # timeout=: every function but a Server (startup_timeout) and the download
# enable_memory_snapshot=: classes that load the model in @modal.enter. A memory snapshot holds what
# is in memory once the snap=True enter hooks have run (Modal's guide, "Memory snapshots"); a plain
# function loads its model at its first input, after the restore, so a snapshot would hold nothing.
SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Kind:
    """A workload kind: one module, its Modal objects and what they accept.

    `placement` says where its function runs by default: "core" (the project's GPU: it runs the
    core), or "front" (the project's GPU, unless a worker kind is in the project: then it runs on
    CPU and sends its work to the worker, which holds the model and the warm containers).
    """

    name: str
    module: str
    summary: str
    obj: str  # the Modal object the module defines
    method: str | None  # for a class: the method that does the work
    decorator: str  # "function", "cls" or "server"
    knobs: frozenset[str]
    placement: str  # "core" or "front"
    worker: bool = False  # holds the model: fronts beside it send their work here
    entrypoint: str | None = None  # the local entrypoint `make run` starts
    # Where the function runs the core itself: the class it becomes, with `obj` as its method, so
    # that the model loads in @modal.enter before the container takes a request (Modal's examples).
    cls_when_core: str | None = None
    # Its function when the stack wants inputs in batches (Stack.input_batch): one call per batch.
    batch_obj: str | None = None
    serves_http: bool = False  # `make serve`
    packages: tuple[str, ...] = ()  # keys of PINS the image needs for it
    dev_packages: tuple[str, ...] = ()  # what its offline tests need beside modal and pytest
    make: tuple[tuple[str, str, str], ...] = ()  # its own Makefile targets: (name, help, `uv run` command)
    readme: tuple[str, str] | None = None  # a README section on using it: (title, text)


KINDS: tuple[Kind, ...] = (
    Kind("batch", "batch", "a batch job started from your machine", "batch_job", None, "function",
         frozenset({TIMEOUT, RETRIES, SINGLE_USE, MAX_CONTAINERS, RESOURCES}), "core",
         entrypoint="run_batch"),
    Kind("map", "fanout", "fan-out over many inputs with .map()", "process_item", None, "function",
         frozenset({TIMEOUT, RETRIES, SINGLE_USE, CONCURRENT, MAX_CONTAINERS, RESOURCES}), "core",
         entrypoint="run_map", batch_obj="process_batch"),
    Kind("web", "web", "an HTTP endpoint (see --web-style)", "api", None, "function",
         frozenset({TIMEOUT, WARM, CONCURRENT, MAX_CONTAINERS, WEB, PUBLIC, RESOURCES, SNAPSHOT}), "front",
         cls_when_core="Web", serves_http=True, dev_packages=("httpx>=0.27",)),
    Kind("cron", "cron", "a scheduled job (modal.Cron or modal.Period)", "scheduled_job", None, "function",
         frozenset({TIMEOUT, RETRIES, SINGLE_USE, SCHEDULE, RESOURCES}), "front",
         entrypoint="scheduled_job"),
    Kind("service", "service", "a stateful @app.cls service: load once, serve many", "Service", "predict",
         "cls", frozenset({TIMEOUT, WARM, CONCURRENT, RETRIES, MAX_CONTAINERS, RESOURCES, SNAPSHOT}), "core",
         worker=True,
         entrypoint="run_service"),
    Kind("batched", "batched", "dynamic batching: callers send single items", "Embedder", "embed", "cls",
         frozenset({TIMEOUT, WARM, RETRIES, BATCHING, MAX_CONTAINERS, RESOURCES, SNAPSHOT}), "core",
         worker=True,
         entrypoint="run_batched"),
    Kind("spawn", "jobs", "background jobs: .spawn(), results later by call id", "background_job", None,
         "function", frozenset({TIMEOUT, RETRIES, SINGLE_USE, MAX_CONTAINERS, RESOURCES}), "front",
         entrypoint="run_spawn",
         make=(("submit", "Submit a job to the deployed app; prints its call id: make submit TEXT=\"...\"",
                "python -m $(PACKAGE).jobs submit $(if $(TEXT),\"$(TEXT)\")"),
               ("fetch", "Fetch a job's result by call id: make fetch ID=fc-...",
                "python -m $(PACKAGE).jobs fetch $(ID)")),
         readme=("Background jobs",
                 "Jobs run in the deployed app, as in Modal's job-queue guide: `make deploy` once, then "
                 "`make submit TEXT=\"...\"` spawns `background_job` there and prints its call id; the "
                 "job runs to the end whatever happens to your terminal. `make fetch ID=fc-...` prints "
                 "its result (it waits a minute for a job still running), from any machine with the "
                 "token; in your own code, `jobs.submit(texts)` and `jobs.fetch(call_id)`. Modal keeps a "
                 "result for a while after the job ends. `make run` is a try-out in an ephemeral app: it "
                 "spawns a few jobs and waits for their results, because an ephemeral app stops, and "
                 "cancels what it spawned, when `modal run` ends.")),
    Kind("server", "server", "a Modal Server: an HTTP server process in each container", "Server", None,
         "server", frozenset({WARM, MAX_CONTAINERS, SERVER, PUBLIC, RESOURCES}), "core", serves_http=True,
         packages=("fastapi",), dev_packages=("fastapi[standard]>=0.110", "httpx>=0.27"),
         readme=("The Server",
                 "`Server` runs `uvicorn` in every container, started in `@modal.enter`, which returns once "
                 "the app answers `/health`: uvicorn builds the app, and loads the model, before it listens, "
                 "so Modal routes requests only to a container that is ready, and a server that exits while "
                 "starting fails its container at once. A Server with no live container answers 503 while "
                 "one starts: retry until it answers (the smoke test does).")),
)  # fmt: skip
KIND_NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
DEFAULT_KINDS: tuple[str, ...] = ("batch",)
WORKER_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.worker)


def kinds_taking(knob: str) -> tuple[str, ...]:
    """The workload kinds whose functions accept a knob (where they hold the model)."""
    return tuple(k.name for k in KINDS if knob in k.knobs)


# Functions every project has beside its kinds, with the keys `--gpu-for` takes for them.
CORE_PROBE = "core"  # run_core: the GPU core on its own, what `make smoke` and `make shell` use
DOWNLOAD = "download"  # download_weights, with --hf-model: CPU, long timeout
GPU_FOR_KEYS: tuple[str, ...] = (*KIND_NAMES, CORE_PROBE, DOWNLOAD)
DOWNLOAD_TIMEOUT = 3600  # an hour: model weights are large, and a download needs no GPU

WEB_STYLES: dict[str, str] = {
    "asgi": "a FastAPI app behind @modal.asgi_app",
    "fastapi": "one function behind @modal.fastapi_endpoint",
    "wsgi": "a Flask app behind @modal.wsgi_app",
}
# What each web style needs: in the image (keys of PINS), and for its offline tests.
WEB_STYLE_PACKAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "asgi": (("fastapi",), ("fastapi[standard]>=0.110",)),
    "fastapi": (("fastapi",), ("fastapi[standard]>=0.110",)),
    "wsgi": (("flask",), ("flask>=3.0",)),
}
DEFAULT_WEB_STYLE = "asgi"
FRONT_MAX_INPUTS = 100  # a CPU front waits on its worker: one container can hold many requests
SERVER_PORT = 8000
SERVER_STARTUP_TIMEOUT = 600  # a Server's container has this long to listen on its port (model loads)


@dataclass(frozen=True)
class IntKnob:
    key: str  # answer key; the flag is --key-with-dashes
    low: int
    high: int
    default: int | None  # None: left to Modal (the option is not written)
    needs: str  # the knob (WARM, ...) a function must accept for the option to apply
    help: str


# Bounds: the client's own checks where it has them (scaledown_window, batching), Modal's documented
# limits where only its servers check (timeout up to 24 h, retries capped at 10), and generous
# sanity caps elsewhere.
INT_KNOBS: tuple[IntKnob, ...] = (
    IntKnob("timeout", 1, 24 * 3600, 600, TIMEOUT, "seconds one input may run"),
    IntKnob("min_containers", 0, 100, 0, WARM, "containers kept warm (billed while idle)"),
    IntKnob("max_containers", 1, 1000, None, MAX_CONTAINERS, "cap on containers per function"),
    IntKnob("buffer_containers", 0, 100, None, WARM, "extra warm containers while busy"),
    IntKnob("scaledown_window", 2, 3600, None, WARM, "seconds an idle container stays up"),
    IntKnob("retries", 0, 10, 0, RETRIES, "retries with exponential backoff (modal.Retries)"),
    IntKnob("max_inputs", 1, 1000, None, CONCURRENT, "inputs one container handles at once"),
    IntKnob("batch_size", 1, 1000, 32, BATCHING, "most items in one dynamic batch"),
    IntKnob("batch_wait_ms", 0, 600_000, 100, BATCHING, "longest wait to fill a batch, ms"),
    IntKnob("target_concurrency", 1, 1000, None, SERVER, "requests one Server container aims to hold"),
    IntKnob("memory", 128, 344_064, None, RESOURCES, "MiB of memory requested for the core's functions"),
)
INT_KNOB_BY_KEY: dict[str, IntKnob] = {k.key: k for k in INT_KNOBS}
CPU_RANGE = (0.125, 64.0)  # cores a function may request

# ---------------------------------------------------------------------------------------------
# Stacks: what the core runs. Each is this record plus its folder of template fragments
# (templates/project/stacks/<name>/: the core, a fake engine for `make test`, a tiny offline model
# and the check of an answer for `make test-model`).

# The container pins were resolved together against PyPI for Linux x86_64 on 2026-11-28 (`pip
# install --dry-run` per Python); the local CPU test environment runs the same versions with a CPU
# build of torch. vLLM is pinned alone: it pins its own torch and transformers.
TORCH = "torch==2.13.0"
HF_HUB = ("huggingface-hub==2.4.0", "hf-xet==1.8.0")


# What a model is, as far as the stacks care (modalgen/catalog/models.py reads it from a config).
CAUSAL_LM = "causal LM"  # generates text: ...ForCausalLM
ENCODER = "encoder"  # embeds text: BertModel, XLMRobertaModel ...
DIFFUSION = "diffusion pipeline"  # a diffusers pipeline: model_index.json

# How a stack's core uses the GPUs of its container.
ANY_GPUS = "any"  # your own code decides
ONE_GPU = "one"  # one copy of the model on `cuda`: a second GPU would sit idle, paid for
SPLIT_GPUS = "split"  # tensor parallelism: one model over every GPU of the container


@dataclass(frozen=True)
class Stack:
    name: str
    summary: str
    model: str | None  # the default model, REPO@REVISION (ungated, small enough for a cheap GPU)
    packages: tuple[str, ...]  # the image's pins
    test_packages: tuple[str, ...]  # what `make test-model` runs the real code with, on a CPU
    pythons: tuple[str, ...]  # container Pythons its packages install on
    kinds: tuple[str, ...] | None = None  # the workloads it serves (None: every kind)
    needs_gpu: bool = False
    base: str = "debian-slim"  # the image base it wants unless --base says otherwise
    media_type: str = "application/json"  # what its HTTP endpoints answer
    sizing: bool = False  # sized against the GPUs before rendering (modalgen/plan/sizing.py)
    volumes: tuple[tuple[str, str], ...] = ()  # cache Volumes beside the Hugging Face one
    env: tuple[tuple[str, str], ...] = ()
    example: str = "a b"  # an input its tests and smoke tests send
    licence: str = ""  # a word on the default model's licence, where it is not plain open source
    own_server: bool = False  # a Server runs the stack's own server process (`vllm serve`), not uvicorn
    # What its Server gets unless the answers say otherwise, as Modal's own examples for the engine
    # set and explain them: requests one replica holds before Modal adds another; how long an idle
    # replica stays (longer than a cold start, or every lull pays one); seconds in-flight requests
    # get to finish when a replica goes.
    target_concurrency: int | None = None
    scaledown_window: int | None = None
    exit_grace_period: int = 0
    # Inputs its model takes in one pass, where one at a time wastes the GPU (an encoder): the map
    # workload sends batches of this many, and a batch job runs its list as one.
    input_batch: int | None = None
    # What `make test-model` runs, as its help and the README say it.
    test_model: str = "The real code path on your CPU, with a tiny model built offline"
    # The README's word on its Server, where the stack runs its own server process.
    server_readme: str | None = None
    gpu_use: str = ANY_GPUS  # ANY_GPUS, ONE_GPU or SPLIT_GPUS: what a GPU count above 1 does
    model_kinds: tuple[str, ...] | None = None  # the kinds of model it runs (None: any weights)


STACKS: tuple[Stack, ...] = (
    Stack("plain", "plain Python: your own code, no model framework", None, (), (),
          ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")),
    Stack("torch", "a PyTorch module, loaded once per container, inference under torch.inference_mode()",
          None,
          (TORCH, "safetensors==0.8.0", *HF_HUB), (TORCH, "safetensors==0.8.0", "huggingface-hub==2.4.0"),
          ("3.10", "3.11", "3.12", "3.13", "3.14"), example="a good day", gpu_use=ONE_GPU),
    Stack("transformers", "text generation with a causal LM (tokenizer + model, generate), bf16 on GPU",
          "Qwen/Qwen2.5-0.5B-Instruct@7ae557604adf67be50417f59c2c2f167def9a775",
          (TORCH, "transformers==5.24.0", "accelerate==1.15.0", *HF_HUB),
          (TORCH, "transformers==5.24.0", "accelerate==1.15.0", "huggingface-hub==2.4.0"),
          ("3.11", "3.12", "3.13", "3.14"), sizing=True, example="Say hello in five words.", gpu_use=ONE_GPU,
          model_kinds=(CAUSAL_LM,)),
    Stack("embeddings", "sentence embeddings with sentence-transformers, batched, unit length",
          "BAAI/bge-small-en-v1.5@5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
          (TORCH, "sentence-transformers==6.2.0", "transformers==5.24.0", *HF_HUB),
          (TORCH, "sentence-transformers==6.2.0", "transformers==5.24.0", "huggingface-hub==2.4.0"),
          ("3.11", "3.12", "3.13", "3.14"), sizing=True, input_batch=64, example="Modal runs this embedding.",
          gpu_use=ONE_GPU, model_kinds=(ENCODER, CAUSAL_LM)),  # Qwen3-Embedding is a causal LM
    Stack("vllm", "an OpenAI-compatible vLLM server: /v1/chat/completions, /v1/models, /health",
          "Qwen/Qwen2.5-1.5B-Instruct@989aa7980e4cf806f80c7fef2b1adb7bc71aa306",
          ("vllm==0.33.0",), ("httpx>=0.27",), ("3.11", "3.12", "3.13", "3.14"), kinds=("server",),
          needs_gpu=True, base="cuda", sizing=True, own_server=True,
          # Modal's vLLM example: scaledown_window=15 * MINUTES; a target concurrency per replica
          # (100 there on an H200 with a 26B MoE; 32 suits the small GPUs a default model runs on).
          target_concurrency=32, scaledown_window=15 * 60, exit_grace_period=30,
          test_model="vLLM needs a GPU: the `vllm serve` command line, the readiness wait and the client, "
                     "against a local OpenAI-compatible stand-in server (tests/fake_engine.py), not vLLM",
          server_readme=(
              "`Server` runs `vllm serve` (vLLM's OpenAI-compatible server, not uvicorn) in every container, "
              "started in `@modal.enter`, which returns once vLLM answers `/health` with the weights "
              "loaded; if `vllm serve` exits while starting, the container fails at once instead of "
              "waiting out `startup_timeout` ({startup} min for this model). One replica holds "
              "{concurrency} requests before Modal adds another (`target_concurrency`: measure yours with "
              "`make bench`); an idle replica stays {scaledown} min (`scaledown_window`, longer than a "
              "cold start, as in Modal's vLLM example); a replica that goes gives in-flight requests "
              "{grace} s (`exit_grace_period`). {boot} A Server with no live container answers 503 while "
              "one starts: retry until it answers (the smoke test does)."),
          volumes=(("vllm-cache", "/root/.cache/vllm"),),
          env=(("VLLM_CACHE_ROOT", "/root/.cache/vllm"),), example="Say hello in five words.",
          gpu_use=SPLIT_GPUS, model_kinds=(CAUSAL_LM,)),
    Stack("diffusers", "text-to-image with diffusers: PNG bytes, image/png over HTTP",
          "stabilityai/sd-turbo@b261bac6fd2cf515557d5d0707481eafa0485ec2",
          (TORCH, "diffusers==0.42.1", "transformers==5.24.0", "accelerate==1.15.0", "safetensors==0.8.0",
           *HF_HUB, "pillow==13.0.0"),
          (TORCH, "diffusers==0.42.1", "transformers==5.24.0", "accelerate==1.15.0", "huggingface-hub==2.4.0",
           "pillow"),
          ("3.11", "3.12", "3.13", "3.14"), media_type="image/png", sizing=True,
          example="a lighthouse at dawn", gpu_use=ONE_GPU, model_kinds=(DIFFUSION,),
          licence="sd-turbo is under the Stability AI Community License: free below US$1M annual revenue"),
)  # fmt: skip
STACK_BY_NAME: dict[str, Stack] = {s.name: s for s in STACKS}
DEFAULT_STACK = "plain"
# Hugging Face organisations whose models ask for an accepted licence and a token (HF_TOKEN).
GATED_ORGS = (
    "meta-llama/",
    "google/gemma",
    "mistralai/",
    "black-forest-labs/",
    "stabilityai/stable-diffusion-3",
)
DTYPES = ("bf16", "fp16", "fp8", "int8", "int4", "fp32")
MAX_MODEL_LEN = (256, 1_048_576)

# ---------------------------------------------------------------------------------------------
# Images

BASES: dict[str, str] = {
    "debian-slim": "modal.Image.debian_slim: small, fast to build",
    "cuda": "NVIDIA's CUDA devel image (nvcc, cuDNN headers) via Image.from_registry",
}
DEFAULT_BASE = "debian-slim"
# The CUDA image of `--base cuda` must match the CUDA the image's torch was built for: torch's
# kernels and NCCL come with its wheel, and a devel image of another CUDA major gives nvcc and
# headers that do not match them (custom kernels, flash-attention builds, vLLM's JIT).
# The CUDA each torch pin's Linux x86_64 wheel on PyPI is built for: its `cuda-toolkit==13.0.x`
# requirement, read from PyPI's metadata of the cp312 manylinux wheels on 2026-12-02.
TORCH_CUDA: dict[str, str] = {"2.11.0": "13.0", "2.13.0": "13.0", "2.14.0": "13.0"}
# The torch each vLLM pin installs (its `torch==` requirement on PyPI): vllm 0.33.0 pins torch 2.14.0.
VLLM_TORCH: dict[str, str] = {"0.33.0": "2.14.0"}
CUDA_IMAGES: dict[str, str] = {"13.0": "nvidia/cuda:13.0.2-devel-ubuntu24.04"}
DEFAULT_CUDA = "13.0"  # a project without torch (plain): the CUDA of the torch modalgen pins


def stack_torch(stack: Stack) -> str | None:
    """The torch version a stack's image installs: pinned itself, or pinned by its vLLM."""
    for requirement in stack.packages:
        name, _, version = requirement.partition("==")
        if name == "torch":
            return version
        if name == "vllm":
            return VLLM_TORCH[version]
    return None


def cuda_image(stack: Stack) -> str:
    """The CUDA devel image for a stack: the CUDA its torch was built for."""
    torch = stack_torch(stack)
    return CUDA_IMAGES[TORCH_CUDA[torch] if torch else DEFAULT_CUDA]


# The container Pythons each image builder version supports (modal 1.6.4's
# `modal._image.SUPPORTED_PYTHON_SERIES`; debian_slim refuses free-threaded builds). The project pins
# its builder version in the Makefile (MODAL_IMAGE_BUILDER_VERSION), so the check below holds
# whatever the workspace's setting is.
IMAGE_BUILDERS: dict[str, tuple[str, ...]] = {
    "2025.06": ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"),
    "2026.10": ("3.11", "3.12", "3.13", "3.14", "3.15"),
}
DEFAULT_IMAGE_BUILDER = "2026.10"
CONTAINER_PYTHONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
DEFAULT_PYTHON = "3.12"

# Pins of what modalgen's own code in the image needs (checked against the versions these
# templates were tested with: see tests/test_generated_projects.py).
MODAL_MINOR = "1.6"
PINS: dict[str, str] = {
    "fastapi": "fastapi[standard]==0.165.0",
    "flask": "flask==3.1.3",
    "huggingface_hub": "huggingface-hub==2.4.0",
}

# Environment variables a project may not set in its image: each would break the container
# (where Python and modal look for code and config) or collide with Modal's own.
FORBIDDEN_ENV = ("PATH", "PYTHONPATH", "HOME", "PYTHONHOME", "LD_LIBRARY_PATH", "LD_PRELOAD")
FORBIDDEN_ENV_PREFIXES = ("MODAL_",)

# ---------------------------------------------------------------------------------------------
# Secrets: the keys real services read, by the names people give their Secrets.

KNOWN_SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "huggingface": ("HF_TOKEN",),
    "huggingface-secret": ("HF_TOKEN",),
    "hf": ("HF_TOKEN",),
    "hf-token": ("HF_TOKEN",),
    "wandb": ("WANDB_API_KEY",),
    "wandb-secret": ("WANDB_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "openai-secret": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"),
    "github": ("GITHUB_TOKEN",),
}
HF_SECRET = "huggingface-secret"  # what a gated model asks for (HF_TOKEN)

# ---------------------------------------------------------------------------------------------
# Volumes and the rest

HF_CACHE_VOLUME = "huggingface-cache"
HF_CACHE_MOUNT = "/root/.cache/huggingface"

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DESCRIPTION = "A Modal project generated by modalgen."

# Mount paths a Volume may not take: Modal refuses the first three; the rest would hide the image's
# own system directories.
FORBIDDEN_MOUNTS: tuple[str, ...] = ("/", "/root", "/tmp")
SYSTEM_DIRS: tuple[str, ...] = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var",
)  # fmt: skip

# Package names a project may not take: they would shadow what the project imports or what its
# tests need (the standard library's names are refused too, in fields.check_name).
RESERVED_PACKAGES = ("modal", "tests", "test", "conftest", "app", "fastapi", "flask", "pytest", "yaml",
                     "httpx", "croniter", "uvicorn", "starlette", "pydantic")  # fmt: skip

ANSWERS_FILE = ".modalgen-answers.yml"
TEMPLATE_NAME = "project"
