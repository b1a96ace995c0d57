"""Stacks: what the core runs, one record each, beside its template fragments."""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Stacks: what the core runs. Each is this record plus its folder of template fragments
# (templates/project/stacks/<name>/: the core, a fake engine for `make test`, a tiny offline model
# and the check of an answer for `make test-model`).

# The container pins were resolved together against PyPI for Linux x86_64 on 2026-11-28 (`pip
# install --dry-run` per Python); the local CPU test environment runs the same versions with a CPU
# build of torch. vLLM is pinned alone: it pins its own torch and transformers.
TORCH = "torch==2.13.0"
HF_HUB = ("huggingface-hub==2.4.0", "hf-xet==1.8.0")
PEFT = "peft==0.21.2"  # LoRA adapters for the finetune stack; its newest on PyPI (2026-10)
PYARROW = "pyarrow==26.0.1"  # a Hub dataset's Parquet files (finetune); its newest on PyPI (2026-12)


@dataclass(frozen=True)
class Proven:
    """Where and when a set of pins was proven to work together: `modalgen check` shows it beside a
    pin that is behind, and `modalgen update` moves a project to the newest set a stack records."""

    on: str  # the date
    where: str  # how the versions were brought together
    tested: str  # what ran on them, and what has not yet


RESOLVED = Proven(
    "2026-11-28",
    "resolved together against PyPI for Linux x86_64, CPython 3.11-3.14 (`pip install --dry-run` per Python)",
    "`make test-model` of every stack on a CPU in modalgen's CI (the same versions, torch's CPU build); "
    "not yet on a Modal GPU",
)
FINETUNE_PROVEN = Proven(
    "2026-12-03",
    "peft 0.21.2 beside the transformers set: pip resolved it with transformers 5.24.0, accelerate "
    "1.15.0 and torch 2.13.0 in modalgen's model environment (its requirements: torch, transformers, "
    "accelerate, safetensors, huggingface_hub)",
    "LoRA, QLoRA (bitsandbytes 0.50.2's CPU backend) and full training, resume from a checkpoint, FSDP "
    "over two gloo processes and serving the adapter, on a tiny model on a CPU in modalgen's CI; not yet "
    "on a Modal GPU",
)
VLLM_PROVEN = Proven(
    "2026-12-02",
    "vllm 0.33.0 alone: it pins its own torch (2.14.0) and transformers, read from PyPI's metadata; the "
    "CUDA image is the CUDA that torch's wheel was built for (13.0)",
    "the `vllm serve` command line, readiness wait and client against a local OpenAI-compatible stand-in in "
    "modalgen's CI; not yet on a Modal GPU",
)


# What a model is, as far as the stacks care (modalgen/catalog/models.py reads it from a config).
CAUSAL_LM = "causal LM"  # generates text: ...ForCausalLM
ENCODER = "encoder"  # embeds text: BertModel, XLMRobertaModel ...
DIFFUSION = "diffusion pipeline"  # a diffusers pipeline: model_index.json

# How a stack's core uses the GPUs of its container.
ANY_GPUS = "any"  # your own code decides
ONE_GPU = "one"  # one copy of the model on `cuda`: a second GPU would sit idle, paid for
SPLIT_GPUS = "split"  # tensor parallelism: one model over every GPU of the container


@dataclass(frozen=True)
class Memory:
    """How sizing (modalgen/catalog/sizing.py) counts the stack's model on a GPU.

    `usable` is the fraction of VRAM it may fill: 0.90 is vLLM's --gpu-memory-utilization default,
    and the other stacks keep the same reserve for allocator fragmentation and extra CUDA contexts.
    `activations` is a fixed GB term plus a fraction of the parameters' size in the compute dtype
    (bf16, or fp32 for fp32 weights: quantized weights are dequantized to compute, so int4 does not
    shrink it).
    """

    dtype: str  # the weights' dtype unless --dtype says
    kv: bool  # a KV cache is counted, for `max_model_len` tokens
    max_model_len: int | None  # the context the KV cache is sized for unless --max-model-len says
    activations: tuple[float, float]  # (GB, fraction of the weights)
    usable: float = 0.90


