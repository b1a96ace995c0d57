"""The finetune stack: a Hugging Face causal LM fine-tuned with LoRA (QLoRA, full) through the train
workload's loop, sized before it is written, and served from the inference functions.

Its suite runs in the model environment (torch's CPU build, transformers, peft) on the tiny causal LM
its test_model.py builds offline: LoRA lowers the loss, a stopped run resumes from its checkpoint
with the same adapter weights, and the adapter a run exports changes what the served model says;
its smoke tests run on the stand-in with the tiny model as the base. (Its torchrun tests pass in a
finetune project too; CI runs those in the torch project, whose loop is the same code.)
A file of its own, so that `--dist loadfile` can put it beside tests/test_train.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from modalgen import catalog
from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.render.template import render
from tests.generated import assert_true_to_its_plan, read_plan
from tests.smoke_runs import fake_gpus, model_python_or_skip, run_smoke

# The finetune stack: LoRA on the tiny causal LM of its test_model.py, built offline.
FINETUNE = {"name": "tune", "stack": "finetune", "gpu": ["L4"], "workload": ["train", "service"],
            "checkpoint_every": 4}  # fmt: skip


@pytest.fixture(scope="module")
def finetune_runs(tmp_path_factory) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """Its suite without the smoke tests (offline, then the real loop, resume and serving on the tiny
    model, two torchrun processes), and its smoke tests on the stand-in with the tiny model as base."""
    python = model_python_or_skip()
    project = render(parse_spec(FINETUNE), tmp_path_factory.mktemp("finetune") / "tune")
    assert_true_to_its_plan(project)
    fake = fake_gpus(read_plan(project))
    # The loop's torchrun tests (a SIGKILL mid-run, two processes in step) run in the torch project
    # (tests/test_train.py), and the transformers core's own model tests in tests/test_stacks.py: here,
    # what the finetune stack adds (LoRA, its checkpoint and resume, the adapter served, the dataset).
    shared = ("run_killed_mid_run", "two_processes_under_torchrun", "generates_decoded_tokens",
              "process_loads_once", "loads_for_a_snapshot")  # fmt: skip
    suite = run_smoke(project, fake, tmp_path_factory.mktemp("run"), "-m", "not smoke", "-k",
                      " and ".join(f"not {name}" for name in shared), python=python)  # fmt: skip
    smoke = run_smoke(project, fake, tmp_path_factory.mktemp("run"), "-p", "tiny_model", python=python)
    return suite, smoke


def test_a_finetune_project_trains_lora_resumes_and_serves_what_it_trained(finetune_runs):
    suite, smoke = finetune_runs
    for result in (suite, smoke):
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-4000:]
        assert " skipped" not in out, out[-2000:]
    # offline and model tests (LoRA training, resume from a checkpoint, the adapter served after a
    # run); the smoke tests of train, service and the core
    assert int(re.search(r"(\d+) passed", suite.stdout)[1]) >= 25, suite.stdout[-2000:]
    assert int(re.search(r"(\d+) passed", smoke.stdout)[1]) >= 3, smoke.stdout[-2000:]


def test_train_method_is_the_finetune_stacks_and_refused_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "tuned", "--stack", "finetune", "--train-method", "full", "--gpu", "H100",
                 "--no-git", "-y", "--dry-run", "--json"]) == 0  # fmt: skip
    refused = ["new", "plain-train", "--workload", "train", "--train-method", "qlora", "--no-git", "-y"]
    assert main(refused) == 2 and not (tmp_path / "plain-train").exists()
    # `set` changes it, `add service` serves what the runs train: the answers change, not a hand edit
    assert main(["new", "grown", "--stack", "finetune", "--gpu", "L4", "--no-git", "-y"]) == 0
    project = tmp_path / "grown"
    assert 'TRAIN_METHOD = "lora"' in (project / "grown/train.py").read_text()
    assert main(["set", "--train-method", "qlora", "--project", str(project)]) == 0
    assert 'TRAIN_METHOD = "qlora"' in (project / "grown/train.py").read_text()
    assert f'"{catalog.PINS["bitsandbytes"]}"' in (project / "grown/common.py").read_text()  # 4-bit weights
    assert main(["add", "service", "--project", str(project)]) == 0
    assert (project / "grown/service.py").is_file()
    assert 'RUNS_DIR = "/checkpoints/runs"' in (project / "grown/core.py").read_text()


def test_new_sizes_the_loop_it_writes(tmp_path):
    """`new` sizes the finetune loop's own batch and sequence length: one number, in both places."""
    from modalgen.catalog import train_loop

    project = render(parse_spec({"name": "sized", "stack": "finetune"}), tmp_path / "sized")
    text = (project / "sized/train.py").read_text()
    assert f"BATCH_SIZE = {train_loop.LOOP_BATCH_SIZE}  #" in text
    assert f"SEQ_LEN = {train_loop.LOOP_SEQ_LEN}  #" in text
    # and its README shows the sum for its GPU and the cheapest shapes that hold the run, priced
    readme = (project / "README.md").read_text()
    assert "LoRA fine-tuning needs ~" in readme and "| GPUs | memory per GPU |" in readme
    assert re.search(r"\| T4 \| 16 GB \| [\d.]+ GB \| \$[\d.]+ \| \$[\d.]+ \|", readme), readme[-1500:]


