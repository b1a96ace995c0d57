{% import "stacks/parts.jinja" as parts with context %}
"""The real code path on this CPU: a tiny sentence-transformers model built offline (random weights,
no download), laid out as the Hugging Face cache the Volume holds, loaded and run by core.py itself.

`make test-model` runs these with the stack's packages (a CPU build of torch); `make test` skips
them. The vectors come from random weights: the tests check what the code promises.
"""

import hashlib
import math
import shutil

import pytest
from conftest import check_answer

from {{ plan.package }} import core

pytestmark = pytest.mark.model
MISSING = "the stack's packages are missing: run `make test-model`"

TINY_REPO = "modalgen-tiny/tiny-embedder"
# Any 40-hex commit will do: the Hub never sees it.
TINY_REVISION = hashlib.sha1(TINY_REPO.encode()).hexdigest()
DIMENSION = 32
WORDS = "the a of to and in is it on this for with modal runs embedding hello world quick brown fox"


def build_tiny_model(folder) -> None:
    """A word-piece tokenizer, a 2-layer BERT, mean pooling and normalization: bge-small's stack."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = [*specials, *WORDS.split(), *chars, *("##" + c for c in chars)]
    # The vocabulary as a dict: transformers 5 ignores a vocab_file=, and every token would be [UNK].
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)})
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=DIMENSION,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    bert = folder / "bert"
    BertModel(config).save_pretrained(bert)
    tokenizer.save_pretrained(bert)
    modules = [Transformer(str(bert), max_seq_length=32), Pooling(DIMENSION, "mean"), Normalize()]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder / "model"))


{{ parts.cache_fixtures(["torch", "sentence_transformers"], built='build / "model"') }}


def test_embeds_unit_vectors_of_the_model_dimension(tiny):
    import torch

    model = core.load_model(device="cpu")
    result = model("Modal runs this embedding.")
    check_answer(result, "Modal runs this embedding.")
    assert result["dimension"] == model.engine.dimension == DIMENSION
    assert next(model.engine.model.parameters()).dtype == torch.float32  # fp32 everywhere


def test_a_batch_is_one_encode_call(tiny, monkeypatch):
    model = core.load_model(device="cpu")
    calls, encode = [], model.engine.model.encode

    def counted(texts, **kwargs):
        calls.append(list(texts))
        return encode(texts, **kwargs)

    monkeypatch.setattr(model.engine.model, "encode", counted)
    texts = ["hello world", "the quick brown fox", "modal runs", "x" * 500]  # the last is truncated
    results = model.batch(texts)
    assert calls == [texts]
    for result, text in zip(results, texts, strict=True):
        check_answer(result, text)
    vectors = [result["embedding"] for result in results]
    assert vectors[0] == pytest.approx(model("hello world")["embedding"], abs=1e-5)
    for i, first in enumerate(vectors):  # different texts, different vectors
        for second in vectors[i + 1 :]:
            assert math.dist(first, second) > 1e-3


def test_process_loads_once_per_container(tiny):
    first, second = core.process("hello world"), core.process("quick brown fox")
    check_answer(first, "hello world")
    check_answer(second, "quick brown fox")
    assert core.model.cache_info().misses == 1


def test_loads_for_a_snapshot_then_moves(tiny):
    model = core.load_model(device="cpu", target="cuda")
    assert model.to("cpu") is model
    check_answer(model("hello"), "hello")


{{ parts.weights_tests() }}
