"""With `-p tiny_model` beside the stand-in: the smoke tests run the stack's real code on a tiny model.

A generated project's `make test` swaps the model for a fake engine, and `make test-model` runs
the real code on a tiny model built offline, but neither goes through Modal's lifecycle. Here the
smoke tests do both: every function and class loads the tiny model the project's own
tests/test_model.py builds (laid out as the cache Volume), through the stand-in's containers,
snapshot phases included. That is where a CUDA query before a memory snapshot shows, in the real
torch and transformers code.

The torch here is a CPU build, so the CPU stands in for the GPU: `core.best_device()` answers
"cpu" while nvidia-smi still shows each function's configured GPUs.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _tiny_cache(tmp_path_factory):
    """The tiny model in a cache laid out as the Volume; None where the core loads no weights (a
    torch module built from its config)."""
    import test_model  # the project's tests/ folder is on sys.path, as for its conftest

    if not hasattr(test_model, "lay_out_tiny_cache"):
        return test_model, None
    cache = tmp_path_factory.mktemp("hf-hub-cache")
    test_model.lay_out_tiny_cache(cache, tmp_path_factory.mktemp("tiny-model"))
    return test_model, cache


@pytest.fixture(autouse=True)
def _real_engine(fake_engine, _tiny_cache, monkeypatch):
    """After the project's `fake_engine` fixture: the real engine, on the tiny model."""
    test_model, cache = _tiny_cache
    core = test_model.core
    monkeypatch.delenv("CORE_ENGINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if cache is not None:
        patches = {"MODEL_REPO": test_model.TINY_REPO, "MODEL_REVISION": test_model.TINY_REVISION,
                   "HF_HUB_CACHE": str(cache), **getattr(test_model, "TINY_PATCHES", {})}  # fmt: skip
        for attr, value in patches.items():
            monkeypatch.setattr(core, attr, value)
    monkeypatch.setattr(core, "best_device", lambda: "cpu")
    core.model.cache_clear()
    yield
    core.model.cache_clear()