def test_a_project_on_a_hub_dataset_fetches_it_and_reads_its_examples(tmp_path, monkeypatch):
    """`--dataset REPO@REV`: `make download` fetches its JSON lines at the pinned revision beside the
    model, and the loop reads them from the cache Volume in any of the usual shapes (its offline
    tests; the loop's model tests train on the examples either way)."""
    raw = {**FINETUNE, "name": "chat", "dataset": "org/chats@" + "c" * 40}
    project = render(parse_spec(raw), tmp_path / "chat")
    assert 'DATASET = "org/chats@' in (project / "chat/train.py").read_text()
    result = run_smoke(project, fake_gpus(read_plan(project)), tmp_path, "-m", "not smoke and not model")
    out = result.stdout + result.stderr
    assert result.returncode == 0 and " skipped" not in out, out[-3000:]
    monkeypatch.chdir(tmp_path)
    unpinned = main(["new", "loose", "--stack", "finetune", "--dataset", "org/chats", "--no-git", "-y"])
    assert unpinned == 2 and not (tmp_path / "loose").exists()


# A full fine-tune of an 8B model on 8 H100s: ~156 GB in all, so no one GPU holds it (DDP), and the
# loop shards it (FSDP); the model tests swap in the tiny model, as in every finetune project.
SHARDED = {"name": "sharded", "stack": "finetune", "gpu": ["H100"], "gpu_for": {"train": ["H100:8"]},
           "workload": ["train"], "train_method": "full", "hf_model": "meta-llama/Llama-3.1-8B@" + "a" * 40,
           "checkpoint_every": 3}  # fmt: skip


def test_a_run_no_gpu_holds_whole_is_sharded_over_its_gpus(tmp_path):
    """FSDP where DDP does not fit: `new` plans it, sizes it per GPU, and the loop shards the model
    over two gloo processes: each rank loads its share of a checkpoint one process wrote (rank 0's
    first loss is that process's), trains, and rank 0 gathers a checkpoint that reads back and that
    one process resumes with the same weights; a step's checkpoint, checksum and export share one
    gather. In the GPUs' precision too (bf16 arithmetic on this CPU): fp32 weights, fp32 shards
    gathered in bf16, the export in bf16."""
    project = render(parse_spec(SHARDED), tmp_path / "sharded")
    plan = read_plan(project)
    assert_true_to_its_plan(project)
    train = next(fn for fn in plan["functions"] if fn["key"] == "train")
    assert train["settings"]["parallel"] == "fsdp"
    readme = (project / "README.md").read_text()
    assert "FSDP over 8 GPUs" in readme and "one process per GPU (FSDP" in readme, readme[-3000:]
    run_model_tests(project, tmp_path, "two_processes or share_one_gather or fp32_where", passed=4)
    # The same run on 2 H100s: LoRA fits each GPU whole, so DDP (no sharding code in the project).
    lora = render(parse_spec({**SHARDED, "name": "whole", "train_method": "lora"}), tmp_path / "whole")
    assert "fully_shard" not in (lora / "whole/train.py").read_text()


