"""Workload kinds and the knobs their functions take: one record per kind."""

from __future__ import annotations

from dataclasses import dataclass

from modalgen.catalog.stacks import TORCH

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
# A training run: steps between checkpoints, the attempt's timeout and retries (a run resumes from
# its newest checkpoint on each), the machines of a Modal cluster.
TRAINING = "training"
FINETUNE = "finetune"  # the train function of a stack that fine-tunes a Hub model (its stack record adds it)
# The knobs in one order: options a function takes are listed (its `accepts`) knob by knob.
KNOBS: tuple[str, ...] = (WARM, MAX_CONTAINERS, CONCURRENT, RETRIES, SINGLE_USE, BATCHING, SCHEDULE, WEB,
                          SERVER, PUBLIC, RESOURCES, TIMEOUT, SNAPSHOT, TRAINING, FINETUNE)  # fmt: skip


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
    test_packages: tuple[str, ...] = ()  # what its `make test-model` tests need, on a CPU
    make: tuple[tuple[str, str, str], ...] = ()  # its own Makefile targets: (name, help, `uv run` command)
    readme: tuple[str, str] | None = None  # a README section on using it: (title, text)
    # Its function runs one process per GPU of its container (torchrun): a stack that loads one
    # copy of a model on one GPU still uses all of them here.
    every_gpu: bool = False
    # Where it keeps its state when the project names no Volume: (name, mount).
    volume: tuple[str, str] | None = None
    stacks: tuple[str, ...] | None = None  # the stacks it runs on (None: every stack)


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
    Kind("train", "train", "a training run: checkpoints in a Volume, resumed after preemption", "train", None,
         "function", frozenset({RESOURCES, TRAINING}), "core",
         packages=("torch",), dev_packages=("matplotlib>=3.8",), test_packages=(TORCH,), every_gpu=True,
         stacks=("plain", "torch", "finetune"), volume=("checkpoints", "/checkpoints"),
         make=(("train", "Start a training run on Modal that outlives this terminal: make train RUN=name "
                "STEPS=N", "modal run --detach $(ENV_FLAG) -m $(PACKAGE).app::app.start_training "
                "$(if $(RUN),--run $(RUN)) $(if $(STEPS),--steps $(STEPS))"),
               ("metrics", "Fetch a run's metrics and draw its loss curve: make metrics RUN=name "
                "(metrics/RUN.png)", "python -m $(PACKAGE).train metrics $(or $(RUN),default)"),
               ("checkpoints", "List a run's checkpoints in the Volume: make checkpoints RUN=name",
                "python -m $(PACKAGE).train checkpoints $(or $(RUN),default)"),
               ("upload-data", "Upload a JSON-lines training file to the Volume: make upload-data FILE=...",
                "python -m $(PACKAGE).train upload $(FILE)")),
         readme=("Training",
                 "`make train RUN=first STEPS=2000` starts `train` on Modal and returns: the run outlives "
                 "your terminal (`modal run --detach`), and the command prints `make logs APP=ap-...` to "
                 "follow it. The loop writes a checkpoint every `CHECKPOINT_EVERY` steps into the Volume "
                 "(runs/RUN/checkpoints) and commits it; every attempt starts from the newest one, so a "
                 "preempted container (Modal restarts it on the same input) or a timeout (`retries` starts "
                 "another attempt, with a full timeout of its own) loses at most `CHECKPOINT_EVERY` steps, "
                 "and a run can last longer than Modal's 24 h limit for one attempt. Metrics (step, loss, "
                 "learning rate, tokens/s) go to the logs and to runs/RUN/metrics.jsonl: `make metrics "
                 "RUN=first` draws the loss curve into metrics/first.png, `make checkpoints RUN=first` lists "
                 "what is saved.")),
)  # fmt: skip
KIND_NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
DEFAULT_KINDS: tuple[str, ...] = ("batch",)
WORKER_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.worker)


def default_kinds(stack) -> tuple[str, ...]:
    """A new project's workloads on `stack` when none are given."""
    return stack.default_kinds or stack.kinds or DEFAULT_KINDS


def kinds_of_stack(stack) -> tuple[str, ...]:
    """The workloads a stack runs: those it serves, and that run on it."""
    return tuple(k.name for k in KINDS if (stack.kinds is None or k.name in stack.kinds)
                 and (k.stacks is None or stack.name in k.stacks))  # fmt: skip


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
