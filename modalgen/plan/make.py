"""The Makefile: its targets and variables, and the endpoint `make bench` and `make coldstart` measure."""

from __future__ import annotations

from typing import Any

from modalgen import catalog
from modalgen.answers.spec import Spec
from modalgen.plan.functions import Function


def make_targets(spec: Spec, fns: tuple[Function, ...]) -> tuple[dict[str, Any], ...]:
    run_fn = next((fn for fn in fns[1:] if fn.entrypoint and fn.role != "download"), fns[0])
    modal = "cd $(ROOT) && uv run modal"
    ref = "-m $(PACKAGE).app::app"
    # `modal run --detach` with a local entrypoint keeps only the last function the entrypoint
    # triggered (modal/cli/run.py says so): jobs that must outlive the terminal are submitted to
    # the deployed app (`make submit`); `make train`'s entrypoint triggers one function, `train`.
    run_help = f"Run {run_fn.name} on Modal (an ephemeral app: it stops when this command ends)"
    targets = [
        ("install", "Create .venv with modal and the dev tools", ["uv sync"]),
        (
            "test",
            "ruff (an undefined name fails here), then the offline tests: no network, no Modal account",
            ["uv run ruff check .", 'uv run pytest -m "not smoke and not model"'],
        ),
        ("lint", "ruff, as CI runs it", ["uv run ruff check .", "uv run ruff format --check ."]),
        ("fmt", "Fix what ruff can", ["uv run ruff check --fix .", "uv run ruff format ."]),
        ("run", run_help, [f"{modal} run $(ENV_FLAG) {ref}.{run_fn.entrypoint}"]),
    ]
    for name in spec.workloads:
        for target, help_text, command in catalog.KIND_BY_NAME[name].make:
            targets.append((target, help_text, [f"cd $(ROOT) && uv run {command}"]))
    if spec.hf_model:
        targets.append(("download", "Download the model's pinned revision into the huggingface-cache Volume",
                        [f"{modal} run $(ENV_FLAG) {ref}.download_weights"]))  # fmt: skip
    targets += _test_model(spec)
    targets.append(("smoke", "Run each function on Modal; check its answer and the hardware it ran on",
                    ['uv run pytest -m smoke -v -rs']))  # fmt: skip
    if any(catalog.KIND_BY_NAME[k].serves_http for k in spec.workloads):
        targets.append(
            (
                "serve",
                "Serve the app with hot reload (modal serve)",
                [f"{modal} serve $(ENV_FLAG) -m $(PACKAGE).app"],
            )
        )
    if bench_target(spec, fns):
        flags = " ".join(f"$(if $({var}),--{flag} $({var}))" for var, flag in BENCH_MAKE_VARS)
        targets += [
            ("bench", "Load-test the endpoint: latency, throughput, $/request (URL= the deployed one, "
             "else served here)",
             [needs_modalgen("bench"), f"cd $(ROOT) && modalgen bench {flags} $(if $(JSON),--json)"]),
            ("coldstart", "Cold-start the deployed endpoint (URL=...): time to first byte, split by the "
             "container's own timestamps",
             [COLDSTART_NEEDS_URL, needs_modalgen("coldstart"),
              "cd $(ROOT) && modalgen coldstart --url $(URL) $(if $(JSON),--json)"]),
        ]  # fmt: skip
    logs = "uv run modal app logs $(ENV_FLAG) $(APP)"
    targets += [
        ("deploy", "Deploy the app (MODAL_ENVIRONMENT picks the environment)",
         [f"{modal} deploy $(ENV_FLAG) -m $(PACKAGE).app"]),
        ("logs", "Stream the deployed app's logs", [f"{logs} -f"]),
        ("logs-recent", "The deployed app's last log entries, then exit", [logs]),
        ("shell", "A shell in a container with run_core's image, hardware and Volumes",
         [f"{modal} shell $(ENV_FLAG) {ref}.run_core"]),
    ]  # fmt: skip
    if spec.environments:
        talking = MODAL_TARGETS | {t[0] for k in spec.workloads for t in catalog.KIND_BY_NAME[k].make}
        targets = [_in_environments(target) if target[0] in talking else target for target in targets]
    return tuple({"name": n, "help": h, "recipe": r} for n, h, r in targets)


# The targets that talk to Modal (and every kind's own): with environments, each says which one
# it acts on (ENV) first.
MODAL_TARGETS = frozenset({"run", "download", "smoke", "serve", "coldstart", "deploy", "logs", "logs-recent",
                           "shell"})  # fmt: skip
# `make deploy ENV=<last>`: only a committed tree whose commit passed `make smoke` in an earlier
# environment (the smoke target records it in TESTED when the tree is clean).
LAST_ENV_GUARD = (
    '@if [ "$(ENV)" = "$(lastword $(ENVIRONMENTS))" ]; then '
    '[ -z "$$(git status --porcelain)" ] || { echo "make deploy ENV=$(ENV): commit first (git status): '
    '$(ENV) takes only a commit that passed make smoke" >&2; exit 1; }; '
    '[ "$$(cat $(TESTED) 2>/dev/null)" = "$$(git rev-parse HEAD)" ] || { echo "make deploy ENV=$(ENV): '
    'commit $$(git rev-parse --short HEAD) has not passed make smoke ENV=$(firstword $(ENVIRONMENTS))" >&2; '
    "exit 1; }; fi"
)
RECORD_TESTED = (
    '@if [ "$(ENV)" != "$(lastword $(ENVIRONMENTS))" ] && [ -z "$$(git status --porcelain 2>/dev/null)" ]; '
    "then git rev-parse HEAD > $(TESTED); fi"
)


