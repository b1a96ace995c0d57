{% import "stacks/parts.jinja" as parts with context %}
"""The core: a PyTorch module (your own nn.Module), in plain Python: a small text classifier.

Modal runs this code on the hardware each function was planned with; the tests run it on a CPU:
`make test` with a small fake engine in place of the module, `make test-model` with the real one.
{% if plan.model %}
The weights load once per container from the huggingface-cache Volume, never from the network
(`make download` puts them there): `config.json` and `model.safetensors` of the pinned repo.
{% else %}
The module is built once per container; its weights come from a fixed seed, the same everywhere.
Train it, save `module.state_dict()` with safetensors and load the file in `load_engine`.
{% endif %}
Inference runs under `torch.inference_mode()`. Heavy imports (torch) stay inside the functions
that use them, so importing this module stays cheap everywhere.

Every result says where it ran (`device`): the smoke tests compare it with the GPU type and count
each function was configured with.
"""

import functools
import importlib
{% if plan.model %}
import json
{% endif %}
import os
import shutil
import subprocess
import zlib
{% if plan.model %}
from pathlib import Path

{{ parts.model_constants() }}
WEIGHTS = "model.safetensors"  # the module's state_dict, as safetensors.torch.save_file writes it
{% endif %}

# The module's shape: hashed byte n-grams -> EmbeddingBag -> Linear{{ "; config.json overrides it" if plan.model }}.
CONFIG = {"buckets": 4096, "dim": 64, "ngram": 3, "labels": ["negative", "positive"]}


{{ parts.device_functions() }}


def featurize(text: str, buckets: int, n: int) -> list[int]:
    """The text's byte n-grams (1 to n), hashed into buckets.

    crc32, not hash(): Python salts hash() per process, and every container must agree.
    """
    data = b" " + text.lower().encode() + b" "
    grams = [data[i : i + k] for k in range(1, n + 1) for i in range(len(data) - k + 1)]
    return [zlib.crc32(gram) % buckets for gram in grams]


def build_module(config: dict):
    """The nn.Module: the mean of the n-grams' embeddings, then one linear layer per label."""
    from torch import nn

    class BagOfNgrams(nn.Module):
        def __init__(self, buckets: int, dim: int, num_labels: int):
            super().__init__()
            self.embed = nn.EmbeddingBag(buckets, dim, mode="mean")
            self.head = nn.Linear(dim, num_labels)

        def forward(self, ids, offsets):
            return self.head(self.embed(ids, offsets))

    return BagOfNgrams(config["buckets"], config["dim"], len(config["labels"]))


class Classifier:
    """The engine: the module, its config and the device it runs on."""

    def __init__(self, module, config: dict):
        self.module = module.eval()
        self.config = config
        self.device = "cpu"

    def to(self, device: str) -> "Classifier":
        self.module.to(device)
        self.device = device
        return self

    def logits(self, texts: list[str]):
        """One forward pass for the whole batch: a (len(texts), labels) tensor."""
        import torch

        features = [featurize(text, self.config["buckets"], self.config["ngram"]) for text in texts]
        offsets = torch.tensor([0] + [len(f) for f in features[:-1]]).cumsum(0)
        ids = torch.tensor([i for f in features for i in f], dtype=torch.long)
        with torch.inference_mode():  # no autograd bookkeeping while serving
            return self.module(ids.to(self.device), offsets.to(self.device))

    def predict(self, texts: list[str]) -> list[dict]:
        """Each text's label and the probability of every label, as plain Python (JSON-able)."""
        if not texts:
            return []
        labels = self.config["labels"]
        results = []
        for probs in self.logits(texts).softmax(-1).cpu().tolist():
            scores = dict(zip(labels, probs, strict=True))
            results.append({"label": max(scores, key=scores.__getitem__), "scores": scores})
        return results


{% if plan.model %}
{{ parts.hub_offline() }}


{% endif %}
def load_engine(device: str, target: str | None = None) -> Classifier:
{% if plan.model %}
    """The pinned weights from the cache Volume, for `device` (fp32: `target` changes nothing).

    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    hub_offline()
    from huggingface_hub import snapshot_download
    from safetensors.torch import load_file

    try:
        folder = Path(
            snapshot_download(
                MODEL_REPO, revision=MODEL_REVISION, cache_dir=HF_HUB_CACHE, local_files_only=True
            )
        )
    except OSError as exc:
        missing = f"{MODEL_REPO}@{MODEL_REVISION} is not in {HF_HUB_CACHE}: run `make download`"
        raise RuntimeError(missing) from exc
    config_file = folder / "config.json"
    config = {**CONFIG, **json.loads(config_file.read_text())} if config_file.exists() else CONFIG
    module = build_module(config)
    module.load_state_dict(load_file(folder / WEIGHTS))
    return Classifier(module, config).to(device)
{% else %}
    """The module, for `device` (fp32: it is small, and `target` changes nothing).

    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    import torch

    torch.manual_seed(0)  # the same untrained weights in every container
    module = build_module(CONFIG)
    # Your trained weights: module.load_state_dict(safetensors.torch.load_file(path))
    return Classifier(module, CONFIG).to(device)
{% endif %}


class Model:
    """What the functions call: the engine (the real module, or a test's fake) and where it runs."""

    def __init__(self, engine):
        self.engine = engine

    def to(self, device: str) -> "Model":
        self.engine.to(device)
        return self

    def __call__(self, text: str) -> dict:
        return self.batch([text])[0]

    def batch(self, texts: list[str]) -> list[dict]:
        """Several inputs in one forward pass (dynamic batching)."""
        report = device_report()
        return [{**result, "device": report} for result in self.engine.predict(texts)]


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
    """One answer from this container's model: the label, each label's probability, the device."""
    return model()(text)
