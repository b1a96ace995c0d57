{% import "stacks/parts.jinja" as parts with context %}
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


{{ parts.cache_fixtures(["torch", "transformers", "peft"] if plan.stack.name == "finetune" else ["torch", "transformers"]) }}


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


{{ parts.weights_tests() }}
