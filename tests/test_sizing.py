"""VRAM sizing: parameter counts, the Hub look-up (against a local server), the arithmetic and GPU shapes.

Everything runs offline: the Hub is a local http.server on 127.0.0.1, and every other test has the
network switched off (MODALGEN_OFFLINE=1) with the Hub URL pointed at a closed local port.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from modalgen.catalog import hub as hub_module
from modalgen.catalog.sizing import (
    DTYPE_BYTES,
    KNOWN,
    STACK_DEFAULTS,
    ModelShape,
    SizingError,
    fits,
    kv_bytes_per_token,
    memory_need,
    model_shape,
    params_from_name,
    parse_params,
    shapes,
)

# modal.md's GPU table: (name, VRAM GB, max per container, $/hour or None when the seed has no price).
GPUS: list[tuple[str, float, int, float | None]] = [
    ("T4", 16, 8, 0.59),
    ("L4", 24, 8, 0.80),
    ("A10G", 24, 4, 1.10),
    ("L40S", 48, 8, 1.95),
    ("A100-40GB", 40, 8, 2.10),
    ("A100-80GB", 80, 8, 2.50),
    ("H100", 80, 8, 3.95),
    ("H200", 141, 8, 4.54),
    ("B200", 192, 8, 6.25),
    ("RTX-PRO-6000", 96, 8, None),
]

SLACK_S = 1.5  # these machines are noisy: never assert a duration more precisely than this


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches huggingface.co: offline by default, and the Hub URL is a closed local port."""
    monkeypatch.setenv("MODALGEN_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("MODALGEN_HUB_URL", f"http://127.0.0.1:{_closed_port()}")
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------------------------------
# A fake Hub


@dataclass
class FakeHub:
    """A local Hub: path -> (status, body); records every path asked for."""

    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def json(self, path: str, data: object, status: int = 200) -> None:
        self.routes[path] = (status, json.dumps(data).encode())


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    fake = FakeHub()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            fake.requests.append(self.path)
            status, body = fake.routes.get(self.path, (404, b'{"error": "not found"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.delenv("MODALGEN_OFFLINE", raising=False)
    monkeypatch.setenv("MODALGEN_HUB_URL", fake.url)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


TINY_CONFIG = {"num_hidden_layers": 6, "num_attention_heads": 8, "hidden_size": 512}


# --------------------------------------------------------------------------------------------------
# parse_params, params_from_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8B", 8e9),
        ("0.5B", 5e8),
        ("70b", 7e10),
        ("350M", 3.5e8),
        ("8x7B", 5.6e10),  # naive: Mixtral is really 46.7B (KNOWN has it)
        ("1.5T", 1.5e12),
        (" 7.616e9 ", 7.616e9),
        ("7616000000", 7.616e9),
    ],
)
def test_parse_params_reads_sizes(text: str, expected: float) -> None:
    assert parse_params(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "8", "500K", "0.5M", "11T", "-8B", "8GB", "B", "inf", "nan", "1e999"]
)
def test_parse_params_refuses_non_sizes_and_out_of_range(text: str) -> None:
    with pytest.raises(SizingError) as err:
        parse_params(text)
    assert err.value.field == "--model-params"
    assert str(err.value) == f'--model-params: "{text}" is not allowed; a size such as 8B, 0.5B, 350M or 8x7B'


def test_sizing_error_is_a_value_error_with_field_value_and_allowed() -> None:
    err = SizingError("--dtype", "fp12", "one of fp32, bf16")
    assert isinstance(err, ValueError)
    assert (err.field, err.value, err.allowed) == ("--dtype", "fp12", "one of fp32, bf16")
    assert str(err) == '--dtype: "fp12" is not allowed; one of fp32, bf16'


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("meta-llama/Llama-3.1-70B-Instruct", 70e9),
        ("Qwen/Qwen2.5-0.5B-Instruct", 0.5e9),
        ("mistralai/Mixtral-8x7B-v0.1", 56e9),
        ("mistralai/Mistral-7B-Instruct-v0.3", 7e9),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", 135e6),
        ("deepseek-ai/deepseek-llm-7b-chat", 7e9),
        ("EleutherAI/pythia-1.4b-deduped", 1.4e9),
        ("Qwen/Qwen3-30B-A3B", 30e9),  # total, not the 3B active ("A3B" is glued to a letter)
        ("acme/llama_2_13b_chat", 13e9),
        ("acme/tiny-3B@0123abc", 3e9),  # a revision is not part of the name
    ],
)
def test_params_from_name_finds_the_size_token(repo: str, expected: float) -> None:
    assert params_from_name(repo) == pytest.approx(expected)


