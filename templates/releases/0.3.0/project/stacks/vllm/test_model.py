"""The client path on this CPU: vLLM's command line, the readiness wait and the chat client, against
tests/fake_engine.py run as a stand-in for `vllm serve` (the same OpenAI-compatible routes).

`make test-model` runs these; `make test` skips them. vLLM itself needs a GPU: `make smoke` runs
the real server on Modal.
"""

import itertools
import subprocess
import sys
import time

import fake_engine
import pytest
from conftest import check_answer

from {{ plan.package }} import core

pytestmark = pytest.mark.model
MISSING = "the stack's packages are missing: run `make test-model`"

# The flags `vllm serve` has in vLLM 0.33 (vllm/engine/arg_utils.py, vllm/entrypoints/common/cli_args.py).
VLLM_FLAGS = {
    "--revision", "--served-model-name", "--host", "--port", "--tensor-parallel-size",
    "--max-model-len", "--gpu-memory-utilization", "--enforce-eager", "--no-enforce-eager",
}  # fmt: skip


@pytest.fixture(scope="module")
def stand_in() -> list[str]:
    """What stands in for `vllm serve`: this Python running tests/fake_engine.py."""
    pytest.importorskip("httpx", reason=MISSING)
    return [sys.executable, fake_engine.__file__, "serve"]


def start(command: list[str]) -> tuple[subprocess.Popen, str]:
    port = core.free_port()
    process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)])
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(stand_in):
    process, url = start([*stand_in, "org/model", "--served-model-name", core.SERVED_NAME])
    core.wait_ready(url, timeout=30, proc=process)
    yield url
    process.terminate()
    process.wait(timeout=10)


def command_flags(command: list[str]) -> dict:
    """A command line's --flags: each with its value, or True for a switch."""
    found = {}
    for part, following in itertools.pairwise([*command, "--"]):
        if part.startswith("--"):
            found[part] = True if following.startswith("--") else following
    return found


def test_the_command_serves_the_pinned_model_on_every_gpu():
    command = core.serve_command(8000, tensor_parallel=4)
    assert command[:3] == ["vllm", "serve", core.MODEL_REPO]
    flags = command_flags(command)
    assert set(flags) <= VLLM_FLAGS
    assert flags["--revision"] == core.MODEL_REVISION
    assert flags["--served-model-name"] == core.SERVED_NAME
    assert (flags["--host"], flags["--port"]) == ("0.0.0.0", "8000")
    assert flags["--tensor-parallel-size"] == "4"  # tensor parallel = the GPUs given
{% if plan.model.max_model_len %}
    assert flags["--max-model-len"] == str(core.MAX_MODEL_LEN)
{% endif %}
    # Scaling from zero: eager mode boots faster; with warm replicas, CUDA graphs serve faster.
    assert flags["--enforce-eager" if core.FAST_BOOT else "--no-enforce-eager"] is True
    assert all(isinstance(part, str) for part in command)  # Popen without a shell


def test_wait_ready_waits_through_503(stand_in):
    process, url = start([*stand_in, "org/model", "--startup-delay", "1"])
    try:
        started = time.monotonic()
        core.wait_ready(url, timeout=30, proc=process)
        assert time.monotonic() - started >= 0.5
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_wait_ready_fails_fast_when_the_server_exits(stand_in):
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="exited with code 3"):
        core.wait_ready(f"http://127.0.0.1:{core.free_port()}", timeout=60, proc=process)
    assert time.monotonic() - started < 5


def test_wait_ready_times_out(stand_in):
    with pytest.raises(TimeoutError):  # nothing listens there
        core.wait_ready(f"http://127.0.0.1:{core.free_port()}", timeout=1)


def test_chat_with_and_without_streaming(server):
    import httpx

    headers = {"Modal-Key": "wk-test", "Modal-Secret": "ws-test"}  # what Modal's proxy auth adds
    reply = core.chat(server, "hello big world", headers=headers)
    assert reply == {"text": "echo: hello big world", "tokens": 4}
    assert core.chat(server, "hello big world", headers=headers, stream=True) == reply
    assert core.chat(server, "hello big world", max_tokens=2, stream=True)["tokens"] == 2
    models = httpx.get(f"{server}/v1/models").json()
    assert core.SERVED_NAME in [m["id"] for m in models["data"]]


@pytest.fixture
def volume(stand_in, monkeypatch, tmp_path):
    """core.py, pointed at a cache laid out as `make download` writes it, with the stand-in as vLLM."""
    repo_dir = tmp_path / ("models--" + core.MODEL_REPO.replace("/", "--"))
    (repo_dir / "snapshots" / core.MODEL_REVISION).mkdir(parents=True)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(core.MODEL_REVISION)
    monkeypatch.setattr(core, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(core, "VLLM_COMMAND", stand_in)
    core.model.cache_clear()
    yield
    if core.model.cache_info().currsize:
        core.model().engine.close()
    core.model.cache_clear()


def test_the_engine_starts_the_server_and_chats(volume):
    model = core.load_model(device="cpu")
    try:
        assert model.engine.process.poll() is None  # `vllm serve`, running
        check_answer(model("Say hello in five words."), "Say hello in five words.")
        prompts = ["one", "two words", "and three words"]
        results = model.batch(prompts)
        for result, prompt in zip(results, prompts, strict=True):
            check_answer(result, prompt)
            assert result["text"] == f"echo: {prompt}"
        assert model.to("cuda") is model
    finally:
        model.engine.close()
    assert model.engine.process.poll() is not None


def test_process_starts_the_server_once_per_container(volume):
    first, second = core.process("hello"), core.process("again")
    check_answer(first, "hello")
    check_answer(second, "again")
    assert core.model.cache_info().misses == 1


def test_missing_weights_say_to_run_make_download(volume, monkeypatch, tmp_path):
    monkeypatch.setattr(core, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="make download"):
        core.load_model(device="cpu")
