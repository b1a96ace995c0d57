"""`make TARGET` in a generated project, its `modal` commands answered by the control plane.

A generated Makefile runs its tools as `uv run ...`, which would create and sync the project's own
environment first (minutes, and the network). Here a `uv` earlier on PATH runs the command in the
environment running the tests instead (it has the project's runtime packages: the pinned modal,
httpx), so the Makefile's recipes run as written and the `modal` they call is the real CLI. Only
`uv run` is replaced: targets that run other uv commands (`make install`) are not for this.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

UV_RUN_HERE = '#!/bin/sh\n# `uv run CMD ...` runs CMD ... here\n[ "$1" = run ] && shift\nexec "$@"\n'


def uv_shim(folder: Path) -> Path:
    """A folder holding that `uv`; put it first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    uv = folder / "uv"
    uv.write_text(UV_RUN_HERE)
    uv.chmod(0o755)
    return folder


class ProjectMake:
    def __init__(self, env: dict[str, str], shim: Path):
        path = os.pathsep.join([str(shim), str(Path(sys.executable).parent), env.get("PATH", "")])
        self.env = {**env, "PATH": path}

    def start(self, project: Path, *args: str) -> subprocess.Popen:
        """`make ARGS...` in `project`, running; in a session of its own, so that stopping it stops
        what it started too (`stop`)."""
        return subprocess.Popen(
            ["make", *args],
            cwd=project,
            env=self.env,
            stdin=subprocess.DEVNULL,  # never a terminal: as in CI, or make from a script
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    def __call__(self, project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """`make ARGS...` in `project`, to its end (killed, with what it started, after `timeout`)."""
        process = self.start(project, *args)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
