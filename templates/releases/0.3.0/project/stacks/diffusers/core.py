{% import "stacks/parts.jinja" as parts with context %}
"""The core: text-to-image with diffusers, a PNG per prompt, in plain Python.

Modal runs this code on the hardware each function was planned with; the tests run it on a CPU:
`make test` with a small fake engine in place of the pipeline, `make test-model` with a tiny real
one built offline. The pipeline loads once per container from the huggingface-cache Volume, never
from the network (`make download` puts it there). Heavy imports (torch, diffusers) stay inside
the functions that use them, so importing this module stays cheap everywhere.

Every result says where it ran (`device`): the smoke tests compare it with the GPU type and count
each function was configured with. HTTP endpoints send the PNG as the body and the device in an
`X-Device` header.
"""

import functools
import importlib
import os
import shutil
import subprocess

{{ parts.model_constants() }}
# Distilled "turbo" models (sd-turbo) make a 512 px image in 1 to 4 steps, without guidance.
SIZE = 512  # pixels, width and height: a multiple of 8
STEPS = 4
GUIDANCE = 0.0  # turbo models are trained without classifier-free guidance; SD 1.5-style: 7.5


{{ parts.device_functions() }}


def default_dtype(device: str) -> str:
    """fp16 on a GPU (what Stable Diffusion checkpoints are made for), fp32 on a CPU."""
    return "float16" if device.startswith("cuda") else "float32"


class TextToImage:
    """The engine: a diffusers pipeline (text encoder, denoiser, VAE, scheduler)."""

    def __init__(self, pipe):
        self.pipe = pipe
        pipe.set_progress_bar_config(disable=True)  # no progress bars in container logs

    def to(self, device: str) -> "TextToImage":
        self.pipe.to(device)  # the dtype was chosen at load time
        return self

    def generate(self, prompt: str, size: int, steps: int) -> dict:
        import io

        import torch

        with torch.inference_mode():  # no autograd bookkeeping while serving
            image = self.pipe(
                prompt,
                height=size,
                width=size,
                num_inference_steps=steps,
                guidance_scale=GUIDANCE,
            ).images[0]
        png = io.BytesIO()
        image.save(png, format="PNG")
        return {"png": png.getvalue(), "width": image.width, "height": image.height}


{{ parts.hub_offline() }}


def load_engine(device: str, target: str | None = None) -> TextToImage:
    """The pinned pipeline from the cache Volume, for `device` (and in the dtype `target` wants).

    CORE_ENGINE=module:function names another engine factory: the tests' fake (`make test`).
    """
    if os.environ.get("CORE_ENGINE"):
        module, _, name = os.environ["CORE_ENGINE"].partition(":")
        return getattr(importlib.import_module(module), name)(device, target)
    hub_offline()
    import torch
    from diffusers import DiffusionPipeline

    dtype = getattr(torch, default_dtype(target or device))
    try:
        pipe = DiffusionPipeline.from_pretrained(
            MODEL_REPO,
            revision=MODEL_REVISION,
            cache_dir=HF_HUB_CACHE,
            local_files_only=True,
            dtype=dtype,  # diffusers 0.42 spells it dtype=, not torch_dtype=
        )
    except OSError as exc:
        missing = f"{MODEL_REPO}@{MODEL_REVISION} is not in {HF_HUB_CACHE}: run `make download`"
        raise RuntimeError(missing) from exc
    return TextToImage(pipe).to(device)


class Model:
    """What the functions call: the engine (the real pipeline, or a test's fake) and where it runs."""

    def __init__(self, engine):
        self.engine = engine

    def to(self, device: str) -> "Model":
        self.engine.to(device)
        return self

    def __call__(self, prompt: str) -> dict:
        return {**self.engine.generate(prompt, size=SIZE, steps=STEPS), "device": device_report()}

    def batch(self, prompts: list[str]) -> list[dict]:
        # One image at a time: a batch holds every image's activations on the GPU at once.
        return [self(prompt) for prompt in prompts]


def load_model(device: str | None = None, target: str | None = None) -> Model:
    """Load the pipeline onto `device` (default: the best this container has).

    A memory snapshot loads on the CPU and moves the pipeline to the GPU after the restore; `target`
    is where it will run, for the dtype (fp16 on a GPU, not fp32).
    """
    return Model(load_engine(device or best_device(), target))


@functools.cache
def model() -> Model:
    """The pipeline, loaded once per container, for functions that have no @modal.enter."""
    return load_model()


def process(prompt: str) -> dict:
    """One image from this container's pipeline: the PNG, its width and height, the device."""
    return model()(prompt)
