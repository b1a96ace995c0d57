{% import "stacks/parts.jinja" as parts with context %}
"""The core: text generation with a causal LM (Hugging Face transformers), in plain Python.

Modal runs this code on the hardware each function was planned with; the tests run it on a CPU:
`make test` with a small fake engine in place of the model, `make test-model` with a tiny real
one built offline. The model loads once per container from the huggingface-cache Volume, never
from the network (`make download` puts it there). Heavy imports (torch, transformers) stay inside
the functions that use them, so importing this module stays cheap everywhere.

Every result says where it ran (`device`): the smoke tests compare it with the GPU type and count
each function was configured with.
"""

import functools
import importlib
import os
import shutil
import subprocess

{{ parts.model_constants() }}
MAX_NEW_TOKENS = 128
{% if plan.stack.name == "finetune" %}
# The adapter a training run leaves in the Volume (train.py): served on top of the base model.
RUNS_DIR = "{{ plan.volumes[0].mount }}/runs"
ADAPTER_RUN = os.environ.get("ADAPTER_RUN", "default")  # which run's adapter to serve
{% endif %}
# The dtype on this project's GPUs, chosen when the project was made rather than asked of CUDA:
# a CUDA query before a memory snapshot fixes the GPU count at 0 for the restored process.
GPU_DTYPE = "{{ plan.model.gpu_dtype }}"


{{ parts.device_functions() }}


def default_dtype(device: str) -> str:
    """GPU_DTYPE on a GPU, fp32 on a CPU (half precision is slow there). Asks CUDA nothing."""
    return GPU_DTYPE if device.startswith("cuda") else "float32"


class CausalLM:
    """The engine: a tokenizer and a causal language model."""

    def __init__(self, tokenizer, model):
        self.tokenizer = tokenizer
        self.model = model

    def to(self, device: str) -> "CausalLM":
        self.model.to(device)  # the dtype was chosen at load time
        return self

    def generate(self, prompt: str, max_new_tokens: int = MAX_NEW_TOKENS) -> dict:
        import torch

        tokenizer = self.tokenizer
        if tokenizer.chat_template:  # instruct models expect their own chat format
            inputs = tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
        else:
            inputs = tokenizer(prompt, return_tensors="pt")
        inputs = inputs.to(self.model.device)
        pad = tokenizer.eos_token_id if tokenizer.pad_token_id is None else tokenizer.pad_token_id
        with torch.inference_mode():  # no autograd bookkeeping while serving
            out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, pad_token_id=pad)
        new_tokens = out[0, inputs["input_ids"].shape[1] :]
        return {
            "text": tokenizer.decode(new_tokens, skip_special_tokens=True),
            "tokens": int(new_tokens.numel()),
        }


{{ parts.hub_offline() }}


def load_engine(device: str, target: str | None = None) -> CausalLM:
    """The pinned model from the cache Volume, for `device` (and in the dtype `target` wants).

    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    hub_offline()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where = {"revision": MODEL_REVISION, "cache_dir": HF_HUB_CACHE, "local_files_only": True}
    try:
        tokenizer = AutoTokenizer.from_pretrained(MODEL_REPO, **where)
        dtype = default_dtype(target or device)
        model = AutoModelForCausalLM.from_pretrained(MODEL_REPO, dtype=dtype, **where)
    except OSError as exc:
        missing = f"{MODEL_REPO}@{MODEL_REVISION} is not in {HF_HUB_CACHE}: run `make download`"
        raise RuntimeError(missing) from exc
{% if plan.stack.name == "finetune" %}
    model = trained(model, os.path.join(RUNS_DIR, ADAPTER_RUN))
{% endif %}
    model.eval()
    return CausalLM(tokenizer, model).to(device)
{% if plan.stack.name == "finetune" %}


def trained(model, run: str):
    """The model a training run left in the Volume: the base model with its LoRA adapter merged in
    (no cost per token), or its own weights (full fine-tuning); before any run, the base model."""
    adapter, weights = os.path.join(run, "adapter"), os.path.join(run, "model")
    if os.path.exists(os.path.join(adapter, "adapter_config.json")):
        from peft import PeftModel

        return PeftModel.from_pretrained(model, adapter).merge_and_unload()
    if os.path.exists(os.path.join(weights, "config.json")):
        return type(model).from_pretrained(weights, dtype=model.dtype)
    print(f"no trained model in {run}: serving the base model {MODEL_REPO}", flush=True)
    return model
{% endif %}


class Model:
    """What the functions call: the engine (the real model, or a test's fake) and where it runs."""

    def __init__(self, engine):
        self.engine = engine

    def to(self, device: str) -> "Model":
        self.engine.to(device)
        return self

    def __call__(self, prompt: str) -> dict:
        return {**self.engine.generate(prompt), "device": device_report()}

    def batch(self, prompts: list[str]) -> list[dict]:
        return [self(prompt) for prompt in prompts]


def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Load the model onto `device` (default: the best this container has).

    A memory snapshot loads on the CPU and moves the model to the GPU after the restore; `target`
    is where it will run, for the dtype (bf16 on a GPU, not fp32).
    """
    return Model(load_engine(device or best_device(), target))


@functools.cache
def model() -> Model:
    """The model, loaded once per container, for functions that have no @modal.enter."""
    return load_model()


def process(prompt: str) -> dict:
    """One answer from this container's model: the text, the tokens generated, the device."""
    return model()(prompt)
