"""Every sentence the plan words, for every GPU shape: one GPU, fallbacks, CPU only, and a CPU front
beside a GPU worker. The wording is pinned per shape, so a shape cannot break the grammar unseen."""

from __future__ import annotations

import re

import pytest

from modalgen.cli.main import main

# shape -> (flags, the summary's gpu row, what `make smoke` checks, where each function runs)
SHAPES = {
    "one GPU": (
        ["--gpu", "L4"],
        "L4 ($0.80/hr) for the functions that run the core",
        "each function's answer and its GPU type and count",
        {"run_core": "L4", "batch_job": "L4"},
    ),
    "fallbacks": (
        ["--gpu", "H100:2,A100-80GB:2"],
        "H100:2 ($7.90/hr), then A100-80GB:2 ($5.00/hr) for the functions that run the core",
        "each function's answer and its GPU type and count (any of its fallbacks)",
        {"run_core": "H100:2, then A100-80GB:2", "batch_job": "H100:2, then A100-80GB:2"},
    ),
    "CPU only": (
        ["--cpu-only"],
        "CPU only",
        "each function's answer, and that each ran on CPU",
        {"run_core": "CPU", "batch_job": "CPU"},
    ),
    "mixed": (
        ["--gpu", "L4", "--workload", "web,service"],
        "L4 ($0.80/hr) for the functions that run the core",
        "each function's answer and its GPU type and count (no GPU for those planned on CPU)",
        {"run_core": "L4", "api": "CPU", "Service": "L4"},
    ),
    "mixed with fallbacks": (
        ["--gpu", "H100,L40S", "--workload", "web,batched"],
        "H100 ($3.95/hr), then L40S ($1.95/hr) for the functions that run the core",
        "each function's answer and its GPU type and count (any of its fallbacks; no GPU for those planned "
        "on CPU)",
        {"run_core": "H100, then L40S", "api": "CPU", "Embedder": "H100, then L40S"},
    ),
}


def grammar_problems(text: str) -> list[str]:
    """Slips that broke a sentence before: a pronoun run into a clause, doubled words, stray commas."""
    problems = []
    for pattern in (
        r"\bits that\b",
        r"\b(\w+) \1\b",
        r" ,",
        r",,",
        r"\(\)",
        r"\(\s",
        r"\s\)",
        r"\ba (?=[aeiou])",
    ):
        problems += [m.group(0) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    if text.count("(") != text.count(")"):
        problems.append("unbalanced parentheses")
    return problems


def _row(out: str, key: str) -> str:
    return next(line.split(None, 1)[1] for line in out.splitlines() if line.split(None, 1)[:1] == [key])


@pytest.mark.parametrize("shape", SHAPES)
def test_summary_and_next_steps_read_right_for_every_shape(tmp_path, capsys, monkeypatch, shape):
    flags, gpu_row, smoke, runs_on = SHAPES[shape]
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "none.toml"))  # no token: `modal setup` shown
    monkeypatch.delenv("MODAL_TOKEN_ID", raising=False)
    assert main(["new", "shape", *flags, "--no-git", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert _row(out, "gpu") == gpu_row
    steps = out.split("Next steps:\n", 1)[1].splitlines()
    commands = ["uv run modal setup", "make install", "make test", "make smoke", "make deploy"]
    assert [s.split("#")[0].strip() for s in steps] == [f"cd {tmp_path / 'shape'}", *commands]
    assert steps[4].split("# ", 1)[1] == f"on Modal: {smoke}"
    for name, where in runs_on.items():
        table_row = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
        assert f"  {where}  " in table_row, table_row
    for line in out.splitlines():
        assert not grammar_problems(line), (line, grammar_problems(line))


def test_the_grammar_check_finds_the_slip_it_is_for():
    assert grammar_problems("make smoke  # on Modal: each function's answer and its that each runs on CPU")
    assert grammar_problems("the the plan") and grammar_problems("a GPU , then") and grammar_problems("(x")
    assert not grammar_problems("each function's answer and its GPU type and count (any of its fallbacks)")


MODEL_SHAPES = {
    "a model on CPU": (
        ["--cpu-only"],
        "= 3.1 GB",
        "each function's answer, and that each ran on CPU",
    ),
    "a model behind a CPU front, with a fallback": (
        ["--gpu", "L4,T4", "--workload", "web,service", "--min-containers", "1"],
        "= 3.1 GB; L4 has 24 GB (22 GB usable at 0.90)",
        "each function's answer and its GPU type and count (any of its fallbacks; no GPU for those planned "
        "on CPU)",
    ),
}


@pytest.mark.parametrize("shape", MODEL_SHAPES)
def test_a_model_stack_reads_right_on_cpu_and_beside_a_cpu_front(tmp_path, capsys, shape):
    flags, memory_end, smoke = MODEL_SHAPES[shape]
    assert main(["new", "model", "--stack", "transformers", *flags, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert _row(out, "memory").endswith(memory_end), _row(out, "memory")
    assert _row(out, "model").endswith("(`make download`, on CPU, into the huggingface-cache Volume)")
    assert ("warm containers bill $589.04/month, idle or not" in out) is ("--min-containers" in flags)
    from modalgen.answers.spec import parse_spec
    from modalgen.cli.report import smoke_checks
    from modalgen.plan.build import make_plan

    raw = {"name": "model", "stack": "transformers", "gpu": [] if "--cpu-only" in flags else ["L4", "T4"]}
    if "--workload" in flags:
        raw.update(workload=["web", "service"], min_containers=1)
    assert smoke_checks(make_plan(parse_spec(raw))) == smoke
    for line in out.splitlines():
        assert not grammar_problems(line), (line, grammar_problems(line))
