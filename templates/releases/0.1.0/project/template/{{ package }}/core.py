"""The GPU core: the work itself, in plain Python.

Modal runs this code on the GPU the project asked for; the tests run the very same code on a CPU.
Replace `process` with your model. Keep heavy imports (torch, vllm) inside the functions that use
them, so that importing this module stays cheap everywhere.
"""

import shutil
import subprocess


def device_report() -> dict:
    """The GPUs this container can see, as nvidia-smi names them; none on a CPU."""
    if shutil.which("nvidia-smi") is None:
        return {"gpus": [], "count": 0}
    listing = subprocess.run(
        ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    gpus = [line.strip() for line in listing.splitlines() if line.strip()]
    return {"gpus": gpus, "count": len(gpus)}


def load_model():
    """Load the model, once per container. A stand-in that returns the function doing the work.

    Real code loads weights here (from the image or a Volume) and returns the model object.
    """
    return process


def process(text: str) -> dict:
    """One unit of work. A stand-in for your model: a deterministic summary of the text."""
    words = text.split()
    return {"input": text, "words": len(words), "chars": len(text)}
