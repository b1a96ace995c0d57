{% import "stacks/parts.jinja" as parts with context %}
"""The core: sentence embeddings with sentence-transformers, unit length, in plain Python.

Modal runs this code on the hardware each function was planned with; the tests run it on a CPU:
`make test` with a small fake engine in place of the model, `make test-model` with a tiny real
one built offline. The model loads once per container from the huggingface-cache Volume, never
from the network (`make download` puts it there). Heavy imports (torch, sentence-transformers)
stay inside the functions that use them, so importing this module stays cheap everywhere.

Vectors are unit length: cosine similarity is a plain dot product. A batch of texts is one
`encode` call, which is what the `@modal.batched` class sends.

Every result says where it ran (`device`): the smoke tests compare it with the GPU type and count
each function was configured with.
"""

import functools
import importlib
import os
import shutil
import subprocess

{{ parts.model_constants() }}
BATCH_SIZE = 64  # texts per forward pass inside one encode call


{{ parts.device_functions() }}


class Embedder:
    """The engine: a sentence-transformers model (tokenizer, encoder, pooling, normalization)."""

    def __init__(self, model):
        self.model = model

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def to(self, device: str) -> "Embedder":
        self.model.to(device)
        return self

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text, from one encode call for the whole list."""
        vectors = self.model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,  # no progress bars in container logs
        )
        return vectors.tolist()  # plain floats: JSON-able, and picklable without numpy


{{ parts.hub_offline() }}


def load_engine(device: str, target: str | None = None) -> Embedder:
    """The pinned model from the cache Volume, for `device`.

    fp32 wherever it runs (`target` changes nothing): a small encoder is cheap, and half precision
    would move the vectors a little between a CPU and a GPU.
    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    hub_offline()
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(
            MODEL_REPO,
            revision=MODEL_REVISION,
            cache_folder=HF_HUB_CACHE,
            device=device,
            local_files_only=True,
        )
    except OSError as exc:
        missing = f"{MODEL_REPO}@{MODEL_REVISION} is not in {HF_HUB_CACHE}: run `make download`"
        raise RuntimeError(missing) from exc
    return Embedder(model)


class Model:
    """What the functions call: the engine (the real model, or a test's fake) and where it runs."""

    def __init__(self, engine):
        self.engine = engine

    def to(self, device: str) -> "Model":
        self.engine.to(device)
        return self

    def __call__(self, text: str) -> dict:
        return self.batch([text])[0]

    def batch(self, texts: list[str]) -> list[dict]:
        """Several inputs in one encode call (dynamic batching): the GPU sees one big batch."""
        report = device_report()
        return [
            {"embedding": vector, "dimension": len(vector), "device": report}
            for vector in self.engine.embed(texts)
        ]


def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Load the model onto `device` (default: the best this container has).

    A memory snapshot loads on the CPU and moves the model to the GPU after the restore; `target`
    is where it will run.
    """
    return Model(load_engine(device or best_device(), target))


@functools.cache
def model() -> Model:
    """The model, loaded once per container, for functions that have no @modal.enter."""
    return load_model()


def process(text: str) -> dict:
    """One answer from this container's model: the embedding, its dimension, the device."""
    return model()(text)
