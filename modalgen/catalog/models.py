"""What a Hugging Face model is: its shape, its context and its kind, read from its config.

The facts come from the repo's config.json and model info on the Hub when it answers (sizing.py
fetches them), else from KNOWN, a table of the models modalgen knows offline (each row copied from
the model's config.json on the Hub). A fact neither gives stays None: unknown, and nothing is
refused for it.

Standard library and the catalogue only, cheap to import: the network is sizing.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modalgen.catalog import CAUSAL_LM, DIFFUSION, ENCODER, STACKS, Stack

# Where a context or kind came from, as a refusal names it.
FROM_HUB = "its config.json"
FROM_KNOWN = "its config.json, in modalgen's table of known models"
KIND_FROM_KNOWN = "modalgen's table of known models"


@dataclass(frozen=True)
class ModelShape:
    """What sizing and the stack checks need to know about a model; None where it is unknown."""

    repo: str
    params: float
    source: str  # where params came from: "hub", "known", "name" or "flag"
    layers: int | None
    kv_heads: int | None
    head_dim: int | None
    experts: str | None = None  # e.g. "8x7B" for MoE names, informational
    context: int | None = None  # the most tokens it was built for (max_position_embeddings, rope scaling)
    context_from: str | None = None  # FROM_HUB or FROM_KNOWN
    kind: str | None = None  # catalog.CAUSAL_LM, ENCODER or DIFFUSION
    kind_from: str | None = None  # what says so: "BertModel in its config.json", KIND_FROM_KNOWN ...
    # Widths training sizing needs (train_sizing.py): the LoRA adapters' shapes, the activations, the logits.
    hidden: int | None = None  # hidden_size
    intermediate: int | None = None  # the MLP's inner width (intermediate_size)
    heads: int | None = None  # attention heads (num_attention_heads)
    vocab: int | None = None  # vocab_size

    @property
    def has_architecture(self) -> bool:
        """True when the exact KV formula applies (layers, KV heads and head size all known)."""
        return None not in (self.layers, self.kv_heads, self.head_dim)


# --------------------------------------------------------------------------------------------------
# Known models (stacks.md section 4: configs from the Hub, params counted on the meta device; the
# context is each config.json's max_position_embeddings; the widths its hidden_size,
# intermediate_size, num_attention_heads and vocab_size)


def _known(
    repos: tuple[str, ...],
    params: float,
    arch: tuple[int, int, int] | None,
    context: int | None,
    kind: str,
    experts: str | None = None,
    widths: tuple[int, int, int, int] | None = None,
) -> dict[str, ModelShape]:
    """`arch` is (layers, KV heads, head size); `widths` (hidden, intermediate, heads, vocab)."""
    layers, kv_heads, head_dim = arch or (None, None, None)
    hidden, intermediate, heads, vocab = widths or (None, None, None, None)
    context_from = FROM_KNOWN if context else None
    return {
        r.lower(): ModelShape(
            r,
            params,
            "known",
            layers,
            kv_heads,
            head_dim,
            experts,
            context,
            context_from,
            kind,
            KIND_FROM_KNOWN,
            hidden,
            intermediate,
            heads,
            vocab,
        )
        for r in repos
    }


KNOWN: dict[str, ModelShape] = {
    # The Instruct models' configs say 32768 (YaRN, off by default, stretches them to 131072); the
    # 1.5B and 7B base models' say 131072.
    **_known(
        ("Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B-Instruct"),
        0.494e9,
        (24, 2, 64),
        32768,
        CAUSAL_LM,
        widths=(896, 4864, 14, 151936),
    ),
    **_known(
        ("Qwen/Qwen2.5-1.5B",), 1.54e9, (28, 2, 128), 131072, CAUSAL_LM, widths=(1536, 8960, 12, 151936)
    ),
    **_known(
        ("Qwen/Qwen2.5-1.5B-Instruct",),
        1.54e9,
        (28, 2, 128),
        32768,
        CAUSAL_LM,
        widths=(1536, 8960, 12, 151936),
    ),
    **_known(
        ("Qwen/Qwen2.5-7B",), 7.616e9, (28, 4, 128), 131072, CAUSAL_LM, widths=(3584, 18944, 28, 152064)
    ),
    **_known(
        ("Qwen/Qwen2.5-7B-Instruct",),
        7.616e9,
        (28, 4, 128),
        32768,
        CAUSAL_LM,
        widths=(3584, 18944, 28, 152064),
    ),
    # Llama 3.1's 131072 already includes its rope scaling ("llama3": 8 x 8192).
    **_known(
        (
            "meta-llama/Llama-3.1-8B",
            "meta-llama/Llama-3.1-8B-Instruct",
            "meta-llama/Meta-Llama-3.1-8B",  # the same repos under their first names (the Hub redirects)
            "meta-llama/Meta-Llama-3.1-8B-Instruct",
        ),
        8.030e9,
        (32, 8, 128),
        131072,
        CAUSAL_LM,
        widths=(4096, 14336, 32, 128256),
    ),
    **_known(
        (
            "meta-llama/Llama-3.1-70B",
            "meta-llama/Llama-3.1-70B-Instruct",
            "meta-llama/Meta-Llama-3.1-70B",
            "meta-llama/Meta-Llama-3.1-70B-Instruct",
        ),
        70.554e9,
        (80, 8, 128),
        131072,
        CAUSAL_LM,
        widths=(8192, 28672, 64, 128256),
    ),
    **_known(
        ("mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-Instruct-v0.1"),
        7.242e9,
        (32, 8, 128),
        32768,
        CAUSAL_LM,
        widths=(4096, 14336, 32, 32000),
    ),
    # v0.3's vocabulary is 32768 instead of 32000: 768 more rows in the untied embedding and output
    # matrices, 2 * 768 * 4096 = 6.3M more parameters.
    **_known(
        ("mistralai/Mistral-7B-v0.3", "mistralai/Mistral-7B-Instruct-v0.3"),
        7.248e9,
        (32, 8, 128),
        32768,
        CAUSAL_LM,
        widths=(4096, 14336, 32, 32768),
    ),
    # Every expert is resident: 46.7B total, although only ~12.9B are active per token.
    **_known(
        ("mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
        46.703e9,
        (32, 8, 128),
        32768,
        CAUSAL_LM,
        "8x7B",
        widths=(4096, 14336, 32, 32000),
    ),
    # BERT-small (BertModel): 12 layers, hidden 384, 12 heads of 32; 512 positions.
    **_known(("BAAI/bge-small-en-v1.5",), 33.4e6, (12, 12, 32), 512, ENCODER, widths=(384, 1536, 12, 30522)),
    # A diffusers pipeline (model_index.json): UNet 0.87B + OpenCLIP ViT-H text encoder 0.35B + VAE
    # 0.08B; no layers or context in the LLM sense.
    **_known(("stabilityai/sd-turbo",), 1.3e9, None, None, DIFFUSION),
}


# --------------------------------------------------------------------------------------------------
# Reading a config.json (and the Hub's model info)


def _positive_int(config: dict[str, Any], *keys: str) -> int | None:
    """The first of KEYS that holds a positive whole number (config names differ across families)."""
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers")


def text_config(config: dict[str, Any]) -> dict[str, Any]:
    """The language model's part of a config: multimodal configs keep it in "text_config"."""
    inner = config.get("text_config")
    if _positive_int(config, *_LAYER_KEYS) is None and isinstance(inner, dict):
        return inner
    return config


