"""Training sizing: what a LoRA, QLoRA or full fine-tune needs per GPU, the shapes that hold it, the
alternatives, and `modalgen gpus --train-method`. Offline: known configs or a bare parameter count."""

from __future__ import annotations

import json

import pytest

from modalgen.catalog import train_sizing as ts
from modalgen.catalog.models import KNOWN, ModelShape, widths_from_config
from modalgen.catalog.params import SizingError
from modalgen.cli.main import main

LLAMA_8B = KNOWN["meta-llama/llama-3.1-8b"]
LLAMA_70B = KNOWN["meta-llama/llama-3.1-70b"]
QWEN_7B = KNOWN["qwen/qwen2.5-7b"]
MISTRAL_7B = KNOWN["mistralai/mistral-7b-v0.1"]
BARE_7B = ModelShape("a 7B model", 7e9, "flag", None, None, None)
GB = 1e9


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches huggingface.co."""
    monkeypatch.setenv("MODALGEN_OFFLINE", "1")


# --------------------------------------------------------------------------------------------------
# The arithmetic


def test_lora_adapters_of_rank_16_match_peft_counts() -> None:
    # PEFT prints "trainable params: 41,943,040" for Llama-3-8B with r=16 on all seven projections.
    assert ts.lora_params(ts.arch_of(LLAMA_8B), 16) == 41_943_040
    assert ts.lora_params(ts.arch_of(QWEN_7B), 16) == 40_370_176
    assert ts.lora_params(ts.arch_of(LLAMA_8B), 64) == 4 * 41_943_040
    # Mixtral: the MLP's adapters once per expert
    mixtral = ts.arch_of(KNOWN["mistralai/mixtral-8x7b-v0.1"])
    assert mixtral.experts == 8
    assert ts.lora_params(mixtral) == 16 * 32 * (2 * 8192 + 2 * 5120 + 8 * 3 * (4096 + 14336))


def test_full_fine_tune_of_8b_is_18_bytes_a_parameter_and_does_not_fit_one_80gb_gpu() -> None:
    need = ts.train_need(LLAMA_8B, method="full", gpu="H100")
    state = need.weights_gb + need.gradients_gb + need.optimizer_gb
    # 2 bf16 weights + 4 fp32 gradients (of the loop's fp32 weights) + 12 AdamW (moments, master)
    assert state * GB / LLAMA_8B.params == pytest.approx(18)
    assert (need.weights_gb, need.gradients_gb, need.optimizer_gb) == pytest.approx((16.06, 32.12, 96.36))
    assert need.total_gb == pytest.approx(155.1, abs=0.1)
    assert not need.fits and need.usable_gb == pytest.approx(72)
    assert not ts.train_need(LLAMA_8B, method="full", gpu="A100-80GB").fits


def test_full_fine_tune_of_8b_fits_8_h100s_with_fsdp_but_not_with_ddp() -> None:
    fsdp = ts.train_need(LLAMA_8B, method="full", gpu="H100", count=8)
    assert fsdp.parallel == "fsdp"  # the default for full
    assert fsdp.weights_gb + fsdp.gradients_gb + fsdp.optimizer_gb == pytest.approx(144.54 / 8, abs=0.01)
    assert fsdp.gathered_gb == pytest.approx(0.87, abs=0.01)  # two layers' bf16 weights, gathered
    assert fsdp.fits and fsdp.total_gb == pytest.approx(29.5, abs=0.1)
    ddp = ts.train_need(LLAMA_8B, method="full", gpu="H100", count=8, parallel="ddp")
    assert not ddp.fits and ddp.total_gb == pytest.approx(155.1, abs=0.1)  # each GPU holds it all


def test_lora_of_8b_fits_one_80gb_gpu() -> None:
    need = ts.train_need(LLAMA_8B, method="lora", gpu="A100-80GB")
    assert need.trainable == 41_943_040
    assert need.gradients_gb + need.optimizer_gb == pytest.approx(41_943_040 * 14 / GB)
    assert need.weights_gb == pytest.approx((8.030e9 + 41_943_040) * 2 / GB)
    assert need.fits and need.total_gb == pytest.approx(27.3, abs=0.1)
    # LoRA with DDP over 4 GPUs holds as much on each as on one
    assert ts.train_need(LLAMA_8B, method="lora", gpu="H100", count=4).total_gb == pytest.approx(
        need.total_gb
    )


@pytest.mark.parametrize("gpu", ["L4", "A10G"])
def test_qlora_of_a_7b_fits_a_24gb_gpu_with_a_small_batch(gpu: str) -> None:
    need = ts.train_need(MISTRAL_7B, method="qlora", gpu=gpu, batch_size=1)
    embeddings = 2 * 32000 * 4096  # the input embedding and lm_head stay in bf16
    base = (7.242e9 - embeddings) * 0.53 + (embeddings + 41_943_040) * 2
    assert need.weights_gb == pytest.approx(base / GB) and need.weights_gb == pytest.approx(4.31, abs=0.01)
    assert need.fits and need.total_gb == pytest.approx(7.1, abs=0.1)
    assert ts.train_need(BARE_7B, method="qlora", gpu=gpu, batch_size=1).fits
    assert not ts.train_need(MISTRAL_7B, method="full", gpu=gpu, batch_size=1).fits


def test_activations_follow_korthikanti_with_the_logits() -> None:
    s, h, layers, vocab = 2048, 4096, 32, 128256
    checkpointed = layers * s * h * 2 + s * h * 34 + s * vocab * 6  # inputs kept, one layer recomputed
    need = ts.train_need(LLAMA_8B, method="lora", batch_size=1)
    assert need.activations_gb == pytest.approx(checkpointed / GB)
    kept = ts.train_need(LLAMA_8B, method="lora", batch_size=1, gradient_checkpointing=False)
    assert kept.activations_gb == pytest.approx((layers * s * h * 34 + s * vocab * 6) / GB)
    eager = ts.train_need(LLAMA_8B, method="lora", batch_size=1, gradient_checkpointing=False,
                          attention="eager")  # fmt: skip
    scores = layers * s * h * 5 * 32 * s / h  # the attention scores eager attention keeps
    assert eager.activations_gb == pytest.approx(kept.activations_gb + scores / GB)


@pytest.mark.parametrize("method", ts.METHODS)
def test_more_tokens_need_more_memory_and_checkpointing_less(method: str) -> None:
    totals = [ts.train_need(QWEN_7B, method=method, seq_len=n).total_gb for n in (256, 1024, 2048, 8192)]
    assert totals == sorted(totals) and len(set(totals)) == 4
    batches = [ts.train_need(QWEN_7B, method=method, batch_size=b).total_gb for b in (1, 2, 8)]
    assert batches == sorted(batches) and len(set(batches)) == 3
    on = ts.train_need(QWEN_7B, method=method, gradient_checkpointing=True)
    off = ts.train_need(QWEN_7B, method=method, gradient_checkpointing=False)
    assert on.activations_gb < off.activations_gb and on.total_gb < off.total_gb


def test_methods_order_and_fsdp_divides_the_state() -> None:
    by_method = {m: ts.train_need(LLAMA_8B, method=m).total_gb for m in ts.METHODS}
    assert by_method["qlora"] < by_method["lora"] < by_method["full"]
    per_gpu = [ts.train_need(LLAMA_8B, method="full", count=n).total_gb for n in (1, 2, 4, 8)]
    assert per_gpu == sorted(per_gpu, reverse=True) and len(set(per_gpu)) == 4


def test_a_bare_parameter_count_is_a_llama_shaped_estimate_and_says_so() -> None:
    arch = ts.arch_of(BARE_7B)
    assert (arch.layers, arch.hidden, arch.vocab) == (33, 4204, 128_000)
    assert set(arch.estimated) == {"layers", "hidden", "heads", "intermediate", "vocab"}
    assert "checkpointed, estimated)" in ts.train_need(BARE_7B, method="lora").arithmetic()
    assert ts.arch_of(LLAMA_8B).estimated == ()
    assert "estimated" not in ts.train_need(LLAMA_8B, method="lora").arithmetic()
    # the guessed adapters are within 25% of a real model of the size
    assert ts.lora_params(arch) == pytest.approx(ts.lora_params(ts.arch_of(QWEN_7B)), rel=0.25)


def test_config_widths_are_read_as_transformers_reads_them() -> None:
    llama = {"hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "vocab_size": 128256}
    assert widths_from_config(llama) == (4096, 14336, 32, 128256)
    gpt2 = {"n_embd": 768, "n_inner": None, "n_head": 12, "n_layer": 12, "vocab_size": 50257}
    assert widths_from_config(gpt2) == (768, 3072, 12, 50257)  # n_inner null: 4 x hidden
    assert widths_from_config({"text_config": {**llama, "num_hidden_layers": 2}})[0] == 4096
    assert widths_from_config({}) == (None, None, None, None)


def test_the_line_mirrors_the_inference_refusal() -> None:
    assert ts.train_need(LLAMA_8B, method="full", gpu="H100").arithmetic() == (
        "Llama-3.1-8B full fine-tuning needs ~16 GB of weights (bf16) + 32 GB gradients + 96 GB AdamW states"
        " + 9.6 GB activations (4 x 2,048 tokens, checkpointed) + 1.0 GB overhead = 155 GB;"
        " H100 has 80 GB (72 GB usable at 0.90)"
    )
    line = ts.train_need(LLAMA_8B, method="full", gpu="H100", count=8).arithmetic()
    assert line.startswith(
        "Llama-3.1-8B full fine-tuning, FSDP over 8 GPUs, needs per GPU ~2.0 GB of weights"
    )
    assert "+ 0.9 GB gathered layers +" in line and line.endswith(
        "H100:8 has 80 GB per GPU (72 GB usable at 0.90)"
    )
    qlora = ts.train_need(MISTRAL_7B, method="qlora", gpu="L4", batch_size=1, gradient_checkpointing=False)
    assert "QLoRA fine-tuning needs ~4.3 GB of weights (NF4 base, bf16 adapters)" in qlora.arithmetic()
    assert "(1 x 2,048 tokens)" in qlora.arithmetic()


# --------------------------------------------------------------------------------------------------
# Shapes and alternatives


def test_full_8b_shapes_are_the_smallest_fitting_counts_cheapest_first() -> None:
    rows = ts.train_shapes(LLAMA_8B, method="full")
    assert [(r["gpu"], r["count"], r["parallel"]) for r in rows[:4]] == [
        ("B200", 1, None), ("B200+", 1, None), ("H200", 2, "fsdp"), ("A100-80GB", 4, "fsdp")]  # fmt: skip
    assert ("H100", 4, "fsdp") in [(r["gpu"], r["count"], r["parallel"]) for r in rows]
    assert {"T4", "L4", "A10G"}.isdisjoint(r["gpu"] for r in rows)  # 8 x 24 GB is not enough
    prices = [r["price_per_hour"] for r in rows]
    assert prices[-1] is None and prices[:-1] == sorted(prices[:-1])
    assert rows[2] == {"gpu": "H200", "count": 2, "parallel": "fsdp", "method": "full",
                       "gradient_checkpointing": True, "vram_gb": 282, "vram_gb_per_gpu": 141,
                       "need_gb_per_gpu": 83.7, "fits": True, "price_per_hour": 9.08}  # fmt: skip


def test_lora_shapes_with_ddp_are_one_gpu_each_and_fsdp_spreads_a_70b() -> None:
    rows = ts.train_shapes(LLAMA_8B, method="lora")
    assert {r["count"] for r in rows} == {1} and rows[0]["gpu"] == "L40S"
    # 141 GB of bf16 weights on every GPU: only a B200 holds it alone, and DDP never spreads it
    ddp = ts.train_shapes(LLAMA_70B, method="lora")
    assert [(r["gpu"], r["count"]) for r in ddp] == [("B200", 1), ("B200+", 1)]
    fsdp = [(r["gpu"], r["count"]) for r in ts.train_shapes(LLAMA_70B, method="lora", parallel="fsdp")]
    assert fsdp[:3] == [("B200", 1), ("B200+", 1), ("H200", 2)]
    assert ("H100", 4) in fsdp and ("L40S", 8) in fsdp and ("H100", 2) not in fsdp


def test_alternatives_to_a_full_fine_tune_on_one_h100() -> None:
    need = ts.train_need(LLAMA_8B, method="full", gpu="H100")
    rows = ts.alternatives(need, LLAMA_8B)
    assert rows[0]["change"] == "--train-method qlora --gpu L4" and rows[0]["price_per_hour"] == 0.8
    changes = {r["change"] for r in rows}
    assert {"--train-method lora --gpu H100", "--gpu H100:4", "--gpu H200:2", "--gpu B200",
            "--train-method lora --gpu L4:2 --parallel fsdp"} <= changes  # fmt: skip
    assert all(r["fits"] for r in rows)
    assert not [r for r in rows if (r["gpu"], r["count"], r["method"]) == ("H100", 1, "full")]
    prices = [r["price_per_hour"] for r in rows if r["price_per_hour"] is not None]
    assert prices == sorted(prices)


def test_alternatives_offer_checkpointing_and_never_a_heavier_method() -> None:
    need = ts.train_need(LLAMA_8B, method="qlora", gpu="L4", gradient_checkpointing=False)
    assert not need.fits
    rows = ts.alternatives(need, LLAMA_8B)
    assert rows[0]["change"] == "--gradient-checkpointing --gpu L4"
    assert {r["method"] for r in rows} == {"qlora"}


TOKENS = "a whole number of tokens from 16 to 1,048,576"
SEQUENCES = "a whole number of sequences from 1 to 4,096"
RANKS = "a whole number of ranks from 1 to 1,024"
FROM_TABLE = "(its config.json, in modalgen's table of known models)"


@pytest.mark.parametrize(
    ("shape", "kwargs", "field", "allowed"),
    [
        (LLAMA_8B, {"method": "sgd"}, "--train-method", "one of lora, qlora, full"),
        (LLAMA_8B, {"method": "lora", "seq_len": 8}, "--seq-len", TOKENS),
        (LLAMA_8B, {"method": "lora", "seq_len": "2k"}, "--seq-len", TOKENS),
        (LLAMA_8B, {"method": "lora", "batch_size": 0}, "--batch-size", SEQUENCES),
        (LLAMA_8B, {"method": "lora", "batch_size": True}, "--batch-size", SEQUENCES),
        (LLAMA_8B, {"method": "lora", "lora_rank": 0}, "--lora-rank", RANKS),
        (LLAMA_8B, {"method": "lora", "parallel": "zero3"}, "--parallel", "one of ddp, fsdp"),
        (LLAMA_8B, {"method": "lora", "gpu": "A10G", "count": 8}, "--gpu", "1 to 4 A10G GPUs"),
        (KNOWN["qwen/qwen2.5-7b-instruct"], {"method": "lora", "seq_len": 65536}, "--seq-len",
         f"at most 32768, the context of Qwen/Qwen2.5-7B-Instruct {FROM_TABLE}"),
        (KNOWN["baai/bge-small-en-v1.5"], {"method": "lora"}, "--model",
         "it is an encoder (modalgen's table of known models); --train-method sizes fine-tuning a causal LM"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_flag(shape, kwargs, field, allowed) -> None:
    with pytest.raises(SizingError) as err:
        ts.train_need(shape, **kwargs)
    assert (err.value.field, err.value.allowed) == (field, allowed)


def test_whole_numbers_as_typed_are_accepted() -> None:
    need = ts.train_need(LLAMA_8B, method="lora", seq_len="4096", batch_size="2", lora_rank="8")
    assert (need.seq_len, need.batch_size, need.lora_rank) == (4096, 2, 8)


# --------------------------------------------------------------------------------------------------
# modalgen gpus --train-method


def gpus(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["gpus", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_gpus_lists_the_training_shapes_cheapest_first(capsys) -> None:
    code, out, err = gpus(capsys, "--model", "meta-llama/Llama-3.1-8B", "--train-method", "full")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "sized meta-llama/Llama-3.1-8B for full fine-tuning: bf16 weights, AdamW on all parameters (8.03B),"
        " 4 x 2,048 tokens per GPU, gradient checkpointing, 0.90"
    )
    assert (
        lines[1].startswith("Llama-3.1-8B full fine-tuning needs ~16 GB of weights")
        and "B200 has 192 GB" in lines[1]
    )
    assert lines[2].split() == ["shape", "GPU", "mem", "need/GPU", "$/hr", "sharing", "(cheapest", "first)"]
    assert lines[3].split() == ["B200", "192", "GB", "155.1", "GB", "6.25", "one", "GPU"]
    assert ["H200:2", "141", "GB", "83.7", "GB", "9.08", "FSDP"] in [line.split() for line in lines]


def test_gpus_train_json_names_what_was_sized(capsys) -> None:
    flags = [
        "--batch-size",
        "1",
        "--seq-len",
        "1024",
        "--no-gradient-checkpointing",
        "--hours",
        "2",
        "--json",
    ]
    code, out, _ = gpus(capsys, "--model-params", "7B", "--train-method", "qlora", *flags)
    rows = json.loads(out)
    assert code == 0 and rows[0]["gpu"] == "T4" and rows[0]["cost"] == 1.18
    assert {k: rows[0][k] for k in ("model", "params", "train_method", "seq_len", "batch_size",
                                    "gradient_checkpointing", "lora_rank", "count", "fits")} == {
        "model": "a 7B model", "params": 7e9, "train_method": "qlora", "seq_len": 1024, "batch_size": 1,
        "gradient_checkpointing": False, "lora_rank": 16, "count": 1, "fits": True}  # fmt: skip
    assert all(r["fits"] and r["need_gb_per_gpu"] <= 0.9 * r["vram_gb_per_gpu"] for r in rows)


def test_gpus_train_with_gpu_says_whether_each_fits_and_what_would(capsys) -> None:
    code, out, _ = gpus(capsys, "--model-params", "8B", "--train-method", "full", "--gpu", "H100,A100-80GB")
    assert code == 1
    assert ["H100", "80", "GB", "155.0", "GB", "3.95", "one", "GPU", "no"] in [
        x.split() for x in out.splitlines()
    ]
    assert "None of these holds it; these would, cheapest first:" in out
    assert "  --train-method qlora --gpu L4  (17.7 GB per GPU, $0.80/hr)" in out
    code, out, _ = gpus(capsys, "--model", "Qwen/Qwen2.5-7B", "--train-method", "qlora", "--gpu", "L4",
                        "--batch-size", "1")  # fmt: skip
    assert code == 0 and out.splitlines()[-1].split()[-1] == "yes"
    code, out, _ = gpus(capsys, "--model-params", "8B", "--train-method", "full", "--gpu", "H100:8", "--json")
    assert code == 0 and json.loads(out)[0]["parallel"] == "fsdp" and json.loads(out)[0]["fits"] is True


def test_gpus_without_train_method_still_sizes_inference(capsys) -> None:
    code, out, _ = gpus(capsys, "--model-params", "8B")
    assert code == 0 and out.startswith("sized as the vllm stack runs a model: bf16 weights")
    assert "fine-tuning" not in out and "sharing" not in out


SIZED_8B = ["--model-params", "8B", "--train-method"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ([*SIZED_8B, "sgd"], '--train-method: "sgd" is not allowed; one of lora, qlora, full'),
        ([*SIZED_8B, "lora", "--seq-len", "abc"], f'--seq-len: "abc" is not allowed; {TOKENS}'),
        ([*SIZED_8B, "lora", "--batch-size", "0"], f'--batch-size: "0" is not allowed; {SEQUENCES}'),
        ([*SIZED_8B, "lora", "--parallel", "zero3"], '--parallel: "zero3" is not allowed; one of ddp, fsdp'),
        ([*SIZED_8B, "lora", "--dtype", "fp8"], '--dtype: "fp8" sizes serving a model, not --train-method'),
        ([*SIZED_8B, "lora", "--stack", "vllm"], '--stack: "vllm" sizes serving a model'),
        ([*SIZED_8B, "lora", "--gpu", "A10G:8"], '--gpu: "A10G:8" is not allowed'),
        (["--train-method", "lora"], "--train-method sizes a model; give --model REPO or --model-params N"),
        (["--model-params", "8B", "--seq-len", "4096"], '--seq-len: "4096" sizes a training run'),
        (["--no-gradient-checkpointing"], "--no-gradient-checkpointing sizes a training run"),
        (["--model", "BAAI/bge-small-en-v1.5", "--train-method", "lora"],
         '--model: "BAAI/bge-small-en-v1.5" is not allowed; it is an encoder'),
        (["--model", "Qwen/Qwen2.5-1.5B-Instruct", "--train-method", "lora", "--seq-len", "65536"],
         '--seq-len: "65536" is not allowed; at most 32768'),
    ],
)  # fmt: skip
def test_gpus_train_refusals_are_one_line_and_exit_2(capsys, args: list[str], line: str) -> None:
    code, out, err = gpus(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and line in err and "Traceback" not in err
