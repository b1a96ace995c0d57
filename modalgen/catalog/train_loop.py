"""The generated finetune loop as `new` sizes it: its own batch and sequence length, and how several
GPUs share its run (the sums are train_sizing.py's).

The loop replicates the run on every GPU (DDP) where each GPU holds all of it; where only a share
fits, it shards the weights, gradients and AdamW states over the GPUs (FSDP, torch's fully_shard).
QLoRA stays DDP: its 4-bit weights are bitsandbytes' packed tensors, which FSDP shards only with a
storage type of their own, and its point is that the model fits one GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modalgen.catalog import train_sizing
from modalgen.catalog.models import ModelShape

LOOP_BATCH_SIZE, LOOP_SEQ_LEN = 4, 512  # the finetune loop's BATCH_SIZE and SEQ_LEN
LOOP: dict[str, Any] = {"seq_len": LOOP_SEQ_LEN, "batch_size": LOOP_BATCH_SIZE,
                        "gradient_checkpointing": False}  # fmt: skip
SHARDED_METHODS = ("full", "lora")  # the methods the loop runs under FSDP when DDP does not fit


def loop_need(shape: ModelShape, method: str, gpu: str, count: int) -> train_sizing.TrainNeed:
    """What each GPU holds of the loop's run: DDP's need where it fits (or on one GPU), else FSDP's."""
    ddp = train_sizing.train_need(shape, method=method, gpu=gpu, count=count, parallel="ddp", **LOOP)
    if ddp.fits or count == 1 or method not in SHARDED_METHODS:
        return ddp
    fsdp = train_sizing.train_need(shape, method=method, gpu=gpu, count=count, parallel="fsdp", **LOOP)
    return fsdp if fsdp.fits else ddp


def loop_parallel(shape: ModelShape, method: str, choices: Sequence[tuple[str, int]]) -> str:
    """FSDP where the run fits some GPU choice only sharded (the loop then shards on each), else DDP."""
    needs = [loop_need(shape, method, gpu, count) for gpu, count in choices]
    return "fsdp" if any(need.parallel == "fsdp" for need in needs) else "ddp"


def loop_alternatives(need: train_sizing.TrainNeed, shape: ModelShape) -> list[str]:
    """What would fit instead, as `new`'s flags, cheapest first: the runs the loop itself makes (its
    batch, no gradient checkpointing, FSDP for full and LoRA), whichever way its GPUs share them."""
    changes: list[str] = []
    for row in train_sizing.alternatives(need, shape):
        sharded_qlora = row["parallel"] == "fsdp" and row["method"] not in SHARDED_METHODS
        if row["gradient_checkpointing"] or sharded_qlora:
            continue
        # The loop picks DDP or FSDP itself: `new` has no --parallel.
        change = row["change"].replace(" --parallel fsdp", "").replace(" --parallel ddp", "")
        if change not in changes:
            changes.append(change)
    return changes


def loop_shapes(shape: ModelShape, method: str) -> list[dict[str, Any]]:
    """The cheapest GPU shapes that hold the loop's run (train_sizing.train_shapes' rows): the fewest
    GPUs of each type, sharded where one GPU is too small (QLoRA: one GPU, as the loop runs it)."""
    parallel = "fsdp" if method in SHARDED_METHODS else "ddp"
    return train_sizing.train_shapes(shape, method=method, parallel=parallel, **LOOP)