def arch_from_config(config: dict[str, Any]) -> tuple[int, int, int] | None:
    """(layers, KV heads, head size) from a config.json, or None when it lacks them.

    KV heads default to the attention heads (no grouped-query attention) and the head size to
    hidden_size // heads, as in transformers.
    """
    config = text_config(config)
    layers = _positive_int(config, *_LAYER_KEYS)
    heads = _positive_int(config, "num_attention_heads", "n_head")
    if layers is None or heads is None:
        return None
    kv_heads = _positive_int(config, "num_key_value_heads") or heads
    head_dim = _positive_int(config, "head_dim")
    if head_dim is None:
        hidden = _positive_int(config, "hidden_size", "n_embd", "d_model")
        if hidden is None:
            return None
        head_dim = hidden // heads
    return layers, kv_heads, head_dim


# The keys vLLM reads a model's length from (the smallest one given wins), in its own order.
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length")
# Rope types whose max_position_embeddings already is the stretched length (vLLM does not scale them).
_PRESCALED_ROPE = ("su", "longrope", "llama3", "default")


def context_from_config(config: dict[str, Any]) -> int | None:
    """The most tokens the model takes, as vLLM derives it: the position limit, times the rope
    scaling factor where the config gives one (YaRN counts from its original_max_position_embeddings)."""
    model_type = str(config.get("model_type", ""))
    config = text_config(config)
    lengths = [n for key in _CONTEXT_KEYS if (n := _positive_int(config, key)) is not None]
    if not lengths:
        return None
    length: float = min(lengths)
    rope = config.get("rope_scaling") or config.get("rope_parameters")
    if isinstance(rope, dict) and "gemma3" not in model_type:  # Gemma 3's length is already scaled
        rope_type = rope.get("rope_type") or rope.get("type")
        factor = rope.get("factor")
        if rope_type not in _PRESCALED_ROPE and isinstance(factor, int | float) and factor >= 1:
            if rope_type == "yarn":
                length = _positive_int(rope, "original_max_position_embeddings") or length
            length *= factor
    return int(length)


