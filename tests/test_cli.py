"""`modalgen new` and `modalgen gpus` as a user or a script calls them: real processes, real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from modalgen import __version__
from tests.generated import check_settings, check_text, read_plan

MODALGEN = [sys.executable, "-m", "modalgen"]


def run(args: list[str], cwd: Path, *, stdin=subprocess.DEVNULL, env=None, timeout=60):
    return subprocess.run(
        [*MODALGEN, *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_new_with_defaults_outside_a_terminal(tmp_path):
    result = run(["new", "my-inference"], tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "my-inference"
    # The summary of all answers is printed, the plan as a table, then the next steps.
    for line in ("gpu          L4 ($0.80/hr)", "workloads    batch", "image        debian-slim, python 3.12",
                 "batch_job  batch  L4"):  # fmt: skip
        assert line in result.stdout
    assert "make test" in result.stdout and f"cd {Path('my-inference')}" in result.stdout
    answers = yaml.safe_load((project / ".modalgen-answers.yml").read_text())
    assert answers["modalgen_version"] == __version__
    assert answers["_src_path"] == "modalgen:project"
    assert str(tmp_path) not in (project / ".modalgen-answers.yml").read_text()
    assert str(Path.home()) not in (project / ".modalgen-answers.yml").read_text()
    log = subprocess.run(["git", "log", "--oneline"], cwd=project, capture_output=True, text=True)
    assert len(log.stdout.splitlines()) == 1
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
    assert status.stdout == ""  # everything generated is committed
    check_text(project)
    assert check_settings(project) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".modalgen-staging")]


def test_next_steps_mention_modal_setup_only_without_a_token(tmp_path):
    no_token = run(["new", "a", "--no-git"], tmp_path, env={"MODAL_CONFIG_PATH": str(tmp_path / "none")})
    assert "modal setup" in no_token.stdout
    token = {"MODAL_TOKEN_ID": "ak-x", "MODAL_TOKEN_SECRET": "as-x"}
    with_token = run(["new", "b", "--no-git"], tmp_path, env=token)
    assert "modal setup" not in with_token.stdout


def test_flags_shape_the_project(tmp_path):
    result = run(
        [
            "new", "embedder", "--gpu", "h100:2", "--gpu", "A100-80GB:2", "--workload", "batch,web",
            "--workload", "cron", "--cron", "*/30 * * * *", "--timezone", "Europe/Berlin",
            "--volume", "model-cache:/models", "--volume", "data", "--python", "3.11",
            "--description", "Embeds text", "--no-git", "--output-dir", "out/deeper",
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    project = tmp_path / "out/deeper/embedder"
    answers = yaml.safe_load((project / ".modalgen-answers.yml").read_text())
    assert answers["gpu"] == ["H100:2", "A100-80GB:2"]  # canonical spelling
    assert answers["workload"] == ["batch", "web", "cron"]
    assert answers["volume"] == [
        {"name": "model-cache", "mount": "/models"},
        {"name": "data", "mount": "/data"},
    ]
    assert (answers["cron"], answers["timezone"], answers["python"]) == (
        "*/30 * * * *",
        "Europe/Berlin",
        "3.11",
    )
    assert not (project / ".git").exists()
    assert check_settings(project) == 4


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--gpu", "H100:2,A100-80GB:2"], ["H100:2", "A100-80GB:2"]),
        (["--gpu", "h100!:2", "--gpu", "b200+"], ["H100!:2", "B200+"]),
        (["--gpu", "a10"], ["A10G"]),
        (["--gpu", "A100"], ["A100-40GB"]),
        (["--gpu", "rtx-pro-6000:4"], ["RTX-PRO-6000:4"]),
    ],
)
def test_gpu_names_modal_accepts(tmp_path, flags, expected):
    """Every type Modal accepts, any case, with counts; a comma list equals repeated flags."""
    result = run(["new", "g", *flags, "--no-git"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((tmp_path / "g/.modalgen-answers.yml").read_text())["gpu"] == expected
    assert check_settings(tmp_path / "g") == 2


def test_every_pattern_flag(tmp_path):
    sha = "b" * 40
    result = run(
        [
            "new", "patterns", "--workload", "service,batched,spawn,web,cron,server",
            "--web-style", "fastapi", "--public", "--period", "30m", "--timeout", "1800",
            "--min-containers", "1", "--max-containers", "8",
            "--buffer-containers", "1", "--scaledown-window", "300", "--retries", "3", "--max-inputs", "16",
            "--batch-size", "64", "--batch-wait-ms", "250", "--target-concurrency", "10", "--apt", "ffmpeg",
            "--pip", "torch==2.8.0", "--pip", "numpy>=2", "--allow-unpinned", "--env", "MODE=fast",
            "--env", "QUOTE=it's \"here\"", "--base", "cuda", "--uv-sync", "--secret", "openai",
            "--secret", "db:DB_USER,DB_PASSWORD", "--hf-model", f"org/model@{sha}", "--snapshot",
            "--gpu-snapshot",
            "--gpu", "L40S:2", "--cpu", "4", "--memory", "16384", "--gpu-for", "cron=A100-80GB:4",
            "--gpu-for", "core=cpu", "--image-builder", "2025.06", "--python", "3.10", "--no-git",
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    project = tmp_path / "patterns"
    answers = yaml.safe_load((project / ".modalgen-answers.yml").read_text())
    assert answers["env"] == {"MODE": "fast", "QUOTE": 'it\'s "here"'}
    assert answers["hf_model"] == f"org/model@{sha}" and answers["period"] == "30m"
    assert answers["secret"] == [{"name": "openai", "keys": ["OPENAI_API_KEY"]},
                                 {"name": "db", "keys": ["DB_USER", "DB_PASSWORD"]}]  # fmt: skip
    check_text(project)
    assert check_settings(project) == 8  # run_core, the download and six workloads


def test_cpu_only(tmp_path):
    result = run(["new", "cpu-job", "--cpu-only", "--no-git"], tmp_path)
    assert result.returncode == 0
    common = (tmp_path / "cpu-job/cpu_job/common.py").read_text()
    assert "gpu=" not in common and "GPU =" not in common and "GPU" not in common
    assert "GPU" not in result.stdout.split("Next steps:")[1]  # the next steps never mention a GPU
    check_text(tmp_path / "cpu-job")
    assert check_settings(tmp_path / "cpu-job") == 2


def test_answers_file_with_flags_on_top(tmp_path):
    answers = tmp_path / "answers.yml"
    answers.write_text(
        yaml.safe_dump({"name": "from-file", "gpu": ["T4"], "workload": ["map"], "modalgen_version": "0.0.1"})
    )
    result = run(["new", "--answers-file", str(answers), "--gpu", "L40S", "--no-git"], tmp_path)
    assert result.returncode == 0, result.stderr
    recorded = yaml.safe_load((tmp_path / "from-file/.modalgen-answers.yml").read_text())
    assert recorded["gpu"] == ["L40S"] and recorded["workload"] == ["map"]
    assert recorded["modalgen_version"] == __version__


def test_older_answers_files_still_load(tmp_path):
    """An answers file with the keys modalgen 0.1.0 wrote (project_name, workloads, ...)."""
    answers = tmp_path / "old.yml"
    answers.write_text(
        yaml.safe_dump(
            {
                "project_name": "old-keys",
                "workloads": ["web"],
                "python_version": "3.11",
                "volumes": [{"name": "v", "mount": "/v"}],
                "secrets": ["openai"],
            }
        )
    )
    result = run(["new", "--answers-file", str(answers), "--no-git"], tmp_path)
    assert result.returncode == 0, result.stderr
    recorded = yaml.safe_load((tmp_path / "old-keys/.modalgen-answers.yml").read_text())
    assert (recorded["workload"], recorded["python"]) == (["web"], "3.11")
    assert recorded["secret"] == [{"name": "openai", "keys": ["OPENAI_API_KEY"]}]


def test_a_project_rerenders_from_its_own_answers_file(tmp_path):
    assert (
        run(["new", "first", "--workload", "web,cron", "--volume", "v1", "--no-git"], tmp_path).returncode
        == 0
    )
    again = run(
        ["new", "--answers-file", "first/.modalgen-answers.yml", "--output-dir", "copy", "--no-git"], tmp_path
    )
    assert again.returncode == 0, again.stderr
    first, copy = tmp_path / "first", tmp_path / "copy/first"
    assert tree(first) == tree(copy)
    for rel in tree(first):
        if (first / rel).is_file():
            assert (first / rel).read_bytes() == (copy / rel).read_bytes(), rel


def test_dry_run_writes_nothing(tmp_path):
    result = run(["new", "ghost", "--dry-run", "--workload", "web"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ghost/web.py" in result.stdout and ".modalgen-answers.yml" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_dry_run_json_prints_the_plan(tmp_path):
    result = run(["new", "chat", "--gpu", "H100", "--workload", "web,service", "--min-containers", "1",
                  "--hf-model", "org/m@" + "a" * 40, "--dry-run", "--json"], tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    functions = {fn["name"]: fn for fn in data["plan"]["functions"]}
    assert functions["api"]["gpu"] == [] and functions["api"]["calls"]["obj"] == "Service"
    assert functions["Service"]["gpu"] == ["H100"] and functions["Service"]["min_containers"] == 1
    assert functions["download_weights"]["gpu"] == [] and functions["download_weights"]["timeout"] == 3600
    assert functions["api"]["min_containers"] is None  # the warm pool is the worker's
    assert functions["Service"]["monthly_warm_cost"] > 2800 and functions["api"]["monthly_warm_cost"] == 0
    assert "chat/web.py" in data["files"] and data["answers"]["name"] == "chat"
    assert list(tmp_path.iterdir()) == []


def test_gpu_for_lands_where_asked(tmp_path):
    result = run(
        [
            "new",
            "placed",
            "--gpu",
            "L4",
            "--workload",
            "batch,cron,web",
            "--gpu-for",
            "cron=A100-80GB:4",
            "--gpu-for",
            "web=cpu",
            "--no-git",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    plan = read_plan(tmp_path / "placed")
    gpus = {fn["name"]: fn["gpu"] for fn in plan["functions"]}
    # web runs the core itself (no worker beside it): a class that loads the model in @modal.enter.
    assert gpus == {"run_core": ["L4"], "batch_job": ["L4"], "scheduled_job": ["A100-80GB:4"], "Web": []}
    assert check_settings(tmp_path / "placed") == 4


def test_force_lists_every_file_it_overwrites(tmp_path):
    target = tmp_path / "proj"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "Makefile").write_text("old")
    (target / "README.md").write_text("old")
    dry = run(["new", "proj", "--no-git", "--force", "--dry-run"], tmp_path)
    assert dry.returncode == 0
    listed = dry.stdout.split("Would overwrite 2 files")[1].split("Would write")[0]
    assert "Makefile" in listed and "README.md" in listed and "notes.txt" not in listed
    assert (target / "Makefile").read_text() == "old"
    forced = run(["new", "proj", "--no-git", "--force"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    listed = forced.stdout.split("Overwrote 2 files")[1]
    assert "Makefile" in listed and "README.md" in listed and "notes.txt" not in listed
    assert (target / "notes.txt").read_text() == "mine"


BAD_INPUTS = [
    (["new", "x", "--gpu", "X100"], "--gpu", "X100"),
    (["new", "x", "--gpu", "A10G:5"], "--gpu", "A10G:5"),
    (["new", "x", "--gpu", "H100:0"], "--gpu", "H100:0"),
    (["new", "x", "--gpu", "H100:two"], "--gpu", "H100:two"),
    (["new", "x", "--gpu", "H100:9"], "--gpu", "H100:9"),
    (["new", "x", "--gpu", "T4", "--cpu-only"], "--gpu", "--cpu-only"),
    (["new", "x", "--gpu", "T4", "--gpu", "t4"], "--gpu", "T4"),
    (["new", "x", "--gpu", "H100,X100"], "--gpu 2", "X100"),
    (["new", "x", "--workload", "stream"], "--workload", "stream"),
    (["new", "x", "--workload", "cron", "--cron", "61 * * * *"], "--cron", "minute 61 is out of range 0-59"),
    (["new", "x", "--workload", "cron", "--cron", "0 25 * * *"], "--cron", "hour 25 is out of range 0-23"),
    (["new", "x", "--workload", "cron", "--cron", "0 6 * * *"[:-2]], "--cron", "5 fields, not 4"),
    (["new", "x", "--workload", "cron", "--cron", "@daily"], "--cron", "@daily"),
    (["new", "x", "--workload", "cron", "--cron", "0 6 * * MOON"], "--cron", "day of week MOON"),
    (["new", "x", "--workload", "cron", "--timezone", "Mars/Base"], "--timezone", "Mars/Base"),
    (["new", "x", "--cron", "0 7 * * *"], "--cron", None),
    (["new", "x", "--cron", "61 * * * *"], "--cron", "61 * * * *"),
    (["new", "x", "--volume", "bad name"], "--volume", "bad name"),
    (["new", "x", "--volume", "v:/"], "--volume", "/"),
    (["new", "x", "--volume", "v:/root"], "--volume", "/root"),
    (["new", "x", "--volume", "v:/tmp"], "--volume", "/tmp"),
    (["new", "x", "--volume", "v:relative"], "--volume", "relative"),
    (["new", "x", "--volume", "v:/usr/lib"], "--volume", "/usr/lib"),
    (["new", "x", "--volume", "a:/data", "--volume", "b:/data"], "--volume", "/data"),
    (["new", "x", "--volume", "a:/data", "--volume", "a:/other"], "--volume", "a"),
    (["new", "x", "--volume", "a:/data", "--volume", "b:/data/sub"], "--volume", "/data/sub"),
    (["new", "x", "--volume", "good", "--volume", "a b"], "--volume 2", "a b"),
    (["new", "x", "--python", "3.9"], "--python", "3.9"),
    (["new", "x", "--python", "3.10"], "--python", "--image-builder 2025.06"),
    (["new", "x", "--image-builder", "2024.01"], "--image-builder", "2024.01"),
    (["new", "../x"], "NAME", "../x"),
    (["new", "/abs/path"], "NAME", "/abs/path"),
    (["new", "--", "-x"], "NAME", "-x"),
    (["new", "my project"], "NAME", "my project"),
    (["new", "1st"], "NAME", "1st"),
    (["new", "class"], "NAME", "class"),
    (["new", "json"], "NAME", "json"),
    (["new", "modal"], "NAME", "modal"),
    (["new", "conftest"], "NAME", "conftest"),
    (["new", "tests"], "NAME", "tests"),
    (["new", "test"], "NAME", "test"),
    (["new", "app"], "NAME", "app"),
    (["new", "x" * 41], "NAME", "x" * 41),
    (["new", "x", "--description", "two\nlines"], "--description", "two\\nlines"),
    (["new"], "NAME", "missing"),
    (["new", "x", "--web-style", "flask", "--workload", "web"], "--web-style", "flask"),
    (["new", "x", "--web", "flask", "--workload", "web"], "--web-style", "flask"),
    (["new", "x", "--web-style", "wsgi"], "--web-style", None),
    (["new", "x", "--public"], "--public", None),
    (["new", "x", "--workload", "cron", "--period", "5x"], "--period", "5x"),
    (["new", "x", "--workload", "cron", "--period", "0h"], "--period", "0h"),
    (["new", "x", "--period", "6h"], "--period", None),
    (["new", "x", "--workload", "cron", "--period", "6h", "--cron", "0 6 * * *"], "--period", "--cron"),
    (["new", "x", "--timeout", "0"], "--timeout", "0"),
    (["new", "x", "--timeout", "90000"], "--timeout", "90000"),
    (["new", "x", "--timeout", "ten"], "--timeout", "ten"),
    (["new", "x", "--min-containers", "1"], "--min-containers", None),
    (
        ["new", "x", "--workload", "web", "--min-containers", "5", "--max-containers", "2"],
        "--min-containers",
        "5",
    ),
    (["new", "x", "--max-containers", "0"], "--max-containers", "0"),
    (["new", "x", "--retries", "11"], "--retries", "11"),
    (["new", "x", "--workload", "web", "--retries", "2"], "--retries", None),
    (["new", "x", "--workload", "web", "--max-inputs", "0"], "--max-inputs", "0"),
    (
        ["new", "x", "--workload", "map", "--max-inputs", "4", "--single-use-containers"],
        "--max-inputs",
        "--single-use-containers",
    ),
    (["new", "x", "--workload", "batched", "--batch-size", "1001"], "--batch-size", "1001"),
    (["new", "x", "--batch-size", "8"], "--batch-size", None),
    (["new", "x", "--workload", "batched", "--batch-wait-ms", "600001"], "--batch-wait-ms", "600001"),
    (["new", "x", "--workload", "web", "--scaledown-window", "1"], "--scaledown-window", "1"),
    (["new", "x", "--workload", "web", "--single-use-containers"], "--single-use-containers", None),
    (["new", "x", "--target-concurrency", "5"], "--target-concurrency", None),
    (["new", "x", "--memory", "64"], "--memory", "64"),
    (["new", "x", "--cpu", "0.01"], "--cpu", "0.01"),
    (["new", "x", "--cpu", "many"], "--cpu", "many"),
    (["new", "x", "--pip", "torch"], "--pip", "torch"),
    (["new", "x", "--pip", "torch==2.8.0; rm -rf /"], "--pip", "torch==2.8.0; rm -rf /"),
    (["new", "x", "--apt", "Bad Pkg"], "--apt", "Bad Pkg"),
    (["new", "x", "--env", "NOEQUALS"], "--env", "NOEQUALS"),
    (["new", "x", "--env", "1X=y"], "--env", "1X"),
    (["new", "x", "--env", "=y"], "--env", '""'),
    (["new", "x", "--env", "PATH=/bin"], "--env", "PATH"),
    (["new", "x", "--env", "PYTHONPATH=/x"], "--env", "PYTHONPATH"),
    (["new", "x", "--env", "HOME=/x"], "--env", "HOME"),
    (["new", "x", "--env", "MODAL_TOKEN_ID=x"], "--env", "MODAL_TOKEN_ID"),
    (["new", "x", "--env", "A=two\nlines"], "--env", "two\\nlines"),
    (["new", "x", "--base", "alpine"], "--base", "alpine"),
    (["new", "x", "--cpu-only", "--base", "cuda"], "--base", "cuda"),
    (["new", "x", "--secret", "bad name"], "--secret", "bad name"),
    (["new", "x", "--secret", "db:"], "--secret", "db:"),
    (["new", "x", "--secret", "db:1KEY"], "--secret", "1KEY"),
    (["new", "x", "--hf-model", "org/model@main"], "--hf-model", "org/model@main"),
    (["new", "x", "--hf-model", "org/model@main"], "--hf-model", "org/model@main"),
    (["new", "x", "--hf-model", "not-a-repo@" + "a" * 40], "--hf-model", "not-a-repo"),
    (
        ["new", "x", "--hf-model", "o/m@" + "a" * 40, "--volume", "huggingface-cache"],
        "--volume",
        "huggingface-cache",
    ),
    (["new", "x", "--gpu-for", "cron=T4"], "--gpu-for", "cron=..."),
    (["new", "x", "--gpu-for", "nothing=T4"], "--gpu-for", "nothing=T4"),
    (["new", "x", "--gpu-for", "batch"], "--gpu-for", "batch"),
    (["new", "x", "--gpu-for", "batch=X100"], "--gpu-for", "X100"),
    (["new", "x", "--gpu-snapshot"], "--gpu-snapshot", None),
    (
        ["new", "x", "--workload", "service", "--snapshot", "--gpu-snapshot", "--cpu-only"],
        "--gpu-snapshot",
        None,
    ),
    (["new", "x", "--json"], "--json", None),
    (["new", "x", "--bogus"], "--bogus", "--bogus"),
    (["gpus", "--gpu", "Z9"], "--gpu", "Z9"),
    (["gpus", "--gpu", "T4,Z9"], "--gpu 2", "Z9"),
]


@pytest.mark.parametrize(("args", "field", "value"), BAD_INPUTS, ids=[" ".join(a[0]) for a in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, field, value):
    result = run(args, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert field in lines[0] and "Traceback" not in result.stderr
    assert value is None or value in lines[0], lines[0]
    # The user's words: values as typed, never a Python repr.
    for repr_only in ("True", "None", "['", "{'", *(repr(arg) for arg in args if len(arg) > 1)):
        assert repr_only not in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == []


def test_bad_answers_files(tmp_path):
    (tmp_path / "broken.yml").write_text("gpu: [T4\n")
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    (tmp_path / "typo.yml").write_text("name: x\ngpus: [T4]\n")
    (tmp_path / "badvalue.yml").write_text("name: x\ngpu: [T4:9]\n")
    (tmp_path / "badcron.yml").write_text("name: x\ncron: 61 * * * *\n")  # checked with no cron workload too
    for name, field in [
        ("broken.yml", "--answers-file"),
        ("list.yml", "--answers-file"),
        ("typo.yml", "answers"),
        ("badvalue.yml", "--gpu"),
        ("badcron.yml", "--cron"),
        ("missing.yml", "--answers-file"),
    ]:
        result = run(["new", "--answers-file", name], tmp_path)
        assert result.returncode == 2, (name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and field in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "badcron.yml",
        "badvalue.yml",
        "broken.yml",
        "list.yml",
        "typo.yml",
    ]


def test_non_empty_target_needs_force_and_force_keeps_user_files(tmp_path):
    target = tmp_path / "proj"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "Makefile").write_text("old")
    refused = run(["new", "proj", "--no-git"], tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (target / "Makefile").read_text() == "old"
    forced = run(["new", "proj", "--no-git", "--force"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (target / "notes.txt").read_text() == "mine"
    assert "uv run pytest" in (target / "Makefile").read_text()


def test_never_waits_on_an_open_pipe(tmp_path):
    """stdin is a pipe that never sends anything and never closes: no prompt, no wait."""
    proc = subprocess.Popen(
        [*MODALGEN, "new", "piped", "--no-git"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _out, err = _wait_without_closing(proc)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert (tmp_path / "piped/Makefile").is_file()


def _wait_without_closing(proc: subprocess.Popen) -> tuple[str, str]:
    deadline = time.monotonic() + 30
    while proc.poll() is None:
        assert time.monotonic() < deadline, "modalgen waited on stdin"
        time.sleep(0.05)
    return proc.stdout.read(), proc.stderr.read()


def test_gpus_table_and_cost(tmp_path):
    table = run(["gpus"], tmp_path)
    assert table.returncode == 0 and "H200" in table.stdout and "141 GB" in table.stdout
    for name in ("T4", "L4", "A10G (also A10)", "A100-40GB (also A100)", "RTX-PRO-6000", "H100!", "B200+"):
        assert name in table.stdout, name
    assert "96 GB" in table.stdout and "n/a" in table.stdout  # RTX-PRO-6000: no price offline, none invented
    cost = run(["gpus", "--gpu", "H100:2", "--hours", "3"], tmp_path)
    assert cost.stdout.strip() == "23.70"


def test_gpus_prices_every_gpu_asked_for_and_hours_alone_adds_a_column(tmp_path):
    both = run(["gpus", "--gpu", "H100", "--gpu", "A100-80GB", "--hours", "10"], tmp_path)
    assert both.stdout.splitlines() == ["H100       39.50", "A100-80GB  25.00"]
    assert run(["gpus", "--gpu", "H100,A100-80GB", "--hours", "10"], tmp_path).stdout == both.stdout
    column = run(["gpus", "--hours", "10"], tmp_path)
    header = column.stdout.splitlines()[0]
    assert "10 h" in header and "39.50" in column.stdout and "62.50" in column.stdout
    data = json.loads(run(["gpus", "--json"], tmp_path).stdout)
    assert {row["gpu"] for row in data} >= {"T4", "H100!", "B200+", "RTX-PRO-6000"}


def test_help_and_version(tmp_path):
    assert run(["--version"], tmp_path).stdout.strip() == f"modalgen, version {__version__}"
    helptext = run(["new", "--help"], tmp_path).stdout
    for flag in ("--gpu", "--cpu-only", "--workload", "--cron", "--timezone", "--volume", "--python",
                 "--description", "--answers-file", "--output-dir", "--dry-run", "--force", "--no-git",
                 "--defaults", "Examples:"):  # fmt: skip
        assert flag in helptext, flag


def test_git_commit_works_without_a_configured_identity(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": str(home)}
    result = run(["new", "fresh"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    log = subprocess.run(
        ["git", "log", "--format=%an"], cwd=tmp_path / "fresh", capture_output=True, text=True
    )
    assert log.stdout.strip() == "modalgen"


def test_the_users_copier_settings_change_nothing(tmp_path):
    settings = tmp_path / "copier-settings.yml"
    settings.write_text("defaults:\n  description: HIJACKED\n  gpu: [T4]\n")
    result = run(["new", "mine", "--no-git"], tmp_path, env={"COPIER_SETTINGS_PATH": str(settings)})
    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((tmp_path / "mine/.modalgen-answers.yml").read_text())
    assert answers["description"] != "HIJACKED" and answers["gpu"] == ["L4"]


def test_the_readme_example_session_is_what_modalgen_prints(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    session = readme.split("```console\n")[1].split("```")[0]
    command, rest = session.split("\n", 1)
    args = command.removeprefix("$ uv run modalgen ").split()
    printed = rest.split("\n$ ")[0]
    result = run(args, tmp_path, env={"MODAL_CONFIG_PATH": str(tmp_path / "none.toml")})
    assert result.returncode == 0, result.stderr
    timing = re.compile(r"in \d+\.\d s\.")
    assert timing.sub("", result.stdout.rstrip()) == timing.sub("", printed.rstrip())


def test_the_readme_set_up_commands_make_a_project_outside_the_checkout_and_run_the_tests(tmp_path):
    """The README's two set-up commands: the first makes a project, and not inside the checkout it is
    run from; the second runs modalgen's tests. Run as written, `uv run modalgen` as this Python."""
    import shlex

    checkout = Path(__file__).resolve().parent.parent
    readme = (checkout / "README.md").read_text()
    block = readme.split("## Set up and run", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #")[0].strip() for line in block.strip().splitlines()]
    assert len(commands) == 2 and commands[1] == "uv run pytest", commands
    assert commands[0].startswith("uv run modalgen new "), commands[0]
    args = shlex.split(commands[0].removeprefix("uv run modalgen "))
    home = tmp_path / "home"
    args = [a.replace("~", str(home), 1) if a.startswith("~") else a for a in args]  # the shell's ~
    before = {str(p) for p in checkout.iterdir()}
    result = run(args, checkout, env={"HOME": str(home), "MODAL_CONFIG_PATH": str(tmp_path / "none.toml")})
    assert result.returncode == 0, result.stderr
    made = [p for p in home.rglob(".modalgen-answers.yml")]
    assert len(made) == 1 and checkout not in made[0].parents, made
    assert {str(p) for p in checkout.iterdir()} == before  # nothing new in the checkout
    assert "~/.local/bin" in readme and "uv tool update-shell" in readme
