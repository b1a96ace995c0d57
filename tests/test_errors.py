"""Errors and terminals: one source of checks, internal errors with --debug, help, colour, pipes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from modalgen.cli.main import main
from modalgen.render import template as render
from tests.test_wizard_pty import DEFAULT_PROMPTS, ENTER, answer, finish, spawn

# The same bad value as a flag and in an answers file: the same field and the same allowed text.
PARITY = [
    (["--gpu", "H100:9"], {"gpu": ["H100:9"]}),
    (["--workload", "stream"], {"workload": ["stream"]}),
    (["--workload", "cron", "--cron", "0 25 * * *"], {"workload": ["cron"], "cron": "0 25 * * *"}),
    (["--cron", "0 25 * * *"], {"cron": "0 25 * * *"}),  # checked without a cron workload too
    (
        ["--workload", "cron", "--timezone", "Nowhere/City"],
        {"workload": ["cron"], "timezone": "Nowhere/City"},
    ),
    (["--volume", "v:/tmp"], {"volume": [{"name": "v", "mount": "/tmp"}]}),
    (["--python", "3.8"], {"python": "3.8"}),
    (["--timeout", "0"], {"timeout": 0}),
    (["--pip", "torch"], {"pip": ["torch"]}),
    (["--secret", "no spaces"], {"secret": ["no spaces"]}),
    (["--hf-model", "org/m@main"], {"hf_model": "org/m@main"}),
    (["--env", "A=\x07"], {"env": {"A": "\x07"}}),
    (["--env", "PATH=/x"], {"env": {"PATH": "/x"}}),
    (["--gpu-for", "cron=T4"], {"gpu_for": {"cron": ["T4"]}}),
    (["--min-containers", "1"], {"min_containers": 1}),
    (["--web-style", "wsgi"], {"web_style": "wsgi"}),
]


@pytest.mark.parametrize(("flags", "answers"), PARITY, ids=[p[0][1] for p in PARITY])
def test_flags_and_answers_files_get_the_same_check(tmp_path, capsys, flags, answers):
    assert main(["new", "same", "--output-dir", str(tmp_path / "a"), *flags]) == 2
    from_flag = capsys.readouterr().err.strip()
    path = tmp_path / "answers.yml"
    path.write_text(yaml.safe_dump({"project_name": "same", **answers}, allow_unicode=True))
    assert main(["new", "--answers-file", str(path), "--output-dir", str(tmp_path / "b")]) == 2
    from_file = capsys.readouterr().err.strip()
    # One name per option: the same option named the same way, the same allowed text.
    assert from_flag.split(": ")[1] == from_file.split(": ")[1]
    assert from_flag.split("; ", 1)[-1] == from_file.split("; ", 1)[-1]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_internal_error_is_one_line_with_a_hint_and_debug_shows_it(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template exploded")

    monkeypatch.setattr(render, "render", broken)  # `new` looks it up when it runs
    assert main(["new", "boom", "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "--debug" in err[0] and "exploded" in err[0]
    with pytest.raises(RuntimeError, match="exploded"):
        main(["--debug", "new", "boom", "--output-dir", str(tmp_path)])
    assert not (tmp_path / "boom").exists()


@pytest.mark.parametrize("command", ["new", "add", "set", "update", "gpus", "doctor", "bench", "coldstart"])
def test_every_command_help_shows_examples(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and f"modalgen {command}" in out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("modalgen, version ")


def test_add_never_waits_on_an_open_pipe(tmp_path):
    from modalgen.answers.spec import parse_spec

    render.render(parse_spec({"name": "piped2"}), tmp_path / "piped2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "modalgen", "add", "cron", "--project", str(tmp_path / "piped2")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while proc.poll() is None:
        assert time.monotonic() < deadline, "modalgen add waited on stdin"
        time.sleep(0.05)
    proc.kill()
    assert proc.returncode == 0, proc.stderr.read()
    assert (tmp_path / "piped2/piped2/cron.py").is_file()


COLOR = "\x1b[0;38;5;"  # how questionary colours a prompt's question mark


@pytest.mark.parametrize("no_color", [True, False])
def test_no_color_is_respected(tmp_path, no_color):
    child = spawn(["new", "colours", "--no-git"], tmp_path, no_color=no_color)
    seen = []
    child.logfile_read = type(
        "Log", (), {"write": lambda self, s: seen.append(s), "flush": lambda self: None}
    )()
    for prompt in DEFAULT_PROMPTS:
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    assert (COLOR in "".join(seen)) is not no_color


def test_shell_completion_as_documented(tmp_path):
    env = {**os.environ, "_MODALGEN_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "modalgen"], env=env, capture_output=True, text=True)
    assert "_modalgen_completion" in script.stdout
    env = {
        **os.environ,
        "_MODALGEN_COMPLETE": "bash_complete",
        "COMP_WORDS": "modalgen new --gp",
        "COMP_CWORD": "2",
    }
    words = subprocess.run([sys.executable, "-m", "modalgen"], env=env, capture_output=True, text=True)
    assert "--gpu" in words.stdout


# -- A stack and the GPUs and models it can use

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("flags", "option", "value"),
    [
        (["--stack", "transformers", "--gpu", "L4:2"], "--gpu", '"L4:2"'),
        (["--stack", "torch", "--gpu", "A100-80GB:8"], "--gpu", '"A100-80GB:8"'),
        (["--stack", "diffusers", "--gpu", "L40S,L4:4"], "--gpu", '"L4:4"'),  # a fallback entry
        (
            ["--stack", "embeddings", "--workload", "batch,service", "--gpu-for", "service=H100:2"],
            "--gpu-for",
            '"service=H100:2"',
        ),
    ],
)
def test_a_gpu_count_a_one_gpu_stack_cannot_use_is_refused(tmp_path, capsys, flags, option, value):
    """transformers, embeddings, diffusers and torch load one copy of the model on `cuda`: the other
    GPUs of the container would sit idle and be paid for. Only vllm splits a model over them."""
    assert main(["new", "multi", "--output-dir", str(tmp_path), *flags]) == 2
    line = capsys.readouterr().err.strip()
    stack = flags[1]
    assert len(line.splitlines()) == 1 and f"error: {option}: {value} is not allowed" in line, line
    assert f"the {stack} stack" in line and "one GPU" in line, line
    assert "--stack vllm" in line and "tensor parallelism" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "flags",
    [
        ["--stack", "plain", "--gpu", "L4:4"],  # your own code: any count
        ["--stack", "vllm", "--gpu", "L4:2"],  # tensor parallelism over both
        # Functions that do not hold the model keep any GPU: the download, and a CPU front.
        ["--stack", "transformers", "--hf-model", f"Qwen/Qwen2.5-0.5B-Instruct@{SHA}", "--gpu-for",
         "download=L4:2"],
        ["--stack", "transformers", "--workload", "web,service", "--gpu", "L4"],
    ],
)  # fmt: skip
def test_gpu_counts_a_stack_can_use_are_accepted(tmp_path, capsys, flags):
    assert main(["new", "multi", "--output-dir", str(tmp_path), "--dry-run", *flags]) == 0, (
        capsys.readouterr()
    )


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        # The context of the stack's default model, Qwen2.5-1.5B-Instruct (its config.json: 32768).
        (
            ["--stack", "vllm", "--max-model-len", "65536"],
            ("65536", "at most 32768", "Qwen/Qwen2.5-1.5B-Instruct"),
        ),
        (
            ["--stack", "transformers", "--hf-model", f"Qwen/Qwen2.5-7B-Instruct@{SHA}", "--gpu", "L40S",
             "--max-model-len", "40000"],
            ("40000", "at most 32768", "Qwen/Qwen2.5-7B-Instruct"),
        ),
    ],
)  # fmt: skip
def test_a_max_model_len_beyond_the_models_context_is_refused_with_both_numbers(
    tmp_path, capsys, flags, named
):
    assert main(["new", "long", "--output-dir", str(tmp_path), *flags]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and "error: --max-model-len: " in line, line
    for part in (*named, "context", "config"):
        assert part in line, (part, line)
    assert list(tmp_path.iterdir()) == []


def test_a_max_model_len_within_the_context_is_accepted(tmp_path, capsys):
    flags = ["--stack", "vllm", "--gpu", "H100", "--max-model-len", "32768"]
    assert main(["new", "long", "--output-dir", str(tmp_path), "--dry-run", *flags]) == 0, capsys.readouterr()


@pytest.mark.parametrize(
    ("stack", "model", "what", "runs_it"),
    [
        ("vllm", "stabilityai/sd-turbo", "a diffusion pipeline", "--stack diffusers"),
        ("transformers", "stabilityai/sd-turbo", "a diffusion pipeline", "--stack diffusers"),
        ("embeddings", "stabilityai/sd-turbo", "a diffusion pipeline", "--stack diffusers"),
        ("diffusers", "Qwen/Qwen2.5-0.5B-Instruct", "a causal LM", "transformers"),
        ("vllm", "BAAI/bge-small-en-v1.5", "an encoder", "--stack embeddings"),
        ("transformers", "BAAI/bge-small-en-v1.5", "an encoder", "--stack embeddings"),
    ],
)
def test_a_model_that_is_not_the_stacks_kind_is_refused(tmp_path, capsys, stack, model, what, runs_it):
    flags = ["--stack", stack, "--hf-model", f"{model}@{SHA}", "--gpu", "L40S"]
    assert main(["new", "kind", "--output-dir", str(tmp_path), *flags]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and f'error: --hf-model: "{model}@{SHA}" is not allowed' in line, line
    assert what in line and f"the {stack} stack" in line and runs_it in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("stack", "model"),
    [
        ("embeddings", "Qwen/Qwen2.5-0.5B-Instruct"),  # decoder embedders (Qwen3-Embedding) are causal LMs
        ("vllm", "acme/unknown-1B"),  # what it is is not known offline: accepted
        ("torch", "stabilityai/sd-turbo"),  # your own module: any weights
    ],
)
def test_a_model_the_stack_runs_or_of_unknown_kind_is_accepted(tmp_path, capsys, stack, model):
    flags = ["--stack", stack, "--hf-model", f"{model}@{SHA}", "--gpu", "L40S"]
    assert main(["new", "kind", "--output-dir", str(tmp_path), "--dry-run", *flags]) == 0, capsys.readouterr()
