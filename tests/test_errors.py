"""Errors and terminals: one source of checks, internal errors with --debug, help, colour, pipes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from modalgen import render
from modalgen.cli import main
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


@pytest.mark.parametrize("command", ["new", "add", "set", "update", "gpus", "doctor"])
def test_every_command_help_shows_examples(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and f"modalgen {command}" in out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("modalgen, version ")


def test_add_never_waits_on_an_open_pipe(tmp_path):
    from modalgen.spec import parse_spec

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