@pytest.mark.parametrize(
    "repo",
    [
        "BAAI/bge-small-en-v1.5",
        "meta-llama/Llama-3.1",
        "Qwen/Qwen2.5",
        "acme/model-v0.3",
        "microsoft/phi-3.5-mini",
        "acme/model-4bit",
        "openai/whisper-large-v3",
        "stabilityai/sd-turbo",
        "7B-labs/model",  # the owner is not the name
        "acme/model-12",
    ],
)
def test_params_from_name_does_not_take_versions_for_sizes(repo: str) -> None:
    assert params_from_name(repo) is None


# --------------------------------------------------------------------------------------------------
# KNOWN and the arithmetic


def test_known_llama_70b_bf16_weights_are_141_gb() -> None:
    need = memory_need(KNOWN["meta-llama/llama-3.1-70b-instruct"], stack="vllm")
    assert need.weights_gb == pytest.approx(141.1, abs=0.1)


@pytest.mark.parametrize(
    ("repo", "kib"),
    [
        ("qwen/qwen2.5-0.5b-instruct", 12),
        ("qwen/qwen2.5-7b-instruct", 56),
        ("meta-llama/llama-3.1-8b-instruct", 128),
        ("meta-llama/llama-3.1-70b", 320),
        ("mistralai/mixtral-8x7b-instruct-v0.1", 128),
    ],
)
def test_known_kv_per_token_matches_stacks_md(repo: str, kib: int) -> None:
    assert kv_bytes_per_token(KNOWN[repo]) == kib * 1024


def test_qwen_7b_kv_at_8192_tokens_is_047_gb_and_fp8_halves_it() -> None:
    shape = KNOWN["qwen/qwen2.5-7b-instruct"]
    need = memory_need(shape, stack="vllm")
    assert need.max_model_len == 8192
    assert need.kv_gb == pytest.approx(0.47, abs=0.005)
    assert memory_need(shape, stack="vllm", dtype="fp8").kv_gb == pytest.approx(need.kv_gb / 2)
    # int4 weights still keep a 2-byte cache
    assert memory_need(shape, stack="vllm", dtype="int4").kv_gb == pytest.approx(need.kv_gb)


def test_known_table_covers_the_generator_defaults() -> None:
    assert KNOWN["baai/bge-small-en-v1.5"].params == pytest.approx(33.4e6)
    assert KNOWN["baai/bge-small-en-v1.5"].layers == 12
    assert KNOWN["stabilityai/sd-turbo"].layers is None
    assert KNOWN["stabilityai/sd-turbo"].params == pytest.approx(1.3e9)
    qwen15 = KNOWN["qwen/qwen2.5-1.5b-instruct"]
    assert (qwen15.layers, qwen15.kv_heads, qwen15.head_dim, qwen15.params) == (28, 2, 128, 1.54e9)
    mixtral = KNOWN["mistralai/mixtral-8x7b-v0.1"]
    assert (mixtral.params, mixtral.experts) == (46.703e9, "8x7B")
    assert all(key == key.lower() and shape.source == "known" for key, shape in KNOWN.items())


def test_70b_in_bf16_does_not_fit_an_l4_and_the_line_says_why() -> None:
    need = memory_need(model_shape("meta-llama/Llama-3.1-70B-Instruct"), stack="vllm")
    assert not fits(need, 24, 1)
    line = need.arithmetic(24, "L4")
    assert line.startswith(
        "Llama-3.1-70B-Instruct in bf16 needs ~141 GB of weights + 2.7 GB KV (8,192 tokens)"
    )
    assert f"= {need.total_gb:.0f} GB; L4 has 24 GB (22 GB usable at 0.90)" in line
    assert fits(need, 141, 2)
    assert not fits(need, 141, 1)