# Activations, as each stack's record gives them:
# - vllm/transformers: vLLM profiles one forward pass of a full token batch at startup; the peak
#   (logits over the vocabulary, the MLP's intermediate tensors) is ~1 GB for small models and grows
#   with width, so 1 GB + 2% of the bf16 weights (~1.3 GB at 7B, ~3.8 GB at 70B).
# - embeddings/torch: an encoder batch or a plain torch function: 0.5 GB + 10%.
# - diffusers: the UNet/transformer and the VAE decode hold image-sized tensors roughly proportional to
#   the model: 1 GB + 50%.
LLM_ACTIVATIONS = (1.0, 0.02)
ENCODER_ACTIVATIONS = (0.5, 0.10)

# What `make bench` sends when a stack's record does not say: the core's own input.
CORE_INPUT_REQUEST = 'the core\'s input (POST {"text": ...})'


@dataclass(frozen=True)
class Stack:
    """What the core runs: every fact modalgen knows of it. Its code is its folder of fragments,
    templates/project/stacks/<name>/: core.py and check.py, and fake.py and test_model.py where it
    has `test_packages` (tests/test_one_record.py adds a stack that way)."""

    name: str
    summary: str
    model: str | None  # the default model, REPO@REVISION (ungated, small enough for a cheap GPU)
    packages: tuple[str, ...]  # the image's pins
    test_packages: tuple[str, ...]  # what `make test-model` runs the real code with, on a CPU
    pythons: tuple[str, ...]  # container Pythons its packages install on
    kinds: tuple[str, ...] | None = None  # the workloads it serves (None: every kind)
    default_kinds: tuple[str, ...] | None = None  # a new project's workloads (None: `kinds`, else batch)
    kind_knobs: tuple[tuple[str, str], ...] = ()  # (kind, knob): knobs its functions of that kind add
    needs_gpu: bool = False
    base: str = "debian-slim"  # the image base it wants unless --base says otherwise
    media_type: str = "application/json"  # what its HTTP endpoints answer
    sizing: bool = False  # sized against the GPUs before rendering (modalgen/catalog/sizing.py)
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
    memory: Memory | None = None  # how sizing counts its model (None: not sized)
    bench_request: str = CORE_INPUT_REQUEST  # what `make bench` sends, in the report's words
    tokens: bool = False  # its answers count generated tokens (`make bench` reports tokens/s)
    proven: Proven | None = RESOLVED  # where and when `packages` were proven together (None: no pins)

    def knobs_of(self, kind: str) -> frozenset[str]:
        """The knobs this stack adds to its functions of `kind` (the finetune stack's train)."""
        return frozenset(knob for name, knob in self.kind_knobs if name == kind)


