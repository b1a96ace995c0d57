"""Start the zygotes of tests/suite_runner.py (one per Python environment, in this test worker)
and run a generated project's pytest in a child of one, as `subprocess.run` would report it."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

RUNNER = Path(__file__).resolve().parent / "suite_runner.py"
_zygotes: dict[tuple[str, str], str] = {}  # (python, PYTHONPATH) -> its socket
_lock = threading.Lock()


def zygote(python: str, env: dict[str, str]) -> str:
    """The socket of the zygote for `python`, started on first use with `env`'s PYTHONPATH (its
    sys.path is every child's) and no Modal config file (modal reads it when imported)."""
    key = (python, env.get("PYTHONPATH", ""))
    with _lock:
        if key not in _zygotes:
            folder = tempfile.mkdtemp(prefix="mg-zyg-")
            path = os.path.join(folder, "s")
            start = {**env, "MODAL_CONFIG_PATH": os.path.join(folder, "no-modal.toml")}
            process = subprocess.Popen([python, str(RUNNER), path], env=start, stdout=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL, cwd=folder)  # fmt: skip
            assert process.stdout.readline().strip() == b"ready", "the suite zygote did not start"
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            atexit.register(process.kill)  # runs first: atexit calls in reverse order
            _zygotes[key] = path
        return _zygotes[key]


def run_pytest(python: str, cwd: Path, env: dict[str, str], args: list[str], tmp: Path,
               timeout: float) -> subprocess.CompletedProcess:  # fmt: skip
    """`python -m pytest ARGS` in `cwd` with `env`, in a child of the zygote."""
    assert not Path(env.get("MODAL_CONFIG_PATH", "")).exists(), "a Modal config is read at import"
    out, err = (tempfile.mktemp(prefix=f"pytest-{name}-", dir=tmp) for name in ("out", "err"))
    request = {"cwd": str(cwd), "env": env, "args": args, "out": out, "err": err}
    try:
        code = run_in(zygote(python, env), request, timeout)
    except TimeoutError:
        raise subprocess.TimeoutExpired([python, "-m", "pytest", *args], timeout) from None
    stdout, stderr = (Path(p).read_text(encoding="utf-8", errors="replace") for p in (out, err))
    return subprocess.CompletedProcess([python, "-m", "pytest", *args], code, stdout, stderr)


def run_in(path: str, request: dict, timeout: float | None = None) -> int:
    """The protocol's client: `request` ({cwd, env, args, out, err}) run in a child of the zygote
    listening at `path`; its exit code, -9 where it died of a signal. Past `timeout` the child's
    process group is killed and TimeoutError raised. Standard library only (tests/zygote_pytest.py
    imports it under any Python)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        conn.settimeout(timeout)
        answers = conn.makefile("rb")
        pid = int(answers.readline())
        try:
            line = answers.readline()
        except TimeoutError:
            os.killpg(pid, signal.SIGKILL)
            raise
    return int(line) if line.strip() else -9  # no code: the child died (a signal)