def test_arithmetic_without_a_gpu_is_just_the_need_and_rounds_small_figures_to_one_decimal() -> None:
    need = memory_need(KNOWN["qwen/qwen2.5-0.5b-instruct"], stack="vllm", max_model_len=4096)
    line = need.arithmetic()
    assert ";" not in line
    assert line == (
        "Qwen2.5-0.5B-Instruct in bf16 needs ~1.0 GB of weights + 0.05 GB KV (4,096 tokens)"
        " + 1.0 GB activations + 1.0 GB overhead = 3.1 GB"
    )


def test_total_is_the_sum_of_the_parts() -> None:
    need = memory_need(KNOWN["qwen/qwen2.5-7b-instruct"], stack="transformers")
    assert need.total_gb == pytest.approx(
        need.weights_gb + need.kv_gb + need.activations_gb + need.overhead_gb
    )
    assert need.max_model_len == STACK_DEFAULTS["transformers"]["max_model_len"]
    assert need.overhead_gb > 0 and need.activations_gb > 0


@pytest.mark.parametrize("stack", ["embeddings", "diffusers", "torch"])
def test_stacks_without_a_kv_cache_count_none(stack: str) -> None:
    need = memory_need(KNOWN["qwen/qwen2.5-7b-instruct"], stack=stack, max_model_len=8192)
    assert need.kv_gb == 0 and need.max_model_len is None
    assert "KV" not in need.arithmetic()
    expected_dtype = STACK_DEFAULTS[stack]["dtype"]
    assert need.dtype == expected_dtype
    assert need.weights_gb == pytest.approx(7.616e9 * DTYPE_BYTES[expected_dtype] / 1e9)


def test_diffusers_activations_grow_with_the_model() -> None:
    small = memory_need(ModelShape("a/b", 1e9, "flag", None, None, None), stack="diffusers")
    large = memory_need(ModelShape("a/b", 8e9, "flag", None, None, None), stack="diffusers")
    assert large.activations_gb - small.activations_gb > 3


def test_unknown_architecture_estimates_kv_from_params_and_says_so() -> None:
    shape = model_shape("acme/mystery-8B")
    assert (shape.source, shape.layers) == ("name", None)
    assert kv_bytes_per_token(shape) == pytest.approx(128 * 1024)  # the Llama-3.1-8B anchor
    assert kv_bytes_per_token(ModelShape("a/b", 70e9, "flag", None, None, None)) == pytest.approx(
        320 * 1024, rel=0.05
    )
    need = memory_need(shape, stack="vllm")
    assert need.kv_estimated and "(8,192 tokens, estimated)" in need.arithmetic()
    assert not memory_need(KNOWN["qwen/qwen2.5-7b"], stack="vllm").kv_estimated


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"dtype": "fp12"}, "--dtype"),
        ({"dtype": "BF16"}, "--dtype"),
        ({"max_model_len": 100}, "--max-model-len"),
        ({"max_model_len": 2_000_000}, "--max-model-len"),
        ({"max_model_len": True}, "--max-model-len"),
        ({"max_model_len": "8192"}, "--max-model-len"),
        ({"stack": "jax"}, "--stack"),
    ],
)
def test_memory_need_refuses_bad_values_naming_the_flag(kwargs: dict, flag: str) -> None:
    args = {"stack": "vllm", **kwargs}
    with pytest.raises(SizingError) as err:
        memory_need(KNOWN["qwen/qwen2.5-7b"], **args)
    assert err.value.field == flag
    if flag == "--max-model-len":
        assert str(err.value).endswith("a whole number of tokens from 256 to 1,048,576")


def test_max_model_len_bounds_are_accepted() -> None:
    shape = dataclasses.replace(KNOWN["qwen/qwen2.5-7b"], context=None)  # the range alone; context below
    assert memory_need(shape, stack="vllm", max_model_len=256).max_model_len == 256
    assert memory_need(shape, stack="vllm", max_model_len=1_048_576).max_model_len == 1_048_576


