"""`make test-model MODEL_RUN="python tests/zygote_pytest.py"`: the recipe's `pytest ARGS`, run in a
child of a zygote of tests/suite_runner.py (its socket in MODALGEN_ZYGOTE) instead of a fresh Python
that imports torch again. The make target, its recipe and the project's suite are what a user runs;
only the interpreter's start is shared. Standard library only (and suite_runner_client, beside it,
which is too): it runs under any Python.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from suite_runner_client import run_in  # this file's folder is first on sys.path


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "pytest":
        print(f"zygote_pytest: runs `pytest ARGS`, not {argv}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="zygote-pytest-") as folder:
        out, err = (os.path.join(folder, name) for name in ("out", "err"))
        request = {"cwd": os.getcwd(), "env": dict(os.environ), "args": argv[1:], "out": out, "err": err}
        code = run_in(os.environ["MODALGEN_ZYGOTE"], request)
        sys.stdout.write(Path(out).read_text(encoding="utf-8", errors="replace"))
        sys.stderr.write(Path(err).read_text(encoding="utf-8", errors="replace"))
    return code if code >= 0 else 1  # no code: the child died of a signal


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
