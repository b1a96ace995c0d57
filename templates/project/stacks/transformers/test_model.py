"""The real code path on this CPU: a tiny causal LM built offline from a config (random weights, no
download), laid out as the Hugging Face cache the Volume holds, loaded and run by core.py itself.

`make test-model` runs these with the stack's packages (a CPU build of torch); `make test` skips
them. The answers are noise from random weights: the tests check what the code promises.
"""

import hashlib
import shutil

import pytest
from conftest import check_answer

from {{ plan.package }} import core

pytestmark = pytest.mark.model
MISSING = "the stack's packages are missing: run `make test-model`"

TINY_REPO = "modalgen-tiny/tiny-chat-llm"
# Any 40-hex commit will do: the Hub never sees it.
TINY_REVISION = hashlib.sha1(TINY_REPO.encode()).hexdigest()
# ChatML, as transformers renders it with Jinja. Spelled with [ ] for { }: this file is itself
# written by a template engine and carries none of its syntax; the braces come back here.
CHAT_TEMPLATE = (
    "[% for m in messages %]<|im_start|>[[ m.role ]]\n[[ m.content ]]<|im_end|>\n[% endfor %]"
    "[% if add_generation_prompt %]<|im_start|>assistant\n[% endif %]"
).translate(str.maketrans("[]", "{}"))


def build_tiny_model(folder) -> None:
    """A byte-level BPE tokenizer trained on one sentence and a 2-layer Llama (93k parameters)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(["The quick brown fox jumps over the lazy dog. Hello, Modal!"], trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory):
    """The cache layout `make download` writes: <cache>/models--org--name/snapshots/<rev>/, refs/main."""
    for package in ("torch", "transformers"):
        pytest.importorskip(package, reason=MISSING)
    cache = tmp_path_factory.mktemp("hf-hub-cache")
    build = tmp_path_factory.mktemp("tiny-model")
    build_tiny_model(build)
    repo_dir = cache / ("models--" + TINY_REPO.replace("/", "--"))
    shutil.copytree(build, repo_dir / "snapshots" / TINY_REVISION)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(TINY_REVISION)
    return cache


@pytest.fixture
def tiny(tiny_cache, monkeypatch):
    """core.py, pointed at the tiny model; the Hub is never asked."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(core, "MODEL_REPO", TINY_REPO)
    monkeypatch.setattr(core, "MODEL_REVISION", TINY_REVISION)
    monkeypatch.setattr(core, "HF_HUB_CACHE", str(tiny_cache))
    core.model.cache_clear()
    yield
    core.model.cache_clear()


def test_generates_decoded_tokens(tiny):
    model = core.load_model(device="cpu")
    result = model("Hello there")
    check_answer(result, "Hello there")
    assert 1 <= result["tokens"] <= core.MAX_NEW_TOKENS
    assert str(model.engine.model.dtype) == "torch.float32"  # fp32 on a CPU


def test_process_loads_once_per_container(tiny):
    first, second = core.process("The quick"), core.process("brown fox")
    check_answer(first, "The quick")
    check_answer(second, "brown fox")
    assert core.model.cache_info().misses == 1


def test_loads_for_a_snapshot_then_moves(tiny):
    model = core.load_model(device="cpu", target="cpu")
    assert model.to("cpu") is model
    check_answer(model("Hello"), "Hello")


def test_missing_weights_say_to_run_make_download(tiny, monkeypatch, tmp_path):
    monkeypatch.setattr(core, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(RuntimeError, match="make download"):
        core.load_model(device="cpu")


def test_loading_never_calls_the_hub(tiny, monkeypatch):
    """The weights are in the cache Volume: a cold start asks huggingface.co nothing (without
    offline mode transformers does, and where the network is closed that waits for a timeout)."""
    import socket

    looked_up = []

    def no_network(host, *args, **kwargs):
        looked_up.append(host)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    core.load_model(device="cpu")
    assert looked_up == []