# --------------------------------------------------------------------------------------------------
# fits and shapes


def test_fits_compares_the_total_with_the_usable_vram_of_all_gpus() -> None:
    need = memory_need(ModelShape("a/b", 9e9, "flag", None, None, None), stack="torch")  # ~40.4 GB
    usable_per_gpu = need.total_gb / need.usable_fraction
    assert fits(need, usable_per_gpu + 0.01, 1)
    assert not fits(need, usable_per_gpu - 0.01, 1)
    assert fits(need, usable_per_gpu / 2 + 0.01, 2)
    with pytest.raises(SizingError):
        fits(need, 80, 0)


def test_qwen_7b_shapes_offline_cheapest_first_unknown_price_last() -> None:
    shape = model_shape("Qwen/Qwen2.5-7B-Instruct")
    assert shape.source == "known"
    rows = shapes(memory_need(shape, stack="vllm"), GPUS)
    assert [(r["gpu"], r["count"]) for r in rows[:3]] == [("L4", 1), ("A10G", 1), ("T4", 2)]
    assert rows[0] == {
        "gpu": "L4",
        "count": 1,
        "vram_gb": 24,
        "need_gb": 18.0,
        "fits": True,
        "price_per_hour": 0.8,
    }
    assert rows[2]["price_per_hour"] == pytest.approx(1.18) and rows[2]["vram_gb"] == 32
    prices = [r["price_per_hour"] for r in rows]
    assert prices[-1] is None and rows[-1]["gpu"] == "RTX-PRO-6000"
    assert prices[:-1] == sorted(prices[:-1])
    assert all(r["fits"] for r in rows) and len(rows) == len(GPUS)


def test_70b_shapes_and_the_ones_that_never_fit() -> None:
    need = memory_need(model_shape("meta-llama/Llama-3.1-70B-Instruct"), stack="vllm")
    rows = shapes(need, GPUS)
    assert [(r["gpu"], r["count"]) for r in rows[:3]] == [("B200", 1), ("L4", 8), ("L40S", 4)]
    assert ("H200", 2) in [(r["gpu"], r["count"]) for r in rows]
    assert {"T4", "A10G"}.isdisjoint(r["gpu"] for r in rows)

    every = shapes(need, GPUS, only_fitting=False)
    assert len(every) == len(GPUS)
    misfits = [r for r in every if not r["fits"]]
    assert {(r["gpu"], r["count"]) for r in misfits} == {("T4", 8), ("A10G", 4)}
    assert every[-len(misfits) :] == misfits  # after every fitting shape


def test_counts_are_powers_of_two_capped_by_the_maximum() -> None:
    need = memory_need(ModelShape("a/b", 25e9, "flag", None, None, None), stack="torch")  # ~111 GB
    rows = shapes(need, [("X", 40, 6, 1.0), ("Y", 40, 2, 1.0)], only_fitting=False)
    assert [(r["gpu"], r["count"], r["fits"]) for r in rows] == [("X", 4, True), ("Y", 2, False)]


# --------------------------------------------------------------------------------------------------
# model_shape: flag, KNOWN, name, errors (offline)


