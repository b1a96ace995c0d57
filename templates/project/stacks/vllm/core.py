{% import "stacks/parts.jinja" as parts with context %}
"""The core: an LLM behind vLLM's OpenAI-compatible server (`vllm serve`), and a client for it.

vLLM runs as its own process, as in Modal's vLLM example, with the weights from the
huggingface-cache Volume, never the network. vLLM does not run on a CPU: `make test` uses a fake
engine, `make test-model` a local OpenAI-compatible stand-in. Only the standard library and httpx
(imported where used). Every result says where it ran (`device`), for the smoke tests.
"""

import atexit
import functools
import importlib
import json
import os
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

{{ parts.model_constants() }}
VLLM_COMMAND = ["vllm", "serve"]
SERVED_NAME = "llm"  # the name clients send as "model"
{% if plan.model.max_model_len %}
MAX_MODEL_LEN = {{ plan.model.max_model_len }}  # tokens: the context the GPUs were sized for (KV cache included)
{% endif %}
{% set server = (plan.functions | selectattr("server") | first).server %}
GPU_MEMORY_UTILIZATION = 0.90  # the share of each GPU's memory vLLM takes (the sizing assumed 0.90)
STARTUP_TIMEOUT = {{ server.startup_timeout }}  # seconds: vLLM loads the weights and compiles before it answers
{% if server.fast_boot %}
# The app scales from zero, so replicas boot often: skip CUDA graph capture (--enforce-eager) to
# start faster, at some cost in tokens/s. With warm replicas (min_containers), capture them.
FAST_BOOT = True
{% else %}
# Replicas stay warm (min_containers), so boots are rare: capture CUDA graphs for faster tokens,
# at a slower start. Scaling from zero, --enforce-eager (FAST_BOOT = True) boots faster.
FAST_BOOT = False
{% endif %}
MAX_TOKENS = 128


{{ parts.device_functions() }}


def serve_command(port: int, tensor_parallel: int = 1) -> list[str]:
    """`vllm serve` for the pinned model on every interface, split over `tensor_parallel` GPUs."""
    return [
        *VLLM_COMMAND, MODEL_REPO,
        "--revision", MODEL_REVISION,
        "--served-model-name", SERVED_NAME,
        "--host", "0.0.0.0",  # Modal's proxy reaches the container, not its localhost
        "--port", str(port),
        "--tensor-parallel-size", str(tensor_parallel),
{% if plan.model.max_model_len %}
        "--max-model-len", str(MAX_MODEL_LEN),
{% endif %}
        "--gpu-memory-utilization", str(GPU_MEMORY_UTILIZATION),
        "--enforce-eager" if FAST_BOOT else "--no-enforce-eager",
    ]  # fmt: skip


