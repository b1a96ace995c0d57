{% import "stacks/parts.jinja" as parts with context %}
{% if plan.model %}
"""The real code path on this CPU: a tiny classifier trained here for a second on eight sentences,
laid out as the Hugging Face cache the Volume holds, loaded and run by core.py itself.

`make test-model` runs these with the stack's packages (a CPU build of torch); `make test` skips
them. The trained weights put known words on the right side: the tests check they were loaded.
"""

import hashlib
import json
import shutil

{% else %}
"""The real code path on this CPU: core.py's own module, built with torch and run by core.py itself.

`make test-model` runs these with the stack's packages (a CPU build of torch); `make test` skips
them. The weights are the seeded, untrained ones: the tests check what the code promises.
"""

{% endif %}
import pytest
from conftest import check_answer

from {{ plan.package }} import core

pytestmark = pytest.mark.model
MISSING = "the stack's packages are missing: run `make test-model`"
{% if plan.model %}

TINY_REPO = "modalgen-tiny/tiny-classifier"
# Any 40-hex commit will do: the Hub never sees it.
TINY_REVISION = hashlib.sha1(TINY_REPO.encode()).hexdigest()
TINY_CONFIG = {"buckets": 1024, "dim": 16, "ngram": 3, "labels": ["negative", "positive"]}
TRAIN = [
    ("great wonderful excellent", 1),
    ("i love it, great", 1),
    ("excellent work", 1),
    ("wonderful day", 1),
    ("terrible awful bad", 0),
    ("i hate it, awful", 0),
    ("bad work", 0),
    ("terrible day", 0),
]


def build_tiny_model(folder) -> None:
    """core.py's module, trained for 60 steps, saved as config.json and model.safetensors."""
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    module = core.build_module(TINY_CONFIG)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.05)
    buckets, ngram = TINY_CONFIG["buckets"], TINY_CONFIG["ngram"]
    features = [core.featurize(text, buckets, ngram) for text, _ in TRAIN]
    offsets = torch.tensor([0] + [len(f) for f in features[:-1]]).cumsum(0)
    ids = torch.tensor([i for f in features for i in f])
    labels = torch.tensor([label for _, label in TRAIN])
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(module(ids, offsets), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    save_file(module.state_dict(), folder / core.WEIGHTS)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))


{{ parts.cache_fixtures(["torch", "safetensors", "huggingface_hub"]) }}


def test_loads_the_trained_weights(tiny):
    model = core.load_model(device="cpu")
    assert model.engine.config == TINY_CONFIG  # the repo's config.json
    results = model.batch(["great excellent", "awful terrible"])
    for result, text in zip(results, ["great excellent", "awful terrible"], strict=True):
        check_answer(result, text)
    assert [result["label"] for result in results] == ["positive", "negative"]
{% else %}


@pytest.fixture(scope="module")
def torch_installed():
    pytest.importorskip("torch", reason=MISSING)


@pytest.fixture
def tiny(torch_installed):
    """core.py with its own module, loaded afresh for each test."""
    core.model.cache_clear()
    yield
    core.model.cache_clear()


def test_every_container_builds_the_same_weights(tiny):
    first, second = core.load_model(device="cpu"), core.load_model(device="cpu")
    weights = first.engine.module.state_dict()
    for name, tensor in second.engine.module.state_dict().items():
        assert tensor.equal(weights[name]), name  # the seed: same answers in every container
{% endif %}


def test_the_module_scores_each_text(tiny):
    import torch

    model = core.load_model(device="cpu")
    check_answer(model("a good day"), "a good day")
    logits = model.engine.logits(["a good day", "awful", ""])  # an empty text still has " "
    labels = model.engine.config["labels"]
    assert logits.shape == (3, len(labels)) and logits.dtype == torch.float32
    assert not logits.requires_grad  # inference mode: no autograd graph kept


def test_a_batch_is_one_forward_pass(tiny):
    model = core.load_model(device="cpu")
    calls = []
    model.engine.module.register_forward_hook(lambda *args: calls.append(args))
    texts = ["a good day", "awful", "the quick brown fox"]
    results = model.batch(texts)
    assert len(calls) == 1
    for result, text in zip(results, texts, strict=True):
        check_answer(result, text)
        assert result["scores"] == pytest.approx(model(text)["scores"], abs=1e-6)


def test_process_loads_once_per_container(tiny):
    first, second = core.process("a good day"), core.process("a bad day")
    check_answer(first, "a good day")
    check_answer(second, "a bad day")
    assert core.model.cache_info().misses == 1


def test_loads_for_a_snapshot_then_moves(tiny):
    model = core.load_model(device="cpu", target="cuda")
    assert model.to("cpu") is model and model.engine.device == "cpu"
    check_answer(model("a good day"), "a good day")
{% if plan.model %}


{{ parts.weights_tests() }}
{% endif %}