def test_lora_of_a_model_no_gpu_holds_is_sharded_with_its_frozen_weights(tmp_path):
    """LoRA of a 70B model on 8 H100s: DDP's whole copy fits no GPU, so FSDP shards the frozen base
    weights with the adapters among them: in the GPUs' precision, bf16 base weights and fp32
    adapters in one unit, gathered together. Two ranks train in step and their gathered checkpoint
    reads back (the loading, gathering and resuming of shares is the full fine-tune's, tested above)."""
    raw = {**SHARDED, "name": "sharded-lora", "train_method": "lora", "gpu": ["B200"],
           "hf_model": "meta-llama/Llama-3.1-70B-Instruct@" + "a" * 40}  # fmt: skip
    project = render(parse_spec(raw), tmp_path / "sharded-lora")
    plan = read_plan(project)
    assert next(fn for fn in plan["functions"] if fn["key"] == "train")["settings"]["parallel"] == "fsdp"
    run_model_tests(project, tmp_path, "shard_in_bf16 or share_one_gather", passed=2)


def test_qlora_trains_4bit_weights_resumes_and_serves_on_a_cpu(tmp_path):
    """QLoRA's path, run: bitsandbytes' NF4 layers (its CPU backend) under the adapters, the loss
    falls, a stopped run resumes with the same adapter weights, and the adapter is served; its
    adapters train in fp32 where the model computes in bf16."""
    raw = {**FINETUNE, "name": "quant", "train_method": "qlora"}
    project = render(parse_spec(raw), tmp_path / "quant")
    assert_true_to_its_plan(project)
    assert f'"{catalog.PINS["bitsandbytes"]}"' in (project / "quant/common.py").read_text()
    assert f"--with '{catalog.PINS['bitsandbytes']}'" in (project / "Makefile").read_text()  # make test-model
    chosen = ("4bit_weights or lowers_the_loss or killed_run_resumes_at_its_checkpoint or serves_what"
              " or fp32_where")  # fmt: skip
    run_model_tests(project, tmp_path, chosen, passed=5)


def run_model_tests(project: Path, tmp_path: Path, chosen: str, passed: int) -> None:
    """The project's model tests that `chosen` (pytest's -k) names, in the model environment: all
    `passed`, none skipped."""
    result = run_smoke(project, fake_gpus(read_plan(project)), tmp_path, "-m", "model", "-k", chosen,
                       python=model_python_or_skip())  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0 and " skipped" not in out, out[-4000:]
    assert f"{passed} passed" in result.stdout, result.stdout[-2000:]


def test_the_readme_fine_tune_session_is_what_modalgen_prints(tmp_path, monkeypatch, capsys):
    """modalgen's README walks a fine-tune from `new` to an answer: its plan table is what `new`
    prints, and the sum, the cost and the shapes it quotes are what the generated README says."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### A fine-tune, from `new` to a served answer", 1)[1].split("\n## ", 1)[0]
    session = section.split("```console\n", 1)[1].split("```", 1)[0]
    command, rest = session.split("\n", 1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "none.toml"))
    assert main([*command.removeprefix("$ uv run modalgen ").split(), "--no-git"]) == 0
    printed = capsys.readouterr().out
    for line in rest.split("\n$ ")[0].splitlines()[1:]:  # after "  ..."
        assert line in printed, line
    generated = " ".join((tmp_path / "tuned/README.md").read_text().split())
    after = section.split("```", 2)[2].strip().split("\n\n")[0]  # the paragraph after the session
    quotes = re.findall(r'"([^"]+)"', " ".join(after.split()))
    assert len(quotes) == 2 and all(quote in generated for quote in quotes), quotes
    for row in re.findall(r"^\| [A-Z0-9].*\|$", section, re.M)[1:]:
        assert row in (tmp_path / "tuned/README.md").read_text(), row