def _in_environments(target: tuple[str, str, list[str]]) -> tuple[str, str, list[str]]:
    """A target that talks to Modal, in a project with environments: it says which one first."""
    name, help_text, recipe = target
    recipe = ["$(SAY_ENV)", *recipe]
    if name == "deploy":
        recipe.insert(1, LAST_ENV_GUARD)
        help_text = "Deploy the app to ENV (the first by default; the last only from a tested commit)"
    if name == "smoke":
        recipe.append(RECORD_TESTED)
    return name, help_text, recipe


def _test_model(spec: Spec) -> list[tuple[str, str, list[str]]]:
    if not model_test_packages(spec):
        return []
    stack = catalog.STACK_BY_NAME[spec.stack]
    what = stack.test_model if stack.test_packages else "The training loop's real code on this CPU (torch)"
    return [("test-model", what, ["$(MODEL_RUN) pytest -m model -v"])]


TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def model_test_packages(spec: Spec) -> tuple[str, ...]:
    """What `make test-model` runs with: the stack's test packages, its workloads' (torch for the
    train workload's loop), and a fine-tune's method's (bitsandbytes for QLoRA, which runs on a CPU)."""
    stack = catalog.STACK_BY_NAME[spec.stack]
    kinds = [p for k in spec.workloads for p in catalog.KIND_BY_NAME[k].test_packages]
    tuned = "train" in spec.workloads and catalog.FINETUNE in stack.knobs_of("train")
    method = catalog.TRAIN_METHOD_PACKAGES.get(spec.knob("train_method"), ()) if tuned else ()
    return tuple(dict.fromkeys([*stack.test_packages, *kinds, *(catalog.PINS[p] for p in method)]))


def make_vars(spec: Spec) -> tuple[dict[str, str], ...]:
    """MODEL_RUN: how `make test-model` gets the stack's packages without touching uv.lock.

    `uv run --with` adds them for the run only. torch comes from PyTorch's CPU index: from PyPI, uv
    would take a CUDA build of several GB on Linux, useless for a test on a CPU. Override it to use
    an environment you have: `make test-model MODEL_RUN="path/to/python -m"`.
    """
    packages = model_test_packages(spec)
    if not packages:
        return ()
    withs = " ".join(f"--with '{p}'" for p in packages)
    torch = any(p.startswith("torch") for p in packages)
    index = f"--index {TORCH_CPU_INDEX} --index-strategy unsafe-best-match " if torch else ""
    comment = ("the stack's packages for this run only (uv.lock untouched), torch as a CPU build"
               if torch else "the stack's packages for this run only (uv.lock untouched)")  # fmt: skip
    return ({"name": "MODEL_RUN", "value": f"uv run {index}{withs}", "comment": comment},)


# `make bench URL=... REQUESTS=200 CONCURRENCY=8 DURATION=60 READY_TIMEOUT=120 JSON=1`: Makefile
# variables -> flags
BENCH_MAKE_VARS = (
    ("URL", "url"),
    ("REQUESTS", "requests"),
    ("CONCURRENCY", "concurrency"),
    ("DURATION", "duration"),
    ("READY_TIMEOUT", "ready-timeout"),
)
# `make coldstart` without URL= stops in Make's words (GNU make's $(error), expanded when the recipe
# runs) rather than in argparse's about a --url flag the user never typed. No comma: $(if) splits on it.
COLDSTART_NEEDS_URL = (
    "$(if $(URL),,$(error coldstart measures the deployed endpoint: "
    "make coldstart URL=https://<your app>.modal.run (`make deploy` prints it)))"
)


def needs_modalgen(target: str) -> str:
    """`make bench` and `make coldstart` run modalgen's tools: without modalgen on PATH, one line
    says how to get the version that made the project (the rest of the Makefile never needs it)."""
    from modalgen import __version__

    says = f"make {target} needs modalgen {__version__} (the version that made this project):"
    get = f"uv tool install modalgen=={__version__}"
    return f'@command -v modalgen >/dev/null || {{ echo "{says} {get}" >&2; exit 1; }}'


def bench_target(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any] | None:
    """The HTTP endpoint `make bench` measures (a Server first, else the web function), or None."""
    serving = [fn for fn in fns if fn.server] + [fn for fn in fns if fn.web]
    if not serving:
        return None
    fn = serving[0]
    stack = catalog.STACK_BY_NAME[spec.stack]
    if fn.server:
        style = "openai" if stack.own_server else "server"
    else:
        style = fn.web["style"]
    path = {"openai": "/v1/chat/completions", "fastapi": ""}.get(style, "/process")
    holders = [{"module": fn.module, "obj": fn.name}]
    serving = [fn]
    if fn.calls:
        holders.append({"module": fn.calls["module"], "obj": fn.calls["obj"]})
        serving += [f for f in fns if f.name == fn.calls["obj"]]
    # The endpoint as code reaches it: a function, or the method of the class that loads the model.
    endpoint = (
        f"{fn.module}.{fn.name}().{fn.method}"
        if fn.web and fn.decorator == "cls"
        else f"{fn.module}.{fn.name}"
    )
    return {
        "module": fn.module,
        "obj": fn.name,
        "endpoint": endpoint,
        "style": style,
        "path": path,
        "public": (fn.server or fn.web)["public"],
        "holders": holders,
        "priced": all(f.price_per_hour is not None for f in serving),  # every GPU on the way has a price
        "tokens": stack.tokens,
        "stream": stack.own_server,
        "what": stack.bench_request,
    }
