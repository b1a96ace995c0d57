"""The model stacks' real code on a real GPU: a check for a machine with one (not part of CI).

Here: `python benchmarks/stacks_on_gpu.py render device-projects` renders one project per model
stack (vLLM aside: its 336 MB wheel does not travel to the GPU machine) and appends to each
project's tests/test_model.py one test that loads the project's tiny offline model with
`core.load_model()` on the best device, times the load, the first answer and 20 more, and
checks what `nvidia-smi` reports against the project's own `modal_rules.device_mismatch` for
several configurations. On the GPU machine, each project runs `pytest -m model`: every model
test, with `core.process` going to the GPU by itself (best_device), and the appended one.
Results land as JSON in $OUT.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STACKS = ("torch", "transformers", "embeddings", "diffusers")

GPU_TEST = '''

def test_on_this_gpu(tiny):
    """Appended by benchmarks/stacks_on_gpu.py: the stack's real code on this machine's GPU."""
    import json
    import os
    import time

    import torch
    from modal_rules import device_mismatch

    assert torch.cuda.is_available() and core.best_device() == "cuda"
    start = time.perf_counter()
    model = core.load_model()
    torch.cuda.synchronize()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    first = model(EXAMPLE)
    torch.cuda.synchronize()
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(20):
        model(EXAMPLE)
    torch.cuda.synchronize()
    per_call_ms = (time.perf_counter() - start) / 20 * 1000
    device = first["device"]
    configs = ["H100", "H100!", "H200", "A100-80GB", "L4"]
    report = {
        "stack": STACK,
        "device": device,
        "torch": torch.__version__,
        "load_s": round(load_s, 3),
        "first_answer_s": round(first_s, 3),
        "per_answer_ms": round(per_call_ms, 2),
        "mismatch": {cfg: device_mismatch([(cfg, 1)], device) for cfg in configs},
    }
    with open(os.path.join(os.environ.get("OUT", "."), f"{STACK}.json"), "w") as out:
        json.dump(report, out, indent=2)
    assert device["count"] >= 1
'''


def render(folder: Path) -> None:
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render as render_project

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for stack in STACKS:
        project = render_project(
            parse_spec({"name": f"gpu-{stack}", "stack": stack, "gpu": ["H100"], "workload": ["service"]}),
            folder / f"gpu-{stack}",
        )
        test_model = project / "tests/test_model.py"
        text = test_model.read_text()
        example = "EXAMPLE" if "EXAMPLE" in text.split("\ndef ", 1)[0] else None
        header = "" if example else "from conftest import EXAMPLE\n"
        test_model.write_text(text + f"\n{header}STACK = {stack!r}\n" + GPU_TEST)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "render":
        sys.exit(f"usage: python {sys.argv[0]} render FOLDER")
    render(Path(sys.argv[2]))
