"""Host memory of a sharded (FSDP) run's ranks while they load the base model and shard it.

    python benchmarks/train_run.py render DIR --stack finetune --method full --sharded
    cd DIR/bench-train && python ../../benchmarks/fsdp_host_memory.py [--params-m 536] [--ranks 2] [--out F]

A model of `--params-m` million parameters is built from a Llama config with random weights and
saved in bf16 as safetensors (as Hub checkpoints are); `--ranks` processes under torchrun each load
it with from_pretrained in bf16 (the loop's dtype on a GPU) and shard it with the project's own
`train.shard`. Each rank reports its private memory (USS: pages no other process shares) after
loading and after sharding, against the checkpoint's size. On a CPU the shards stay in host
memory (gloo), in the dtype the run trains in (fp32 for a full fine-tune); on GPUs they go to each
rank's GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GB = 1e9


def build_checkpoint(folder: Path, params_m: int) -> int:
    """A random Llama of about `params_m` million parameters, saved in bf16; its file size."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    # At hidden 2,048: 131 M parameters of embeddings and head, 50.6 M per decoder block.
    layers = max(1, round((params_m - 131) / 50.6))
    config = LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5504, num_attention_heads=16,
                         num_key_value_heads=16, num_hidden_layers=layers,
                         tie_word_embeddings=False)  # fmt: skip
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(folder)
    return sum(f.stat().st_size for f in folder.glob("*.safetensors"))


def rank(folder: Path) -> None:
    """One torchrun process: load in bf16, shard with the project's code, report USS each time."""
    import psutil
    import torch
    import torch.distributed as dist
    from transformers import AutoModelForCausalLM

    sys.path.insert(0, str(Path.cwd()))
    from bench_train import train  # the project's own

    dist.init_process_group("gloo")
    me = psutil.Process()
    report = {"rank": dist.get_rank(), "started_gb": me.memory_full_info().uss / GB}
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16)
    report["loaded_gb"] = me.memory_full_info().uss / GB
    train.shard(model)
    report["sharded_gb"] = me.memory_full_info().uss / GB
    print("RANK " + json.dumps({k: round(v, 3) for k, v in report.items()}), flush=True)
    dist.barrier()
    dist.destroy_process_group()


def measure(params_m: int, ranks: int) -> dict:
    import torch

    folder = Path(tempfile.mkdtemp(prefix="fsdp-host-memory-"))
    size = build_checkpoint(folder, params_m)
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={ranks}", "--standalone",
               __file__, "--rank-of", str(folder)]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ})
    reports = sorted((json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("RANK ")),
                     key=lambda r: r["rank"])  # fmt: skip
    return {
        "torch": torch.__version__,
        "checkpoint_gb": round(size / GB, 3),
        "ranks": ranks,
        # What each rank holds of its own, beyond what it held before loading.
        "private_after_load_gb": [round(r["loaded_gb"] - r["started_gb"], 3) for r in reports],
        "private_after_shard_gb": [round(r["sharded_gb"] - r["started_gb"], 3) for r in reports],
        "per_rank": reports,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params-m", type=int, default=536, help="the model's size, millions of parameters")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rank-of", type=Path, help=argparse.SUPPRESS)  # torchrun's processes
    args = parser.parse_args(argv)
    if args.rank_of:
        rank(args.rank_of)
        return 0
    from train_run import write_report  # beside this file

    return write_report(measure(args.params_m, args.ranks), args.out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
