"""Images: bases, CUDA images, container Pythons, pins and the environment an image may not set."""

from __future__ import annotations

from modalgen.catalog.stacks import PYARROW, TORCH, Proven, Stack

# ---------------------------------------------------------------------------------------------
# Images

BASES: dict[str, str] = {
    "debian-slim": "modal.Image.debian_slim: small, fast to build",
    "cuda": "NVIDIA's CUDA devel image (nvcc, cuDNN headers) via Image.from_registry",
}
DEFAULT_BASE = "debian-slim"
# The CUDA image of `--base cuda` must match the CUDA the image's torch was built for: torch's
# kernels and NCCL come with its wheel, and a devel image of another CUDA major gives nvcc and
# headers that do not match them (custom kernels, flash-attention builds, vLLM's JIT).
# The CUDA each torch pin's Linux x86_64 wheel on PyPI is built for: its `cuda-toolkit==13.0.x`
# requirement, read from PyPI's metadata of the cp312 manylinux wheels on 2026-12-02.
TORCH_CUDA: dict[str, str] = {"2.11.0": "13.0", "2.13.0": "13.0", "2.14.0": "13.0"}
# The torch each vLLM pin installs (its `torch==` requirement on PyPI): vllm 0.33.0 pins torch 2.14.0.
VLLM_TORCH: dict[str, str] = {"0.33.0": "2.14.0"}
CUDA_IMAGES: dict[str, str] = {"13.0": "nvidia/cuda:13.0.2-devel-ubuntu24.04"}
DEFAULT_CUDA = "13.0"  # a project without torch (plain): the CUDA of the torch modalgen pins


def stack_torch(stack: Stack) -> str | None:
    """The torch version a stack's image installs: pinned itself, or pinned by its vLLM."""
    for requirement in stack.packages:
        name, _, version = requirement.partition("==")
        if name == "torch":
            return version
        if name == "vllm":
            return VLLM_TORCH[version]
    return None


def cuda_image(stack: Stack) -> str:
    """The CUDA devel image for a stack: the CUDA its torch was built for."""
    torch = stack_torch(stack)
    return CUDA_IMAGES[TORCH_CUDA[torch] if torch else DEFAULT_CUDA]


# The container Pythons each image builder version supports (modal 1.6.4's
# `modal._image.SUPPORTED_PYTHON_SERIES`; debian_slim refuses free-threaded builds). The project pins
# its builder version in the Makefile (MODAL_IMAGE_BUILDER_VERSION), so the check below holds
# whatever the workspace's setting is.
IMAGE_BUILDERS: dict[str, tuple[str, ...]] = {
    "2025.06": ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"),
    "2026.10": ("3.11", "3.12", "3.13", "3.14", "3.15"),
}
DEFAULT_IMAGE_BUILDER = "2026.10"
CONTAINER_PYTHONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
DEFAULT_PYTHON = "3.12"

# Pins of what modalgen's own code in the image needs (checked against the versions these
# templates were tested with: see tests/test_generated_projects.py).
MODAL_MINOR = "1.6"
MODAL_PROVEN = Proven(
    "2026-12-03",
    "modal 1.6.4, the newest 1.6 on PyPI (uv.lock of modalgen)",
    "every generated app imported and checked by the real client, and driven through the real `modal` CLI "
    "against a local control plane, in modalgen's CI",
)
PINS: dict[str, str] = {
    "fastapi": "fastapi[standard]==0.165.0",
    "flask": "flask==3.1.3",
    "huggingface_hub": "huggingface-hub==2.4.0",
    "torch": TORCH,  # the train workload's loop, on any stack; a torch stack's own pin is the same
    "bitsandbytes": "bitsandbytes==0.50.2",  # QLoRA's 4-bit weights (its newest on PyPI, 2026-08)
    "pyarrow": PYARROW,  # a fine-tune's Hub dataset, where it comes as Parquet
}
# What a --train-method needs in the image beyond the stack's pins (keys of PINS).
TRAIN_METHOD_PACKAGES: dict[str, tuple[str, ...]] = {"qlora": ("bitsandbytes",)}

# Environment variables a project may not set in its image: each would break the container
# (where Python and modal look for code and config) or collide with Modal's own.
FORBIDDEN_ENV = ("PATH", "PYTHONPATH", "HOME", "PYTHONHOME", "LD_LIBRARY_PATH", "LD_PRELOAD")
FORBIDDEN_ENV_PREFIXES = ("MODAL_",)
