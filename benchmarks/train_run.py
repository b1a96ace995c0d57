"""A training run of a generated project, measured: throughput, peak memory, time per checkpoint.

    python benchmarks/train_run.py render DIR [--stack torch|finetune] [--method lora|qlora|full] [--sharded]
    cd DIR/bench-train && python ../../benchmarks/train_run.py measure [--steps 400] [--gpus N] [--out F]

`measure` runs in the project, with torch installed (the model environment here; a GPU machine's
own torch there): the project's own `train.train_loop` trains the stack's module (core.build_module)
on the best device for `--steps` steps with a checkpoint every `--every`, or the project's own
torchrun launch (`train.launch_command`) over `--gpus` processes. It reports steps/s, tokens/s,
peak memory (CUDA's allocator on a GPU, the process's RSS on a CPU), the median time to write a
checkpoint, and the device, as JSON (stdout, and --out); with torchrun the workers are other
processes, so memory and checkpoint times come from a `--gpus 1` run. No model hub is needed: the
module is built from its config, as the project's own tests build it. A finetune project (LoRA)
trains the tiny causal LM its tests build offline, unless `--base-model` says its pinned model is in
the cache (a GPU machine with the weights). `--method` picks the finetune project's training
method; `--sharded` plans its run as one no GPU holds whole (a full fine-tune of an 8B model over 8
H100s), so its loop shards the model (FSDP) when `measure --gpus N` launches it. CPU results from
this machine are in benchmarks/results/cpu-train-*.json and cpu-finetune-*.json; a GPU machine's
would sit beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(folder: Path, stack: str, method: str | None, sharded: bool) -> Path:
    sys.path.insert(0, str(ROOT))
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render as render_project

    raw = {"name": "bench-train", "stack": stack, "gpu": ["H100"], "workload": ["train"]}
    raw.update({"train_method": method} if method else {})
    if sharded:  # ~140 GB to train: FSDP over the 8 GPUs (the model tests swap in the tiny one)
        raw.update(hf_model="meta-llama/Llama-3.1-8B@" + "a" * 40, gpu_for={"train": ["H100:8"]})
    return render_project(parse_spec(raw), folder / "bench-train")


def tiny_base_model(core, train) -> str:
    """A finetune project's base model replaced by the tiny one its tests build offline."""
    import tempfile

    sys.path.insert(0, str(Path.cwd() / "tests"))
    import test_model  # the project's own

    cache = Path(tempfile.mkdtemp(prefix="hf-hub-cache-"))
    test_model.lay_out_tiny_cache(cache, Path(tempfile.mkdtemp(prefix="tiny-model-")))
    core.MODEL_REPO, core.MODEL_REVISION, core.HF_HUB_CACHE = (
        test_model.TINY_REPO, test_model.TINY_REVISION, str(cache))  # fmt: skip
    # torchrun's workers too, as the project's tests launch them (test_train.tiny_trainer)
    os.environ.update(TINY_HF_CACHE=str(cache), TRAIN_ENGINE="test_train:tiny_trainer")
    paths = [str(Path.cwd()), str(Path.cwd() / "tests"), os.environ.get("PYTHONPATH")]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return test_model.TINY_REPO


def measure(steps: int, every: int, gpus: int, base_model: bool) -> dict:
    sys.path.insert(0, str(Path.cwd()))
    import torch
    from bench_train import core, train  # the project's own package

    method = getattr(train, "TRAIN_METHOD", None)  # a finetune project
    model = core.MODEL_REPO if method and base_model else tiny_base_model(core, train) if method else None

    saves: list[float] = []
    save = train.save_checkpoint

    def timed_save(*args):
        start = time.perf_counter()
        path = save(*args)
        saves.append(time.perf_counter() - start)
        return path

    train.save_checkpoint = timed_save
    folder = Path("bench-runs") / f"run-{int(time.time())}"
    start = time.perf_counter()
    if gpus > 1:
        import subprocess

        command = train.launch_command(gpus, 1, 0, "127.0.0.1", folder, steps, every)
        subprocess.run(command, check=True)
        summary = json.loads((folder / "summary.json").read_text())
    else:
        summary = train.train_loop(folder, steps, every)
    elapsed = time.perf_counter() - start
    records = train.read_metrics(folder / "metrics.jsonl")
    cuda = torch.cuda.is_available()
    return {
        "device": core.device_report() if cuda else {"gpus": [], "count": 0, "cpu": True},
        "torch": torch.__version__,
        "model": model or "the stack's module, built from its config",
        "train_method": method,
        "processes": summary["world_size"],
        "steps": steps,
        "checkpoint_every": every,
        "steps_per_s": round(steps / elapsed, 1),
        "tokens_per_s_median": round(statistics.median(r["tokens_per_s"] for r in records), 1),
        "first_loss": records[0]["loss"],
        "last_loss": records[-1]["loss"],
        # Measured in this process: a torchrun launch's workers are other processes (run --gpus 1
        # for the per-process figures).
        "peak_memory_mb": None if gpus > 1 else round(peak_mb(cuda), 1),
        "checkpoint_write_ms_median": round(statistics.median(saves) * 1000, 2) if saves else None,
        "resumed_from": summary["resumed_from"],
    }


def peak_mb(cuda: bool) -> float:
    import torch

    if cuda:
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    made = sub.add_parser("render")
    made.add_argument("folder", type=Path)
    made.add_argument("--stack", choices=("torch", "finetune"), default="torch")
    made.add_argument("--method", choices=("lora", "qlora", "full"), help="finetune: the training method")
    made.add_argument("--sharded", action="store_true", help="finetune: a run no GPU holds whole (FSDP)")
    run = sub.add_parser("measure")
    run.add_argument("--steps", type=int, default=400)
    run.add_argument("--every", type=int, default=100)
    run.add_argument("--gpus", type=int, default=1, help="torchrun processes (one per GPU)")
    run.add_argument("--out", type=Path)
    run.add_argument("--base-model", action="store_true", help="finetune: the pinned model, in the cache")
    args = parser.parse_args(argv)
    if args.command == "render":
        print(render(args.folder, args.stack, args.method, args.sharded))
        return 0
    return write_report(measure(args.steps, args.every, args.gpus, args.base_model), args.out)


def write_report(report: dict, out: Path | None) -> int:
    """The report as JSON on stdout, and in `out` where given."""
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
