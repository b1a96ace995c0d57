"""The wizard in a real pseudo-terminal (pexpect): keys as a person types them."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest
import yaml

DOWN, UP, SPACE, ENTER, CTRL_C = "\x1b[B", "\x1b[A", " ", "\r", "\x03"


DEFAULT_PROMPTS = (
    "Description", "core run", "GPU type", "How many", "fallback", "Workloads", "Volume", "Secrets",
    "Hugging Face", "Container Python", "Tune scaling", "Create the project",
)  # fmt: skip


def spawn(args: list[str], cwd: Path, *, columns: int = 120, no_color: bool = True) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "modalgen", *args],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=15,
        dimensions=(40, columns),
        # pexpect is no real terminal: it never answers prompt_toolkit's cursor-position queries.
        env={
            "TERM": "xterm",
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            **({"NO_COLOR": "1"} if no_color else {}),
        },
    )
    return child


def answer(child: pexpect.spawn, prompt: str, *keys: str) -> None:
    child.expect(prompt)
    for key in keys:
        child.send(key)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


@pytest.mark.parametrize("columns", [120, 40])
def test_all_defaults_with_enter(tmp_path, columns):
    child = spawn(["new", "wiz", "--no-git"], tmp_path, columns=columns)
    for prompt in DEFAULT_PROMPTS:
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "wiz/.modalgen-answers.yml").read_text())
    assert answers["gpu"] == ["L4"] and answers["workload"] == ["batch"]
    assert answers["volume"] == [] and answers["python"] == "3.12"


def test_every_question_with_arrows_space_and_typing(tmp_path):
    child = spawn(["new", "--no-git"], tmp_path)
    answer(child, "Project name", "full-wiz", ENTER)
    answer(child, "Description", ENTER)
    answer(child, "core run", ENTER)  # plain
    # GPU list order: T4, L4, A10G, L40S, A100-40GB, A100-80GB, RTX-PRO-6000, H100, ...;
    # the cursor starts on L4.
    answer(child, "GPU type", DOWN * 6, ENTER)  # H100
    child.expect(r"How many H100")
    child.send("\b9" + ENTER)  # out of range: refused in place
    child.expect("1 to 8")
    child.send("\b2" + ENTER)
    answer(child, "fallback", "y")
    answer(child, "Fallback GPU type", DOWN * 5, ENTER)  # A100-80GB: the cursor starts on T4
    answer(child, "How many A100-80GB", "\b2", ENTER)
    answer(child, "fallback", ENTER)
    answer(child, "Workloads", DOWN * 2, SPACE, DOWN, SPACE, DOWN, SPACE, ENTER)  # batch, web, cron, service
    answer(child, "How is the endpoint served", DOWN * 2, ENTER)  # wsgi
    answer(child, "proxy auth", "n")
    answer(child, "Schedule by", ENTER)  # cron
    answer(child, "Cron schedule", ENTER)
    answer(child, "Time zone", "\b\b\bEurope/Berlin", ENTER)
    child.expect("next runs")
    answer(child, "Mount a Volume", "y")
    answer(child, "Volume name", "model-cache", ENTER)
    answer(child, "Mount path", "\b" * 20 + "/models", ENTER)
    answer(child, "Another Volume", ENTER)
    answer(child, "Secrets", "y")  # one Secret per answer, as --secret takes it
    answer(child, "as --secret takes it", "openai", ENTER)
    answer(child, "Another Secret", "y")
    answer(child, "as --secret takes it", "hf-token", ENTER)
    answer(child, "Another Secret", ENTER)
    answer(child, "Hugging Face", "org/model@" + "a" * 40, ENTER)
    answer(child, "Container Python", DOWN, ENTER)  # 3.13
    answer(child, "Tune scaling", "y")
    answer(child, "Seconds one input", "\b\b\b1200", ENTER)
    answer(child, "Containers kept warm", "\b1", ENTER)
    answer(child, "Cap on containers", "4", ENTER)
    answer(child, "Extra warm containers", ENTER)
    answer(child, "Seconds an idle container", ENTER)
    answer(child, "Retries", "\b2", ENTER)
    answer(child, "Inputs one container", "12", ENTER)
    answer(child, "MiB of memory", ENTER)
    answer(child, "fresh container", ENTER)
    answer(child, "Image base", DOWN, ENTER)  # cuda
    answer(child, "Debian packages", "ffmpeg", ENTER)
    answer(child, "Python packages", "torch==2.8.0", ENTER)
    answer(child, "Environment variables", "MODE=fast", ENTER)
    answer(child, "Modal environments", "dev,prod", ENTER)
    answer(child, "uv.lock", ENTER)
    answer(child, "Memory snapshots", "y")
    child.expect("H100:2")
    child.expect("warm containers bill")
    answer(child, "Create the project", ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "full-wiz/.modalgen-answers.yml").read_text())
    assert answers["gpu"] == ["H100:2", "A100-80GB:2"]
    assert answers["workload"] == ["batch", "web", "cron", "service"]
    assert (answers["web_style"], answers["public"]) == ("wsgi", True)
    assert answers["timezone"] == "Europe/Berlin" and answers["cron"] == "0 6 * * *"
    assert answers["volume"] == [{"name": "model-cache", "mount": "/models"}]
    assert answers["secret"] == [{"name": "openai", "keys": ["OPENAI_API_KEY"]},
                                 {"name": "hf-token", "keys": ["HF_TOKEN"]}]  # fmt: skip
    assert answers["environments"] == ["dev", "prod"]
    assert answers["hf_model"] == "org/model@" + "a" * 40
    assert answers["python"] == "3.13"
    assert (answers["timeout"], answers["min_containers"], answers["max_containers"]) == (1200, 1, 4)
    assert (answers["retries"], answers["max_inputs"], answers["base"]) == (2, 12, "cuda")
    assert (answers["apt"], answers["pip"], answers["env"]) == (
        ["ffmpeg"],
        ["torch==2.8.0"],
        {"MODE": "fast"},
    )
    assert answers["snapshot"] is True and answers["uv_sync"] is False


def test_flags_are_not_asked_again(tmp_path):
    child = spawn(["new", "flagged", "--gpu", "T4", "--workload", "map", "--python", "3.11",
                   "--description", "d", "--stack", "plain", "--no-git"], tmp_path)  # fmt: skip
    for prompt in ("Mount a Volume", "Secrets", "Hugging Face", "Tune scaling", "Create the project"):
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    assert (tmp_path / "flagged/flagged/fanout.py").is_file()


@pytest.mark.parametrize("stop_at", ["Description", "GPU type", "Workloads", "Create the project"])
def test_ctrl_c_at_a_prompt_exits_130_and_writes_nothing(tmp_path, stop_at):
    child = spawn(["new", "stopped", "--no-git"], tmp_path)
    for prompt in DEFAULT_PROMPTS:
        child.expect(prompt)
        if prompt == stop_at:
            child.send(CTRL_C)
            break
        child.send(ENTER)
    assert finish(child) == 130
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    assert not (tmp_path / "stopped").exists()


def test_declining_then_quitting_writes_nothing(tmp_path):
    child = spawn(["new", "declined", "-y"], tmp_path)  # -y: no questions even in a terminal
    assert finish(child) == 0
    child = spawn(["new", "declined2", "--gpu", "T4", "--workload", "batch", "--python", "3.12",
                   "--description", "d", "--stack", "plain", "--no-git"], tmp_path)  # fmt: skip
    for prompt in ("Mount a Volume", "Secrets", "Hugging Face", "Tune scaling"):
        answer(child, prompt, ENTER)
    answer(child, "Create the project", "n")
    answer(child, "Change an answer, or quit", UP, ENTER)  # the last choice: quit
    assert finish(child) == 1
    assert not (tmp_path / "declined2").exists()


def test_no_at_the_summary_changes_one_answer_and_keeps_the_others(tmp_path):
    child = spawn(["new", "changed", "--no-git"], tmp_path)
    answer(child, "Description", "Mine", ENTER)  # typing replaces the default
    answer(child, "core run", ENTER)
    answer(child, "GPU type", ENTER)  # L4
    answer(child, "How many", ENTER)
    answer(child, "fallback", ENTER)
    answer(child, "Workloads", ENTER)
    answer(child, "Mount a Volume", ENTER)
    answer(child, "Secrets", "y")
    answer(child, "as --secret takes it", "openai", ENTER)
    answer(child, "Another Secret", ENTER)
    for prompt in ("Hugging Face", "Container Python", "Tune scaling"):
        answer(child, prompt, ENTER)
    child.expect("batch_job")  # the plan is shown before the confirmation
    answer(child, "Create the project", "n")
    answer(child, "Change an answer, or quit", DOWN * 3, ENTER)  # name, description, stack, gpu
    answer(child, "GPU type", DOWN * 3, ENTER)  # A100-40GB: the cursor starts on L4
    answer(child, "How many", "2", ENTER)
    answer(child, "fallback", ENTER)
    child.expect("A100-40GB:2")
    answer(child, "Create the project", ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "changed/.modalgen-answers.yml").read_text())
    assert answers["gpu"] == ["A100-40GB:2"]
    assert answers["description"] == "Mine" and answers["secret"][0]["name"] == "openai"


def test_errors_name_the_item_and_the_cron_field(tmp_path):
    child = spawn(
        [
            "new",
            "errs",
            "--gpu",
            "T4",
            "--workload",
            "cron",
            "--python",
            "3.12",
            "--description",
            "d",
            "--stack",
            "plain",
            "--no-git",
        ],
        tmp_path,
    )
    answer(child, "Schedule by", ENTER)
    answer(child, "Cron schedule", "61 * * * *", ENTER)
    child.expect("minute 61 is out of range 0-59")
    child.send("\b" * 12 + "0 7 * * *" + ENTER)
    answer(child, "Time zone", ENTER)
    answer(child, "Mount a Volume", ENTER)
    answer(child, "Secrets", "y")
    answer(child, "as --secret takes it", "good", ENTER)
    answer(child, "Another Secret", "y")
    answer(child, "as --secret takes it", "bad name", ENTER)
    child.expect("--secret 2")
    child.send("\b" * 10 + ENTER)  # an empty answer: no second Secret after all
    for prompt in ("Hugging Face", "Tune scaling"):
        answer(child, prompt, ENTER)
    answer(child, "Create the project", ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "errs/.modalgen-answers.yml").read_text())
    assert answers["cron"] == "0 7 * * *" and [s["name"] for s in answers["secret"]] == ["good"]


def test_add_asks_only_for_what_the_new_kind_needs(tmp_path):
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render

    render(parse_spec({"name": "grows"}), tmp_path / "grows")
    child = spawn(["add", "cron", "--project", "grows"], tmp_path)
    answer(child, "Schedule by", DOWN, ENTER)  # a period
    answer(child, "Every", "6h", ENTER)
    child.expect("scheduled_job")  # the add wizard ends with the summary and the plan
    answer(child, "Add cron", ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "grows/.modalgen-answers.yml").read_text())
    assert answers["workload"] == ["batch", "cron"] and answers["period"] == "6h"


def test_add_wizard_declined_writes_nothing(tmp_path):
    from modalgen.answers.spec import parse_spec
    from modalgen.render.template import render

    render(parse_spec({"name": "keeps"}), tmp_path / "keeps")
    before = (tmp_path / "keeps/.modalgen-answers.yml").read_text()
    child = spawn(["add", "web", "--project", "keeps"], tmp_path)
    answer(child, "How is the endpoint served", ENTER)
    answer(child, "proxy auth", ENTER)
    answer(child, "Add web", "n")
    assert finish(child) == 1
    assert (tmp_path / "keeps/.modalgen-answers.yml").read_text() == before
    assert not (tmp_path / "keeps/keeps/web.py").exists()


FLAGGED = ["--workload", "batch", "--python", "3.12", "--description", "d", "--stack", "plain", "--no-git"]


def test_a_secret_with_keys_is_one_secret_as_the_flag_reads_it(tmp_path):
    """`db:DB_USER,DB_PASSWORD` is one Secret with two keys, as `--secret` reads it, not a second
    Secret named DB_PASSWORD."""
    child = spawn(["new", "keys", "--gpu", "T4", *FLAGGED], tmp_path)
    answer(child, "Mount a Volume", ENTER)
    answer(child, "Secrets", "y")
    answer(child, "as --secret takes it", "db:DB_USER,DB_PASSWORD", ENTER)
    answer(child, "Another Secret", "y")
    answer(child, "as --secret takes it", "openai", ENTER)
    answer(child, "Another Secret", ENTER)
    for prompt in ("Hugging Face", "Tune scaling", "Create the project"):
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "keys/.modalgen-answers.yml").read_text())
    assert answers["secret"] == [{"name": "db", "keys": ["DB_USER", "DB_PASSWORD"]},
                                 {"name": "openai", "keys": ["OPENAI_API_KEY"]}]  # fmt: skip


def test_a_time_zone_folder_is_asked_again_with_the_message(tmp_path):
    """`Europe` is a folder of the tz database: the wizard says so and asks again, keys intact."""
    flags = ["--workload", "cron", "--python", "3.12", "--description", "d", "--stack", "plain", "--no-git"]
    child = spawn(["new", "zones", "--gpu", "T4", *flags], tmp_path)
    answer(child, "Schedule by", ENTER)
    answer(child, "Cron schedule", ENTER)
    answer(child, "Time zone", "Europe", ENTER)
    child.expect("Europe is a region of the time zone database, not a zone")
    child.send("\b" * 6 + "Etc" + ENTER)
    child.expect("Etc is a region")
    child.send("\b" * 3 + "Europe/Berlin" + ENTER)
    child.expect("next runs")
    for prompt in ("Mount a Volume", "Secrets", "Hugging Face", "Tune scaling", "Create the project"):
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "zones/.modalgen-answers.yml").read_text())
    assert answers["timezone"] == "Europe/Berlin"


def test_the_change_menu_shows_answers_as_typed_and_starts_from_them(tmp_path):
    """After "no": each group's answers as the user typed them (no Python list or dict), and each
    question asked again starts from the current answer, so Enter all the way keeps it."""
    given = ["--gpu", "H100:2", "--gpu", "A100-80GB:2", "--volume", "model-cache:/models",
             "--secret", "db:USER,PASS", "--secret", "openai", "--max-containers", "4"]  # fmt: skip
    child = spawn(["new", "menu", *given, *FLAGGED], tmp_path)
    answer(child, "Hugging Face", ENTER)
    answer(child, "Tune scaling", ENTER)
    answer(child, "Create the project", "n")
    child.expect("Change an answer, or quit")
    child.expect("quit")
    menu = child.before
    assert "model-cache:/models" in menu and "db:USER,PASS; openai" in menu and "H100:2, A100-80GB:2" in menu
    assert "{'" not in menu and "['" not in menu and '"' not in menu, menu
    child.send(DOWN * 3 + ENTER)  # name, description, stack, gpu
    answer(child, "GPU type", ENTER)  # the cursor starts on H100, the current type
    answer(child, r"How many H100 per container \(1-8\) \[2\]", ENTER)
    answer(child, "Add a fallback GPU", ENTER)  # yes: there is one
    answer(child, "Fallback GPU type", ENTER)  # A100-80GB
    answer(child, r"How many A100-80GB per container \(1-8\) \[2\]", ENTER)
    answer(child, "Add a fallback GPU", ENTER)  # no more
    answer(child, "Create the project", "n")
    answer(
        child, "Change an answer, or quit", DOWN * 8, ENTER
    )  # ... gpu, workload, schedule, web, volume, secret
    answer(child, "Secrets", ENTER)  # yes: there are some
    answer(child, r"as --secret takes it: NAME or NAME:KEY1,KEY2 \[db:USER,PASS\]", ENTER)
    answer(child, "Another Secret", ENTER)
    answer(child, r"takes it: NAME or NAME:KEY1,KEY2 \[openai\]", ENTER)
    answer(child, "Another Secret", ENTER)  # no more
    answer(child, "Create the project", "n")
    answer(child, "Change an answer, or quit", UP * 2, ENTER)  # scaling and image, above quit
    answer(child, r"Seconds one input may run .*\[600\]", ENTER)
    answer(child, r"Cap on containers .*Enter: 4; default: Modal's default", "\b" * 3 + "default", ENTER)
    for prompt in (
        "Retries",
        "MiB of memory",
        "fresh container",
        "Image base",
        "Debian",
        "Python packages",
        "Environment variables",
        "Modal environments",
        "uv.lock",
        "Memory snapshots",
    ):
        answer(child, prompt, ENTER)
    answer(child, "Create the project", ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "menu/.modalgen-answers.yml").read_text())
    assert answers["gpu"] == ["H100:2", "A100-80GB:2"]
    assert answers["secret"] == [{"name": "db", "keys": ["USER", "PASS"]},
                                 {"name": "openai", "keys": ["OPENAI_API_KEY"]}]  # fmt: skip
    assert answers["volume"] == [{"name": "model-cache", "mount": "/models"}]
    assert answers.get("max_containers") is None  # `default` gave Modal's back


def test_the_finetune_stack_asks_its_training_method(tmp_path):
    """With --stack finetune the workloads start at train, and the method is asked after the model."""
    child = spawn(["new", "tune", "--no-git", "--stack", "finetune"], tmp_path)
    for prompt in ("Description", "GPU type", "How many", "fallback", "Workloads", "Volume", "Secrets",
                   "Hugging Face"):  # fmt: skip
        answer(child, prompt, ENTER)
    answer(child, "Fine-tuning method", DOWN * 2, ENTER)  # full
    answer(child, "dataset to fine-tune on", "org/chats", ENTER)  # a branch: refused in place
    child.expect("a pinned revision")
    child.send("@" + "c" * 40 + ENTER)
    for prompt in ("Container Python", "Tune scaling", "Create the project"):
        answer(child, prompt, ENTER)
    assert finish(child) == 0
    answers = yaml.safe_load((tmp_path / "tune/.modalgen-answers.yml").read_text())
    assert answers["workload"] == ["train"] and answers["train_method"] == "full"
    assert answers["dataset"] == "org/chats@" + "c" * 40
