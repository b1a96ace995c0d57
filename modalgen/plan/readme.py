"""The README's facts: the files of the project, a section per kind, the Server's own word."""

from __future__ import annotations

from typing import Any

from modalgen import catalog
from modalgen.answers.spec import Spec
from modalgen.plan.functions import Function


def _own_server_readme(text: str, server: Function) -> str:
    """The stack's README text on its Server, with this Server's settings."""
    settings = server.server
    if settings["fast_boot"]:
        boot = (
            "It scales from zero, so it skips CUDA graph capture (`--enforce-eager`, `FAST_BOOT` in "
            "core.py) to boot faster; with warm replicas (`--min-containers`) it would capture them."
        )
    else:
        boot = (
            "Its replicas stay warm, so it captures CUDA graphs (`FAST_BOOT = False` in core.py) for "
            "faster tokens at a slower boot."
        )
    return text.format(
        startup=settings["startup_timeout"] // 60,
        concurrency=settings["target_concurrency"],
        scaledown=(server.scaledown_window or 0) // 60,
        grace=settings["exit_grace_period"] or 0,
        boot=boot,
    )


# How the loop's GPUs share a run (plan: the train function's `parallel`).
SHARING = {
    "ddp": "DDP",
    "fsdp": "FSDP, each holding a share of the weights, gradients and AdamW states: the run fits no one GPU "
    "whole",
}


def _training_cost(train: Function) -> str:
    """What a run costs: its hours on its hardware, from the plan's $/hr."""
    nodes = dict(train.settings).get("nodes", 1)
    rate = train.price_per_hour * nodes
    hours = train.timeout / 3600
    where = f"{nodes} machines of {train.gpu[0]}" if nodes > 1 else (train.gpu[0] if train.gpu else "CPU")
    launch = ""
    if train.gpu:
        cluster = f", and on a Modal cluster of {nodes} machines (`@modal.clustered`)" if nodes > 1 else ""
        share = SHARING[dict(train.settings).get("parallel", "ddp")]
        launch = f"With several GPUs the loop runs under torchrun, one process per GPU ({share}){cluster}. "
    cost = f"${rate * hours:,.2f}"
    return (f"{launch}Cost: {where} at ${rate:,.2f}/hr while it trains; an attempt that runs to its "
            f"{hours:g} h timeout costs {cost}, and a run costs its hours at that rate.")  # fmt: skip


def _finetune(spec: Spec, train: Function) -> dict[str, str]:
    """The Fine-tuning section: from `new` to a served answer, what the run needs on its GPU (the
    sizing at `new`), and the cheapest GPU shapes that hold it, priced per hour and per attempt."""
    from modalgen.answers.model import model_shape
    from modalgen.catalog import train_loop

    method = dict(train.settings)["train_method"]
    need, table = "", ""
    if spec.hf_model:
        shape = model_shape(spec)
        if train.gpu:
            gpu, _, count = train.gpu[0].partition(":")
            sized = train_loop.loop_need(shape, method, gpu, int(count or 1))
            need = f"Sized before it was made: {sized.arithmetic()}. "
        table = _shapes_table(train_loop.loop_shapes(shape, method)[:4],
                              train.timeout / 3600)  # fmt: skip
    text = (f"`train` fine-tunes {spec.hf_model} ({method}: `modalgen set --train-method` changes it; "
            "`modalgen gpus --model ... --train-method ...` lists what fits). " + need +
            "From nothing to an answer: `make download` (the base model into its Volume), `make "
            "upload-data FILE=train.jsonl` (one {\"prompt\": ..., \"completion\": ...} per line), `make "
            "train RUN=default STEPS=500`, `make metrics RUN=default` (the loss curve); the run exports "
            "its adapter (or, full, its weights) to runs/RUN/ in the Volume with the base model's revision, "
            "and the inference functions serve it merged into the base model (`ADAPTER_RUN` names the run, "
            "default `default`): `make deploy`, then ask it as `make smoke` does.")  # fmt: skip
    return {"title": "Fine-tuning", "text": text, "table": table}


def _shapes_table(rows: list[dict[str, Any]], hours: float) -> str:
    """GPU shapes as a Markdown table, with the cost of an attempt of `hours`."""
    lines = [f"| GPUs | memory per GPU | the run needs per GPU | GPU $/hr | an attempt ({hours:g} h) |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in rows:
        shape = row["gpu"] if row["count"] == 1 else f"{row['gpu']}:{row['count']}"
        price = row["price_per_hour"]
        cost = "n/a" if price is None else f"${price:,.2f} | ${price * hours:,.2f}"
        lines.append(f"| {shape} | {row['vram_gb_per_gpu']:g} GB | {row['need_gb_per_gpu']:g} GB | {cost} |")
    return "\n".join(lines)


def readme(spec: Spec, fns: tuple[Function, ...]) -> dict[str, Any]:
    pkg = spec.package
    files = [
        (
            f"{pkg}/common.py",
            "the `modal.App`, the image, the shared settings, and `run_core`, the core on Modal",
        ),
        (
            f"{pkg}/core.py",
            "the work itself, plain Python: Modal runs it on the planned hardware, the tests on a CPU",
        ),
        (f"{pkg}/app.py", "the deploy target: imports every module that registers functions"),
    ]
    for fn in fns[1:]:
        what = (
            catalog.KIND_BY_NAME[fn.kind].summary
            if fn.kind in catalog.KIND_BY_NAME
            else "downloads the model's pinned revision into the cache Volume"
        )
        files.append((f"{pkg}/{fn.module}.py", f"`{fn.name}`: {what}"))
    if spec.secrets:
        files.append((".env.example", "the keys each Modal Secret holds (values never written)"))
    files += [
        (".github/workflows/ci.yml",
         "lint and offline tests on push; smoke tests, then deploy, from main; weekly freshness checks"),
        ("AGENTS.md", "the project's commands, for coding agents"),
        ("tests/",
         "offline tests of every function (valid on Modal, logic run locally); smoke tests run on Modal"),
    ]  # fmt: skip
    readmes = [catalog.KIND_BY_NAME[k].readme for k in spec.workloads if catalog.KIND_BY_NAME[k].readme]
    sections = [{"title": title, "text": text} for title, text in readmes]
    train = next((fn for fn in fns if fn.kind == "train"), None)
    if train and train.price_per_hour is not None:
        sections = [{**s, "text": f"{s['text']} {_training_cost(train)}"} if s["title"] == "Training" else s
                    for s in sections]  # fmt: skip
    if train and "train_method" in dict(train.settings):
        sections.append(_finetune(spec, train))
    server = next((fn for fn in fns if fn.server), None)
    own = catalog.STACK_BY_NAME[spec.stack].server_readme
    if server and own:  # the stack runs its own server process: its own word on it
        sections = [s for s in sections if s["title"] != "The Server"]
        sections.append({"title": "The Server", "text": _own_server_readme(own, server)})
    # Endpoints behind Modal proxy auth: their smoke tests (and CI) need a proxy auth token.
    proxy_auth = any(not (fn.web or fn.server)["public"] for fn in fns if fn.web or fn.server)
    return {"files": [{"path": p, "what": w} for p, w in files], "kinds": sections, "proxy_auth": proxy_auth}
