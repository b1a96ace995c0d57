"""A generated project's `make test` lints before it tests: a name the code uses and never defines
(a merge that dropped an import under a user's route) fails `make test`, not the deployed app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render


def _uv_stand_in(bin_dir: Path) -> None:
    """`uv run TOOL ARGS` as `python -m TOOL ARGS` in modalgen's own environment (ruff, pytest,
    modal and fastapi are there): the Makefile's recipes run as written, without a `uv sync`."""
    bin_dir.mkdir()
    uv = bin_dir / "uv"
    uv.write_text(f'#!/bin/sh\n[ "$1" = run ] || exit 99\nshift\nexec "{sys.executable}" -m "$@"\n')
    uv.chmod(0o755)


def test_make_test_fails_on_an_undefined_name_before_any_test_runs(tmp_path):
    project = render(parse_spec({"name": "linted", "workload": ["cron"]}), tmp_path / "linted")
    cron = project / "linted/cron.py"
    helper = "\n\ndef shout(text: str) -> dict:\n    return shouting.process(text)\n"
    cron.write_text(cron.read_text() + helper)
    _uv_stand_in(tmp_path / "bin")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}"
    env["MODAL_CONFIG_PATH"] = str(tmp_path / "none.toml")
    result = subprocess.run(
        ["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "F821" in output and "shouting" in output, output[-3000:]
    assert " passed" not in output  # ruff stopped it: pytest never ran
