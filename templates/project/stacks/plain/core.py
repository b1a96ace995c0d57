{% import "stacks/parts.jinja" as parts with context %}
{% set batching = plan.functions | selectattr("key", "equalto", "batched") | list or plan.functions | selectattr("input_batch") | list %}
{% set snapshot = plan.functions | selectattr("snapshot") | list %}
"""The work itself, in plain Python: Modal runs it on the planned hardware, the tests on a CPU.
Replace `Model` with yours; keep heavy imports inside functions, so that importing stays cheap.
Every result says where it ran (`device`): the smoke tests compare it with the configured GPUs.
"""

import functools
import shutil
import subprocess
{% if plan.model %}

{{ parts.model_constants(cache_note='in the huggingface-cache Volume (`make download`)') }}
{% endif %}


{{ parts.device_functions() }}


class Model:
    """A stand-in for your model: a deterministic summary of the text."""

    def __init__(self) -> None:
        self.device = "cpu"

    def to(self, device: str) -> "Model":
        self.device = device
        return self

    def __call__(self, text: str) -> dict:
        words = text.split()
        return {"input": text, "words": len(words), "chars": len(text), "device": device_report()}
{% if batching %}

    def batch(self, texts: list[str]) -> list[dict]:
        """Several inputs at once; a real model runs them as one batch."""
        return [self(text) for text in texts]
{% endif %}


{% if snapshot %}
def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Load onto `device` (default: the best here). A memory snapshot loads on the CPU and moves
    to the GPU after the restore; `target` is where the model will run (to pick a dtype, say)."""
{% else %}
def load_model(device: str | None = None) -> Model:
    """Load onto `device` (default: the best this container has)."""
{% endif %}
    return Model().to(device or best_device())


@functools.cache
def model() -> Model:
    """Loaded once per container, for functions without @modal.enter."""
    return load_model()


def process(text: str) -> dict:
    return model()(text)
