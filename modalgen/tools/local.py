"""`modalgen bench` without a URL: the project's endpoint served on this machine.

The endpoint needs the project's packages, which modalgen does not have: serve_local.py (a
standalone script modalgen ships) runs with the project's interpreter and says where it listens.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modalgen.tools.target import Project

SCRIPT = Path(__file__).with_name("serve_local.py")


class LocalServeFailed(Exception):
    """The endpoint could not be served here: the reason, and the end of what it printed."""


def endpoint_spec(plan: Any) -> dict[str, Any]:
    """What serve_local.py serves, from the plan: the endpoint, its style, its worker."""
    bench = plan.bench
    worker = None
    if len(bench["holders"]) > 1:
        fn = next(f for f in plan.functions if f.name == bench["holders"][1]["obj"])
        worker = {"module": fn.module, "name": fn.name}
    return {
        "package": plan.package,
        "module": bench["module"],
        "endpoint": bench["endpoint"],
        "style": bench["style"],
        "worker": worker,
        "fake_engine": bool(plan.stack.get("test_packages")),
        "stream": bench["stream"],
    }


def _ready_line(process: subprocess.Popen, timeout: float) -> dict | None:
    """The line serve_local.py prints once the endpoint answers, or None if it ended first."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=min(1.0, deadline - time.monotonic())):
                continue
            line = process.stdout.readline()
            if not line:
                return None
            with contextlib.suppress(ValueError):
                found = json.loads(line)
                if isinstance(found, dict) and "url" in found:
                    return found
    return None


@contextlib.contextmanager
def serving(project: Project, python: str | None = None, timeout: float = 300) -> Iterator[tuple[str, str]]:
    """The project's endpoint on a local port, in the project's environment; yields (URL, label)."""
    spec = json.dumps(endpoint_spec(project.plan))
    command = project.command("python", str(SCRIPT), str(project.root), spec, python=python)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, cwd=project.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            ready = _ready_line(process, timeout)
            if ready is None:
                log.seek(0)
                tail = " | ".join(log.read().strip().splitlines()[-5:])
                how = " ".join(command[:3])
                raise LocalServeFailed(f"the endpoint could not be served here ({how} ...): {tail}")
            yield ready["url"], ready["label"]
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        process.stdin.close()  # serve_local.py ends when its stdin closes
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
