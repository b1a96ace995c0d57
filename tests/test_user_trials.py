"""Mistakes found by using modalgen as people do: each is one line naming the option as typed, exit 2,
nothing written, whichever way the answer came in (flag, answers file, `set`, `add`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modalgen.answers.spec import parse_spec
from modalgen.cli.main import main
from modalgen.render.template import render

SHA = "a" * 40


def one_error(capsys, args: list[str]) -> str:
    """Run modalgen in-process; the one line it prints on stderr for exit 2."""
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, (code, err)
    assert "Traceback" not in err[0] and "internal error" not in err[0], err[0]
    return err[0]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- time zones: a folder of the tz database is not a zone


FOLDERS = ["Europe", "America", "Etc", "Etc/", "europe"]
NOT_ZONES = ["posixrules", "localtime", "zone.tab", "Europe/Berlin/x", "Nowhere/City", "../../etc/passwd"]


@pytest.mark.parametrize("zone", FOLDERS + NOT_ZONES)
def test_a_timezone_that_is_no_zone_is_refused_as_a_flag(tmp_path, capsys, zone):
    line = one_error(capsys, ["new", "tz", "--workload", "cron", "--timezone", zone,
                              "--output-dir", str(tmp_path)])  # fmt: skip
    assert line.startswith(f'modalgen: error: --timezone: "{zone}" is not allowed; '), line
    assert str(Path.home()) not in line and "site-packages" not in line and "zoneinfo" not in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["Europe", "America", "Etc"])
def test_a_timezone_folder_is_named_a_region_with_zones_in_it(capsys, folder):
    line = one_error(capsys, ["new", "tz", "--workload", "cron", "--timezone", folder, "--dry-run"])
    assert f"{folder} is a region of the time zone database, not a zone" in line, line
    assert f"such as {folder}/" in line


def test_a_timezone_in_the_wrong_case_names_the_zone(capsys):
    line = one_error(capsys, ["new", "tz", "--timezone", "europe/berlin", "--dry-run"])
    assert '"europe/berlin"' in line and "Europe/Berlin" in line.split("is not allowed")[1]


def test_every_zone_of_the_database_is_taken(capsys):
    from modalgen.answers.fields import check_timezone

    for zone in ("UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Pacific"):
        assert check_timezone(zone) == zone


@pytest.mark.parametrize("zone", ["Europe", "Etc", "posixrules"])
def test_a_timezone_folder_in_an_answers_file_and_in_set(tmp_path, capsys, zone):
    path = tmp_path / "answers.yml"
    path.write_text(yaml.safe_dump({"name": "tz", "workload": ["cron"], "timezone": zone}))
    from_file = one_error(capsys, ["new", "--answers-file", str(path), "--output-dir", str(tmp_path / "out")])
    assert f'--timezone: "{zone}" is not allowed' in from_file
    project = render(parse_spec({"name": "tz", "workload": ["cron"]}), tmp_path / "tz")
    before = tree(project)
    from_set = one_error(capsys, ["set", "--timezone", zone, "--project", str(project)])
    assert from_set == from_file
    assert tree(project) == before and not (tmp_path / "out").exists()


# -- a model of unknown size: the model is named, --model-params is the way to size it


@pytest.mark.parametrize("model", [f"someorg/unknown@{SHA}", "someorg/unknown"])
def test_an_unknown_model_names_hf_model_and_the_repo(tmp_path, capsys, model):
    line = one_error(capsys, ["new", "m", "--stack", "transformers", "--hf-model", model,
                              "--output-dir", str(tmp_path)])  # fmt: skip
    assert line.startswith(f'modalgen: error: --hf-model: "{model}"'), line
    assert "--model-params N" in line
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_model_in_gpus_names_model(capsys):
    line = one_error(capsys, ["gpus", "--model", "someorg/unknown"])
    assert line.startswith('modalgen: error: --model: "someorg/unknown"') and "--model-params N" in line


# -- messages that say what is wrong


def test_a_keyword_name_says_it_is_a_python_keyword(tmp_path, capsys):
    for name in ("import", "class", "Lambda"):
        line = one_error(capsys, ["new", name, "--output-dir", str(tmp_path)])
        assert f'NAME: "{name}" is not allowed' in line
        assert f"{name.lower()} is a Python keyword" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["H100:2:3", "H100:x", "H100:", "T4,H100:2:3"])
def test_a_malformed_gpu_count_names_the_value_and_the_form(capsys, value):
    line = one_error(capsys, ["new", "g", "--gpu", value, "--dry-run"])
    malformed = value.split(",")[-1]
    assert f'"{malformed}" is not allowed' in line and "TYPE[:COUNT]" in line, line
    assert "takes a count of 1 to 8" not in line  # the count is not out of range: it is not one count


def test_a_gpu_count_out_of_range_says_the_range(capsys):
    line = one_error(capsys, ["new", "g", "--gpu", "H100:9", "--dry-run"])
    assert '"H100:9" is not allowed; H100 takes a count of 1 to 8' in line


def test_set_name_says_set_cannot_rename_and_what_to_do(tmp_path, capsys):
    project = render(parse_spec({"name": "keep"}), tmp_path / "keep")
    line = one_error(capsys, ["set", "--name", "other", "--project", str(project)])
    assert line.startswith("modalgen: error: --name: no such option")
    assert "--base" not in line and "cannot rename" in line
    assert "modalgen new NEW-NAME --answers-file .modalgen-answers.yml" in line


def test_the_rename_that_set_suggests_works(tmp_path, capsys, monkeypatch):
    project = render(parse_spec({"name": "keep", "gpu": ["T4"]}), tmp_path / "keep")
    monkeypatch.chdir(project)
    assert main(["new", "renamed", "--answers-file", ".modalgen-answers.yml", "--output-dir", "..",
                 "--no-git"]) == 0  # fmt: skip
    answers = yaml.safe_load((tmp_path / "renamed/.modalgen-answers.yml").read_text())
    assert answers["name"] == "renamed" and answers["gpu"] == ["T4"]


def test_a_near_miss_option_gets_a_close_guess_only(tmp_path, capsys):
    project = render(parse_spec({"name": "near"}), tmp_path / "near")
    assert "did you mean --timeout?" in one_error(capsys, ["set", "--timout", "3", "--project", str(project)])
    assert "did you mean --gpu?" in one_error(capsys, ["set", "--gpus", "T4", "--project", str(project)])
    assert "did you mean" not in one_error(capsys, ["set", "--nam", "x", "--project", str(project)])


def test_add_errors_name_only_options_add_has(tmp_path, capsys):
    """Each error path of `add` names an option `add` takes, its arguments, or a file, never a flag of
    another command (`--answers-file` is `new`'s; `--name` exists nowhere)."""
    from modalgen.cli.main import add as add_command

    own = {o for p in add_command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
    project = render(
        parse_spec({"name": "grows", "workload": ["cron"], "volume": ["data"]}), tmp_path / "grows"
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".modalgen-answers.yml").write_text("name: x\ngpu: [X100]\nmodalgen_version: 0.2.0\n")
    cases = [
        ["add", "volume"],
        ["add", "secret"],
        ["add", "cron", "x"],
        ["add", "bogus"],
        ["add", "--name", "y", "cron"],
        ["add", "cron", "--cron", "0 9 * * *"],  # the project's cron is set: `modalgen set` changes it
        ["add", "volume", "data:/elsewhere"],
        ["add", "web", "--timezone", "Europe"],
        ["add", "cron", "--project", str(tmp_path / "nowhere")],
        ["add", "cron", "--project", str(broken)],
        ["add", "cron", "--json"],
    ]
    for args in cases:
        if "--project" not in args:
            args = [*args, "--project", str(project)]
        line = one_error(capsys, args)
        message = line.split("(see `")[0]
        named = {word.strip("`\"'(),;:.?") for word in message.split() if word.startswith(("--", "`--"))}
        named = {n.split("=")[0] for n in named if n.startswith("--")}
        typed = {a for a in args if a.startswith("--")}
        assert named <= own | typed, (args, line, named - own)
        assert "--answers-file" not in line or "modalgen new" in line, line


# -- `modalgen gpus`: no flag is ignored


def test_gpus_sizing_flags_without_a_model_are_refused(capsys):
    for args in (["--dtype", "fp8"], ["--max-model-len", "4096"], ["--stack", "transformers"],
                 ["--stack", "vllm", "--gpu", "L4"], ["--dtype", "fp8", "--hours", "3"]):  # fmt: skip
        line = one_error(capsys, ["gpus", *args])
        assert line.startswith(f'modalgen: error: {args[0]}: "{args[1]}"'), line
        assert "--model REPO or --model-params N" in line


def test_gpus_model_params_alone_sizes_a_model_of_that_size_and_says_how(capsys):
    assert main(["gpus", "--model-params", "70B"]) == 0
    out = capsys.readouterr().out
    assert "as the vllm stack runs a model: bf16 weights, a KV cache for 8,192 tokens" in out
    assert "a 70B model in bf16 needs ~140 GB of weights" in out
    assert "\nL4 " not in out and "H200:2" in out
    assert main(["gpus", "--model-params", "70B", "--dtype", "int4", "--stack", "transformers",
                 "--max-model-len", "2048"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "transformers stack" in out and "in int4 needs ~35 GB" in out and "(2,048 tokens" in out


def test_gpus_model_with_gpu_and_hours_uses_both(capsys):
    import json

    assert main(["gpus", "--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "T4,L40S", "--hours", "2",
                 "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    assert [(r["gpu"], r["fits"], r["cost"]) for r in rows] == [("T4", False, 1.18), ("L40S", True, 3.9)]
    assert main(["gpus", "--model", "Qwen/Qwen2.5-7B-Instruct", "--hours", "10"]) == 0
    out = capsys.readouterr().out
    assert "10 h" in out and "8.00" in out  # L4 for 10 hours
    assert main(["gpus", "--model-params", "70B", "--gpu", "L4"]) == 1  # none of these holds it
    assert "None of these holds it" in capsys.readouterr().out


def test_gpus_max_model_len_for_a_stack_without_a_kv_cache_is_refused(capsys):
    line = one_error(capsys, ["gpus", "--model", "BAAI/bge-small-en-v1.5", "--stack", "embeddings",
                              "--max-model-len", "4096"])  # fmt: skip
    assert '--max-model-len: "4096"' in line and "embeddings stack keeps no KV cache" in line


def test_gpus_every_flag_combination_is_used_or_refused(capsys):
    """Every combination of the flags of `gpus` (255 runs): exit 2 naming a flag, or an answer that
    each flag changes: dropping any one flag from the run changes its exit code or what it prints.
    So no flag is ever silently ignored, alone or beside any other."""
    import itertools

    values = {"--gpu": ["H100:2"], "--hours": ["3"], "--model": ["Qwen/Qwen2.5-7B-Instruct"],
              "--model-params": ["8B"], "--stack": ["transformers"], "--dtype": ["fp8"],
              "--max-model-len": ["2048"], "--json": []}  # fmt: skip
    runs: dict[frozenset, tuple[int, str]] = {}

    def gpus(combo: frozenset) -> tuple[int, str]:
        if combo not in runs:
            code = main(
                ["gpus", *(part for name in values if name in combo for part in (name, *values[name]))]
            )
            captured = capsys.readouterr()
            runs[combo] = (code, captured.out + captured.err)
        return runs[combo]

    sizing = {"--stack", "--dtype", "--max-model-len"}
    for size in range(1, len(values) + 1):
        for combo in map(frozenset, itertools.combinations(values, size)):
            code, printed = gpus(combo)
            sized = "--model" in combo or "--model-params" in combo
            if not sized and sizing & combo:
                assert code == 2 and printed.split(": ")[2] in sizing, (sorted(combo), printed)
                continue
            assert code == 0, (sorted(combo), printed)
            for name in combo:
                assert gpus(combo - {name}) != (code, printed), f"{name} changes nothing in {sorted(combo)}"


@pytest.fixture(autouse=True)
def _hub_lookups_off(monkeypatch):
    """`new` and `gpus --model` turn Hub look-ups on for the process; each test starts without."""
    from modalgen.answers import model

    monkeypatch.setattr(model, "HUB_LOOKUPS", False)


def test_answers_are_shown_as_their_flags_take_them():
    from modalgen.answers.fields import as_typed

    assert as_typed("volume", [{"name": "data", "mount": "/models"}, "cache"]) == "data:/models, cache"
    secrets = [{"name": "db", "keys": ["USER", "PASS"]}, {"name": "openai", "keys": ["OPENAI_API_KEY"]}]
    assert as_typed("secret", secrets) == "db:USER,PASS; openai"  # two Secrets, never three
    assert as_typed("env", {"MODE": "fast"}) == "MODE=fast"
    assert as_typed("gpu_for", {"web": [], "cron": ["T4", "L4"]}) == "web=cpu; cron=T4,L4"
    assert as_typed("public", True) == "yes" and as_typed("max_containers", None) == ""
