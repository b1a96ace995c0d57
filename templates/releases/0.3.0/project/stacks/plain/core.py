{% import "stacks/parts.jinja" as parts with context %}
"""The core: the work itself, in plain Python.

Modal runs this code on the hardware each function was planned with; the tests run the very same
code on a CPU. Replace `Model` with your model: load it in `load_model`, do one unit of work in
`process`. Keep heavy imports (torch, vllm) inside the functions that use them, so that importing
this module stays cheap everywhere.

Every result says where it ran (`device`): the smoke tests compare it with the GPU type and count
each function was configured with.
"""

import functools
import shutil
import subprocess
{% if plan.model %}

{{ parts.model_constants(cache_note='in the huggingface-cache Volume (`make download`)') }}
{% endif %}


{{ parts.device_functions() }}


class Model:
    """A stand-in for your model: a deterministic summary of the text.

    Real code holds weights here; `to` moves them between devices (see `load_model`).
    """

    def __init__(self) -> None:
        self.device = "cpu"

    def to(self, device: str) -> "Model":
        self.device = device
        return self

    def __call__(self, text: str) -> dict:
        words = text.split()
        return {"input": text, "words": len(words), "chars": len(text), "device": device_report()}

    def batch(self, texts: list[str]) -> list[dict]:
        """Several inputs at once (dynamic batching); a real model would run them as one batch."""
        return [self(text) for text in texts]


def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Load the model onto `device` (default: the best this container has).

    Memory snapshots load on the CPU (a CPU snapshot holds no GPU memory) and move the model to the
    GPU after the restore, so loading and moving are separate steps; `target` is where the model
    will run, for choices (a dtype, say) that depend on it.
    """
    return Model().to(device or best_device())


@functools.cache
def model() -> Model:
    """The model, loaded once per container, for functions that have no @modal.enter."""
    return load_model()


def process(text: str) -> dict:
    """One unit of work with this container's model."""
    return model()(text)