def test_model_shape_offline_order_flag_known_name() -> None:
    flagged = model_shape("Qwen/Qwen2.5-7B-Instruct", params="8B")
    assert (flagged.source, flagged.params, flagged.layers, flagged.kv_heads) == ("flag", 8e9, 28, 4)
    known = model_shape("qwen/QWEN2.5-7B-instruct")
    assert (known.source, known.params) == ("known", 7.616e9)
    mixtral = model_shape("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert (mixtral.source, mixtral.params, mixtral.experts) == ("known", 46.703e9, "8x7B")
    named = model_shape("acme/thing-8x22B-chat")
    assert (named.source, named.params, named.experts) == ("name", 176e9, "8X22B")


def test_model_shape_without_any_size_asks_for_the_flag() -> None:
    with pytest.raises(SizingError) as err:
        model_shape("acme/mystery-model@main")
    # The model is the input at fault: named as --hf-model, as typed; --model-params is the way out.
    assert err.value.field == "--hf-model" and err.value.value == "acme/mystery-model@main"
    assert "acme/mystery-model" in str(err.value) and "--model-params N" in str(err.value)
    assert "--model-params 8B" in str(err.value)


@pytest.mark.parametrize("repo", ["", "a b/c", "../etc/passwd", "org/model/extra", "org/mo?del"])
def test_model_shape_refuses_repo_ids_that_are_not_ids(repo: str) -> None:
    with pytest.raises(SizingError) as err:
        model_shape(repo, params="8B")
    assert err.value.field == "--hf-model"


def test_model_shape_refuses_a_bad_params_flag() -> None:
    with pytest.raises(SizingError) as err:
        model_shape("Qwen/Qwen2.5-7B", params="lots")
    assert err.value.field == "--model-params"


def test_importing_sizing_loads_no_network_modules() -> None:
    code = (
        "import sys, modalgen.catalog.sizing; "
        "print(sorted(m for m in ('urllib.request', 'http.client', 'json', 'threading') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------------
# The Hub path, against a local server


def test_hub_gives_params_from_safetensors_and_shape_from_config(hub: FakeHub) -> None:
    hub.json("/api/models/acme/tiny-llm", {"id": "acme/tiny-llm", "safetensors": {"total": 123_456_789}})
    hub.json("/acme/tiny-llm/resolve/main/config.json", TINY_CONFIG)
    shape = model_shape("acme/tiny-llm")
    # kv heads default to the attention heads, head_dim to hidden_size // heads; the widths training
    # sizing reads are those the config gives (no intermediate_size or vocab_size here)
    assert shape == ModelShape("acme/tiny-llm", 123_456_789.0, "hub", 6, 8, 64, hidden=512, heads=8)
    assert hub.requests == ["/api/models/acme/tiny-llm", "/acme/tiny-llm/resolve/main/config.json"]


def test_hub_config_fields_win_over_defaults_and_text_config_is_read(hub: FakeHub) -> None:
    hub.json("/api/models/acme/vlm-2B", {"safetensors": {"total": 2_100_000_000}})
    hub.json(
        "/acme/vlm-2B/resolve/main/config.json",
        {"text_config": {**TINY_CONFIG, "num_key_value_heads": 2, "head_dim": 256}},
    )
    shape = model_shape("acme/vlm-2B")
    assert (shape.source, shape.params, shape.layers, shape.kv_heads, shape.head_dim) == (
        "hub",
        2.1e9,
        6,
        2,
        256,
    )


def test_hub_params_win_over_known_and_a_gated_config_falls_back_to_known(hub: FakeHub) -> None:
    repo = "meta-llama/Llama-3.1-70B-Instruct"
    hub.json(f"/api/models/{repo}", {"safetensors": {"total": 70_553_706_496}})
    hub.json(f"/{repo}/resolve/main/config.json", {"error": "gated"}, status=401)
    shape = model_shape(repo)
    assert (shape.source, shape.params) == ("hub", 70_553_706_496)
    assert (shape.layers, shape.kv_heads, shape.head_dim) == (80, 8, 128)


def test_flag_params_still_read_the_config_but_not_the_model_info(hub: FakeHub) -> None:
    hub.json("/acme/tiny-llm/resolve/main/config.json", TINY_CONFIG)
    shape = model_shape("acme/tiny-llm", params="350M")
    assert (shape.source, shape.params, shape.layers) == ("flag", 3.5e8, 6)
    assert hub.requests == ["/acme/tiny-llm/resolve/main/config.json"]


def test_a_revision_is_asked_for_by_name(hub: FakeHub) -> None:
    rev = "0123456789abcdef0123456789abcdef01234567"
    hub.json(f"/api/models/acme/tiny-llm/revision/{rev}", {"safetensors": {"total": 5_000_000}})
    hub.json(f"/acme/tiny-llm/resolve/{rev}/config.json", TINY_CONFIG)
    shape = model_shape(f"acme/tiny-llm@{rev}")
    assert (shape.repo, shape.source, shape.params, shape.layers) == ("acme/tiny-llm", "hub", 5e6, 6)


def test_the_module_constant_points_at_the_hub_when_the_env_is_unset(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODALGEN_HUB_URL")
    monkeypatch.setattr(hub_module, "HUB_URL", hub.url)
    hub.json("/api/models/acme/x", {"safetensors": {"total": 9_000_000}})
    assert model_shape("acme/x").source == "hub"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"safetensors": {"total": "many"}}', b'{"safetensors": {"total": 12}}'],
)
def test_bad_hub_answers_fall_back_silently(hub: FakeHub, body: bytes) -> None:
    hub.routes["/api/models/acme/thing-3B"] = (200, body)
    shape = model_shape("acme/thing-3B")
    assert (shape.source, shape.params) == ("name", 3e9)
    assert hub.requests[0] == "/api/models/acme/thing-3B"


def test_a_missing_repo_on_the_hub_does_not_try_the_config(hub: FakeHub) -> None:
    shape = model_shape("Qwen/Qwen2.5-7B-Instruct")  # the fake hub answers 404
    assert (shape.source, shape.layers) == ("known", 28)
    assert hub.requests == ["/api/models/Qwen/Qwen2.5-7B-Instruct"]


@pytest.mark.parametrize(
    ("env", "hub_arg"),
    [
        ({"HF_HUB_OFFLINE": "1"}, True),
        ({"MODALGEN_OFFLINE": "1"}, True),
        ({"HF_HUB_OFFLINE": "TRUE"}, True),
        ({}, False),
    ],
)
def test_offline_switches_skip_the_network(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], hub_arg: bool
) -> None:
    hub.json("/api/models/acme/tiny-llm-1B", {"safetensors": {"total": 123_456_789}})
    hub.json("/acme/tiny-llm-1B/resolve/main/config.json", TINY_CONFIG)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shape = model_shape("acme/tiny-llm-1B", hub=hub_arg)
    assert (shape.source, shape.params, shape.layers) == ("name", 1e9, None)
    assert hub.requests == []


