"""Does fine-tuning a Hugging Face causal LM fit on these GPUs, and which GPU shapes are the cheapest that do?

The training side of sizing.py: answered before anything is rendered, so that a full fine-tune of an 8B
model on one H100 is refused with the arithmetic, not an hour into a run with a CUDA out-of-memory error.
GB = 1e9 bytes, as in sizing.py. Every figure is an estimate of the peak on one GPU, by part:

- weights: bf16 (2 bytes a parameter) for full and LoRA; QLoRA keeps the base in 4-bit NF4, 0.5 byte
  plus ~6% for the quantization constants (an fp32 absmax per block of 64, itself quantized), but the
  embedding and output matrices in bf16: bitsandbytes quantizes only the linear layers, never lm_head.
- trained parameters: full, all of them; LoRA and QLoRA, adapters of rank r (default 16) on the
  attention (q, k, v, o) and MLP (gate, up, down) projections: r x (d_in + d_out) parameters each
  (A is r x d_in, B is d_out x r), per layer, per expert for the MLP of a mixture of experts. That is
  41,943,040 for Llama-3.1-8B at r=16, as PEFT prints it.
- each trained parameter: 2 bytes for its bf16 weight (the copy computed with), 2 for its gradient and
  12 for AdamW (two fp32 moments, 8, and the fp32 master weight it updates, 4), as ZeRO counts mixed-
  precision Adam (Rajbhandari et al. 2019, 3.1). A full fine-tune's gradients are fp32, as the loop's
  weights are (AdamW's small steps vanish in bf16): 4 bytes, 18 in all, as Hugging Face's "model
  training anatomy" counts. LoRA's adapters are fp32 with fp32 gradients (PEFT): 16, in these terms.
- activations: per layer s x b x h x 34 bytes in bf16 (Korthikanti et al. 2022, "Reducing Activation
  Recomputation in Large Transformer Models", without tensor parallelism) plus 5 x a x s / h more for
  the attention scores that eager attention keeps; transformers' default attention (SDPA, flash
  kernels) recomputes those in backward, so they are counted only with attention="eager". With
  gradient checkpointing only each layer's input is kept (s x b x h x 2 bytes) plus one layer's full
  activations while it is recomputed. The paper counts the layers only: the logits are added, tokens x
  vocab x 6 bytes (bf16 logits and the fp32 copy the loss takes), which for a 128k vocabulary is
  often the largest activation.
- several GPUs: DDP replicates everything (each GPU holds it all: more GPUs go faster, never fit more);
  FSDP shards weights, gradients and optimizer states over the N GPUs, and each GPU also holds the
  gathered bf16 weights of the layer it computes and of the one it prefetches. Activations are per GPU.
- overhead and usable memory: sizing.py's 1 GB overhead, and the training stack's usable fraction
  (0.90), as for inference.

Where the config's widths are unknown (only a parameter count), the model is taken as Llama-shaped
(12 x layers x hidden^2 parameters, hidden = 128 x layers, MLP 3.5 x hidden, heads of 128, no grouped-
query attention, a 128,000-token vocabulary), and the line says "estimated". One guess of the shape
serves every term, the LoRA adapters' count included (0.6% of an 8B model at r=16; 0.52% is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modalgen import catalog
from modalgen.catalog.gpus import GPU_BY_NAME, GPUS, Gpu
from modalgen.catalog.models import ModelShape
from modalgen.catalog.options import TRAIN_METHODS
from modalgen.catalog.params import SizingError
from modalgen.catalog.sizing import GB, OVERHEAD_GB, fmt_gb, gpu_counts, shape_order

METHODS = TRAIN_METHODS  # one list: the --train-method option of `new` reads it too
METHOD_NAMES = {"lora": "LoRA", "qlora": "QLoRA", "full": "full"}
LIGHTER = {"full": ("lora", "qlora"), "lora": ("qlora",), "qlora": ()}  # what alternatives() offers
PARALLELS = ("ddp", "fsdp")
ATTENTIONS = ("sdpa", "eager")

# Defaults, as LLM fine-tuning recipes use them: 2,048 tokens (most SFT recipes' max_seq_length), 4
# sequences per GPU, LoRA rank 16, gradient checkpointing on (without it an 8B model's activations
# alone exceed an 80 GB GPU at 4 x 2,048 tokens).
DEFAULT_SEQ_LEN = 2048
DEFAULT_BATCH_SIZE = 4
DEFAULT_LORA_RANK = 16
DEFAULT_GRADIENT_CHECKPOINTING = True

SEQ_LEN_RANGE, BATCH_SIZE_RANGE, LORA_RANK_RANGE = (16, 1_048_576), (1, 4096), (1, 1024)

# Bytes: a bf16 value; an NF4 weight with its constants; a gradient (bf16; a full fine-tune's fp32);
# AdamW's fp32 moments and master weight; per token, hidden unit and layer (Korthikanti et al.); per
# token and vocabulary entry.
BF16, NF4, GRAD_BYTES, FULL_GRAD_BYTES, ADAMW_BYTES = 2, 0.5 * 1.06, 2, 4, 12
LAYER_ACTIVATION_BYTES, LOGIT_BYTES = 34, 6

# Training runs on the torch stack: its record's usable fraction, the same reserve as inference.
USABLE_FRACTION = catalog.STACK_BY_NAME["torch"].memory.usable  # type: ignore[union-attr]

# The Llama-shaped guess where a config does not tell (Llama-3.1-8B: 4096 = 128 x 32 layers).
_HIDDEN_PER_LAYER = 128
_MLP_RATIO = 3.5
_HEAD_DIM = 128
_FALLBACK_VOCAB = 128_000


# --------------------------------------------------------------------------------------------------
# The architecture, known or estimated


@dataclass(frozen=True)
class Arch:
    """The widths training memory depends on; `estimated` names those guessed from the size."""

    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    vocab: int
    experts: int
    estimated: tuple[str, ...] = ()


def arch_of(shape: ModelShape) -> Arch:
    """The model's widths from its config (or KNOWN), each missing one from the Llama-shaped guess."""
    guessed: list[str] = []
    layers, hidden = shape.layers, shape.hidden
    if layers is None:
        guessed.append("layers")
        from_hidden = round(shape.params / (12 * hidden**2)) if hidden else 0
        # else Llama-shaped: 12 L h^2 parameters with h = 128 L, so L = (params / 196,608)^(1/3)
        layers = max(1, from_hidden or round((shape.params / (12 * _HIDDEN_PER_LAYER**2)) ** (1 / 3)))
    if hidden is None:
        guessed.append("hidden")
        hidden = max(64, round((shape.params / (12 * layers)) ** 0.5))
    heads = shape.heads or (hidden // shape.head_dim if shape.head_dim else max(1, hidden // _HEAD_DIM))
    intermediate = shape.intermediate or round(_MLP_RATIO * hidden)
    guessed += [name for name, v in (("heads", shape.heads), ("intermediate", shape.intermediate),
                                     ("vocab", shape.vocab)) if v is None]  # fmt: skip
    experts = int(shape.experts.lower().split("x")[0]) if shape.experts else 1
    return Arch(layers, hidden, intermediate, heads, shape.kv_heads or heads,
                shape.vocab or _FALLBACK_VOCAB, experts, tuple(guessed))  # fmt: skip


def lora_params(arch: Arch, rank: int = DEFAULT_LORA_RANK) -> float:
    """LoRA parameters of rank `rank` on q, k, v, o and gate, up, down: r x (d_in + d_out) each."""
    h, kv = arch.hidden, arch.kv_heads * (arch.hidden // arch.heads)
    attention = (h + h) + 2 * (h + kv) + (h + h)  # q, k and v, o
    mlp = 3 * (h + arch.intermediate) * arch.experts  # gate, up, down
    return float(rank * (attention + mlp) * arch.layers)


# --------------------------------------------------------------------------------------------------
# Checks: each refusal names the flag, the value as given and what is allowed


def check_choice(field: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise SizingError(field, value, "one of " + ", ".join(allowed))
    return value


def check_whole(field: str, value: Any, bounds: tuple[int, int], unit: str) -> int:
    """A whole number within bounds; a string of digits counts (as typed on the command line)."""
    low, high = bounds
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise SizingError(field, value, f"a whole number of {unit} from {low:,} to {high:,}")
    return number


def check_model(shape: ModelShape) -> ModelShape:
    """Only a causal LM is sized for training: refused when its config says it is something else."""
    if shape.kind is not None and shape.kind != catalog.CAUSAL_LM:
        article = "an" if shape.kind[0] in "aeiou" else "a"
        raise SizingError("--model", shape.repo, f"it is {article} {shape.kind} ({shape.kind_from}); "
                          "--train-method sizes fine-tuning a causal LM")  # fmt: skip
    return shape


def check_gpu(gpu: str | Gpu, count: int) -> Gpu:
    record = gpu if isinstance(gpu, Gpu) else GPU_BY_NAME.get(str(gpu).upper())
    if record is None:
        raise SizingError("--gpu", gpu, "one of " + ", ".join(g.name for g in GPUS))
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= record.max_count:
        raise SizingError("--gpu", f"{record.name}:{count}", f"1 to {record.max_count} {record.name} GPUs")
    return record


def default_parallel(method: str) -> str:
    """How several GPUs share a run unless the caller says: LoRA adapters are small, so DDP (each GPU
    the whole model) is the usual; a full fine-tune is sharded with FSDP."""
    return "fsdp" if method == "full" else "ddp"


# --------------------------------------------------------------------------------------------------
# The need on each GPU


@dataclass(frozen=True)
class TrainNeed:
    """Memory one GPU needs to fine-tune the model, by part, in GB, against one GPU shape."""

    repo: str
    method: str
    params: float
    trainable: float
    seq_len: int
    batch_size: int
    gradient_checkpointing: bool
    lora_rank: int | None  # None for a full fine-tune
    gpu: str
    count: int
    parallel: str | None  # None on one GPU, else "ddp" or "fsdp"
    vram_gb: float  # each GPU's
    usable_fraction: float
    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    gathered_gb: float  # FSDP's gathered layers; 0 otherwise
    activations_gb: float
    overhead_gb: float
    estimated: tuple[str, ...] = ()  # the architecture facts guessed from the parameter count
    attention: str = "sdpa"

    @property
    def total_gb(self) -> float:
        return (self.weights_gb + self.gradients_gb + self.optimizer_gb + self.gathered_gb
                + self.activations_gb + self.overhead_gb)  # fmt: skip

    @property
    def usable_gb(self) -> float:
        return self.vram_gb * self.usable_fraction

    @property
    def fits(self) -> bool:
        return self.total_gb <= self.usable_gb

    @property
    def shape(self) -> str:
        return self.gpu if self.count == 1 else f"{self.gpu}:{self.count}"

    def arithmetic(self) -> str:
        """The sum on one line, e.g. "Llama-3.1-8B full fine-tuning needs ~16 GB of weights (bf16)
        + 16 GB gradients + 96 GB AdamW states + 7.4 GB activations (4 x 2,048 tokens, checkpointed)
        + 1.0 GB overhead = 137 GB; H100 has 80 GB (72 GB usable at 0.90)"."""
        name = self.repo.rsplit("/", 1)[-1]
        how = f"{METHOD_NAMES[self.method]} fine-tuning"
        if self.count > 1:
            how += f", {str(self.parallel).upper()} over {self.count} GPUs,"
        base = {"full": "bf16", "lora": "bf16 base and adapters", "qlora": "NF4 base, bf16 adapters"}
        parts = [
            f"~{fmt_gb(self.weights_gb)} GB of weights ({base[self.method]})",
            f"{fmt_gb(self.gradients_gb)} GB gradients",
            f"{fmt_gb(self.optimizer_gb)} GB AdamW states",
        ]
        if self.gathered_gb:
            parts.append(f"{fmt_gb(self.gathered_gb)} GB gathered layers")
        notes = [f"{self.batch_size} x {self.seq_len:,} tokens"]
        notes += ["checkpointed"] if self.gradient_checkpointing else []
        notes += ["estimated"] if self.estimated else []
        parts.append(f"{fmt_gb(self.activations_gb)} GB activations ({', '.join(notes)})")
        parts.append(f"{fmt_gb(self.overhead_gb)} GB overhead")
        each = " per GPU" if self.count > 1 else ""
        return (f"{name} {how} needs{each} {' + '.join(parts)} = {fmt_gb(self.total_gb)} GB; {self.shape} "
                f"has {fmt_gb(self.vram_gb)} GB{each} ({fmt_gb(self.usable_gb)} GB usable at "
                f"{self.usable_fraction:.2f})")  # fmt: skip


def train_need(
    shape: ModelShape,
    *,
    method: str,
    gpu: str | Gpu = "H100",
    count: int = 1,
    seq_len: int | str = DEFAULT_SEQ_LEN,
    batch_size: int | str = DEFAULT_BATCH_SIZE,
    gradient_checkpointing: bool = DEFAULT_GRADIENT_CHECKPOINTING,
    lora_rank: int | str = DEFAULT_LORA_RANK,
    parallel: str | None = None,
    attention: str = "sdpa",
) -> TrainNeed:
    """What each of `count` GPUs of type `gpu` holds to fine-tune `shape` with `method`.

    `parallel` says how several GPUs share the run (default_parallel by method when None); on one GPU
    it is moot. A seq_len beyond the model's known context is refused, as --max-model-len is.
    """
    method = check_choice("--train-method", method, METHODS)
    check_model(shape)
    record = check_gpu(gpu, count)
    seq = _check_seq_len(shape, seq_len)
    batch = check_whole("--batch-size", batch_size, BATCH_SIZE_RANGE, "sequences")
    rank = check_whole("--lora-rank", lora_rank, LORA_RANK_RANGE, "ranks")
    parallel = check_choice("--parallel", parallel or default_parallel(method), PARALLELS)
    check_choice("attention", attention, ATTENTIONS)
    arch = arch_of(shape)
    trainable = shape.params if method == "full" else lora_params(arch, rank)
    # FSDP divides the model's state by the GPUs and gathers two layers at a time; DDP divides nothing.
    shards = count if count > 1 and parallel == "fsdp" else 1
    layer_params = (shape.params - _embedding_params(shape.params, arch)) / arch.layers
    return TrainNeed(
        repo=shape.repo,
        method=method,
        params=shape.params,
        trainable=trainable,
        seq_len=seq,
        batch_size=batch,
        gradient_checkpointing=bool(gradient_checkpointing),
        lora_rank=None if method == "full" else rank,
        gpu=record.name,
        count=count,
        parallel=parallel if count > 1 else None,
        vram_gb=record.vram_gb,
        usable_fraction=USABLE_FRACTION,
        weights_gb=_weights_bytes(shape.params, arch, method, trainable) / shards / GB,
        gradients_gb=trainable * (FULL_GRAD_BYTES if method == "full" else GRAD_BYTES) / shards / GB,
        optimizer_gb=trainable * ADAMW_BYTES / shards / GB,
        gathered_gb=2 * layer_params * BF16 / GB if shards > 1 else 0.0,
        activations_gb=activation_bytes(arch, seq, batch, bool(gradient_checkpointing), attention) / GB,
        overhead_gb=OVERHEAD_GB,
        estimated=arch.estimated,
        attention=attention,
    )


def _check_seq_len(shape: ModelShape, value: Any) -> int:
    seq = check_whole("--seq-len", value, SEQ_LEN_RANGE, "tokens")
    if shape.context and seq > shape.context:
        raise SizingError("--seq-len", value, f"at most {shape.context}, the context of {shape.repo} "
                          f"({shape.context_from})")  # fmt: skip
    return seq


def _embedding_params(params: float, arch: Arch) -> float:
    """The input embedding and output head, taken as untied (the safe side), at most half the model."""
    return min(2.0 * arch.vocab * arch.hidden, params / 2)


def _weights_bytes(params: float, arch: Arch, method: str, trainable: float) -> float:
    """The model's weights, plus the adapters' bf16 copy for LoRA and QLoRA."""
    if method == "full":
        return params * BF16
    if method == "lora":
        return (params + trainable) * BF16
    embeddings = _embedding_params(params, arch)
    return (params - embeddings) * NF4 + (embeddings + trainable) * BF16


def activation_bytes(arch: Arch, seq_len: int, batch_size: int, checkpointing: bool, attention: str) -> float:
    """The activations kept for the backward pass on one GPU (see the module's docstring)."""
    tokens_hidden = seq_len * batch_size * arch.hidden
    scores = 5 * arch.heads * seq_len / arch.hidden if attention == "eager" else 0.0
    layer = tokens_hidden * (LAYER_ACTIVATION_BYTES + scores)
    layers = arch.layers * tokens_hidden * BF16 + layer if checkpointing else arch.layers * layer
    return layers + seq_len * batch_size * arch.vocab * LOGIT_BYTES


# --------------------------------------------------------------------------------------------------
# Shapes that fit, and what would fit instead


def train_shapes(shape: ModelShape, *, method: str, gpus: Sequence[Gpu] = GPUS, only_fitting: bool = True,
                 parallel: str | None = None, **options: Any) -> list[dict[str, Any]]:  # fmt: skip
    """The smallest fitting count of each GPU type, cheapest per hour first, unknown prices last.

    Above one GPU the run is shared as `parallel` says (default_parallel): with DDP more GPUs never
    fit more, so LoRA and QLoRA rows are one GPU each unless parallel="fsdp". `options` are
    train_need's (seq_len, batch_size, gradient_checkpointing, lora_rank, attention).
    """
    rows = []
    for gpu in gpus:
        needs = [train_need(shape, method=method, gpu=gpu, count=n, parallel=parallel, **options)
                 for n in gpu_counts(gpu.max_count)]  # fmt: skip
        fitting = next((need for need in needs if need.fits), None)
        if fitting is not None or not only_fitting:
            rows.append(row_of(fitting or needs[-1], gpu))
    rows.sort(key=shape_order)
    return rows


def row_of(need: TrainNeed, gpu: Gpu | None = None) -> dict[str, Any]:
    """One shape as `modalgen gpus --train-method` lists it (and --json prints it)."""
    gpu = gpu or GPU_BY_NAME[need.gpu.upper()]
    price = gpu.price_per_hour
    return {"gpu": need.gpu, "count": need.count, "parallel": need.parallel, "method": need.method,
            "gradient_checkpointing": need.gradient_checkpointing, "vram_gb": need.vram_gb * need.count,
            "vram_gb_per_gpu": need.vram_gb, "need_gb_per_gpu": round(need.total_gb, 1), "fits": need.fits,
            "price_per_hour": round(price * need.count, 2) if price is not None else None}  # fmt: skip


def alternatives(need: TrainNeed, shape: ModelShape, gpus: Sequence[Gpu] = GPUS) -> list[dict[str, Any]]:
    """What would fit instead of `need`'s run, cheapest first: a lighter method (LoRA for full, QLoRA
    for LoRA), gradient checkpointing, more GPUs with FSDP, another GPU type. Each row is row_of's with
    `change`, the flags that differ ("--train-method qlora", "--gpu H100:4 --parallel fsdp"). The run
    asked for is not listed."""
    options = {"seq_len": need.seq_len, "batch_size": need.batch_size, "attention": need.attention,
               "lora_rank": need.lora_rank or DEFAULT_LORA_RANK}  # fmt: skip
    methods = (need.method, *LIGHTER[need.method])
    checkpointing = {need.gradient_checkpointing, True}
    asked = (need.gpu, need.count, need.method, need.gradient_checkpointing)
    found: dict[tuple, dict[str, Any]] = {}
    for method, ckpt, parallel in ((m, c, p) for m in methods for c in checkpointing for p in PARALLELS):
        for row in train_shapes(shape, method=method, gpus=gpus, parallel=parallel,
                                gradient_checkpointing=ckpt, **options):  # fmt: skip
            if (row["gpu"], row["count"], method, ckpt) != asked:
                key = (row["gpu"], row["count"], row["parallel"], method, ckpt)
                found.setdefault(key, {**row, "change": _change(need, row)})
    return sorted(found.values(), key=shape_order)


def _change(need: TrainNeed, row: dict[str, Any]) -> str:
    """The flags that turn the run asked for into `row`'s; always the GPU, which the listing without
    --gpu does not ask for."""
    parts = [f"--train-method {row['method']}"] if row["method"] != need.method else []
    if row["gradient_checkpointing"] != need.gradient_checkpointing:
        parts.append("--gradient-checkpointing")
    parts.append("--gpu " + (row["gpu"] if row["count"] == 1 else f"{row['gpu']}:{row['count']}"))
    if row["parallel"] and row["parallel"] != default_parallel(row["method"]):
        parts.append(f"--parallel {row['parallel']}")
    return " ".join(parts)
