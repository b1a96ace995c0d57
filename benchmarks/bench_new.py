"""Benchmark modalgen against named baselines; prints medians and ratios.

    uv run python benchmarks/bench_new.py [--runs 15]

Each run is a fresh process (a cold start, as a user or CI sees it), runs are interleaved so that
machine noise hits both sides alike, and the figure reported is the median. Pairs:

- `modalgen new NAME -y --no-git` against `copier copy --trust --defaults --data-file ANSWERS` of
  the very same bundled template with the very same answers (the trees are compared afterwards;
  copier computes the plan through modalgen's extension, which is what `--trust` allows);
- `modalgen --help` against `python -c "import click"`;
- `modalgen add cron` into a fresh project against `modalgen new` of the same project (add renders
  twice and merges).

Both sides run cold processes. modalgen keeps compiled templates in its cache folder
(`$XDG_CACHE_HOME/modalgen`, as Python keeps bytecode); the first, uncounted pair writes them, and
`MODALGEN_NO_CACHE=1` (`--no-cache` here) times modalgen compiling every template on every run.

Bytecode is written once before timing (as `pip install` does), even where PYTHONDONTWRITEBYTECODE
is set, so that both sides pay the same import cost.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from modalgen.answers.spec import parse_spec
from modalgen.render.template import answers_for, template_dir

BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def compare(
    name: str, ours: list[str], base: list[str], base_name: str, runs: int, work: Path, env, reset
) -> float:
    """Interleave `ours` and `base` runs; print medians and the ratio ours/base."""
    ours_t, base_t = [], []
    for i in range(runs + 1):  # the first pair warms caches and writes bytecode: not counted
        reset()
        a = timed(ours, work, env)
        reset()
        b = timed(base, work, env)
        if i:
            ours_t.append(a)
            base_t.append(b)
    mo, mb = statistics.median(ours_t), statistics.median(base_t)
    print(f"{name:<34} {mo * 1000:8.0f} ms   {base_name:<38} {mb * 1000:8.0f} ms   ratio {mo / mb:5.2f}")
    return mo / mb


def trees_equal(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(trees_equal(a / d, b / d) for d in cmp.common_dirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-cache", action="store_true", help="modalgen compiles its templates every run")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if args.no_cache:
        env["MODALGEN_NO_CACHE"] = "1"
    env["COPIER_SETTINGS_PATH"] = os.devnull
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(yaml.__file__).parents[1])],
                   env=env, stdout=subprocess.DEVNULL, check=False)  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="modalgen-bench-"))
    try:
        spec = parse_spec({"name": "demo"})
        answers = work / "answers.yml"
        answers.write_text(yaml.safe_dump(answers_for(spec)))
        ours_dir, base_dir = work / "ours", work / "copier"

        def reset():
            shutil.rmtree(ours_dir, ignore_errors=True)
            shutil.rmtree(base_dir, ignore_errors=True)

        modalgen = [str(BIN / "modalgen")]
        print(f"python {sys.version.split()[0]}, {args.runs} interleaved cold runs each, medians\n")
        r_new = compare(
            "modalgen new demo -y --no-git",
            [*modalgen, "new", "demo", "-y", "--no-git", "--output-dir", str(ours_dir)],
            [str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet", "--data-file", str(answers),
             str(template_dir()), str(base_dir / "demo")],  # fmt: skip
            "copier copy (same template, answers)", args.runs, work, env, reset,
        )  # fmt: skip
        reset()
        subprocess.run([*modalgen, "new", "demo", "-y", "--no-git", "--output-dir", str(ours_dir)],
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet", "--data-file",
                        str(answers), str(template_dir()), str(base_dir / "demo")],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        same = trees_equal(ours_dir / "demo", base_dir / "demo")
        print(f"{'':<34} same tree as copier's: {same}")
        r_help = compare(
            "modalgen --help", [*modalgen, "--help"], [sys.executable, "-c", "import click"],
            'python -c "import click"', args.runs, work, env, lambda: None,
        )  # fmt: skip
        grown = work / "grown"

        def reset_grown():
            shutil.rmtree(grown, ignore_errors=True)
            subprocess.run([*modalgen, "new", "demo", "-y", "--no-git", "--output-dir", str(grown)],
                           env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip

        def reset_both():
            reset()
            reset_grown()

        r_add = compare(
            "modalgen add cron (into demo)",
            [*modalgen, "add", "cron", "--project", str(grown / "demo")],
            [*modalgen, "new", "demo", "-y", "--no-git", "--output-dir", str(ours_dir)],
            "modalgen new demo -y --no-git", args.runs, work, env, reset_both,
        )  # fmt: skip
        print()
        goals = (("new/copier", r_new, 0.40), ("help/click", r_help, 1.20), ("add/new", r_add, 1.50))
        for label, ratio, goal in goals:
            print(f"{label:<11} {ratio:.2f}  (goal <= {goal:.2f}){'' if ratio <= goal else '  MISSED'}")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