STACKS: tuple[Stack, ...] = (
    Stack("plain", "plain Python: your own code, no model framework", None, (), (),
          ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"), proven=None),
    Stack("torch", "a PyTorch module, loaded once per container, inference under torch.inference_mode()",
          None,
          (TORCH, "safetensors==0.8.0", *HF_HUB), (TORCH, "safetensors==0.8.0", "huggingface-hub==2.4.0"),
          ("3.10", "3.11", "3.12", "3.13", "3.14"), example="a good day", gpu_use=ONE_GPU,
          memory=Memory("fp32", False, None, ENCODER_ACTIVATIONS)),
    Stack("transformers", "text generation with a causal LM (tokenizer + model, generate), bf16 on GPU",
          "Qwen/Qwen2.5-0.5B-Instruct@7ae557604adf67be50417f59c2c2f167def9a775",
          (TORCH, "transformers==5.24.0", "accelerate==1.15.0", *HF_HUB),
          (TORCH, "transformers==5.24.0", "accelerate==1.15.0", "huggingface-hub==2.4.0"),
          ("3.11", "3.12", "3.13", "3.14"), sizing=True, example="Say hello in five words.", gpu_use=ONE_GPU,
          model_kinds=(CAUSAL_LM,), memory=Memory("bf16", True, 4096, LLM_ACTIVATIONS), tokens=True,
          bench_request='a prompt (POST {"text": ...}); the answer counts the tokens generated'),
    Stack("embeddings", "sentence embeddings with sentence-transformers, batched, unit length",
          "BAAI/bge-small-en-v1.5@5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
          (TORCH, "sentence-transformers==6.2.0", "transformers==5.24.0", *HF_HUB),
          (TORCH, "sentence-transformers==6.2.0", "transformers==5.24.0", "huggingface-hub==2.4.0"),
          ("3.11", "3.12", "3.13", "3.14"), sizing=True, input_batch=64, example="Modal runs this embedding.",
          gpu_use=ONE_GPU, model_kinds=(ENCODER, CAUSAL_LM),  # Qwen3-Embedding is a causal LM
          memory=Memory("fp32", False, None, ENCODER_ACTIVATIONS),
          bench_request='a text to embed (POST {"text": ...})'),
    Stack("finetune", "fine-tunes a causal LM (LoRA, QLoRA or full) on your data; serves the result",
          "Qwen/Qwen2.5-0.5B-Instruct@7ae557604adf67be50417f59c2c2f167def9a775",
          (TORCH, "transformers==5.24.0", PEFT, "accelerate==1.15.0", *HF_HUB),
          (TORCH, "transformers==5.24.0", PEFT, "huggingface-hub==2.4.0", PYARROW),
          ("3.11", "3.12", "3.13", "3.14"), kinds=("train", "service", "batch", "web"),
          default_kinds=("train",), kind_knobs=(("train", "finetune"),), sizing=True,
          example="Say hello in five words.", gpu_use=ONE_GPU,
          model_kinds=(CAUSAL_LM,), memory=Memory("bf16", True, 4096, LLM_ACTIVATIONS), tokens=True,
          bench_request='a prompt (POST {"text": ...}); the answer counts the tokens generated',
          test_model="The real code path on your CPU: LoRA training, resume and serving the adapter, with a "
                     "tiny model built offline", proven=FINETUNE_PROVEN),
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
          gpu_use=SPLIT_GPUS, model_kinds=(CAUSAL_LM,), memory=Memory("bf16", True, 8192, LLM_ACTIVATIONS),
          tokens=True,
          bench_request="a streamed chat completion (POST /v1/chat/completions), the tokens counted from its "
                        "usage", proven=VLLM_PROVEN),
    Stack("diffusers", "text-to-image with diffusers: PNG bytes, image/png over HTTP",
          "stabilityai/sd-turbo@b261bac6fd2cf515557d5d0707481eafa0485ec2",
          (TORCH, "diffusers==0.42.1", "transformers==5.24.0", "accelerate==1.15.0", "safetensors==0.8.0",
           *HF_HUB, "pillow==13.0.0"),
          (TORCH, "diffusers==0.42.1", "transformers==5.24.0", "accelerate==1.15.0", "huggingface-hub==2.4.0",
           "pillow"),
          ("3.11", "3.12", "3.13", "3.14"), media_type="image/png", sizing=True,
          example="a lighthouse at dawn", gpu_use=ONE_GPU, model_kinds=(DIFFUSION,),
          licence="sd-turbo is under the Stability AI Community License: free below US$1M annual revenue",
          memory=Memory("bf16", False, None, (1.0, 0.50)),
          bench_request='a prompt for one image (POST {"text": ...}), a PNG back'),
)  # fmt: skip
STACK_BY_NAME: dict[str, Stack] = {s.name: s for s in STACKS}
SIZING_STACK = "vllm"  # how `modalgen gpus` sizes a model when --stack is not given
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
