"""`--hf-model REPO` and `REPO@BRANCH` follow one rule: the branch becomes its commit when the Hub answers,
else it is kept and reported as not pinned, with the reason that is true (offline, no answer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render

REPO = "Qwen/Qwen2.5-7B-Instruct"
MAIN = "1" * 40  # the commit main is at, as the fake Hub says
DEV = "2" * 40  # the commit the branch dev is at


class FakeHub(BaseHTTPRequestHandler):
    """The Hub's model-info answers for REPO: main at MAIN, dev at DEV; anything else is 404."""

    def do_GET(self):
        answers = {f"/api/models/{REPO}": MAIN, f"/api/models/{REPO}/revision/dev": DEV}
        sha = answers.get(self.path)
        body = json.dumps({"sha": sha, "safetensors": {"total": 7_615_616_512}} if sha else {}).encode()
        self.send_response(200 if sha else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hub_url():
    hub = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{hub.server_address[1]}"
    hub.shutdown()


def closed_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once it is closed


def modalgen(args: list[str], cwd: Path, hub: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if hub is None:
        env["MODALGEN_OFFLINE"] = "1"
    else:
        env.pop("MODALGEN_OFFLINE", None)
        env.pop("HF_HUB_OFFLINE", None)
        env["MODALGEN_HUB_URL"] = hub
    return subprocess.run([sys.executable, "-m", "modalgen", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip


def new(tmp_path: Path, name: str, model: str, hub: str | None) -> tuple[str, dict]:
    flags = ["--allow-unpinned"] if "@" in model else []
    args = ["new", name, "--stack", "transformers", "--hf-model", model, "--gpu", "L40S", "--no-git", *flags]
    result = modalgen(args, tmp_path, hub)
    assert result.returncode == 0, result.stderr
    return result.stdout, yaml.safe_load((tmp_path / name / ".modalgen-answers.yml").read_text())


def row(out: str, key: str) -> str:
    return next(line.split(None, 1)[1] for line in out.splitlines() if line.split(None, 1)[:1] == [key])


@pytest.mark.parametrize(("model", "branch", "sha"), [(REPO, "main", MAIN), (f"{REPO}@main", "main", MAIN),
                                                      (f"{REPO}@dev", "dev", DEV)])  # fmt: skip
def test_a_branch_is_pinned_to_its_commit_when_the_hub_answers(tmp_path, hub_url, model, branch, sha):
    out, answers = new(tmp_path, "pinned", model, hub_url)
    assert answers["hf_model"] == f"{REPO}@{sha}"
    assert row(out, "model").startswith(f"{REPO} at {sha} ({branch}'s commit on the Hub now; `make download`")
    assert "not pinned" not in out
    assert f'MODEL_REVISION = "{sha}"' in (tmp_path / "pinned/pinned/core.py").read_text()


@pytest.mark.parametrize("model", [REPO, f"{REPO}@main"])
def test_a_branch_the_hub_does_not_answer_for_is_kept_and_says_why(tmp_path, model):
    out, answers = new(tmp_path, "kept", model, closed_port())
    assert answers["hf_model"] == model
    assert row(out, "revision") == (
        "not pinned: the Hub gave no commit for main (no answer within 2 s, or no such repo or branch); "
        f"`make download` takes main's newest commit. Pin one: modalgen set --hf-model {REPO}@<commit>"
    )
    assert 'MODEL_REVISION = "main"' in (tmp_path / "kept/kept/core.py").read_text()


def test_an_unknown_branch_is_kept_and_says_why(tmp_path, hub_url):
    out, answers = new(tmp_path, "nobranch", f"{REPO}@nope", hub_url)
    assert answers["hf_model"] == f"{REPO}@nope"
    assert row(out, "revision").startswith("not pinned: the Hub gave no commit for nope (")


@pytest.mark.parametrize("model", [REPO, f"{REPO}@main"])
def test_offline_the_hub_is_not_asked_and_the_summary_says_so(tmp_path, hub_url, model):
    out, answers = new(tmp_path, "offline", model, None)
    assert answers["hf_model"] == model
    assert row(out, "revision").startswith(
        "not pinned: MODALGEN_OFFLINE is set, so the Hub was not asked for main's commit; `make download`"
    )
    assert "did not answer" not in out  # it was never asked


def test_a_commit_given_is_kept_and_needs_no_reason(tmp_path, hub_url):
    out, answers = new(tmp_path, "given", f"{REPO}@{'3' * 40}", hub_url)
    assert answers["hf_model"] == f"{REPO}@{'3' * 40}"
    assert (
        row(out, "model")
        == f"{REPO} at {'3' * 40} (`make download`, on CPU, into the huggingface-cache Volume)"
    )


def test_set_pins_a_model_it_is_given_as_new_does(tmp_path, hub_url):
    render(parse_spec({"name": "later", "stack": "transformers", "gpu": ["L40S"]}), tmp_path / "later")
    result = modalgen(["set", "--hf-model", REPO, "--project", "later"], tmp_path, hub_url)
    assert result.returncode == 0, result.stderr
    assert (
        yaml.safe_load((tmp_path / "later/.modalgen-answers.yml").read_text())["hf_model"] == f"{REPO}@{MAIN}"
    )
    args = ["set", "--hf-model", f"{REPO}@main", "--allow-unpinned", "--project", "later"]
    result = modalgen(args, tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert "--hf-model: not pinned: MODALGEN_OFFLINE is set" in result.stderr