def test_the_fake_hub_is_really_reachable(hub: FakeHub) -> None:
    """Guards the offline test above: its empty request log means something only if requests arrive."""
    hub.json("/api/models/acme/tiny-llm-1B", {"safetensors": {"total": 123_456_789}})
    assert model_shape("acme/tiny-llm-1B").source == "hub"
    assert hub.requests[0] == "/api/models/acme/tiny-llm-1B"


# --------------------------------------------------------------------------------------------------
# An unreachable Hub returns within about the timeout


def _timed_shape(repo: str, timeout: float) -> tuple[ModelShape, float]:
    start = time.monotonic()
    shape = model_shape(repo, timeout=timeout)
    return shape, time.monotonic() - start


def test_a_closed_port_returns_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODALGEN_OFFLINE")
    monkeypatch.setenv("MODALGEN_HUB_URL", f"http://127.0.0.1:{_closed_port()}")
    shape, elapsed = _timed_shape("acme/thing-3B", timeout=2.0)
    assert (shape.source, shape.params) == ("name", 3e9)
    assert elapsed < SLACK_S


def test_a_server_that_never_answers_is_given_up_on_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as listener:  # the kernel completes the handshake; nobody ever answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        monkeypatch.delenv("MODALGEN_OFFLINE")
        monkeypatch.setenv("MODALGEN_HUB_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
        shape, elapsed = _timed_shape("Qwen/Qwen2.5-7B-Instruct", timeout=0.5)
    assert (shape.source, shape.layers) == ("known", 28)
    assert elapsed < 0.5 + SLACK_S


def test_a_lookup_stuck_outside_urllibs_timeout_is_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS resolution is not covered by urllib's timeout; the look-up must still end on time."""
    release = threading.Event()
    called = threading.Event()

    def stuck(*args: object, **kwargs: object) -> None:
        called.set()
        release.wait(10)
        raise OSError("resolver gave up")

    monkeypatch.delenv("MODALGEN_OFFLINE")
    monkeypatch.setattr(urllib.request, "urlopen", stuck)
    try:
        shape, elapsed = _timed_shape("acme/thing-3B", timeout=0.5)
    finally:
        release.set()
    assert called.is_set()
    assert shape.source == "name"
    assert elapsed < 0.5 + SLACK_S


# --------------------------------------------------------------------------------------------------
# The model's context and kind: from its config on the Hub, else the table of known models


def test_known_models_have_their_configs_context_and_kind() -> None:
    for repo, shape in KNOWN.items():
        assert shape.kind in {"causal LM", "encoder", "diffusion pipeline"}, repo
        assert (shape.context is None) == (shape.kind == "diffusion pipeline"), repo
    contexts = {
        r: KNOWN[r.lower()].context
        for r in (
            "Qwen/Qwen2.5-1.5B-Instruct",
            "Qwen/Qwen2.5-7B",
            "meta-llama/Llama-3.1-70B-Instruct",
            "BAAI/bge-small-en-v1.5",
        )
    }
    assert contexts == {
        "Qwen/Qwen2.5-1.5B-Instruct": 32768,
        "Qwen/Qwen2.5-7B": 131072,
        "meta-llama/Llama-3.1-70B-Instruct": 131072,
        "BAAI/bge-small-en-v1.5": 512,
    }
    assert (KNOWN["baai/bge-small-en-v1.5"].kind, KNOWN["stabilityai/sd-turbo"].kind) == (
        "encoder", "diffusion pipeline")  # fmt: skip


def test_a_max_model_len_beyond_the_known_context_is_refused_with_both_numbers() -> None:
    shape = model_shape("Qwen/Qwen2.5-1.5B-Instruct")  # offline: the table
    with pytest.raises(SizingError) as err:
        memory_need(shape, stack="vllm", max_model_len=65536)
    assert err.value.field == "--max-model-len" and err.value.value == 65536
    assert err.value.allowed == (
        "at most 32768, the context of Qwen/Qwen2.5-1.5B-Instruct"
        " (its config.json, in modalgen's table of known models)"
    )
    assert memory_need(shape, stack="vllm", max_model_len=32768).max_model_len == 32768


def test_an_unknown_context_accepts_any_max_model_len_in_range() -> None:
    shape = model_shape("acme/mystery-8B")
    assert shape.context is None
    assert memory_need(shape, stack="vllm", max_model_len=1_048_576).max_model_len == 1_048_576


def test_the_stacks_default_context_is_capped_at_the_models() -> None:
    """vLLM refuses a --max-model-len beyond the model's own at startup: the default never asks it."""
    short = dataclasses.replace(KNOWN["qwen/qwen2.5-7b-instruct"], context=2048)
    assert memory_need(short, stack="vllm").max_model_len == 2048
    assert memory_need(KNOWN["qwen/qwen2.5-7b-instruct"], stack="vllm").max_model_len == 8192


@pytest.mark.parametrize(
    ("config", "context"),
    [
        ({"max_position_embeddings": 4096}, 4096),
        ({"n_positions": 1024}, 1024),  # GPT-2's name for it
        ({"max_position_embeddings": 4096, "seq_length": 2048}, 2048),  # the smallest given wins, as in vLLM
        ({"max_position_embeddings": 4096, "rope_scaling": {"type": "linear", "factor": 2.0}}, 8192),
        (
            {"max_position_embeddings": 32768,
             "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}},
            131072,
        ),
        # llama3 rope: max_position_embeddings is already the stretched length
        ({"max_position_embeddings": 131072, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, 131072),
        ({"max_position_embeddings": 8192, "rope_parameters": {"rope_type": "default"}}, 8192),
        ({"text_config": {**TINY_CONFIG, "max_position_embeddings": 16384}}, 16384),  # multimodal
        ({}, None),
    ],
)  # fmt: skip
def test_the_context_is_read_from_the_config_as_vllm_reads_it(hub: FakeHub, config: dict, context) -> None:
    hub.json("/api/models/acme/tiny-llm-1B", {"safetensors": {"total": 1_000_000_000}})
    body = config if "text_config" in config else {**TINY_CONFIG, **config}
    hub.json("/acme/tiny-llm-1B/resolve/main/config.json", body)
    shape = model_shape("acme/tiny-llm-1B")
    assert (shape.context, shape.context_from) == (context, "its config.json" if context else None)


def test_the_hubs_config_wins_over_the_table_in_one_request_each(hub: FakeHub) -> None:
    repo = "Qwen/Qwen2.5-7B-Instruct"
    hub.json(f"/api/models/{repo}", {"safetensors": {"total": 7_615_616_512}})
    config = {**TINY_CONFIG, "max_position_embeddings": 65536, "architectures": ["Qwen2ForCausalLM"]}
    hub.json(f"/{repo}/resolve/main/config.json", config)
    shape = model_shape(repo)
    assert (shape.context, shape.context_from, shape.kind) == (65536, "its config.json", "causal LM")
    assert shape.kind_from == "Qwen2ForCausalLM in its config.json"
    assert hub.requests == [f"/api/models/{repo}", f"/{repo}/resolve/main/config.json"]
    assert memory_need(shape, stack="vllm", max_model_len=65536).max_model_len == 65536


@pytest.mark.parametrize(
    ("architectures", "kind"),
    [
        (["LlamaForCausalLM"], "causal LM"),
        (["GPT2LMHeadModel"], "causal LM"),
        (["BertModel"], "encoder"),
        (["XLMRobertaModel"], "encoder"),
        (["MPNetForMaskedLM"], "encoder"),
        (["Qwen2VLForConditionalGeneration"], None),  # vision-language or seq2seq: not judged
        (["XLMRobertaForSequenceClassification"], None),
        ("BertModel", None),  # not a list
        ([], None),
    ],
)
def test_the_kind_is_read_from_the_configs_architectures(hub: FakeHub, architectures, kind) -> None:
    hub.json("/api/models/acme/thing-1B", {"safetensors": {"total": 1_000_000_000}})
    hub.json("/acme/thing-1B/resolve/main/config.json", {**TINY_CONFIG, "architectures": architectures})
    assert model_shape("acme/thing-1B").kind == kind


def test_a_diffusers_pipeline_is_known_by_its_model_index_in_the_model_info(hub: FakeHub) -> None:
    files = [{"rfilename": "model_index.json"}, {"rfilename": "unet/config.json"}]
    hub.json("/api/models/acme/painter-1B", {"safetensors": {"total": 1_000_000_000}, "siblings": files})
    shape = model_shape("acme/painter-1B")  # no config.json at the root: 404
    assert (shape.kind, shape.kind_from) == ("diffusion pipeline", "its model_index.json")
    assert (shape.context, shape.layers) == (None, None)


def test_a_gated_config_takes_the_kind_from_the_model_infos_copy(hub: FakeHub) -> None:
    info = {"safetensors": {"total": 8_000_000_000}, "config": {"architectures": ["BertModel"]}}
    hub.json("/api/models/acme/gated-8B", info)
    hub.json("/acme/gated-8B/resolve/main/config.json", {"error": "gated"}, status=401)
    assert model_shape("acme/gated-8B").kind == "encoder"


def test_offline_the_kind_comes_from_the_table_and_unknown_stays_unknown() -> None:
    assert model_shape("stabilityai/sd-turbo").kind == "diffusion pipeline"
    assert model_shape("BAAI/bge-small-en-v1.5", params="33M").kind == "encoder"
    assert model_shape("acme/thing-3B").kind is None


def test_gpus_model_lists_one_gpu_shapes_for_a_stack_that_does_not_split_a_model() -> None:
    """`modalgen gpus --model`: what a one-GPU stack can use; vllm's tensor parallelism, several."""
    from modalgen.answers.spec import Spec
    from modalgen.plan import build as plan

    def rows(stack: str) -> list[tuple[str, int]]:
        spec = Spec(name="x", stack=stack, hf_model="meta-llama/Llama-3.1-70B-Instruct")
        return [(r["gpu"], r["count"]) for r in plan.fitting_shapes(spec, plan.model_need(spec))]

    assert rows("transformers") == [("B200", 1), ("B200+", 1)]  # 141 GB of weights: one B200 alone
    assert ("H200", 2) in rows("vllm") and ("L4", 8) in rows("vllm")