def serve_env() -> dict:
    """The server's environment: weights from the cache Volume only, never the Hub."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": HF_HUB_CACHE}


def wait_ready(base_url: str, timeout: float = STARTUP_TIMEOUT, proc=None, headers=None) -> None:
    """Wait until GET /health answers 200.

    A refused connection or a 503 means "not yet": vLLM is still loading, or Modal has no live
    container yet. If `proc` (the server's Popen) exits first, fail at once instead of waiting.
    """
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before it was ready")
        try:
            response = httpx.get(f"{base_url.rstrip('/')}/health", headers=headers, timeout=10)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base_url} was not ready within {timeout:.0f} s")
        time.sleep(0.5)


def chat(
    base_url: str,
    prompt: str,
    *,
    headers: dict | None = None,
    max_tokens: int = MAX_TOKENS,
    stream: bool = False,
) -> dict:
    """One reply from the server's /v1/chat/completions: its text and the tokens generated.

    With `stream=True` the reply arrives piece by piece (Server-Sent Events), as a chat UI shows it.
    """
    import httpx

    url = f"{base_url.rstrip('/')}/v1/chat/completions"
    body = {
        "model": SERVED_NAME,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
    }
    if not stream:
        response = httpx.post(url, json=body, headers=headers, timeout=STARTUP_TIMEOUT)
        response.raise_for_status()
        answer = response.json()
        text = answer["choices"][0]["message"]["content"] or ""
        return {"text": text, "tokens": answer["usage"]["completion_tokens"]}
    # The last event then carries the token count, however the server split the text.
    options = {"include_usage": True}
    body |= {"stream": True, "stream_options": options}
    pieces, usage = [], None
    with httpx.stream("POST", url, json=body, headers=headers, timeout=STARTUP_TIMEOUT) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators and keep-alive comments
            data = line.removeprefix("data:").strip()
            if data == "[DONE]":
                break
            event = json.loads(data)
            if "error" in event:  # an error after the 200 arrives in the stream
                raise RuntimeError(event["error"])
            usage = event.get("usage") or usage  # the last event, when the server counts
            for choice in event.get("choices", []):
                if piece := (choice.get("delta") or {}).get("content"):
                    pieces.append(piece)  # the first event carries only the role
    tokens = usage["completion_tokens"] if usage else len(pieces)
    return {"text": "".join(pieces), "tokens": tokens}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VLLMServer:
    """The engine: a `vllm serve` process on this container's GPUs, and the client that calls it."""

    def __init__(self, process: subprocess.Popen, base_url: str):
        self.process = process
        self.base_url = base_url

    def to(self, device: str) -> "VLLMServer":
        return self  # vLLM places the weights itself, on the GPUs it was started with

    def chat(self, prompt: str, max_tokens: int = MAX_TOKENS) -> dict:
        return chat(self.base_url, prompt, max_tokens=max_tokens)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def load_engine(device: str, target: str | None = None) -> VLLMServer:
    """`vllm serve` for the pinned model from the cache Volume, on every GPU of this container.

    vLLM chooses the device and dtype itself: `device` and `target` change nothing.
    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    repo_dir = Path(HF_HUB_CACHE) / ("models--" + MODEL_REPO.replace("/", "--"))
    ref = repo_dir / "refs" / MODEL_REVISION  # a branch name: the commit downloaded for it
    commit = ref.read_text().strip() if ref.is_file() else MODEL_REVISION
    if not (repo_dir / "snapshots" / commit).is_dir():
        # Checked here: vLLM offline would fail too, but only after starting up.
        missing = f"{MODEL_REPO}@{MODEL_REVISION} is not in {HF_HUB_CACHE}: run `make download`"
        raise RuntimeError(missing)
    port = free_port()
    command = serve_command(port, tensor_parallel=max(device_report()["count"], 1))
    engine = VLLMServer(subprocess.Popen(command, env=serve_env()), f"http://127.0.0.1:{port}")
    atexit.register(engine.close)  # the server goes when this process does
    try:
        wait_ready(engine.base_url, proc=engine.process)
    except BaseException:
        engine.close()
        raise
    return engine


class Model:
    """What the functions call: the engine (vLLM, or a test's fake) and where it runs."""

    def __init__(self, engine):
        self.engine = engine

    def to(self, device: str) -> "Model":
        self.engine.to(device)
        return self

    def __call__(self, prompt: str) -> dict:
        return {**self.engine.chat(prompt), "device": device_report()}

    def batch(self, prompts: list[str]) -> list[dict]:
        # All at once: vLLM batches the requests it holds together (continuous batching).
        with ThreadPoolExecutor(max_workers=max(len(prompts), 1)) as pool:
            return list(pool.map(self, prompts))


def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Start the model's server (default: on the GPUs this container has) and wait until it answers."""
    return Model(load_engine(device or best_device(), target))


@functools.cache
def model() -> Model:
    """The model, started once per container, for functions that have no @modal.enter."""
    return load_model()


def process(prompt: str) -> dict:
    """One answer from this container's model: the text, the tokens generated, the device."""
    return model()(prompt)