def kind_from_architectures(architectures: Any) -> tuple[str, str] | None:
    """(kind, evidence) from a config's "architectures", or None when they don't say.

    A class ending in ForCausalLM or LMHeadModel generates text; a model of only bare encoders
    (BertModel, XLMRobertaModel) or masked-LM heads (MPNetForMaskedLM) embeds. Anything else
    (ForConditionalGeneration: vision-language or seq2seq; ForSequenceClassification) is not judged.
    """
    if not isinstance(architectures, list):
        return None
    names = [a for a in architectures if isinstance(a, str) and a]
    for name in names:
        if name.endswith(("ForCausalLM", "LMHeadModel")):
            return CAUSAL_LM, f"{name} in its config.json"
    if names and all(n.endswith(("Model", "ForMaskedLM")) for n in names):
        return ENCODER, f"{names[0]} in its config.json"
    return None


def kind_from_hub(info: dict[str, Any] | None, config: dict[str, Any] | None) -> tuple[str, str] | None:
    """(kind, evidence) from what the Hub answered: a diffusers pipeline has model_index.json among its
    files; otherwise the architectures of config.json, or of the model info's copy of it (which a
    gated repo still shows)."""
    info = info or {}
    siblings = info.get("siblings")
    if isinstance(siblings, list) and any(
        isinstance(s, dict) and s.get("rfilename") == "model_index.json" for s in siblings
    ):
        return DIFFUSION, "its model_index.json"
    for source in (config, info.get("config")):
        if isinstance(source, dict) and (found := kind_from_architectures(source.get("architectures"))):
            return found
    return None


def widths_from_config(config: dict[str, Any]) -> tuple[int | None, int | None, int | None, int | None]:
    """(hidden, intermediate, heads, vocab) from a config.json, each None where it lacks it. GPT-2's
    configs leave the MLP width out (n_inner: null), meaning 4 x hidden, as transformers reads it."""
    config = text_config(config)
    hidden = _positive_int(config, "hidden_size", "n_embd", "d_model")
    intermediate = _positive_int(config, "intermediate_size", "n_inner", "ffn_dim")
    if intermediate is None and hidden is not None and "n_embd" in config:
        intermediate = 4 * hidden
    heads = _positive_int(config, "num_attention_heads", "n_head")
    return hidden, intermediate, heads, _positive_int(config, "vocab_size")


def shape_of(
    repo: str,
    params: float,
    source: str,
    experts: str | None,
    *,
    known: ModelShape | None,
    info: dict[str, Any] | None,
    config: dict[str, Any] | None,
) -> ModelShape:
    """The model's shape from the Hub's answers where they tell, else from KNOWN, else unknown."""
    arch = arch_from_config(config) if config is not None else None
    if arch is None and known is not None and known.has_architecture:
        arch = (known.layers, known.kv_heads, known.head_dim)  # type: ignore[assignment]
    layers, kv_heads, head_dim = arch or (None, None, None)
    context = context_from_config(config) if config is not None else None
    context_from = FROM_HUB if context is not None else None
    if context is None and known is not None:
        context, context_from = known.context, known.context_from
    kind, kind_from = kind_from_hub(info, config) or (None, None)
    if kind is None and known is not None:
        kind, kind_from = known.kind, known.kind_from
    widths = widths_from_config(config) if config is not None else (None, None, None, None)
    if widths[0] is None and known is not None:
        widths = (known.hidden, known.intermediate, known.heads, known.vocab)
    return ModelShape(repo, params, source, layers, kv_heads, head_dim, experts, context, context_from, kind,
                      kind_from, *widths)  # fmt: skip


def kind_refusal(shape: ModelShape, stack: Stack) -> str | None:
    """Why `stack` cannot run the model, naming what it is and the stacks that do; None when it
    can, or when what the model is is not known."""
    if shape.kind is None or stack.model_kinds is None or shape.kind in stack.model_kinds:
        return None
    runners = [s.name for s in STACKS if s.model_kinds and shape.kind in s.model_kinds]
    runs_it = "--stack " + " or ".join(", ".join(runners).rsplit(", ", 1)) if runners else "no stack"
    article = "an" if shape.kind[0] in "aeiou" else "a"
    return (
        f"{shape.repo} is {article} {shape.kind} ({shape.kind_from}), which the {stack.name} stack does"
        f" not run; {runs_it} runs it"
    )
