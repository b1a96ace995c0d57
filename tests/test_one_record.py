"""One record each: a new stack is one catalogue record plus its template fragments, and a new option
is one record plus where the templates use it. Each test adds one, as
test_template_contract.py::test_a_new_kind_is_one_record_and_two_templates does for a kind, and
shows every stage reading it: flags, wizard, answers, copier.yml, the plan's checks, the files."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from modalgen import catalog
from modalgen.answers.fields import SpecError
from modalgen.answers.spec import parse_spec
from modalgen.catalog import sizing
from modalgen.cli import options, questions, wizard
from modalgen.plan.build import make_plan
from modalgen.render import copier_yml
from modalgen.render.template import answers_for, render_data, template_dir
from tests.generated import check_settings, check_text, read_plan
from tests.smoke_runs import fake_gpus, run_smoke

# -- a new stack: one record, its fragments

ECHO_CORE = '''{% import "stacks/parts.jinja" as parts with context %}
"""The core: the text, echoed back with where it ran."""

import functools
import shutil
import subprocess


{{ parts.device_functions() }}


class Model:
    def __init__(self) -> None:
        self.device = "cpu"

    def to(self, device: str) -> "Model":
        self.device = device
        return self

    def __call__(self, text: str) -> dict:
        return {"input": text, "echo": text, "device": device_report()}

    def batch(self, texts: list[str]) -> list[dict]:
        return [self(text) for text in texts]


def load_model(device: str | None = None, target: str | None = None) -> Model:
    return Model().to(device or best_device())


@functools.cache
def model() -> Model:
    return load_model()


def process(text: str) -> dict:
    return model()(text)
'''
ECHO_CHECK = '''def check_answer(result: dict, text: str) -> None:
    """What every answer of the core must hold, for this text."""
    assert (result["input"], result["echo"]) == (text, text)
    assert result["device"]["count"] == len(result["device"]["gpus"])
'''
ECHO_STACK = catalog.Stack(
    "echo", "echoes its input: the smallest stack there is", None, (), (), ("3.11", "3.12", "3.13"),
    example="echo this", bench_request='a text to echo (POST {"text": ...})',
    memory=catalog.Memory("fp16", True, 2048, (0.25, 0.05)),
)  # fmt: skip


def _add_stack(monkeypatch, stack: catalog.Stack) -> None:
    stacks = (*catalog.STACKS, stack)
    monkeypatch.setattr(catalog, "STACKS", stacks)
    monkeypatch.setattr(catalog, "STACK_BY_NAME", {s.name: s for s in stacks})


@pytest.fixture
def echo_stack(tmp_path, monkeypatch) -> Path:
    """The catalogue with one more stack, and a copy of the template with its two fragments."""
    _add_stack(monkeypatch, ECHO_STACK)
    template = tmp_path / "template" / "project"
    shutil.copytree(template_dir(), template)
    (template / "stacks/echo").mkdir()
    (template / "stacks/echo/core.py").write_text(ECHO_CORE)
    (template / "stacks/echo/check.py").write_text(ECHO_CHECK)
    (template / "copier.yml").write_text(copier_yml.text())
    return template


def test_a_new_stack_is_one_record_and_its_fragments(echo_stack, tmp_path):
    spec = parse_spec({"name": "echoes", "stack": "echo", "gpu": ["A10G"], "workload": ["batch", "web"]})
    assert "- echo" in (echo_stack / "copier.yml").read_text()  # the stack is a choice of copier.yml
    project = render_data(answers_for(spec), tmp_path / "echoes", echo_stack)
    check_text(project)
    assert check_settings(project) == 3
    plan = read_plan(project)
    assert plan["stack"]["name"] == "echo" and plan["stack"]["example"] == "echo this"
    # `make bench` reads its request shape and its tokens from the record
    assert plan["bench"]["what"] == ECHO_STACK.bench_request and plan["bench"]["tokens"] is False
    assert "echo" in (project / "README.md").read_text()
    result = run_smoke(project, fake_gpus(plan), tmp_path, "-m", "")
    assert result.returncode == 0 and "skipped" not in result.stdout, result.stdout[-3000:]


def test_a_new_stack_is_refused_where_its_record_says(echo_stack):
    with pytest.raises(SpecError, match="the echo stack's packages install on Python 3.11, 3.12, 3.13"):
        parse_spec({"name": "echoes", "stack": "echo", "python": "3.14"})


def test_a_new_stacks_sizing_and_gpu_use_come_from_its_record(monkeypatch):
    """Sized, it is sized with its own memory facts; splitting, it may take several GPUs."""
    sized = dataclasses.replace(ECHO_STACK, sizing=True, model="Qwen/Qwen2.5-0.5B@" + "a" * 40,
                                gpu_use=catalog.SPLIT_GPUS, tokens=True)  # fmt: skip
    _add_stack(monkeypatch, sized)
    spec = parse_spec({"name": "sized", "stack": "echo", "gpu": ["L4:2"], "workload": ["batch", "web"]})
    assert make_plan(spec).bench["tokens"] is True
    need = sizing.memory_need(sizing.KNOWN["qwen/qwen2.5-0.5b"], stack=sized)
    assert (need.dtype, need.max_model_len, need.usable_fraction) == ("fp16", 2048, 0.90)
    assert need.activations_gb == pytest.approx(0.25 + 0.05 * 0.494e9 * 2 / 1e9)
    model = make_plan(spec).model
    assert (model["dtype"], model["max_model_len"], model["need_gb"]) == (
        "fp16",
        2048,
        round(need.total_gb, 1),
    )
    assert "max_model_len" in make_plan(spec).applies  # it counts a KV cache: the option applies
    one_gpu = dataclasses.replace(sized, gpu_use=catalog.ONE_GPU)
    _add_stack(monkeypatch, one_gpu)
    with pytest.raises(SpecError, match="loads one copy of the model on one GPU"):
        parse_spec({"name": "sized", "stack": "echo", "gpu": ["L4:2"], "workload": ["batch"]})


# -- a new option: one record

TRACE = catalog.Option(
    "trace", catalog.BOOL, False, "Log every input the function takes.", "Log every input the function takes",
    catalog.TIMEOUT, ask="Log every input the function takes?",
)  # fmt: skip
TRACED = """{% set fn = plan.functions | selectattr("key", "equalto", "batch") | first %}
{% if fn.settings.trace %}
# This project logs every input its batch job takes (--trace).
{% endif %}
"""


@pytest.fixture
def trace_option(monkeypatch) -> catalog.Option:
    """The catalogue with one more option (a yes/no the functions with a timeout take)."""
    records = (*catalog.OPTIONS, TRACE)
    monkeypatch.setattr(catalog, "OPTIONS", records)
    monkeypatch.setattr(catalog, "OPTION_BY_KEY", {o.key: o for o in records})
    monkeypatch.setattr(catalog, "ANSWER_KEYS", tuple(o.key for o in records))
    return TRACE


def test_a_new_option_is_a_flag(trace_option):
    @click.command()
    @options.spec_options
    def command(**values):
        click.echo(repr(options.raw_from_flags(values)))

    result = CliRunner().invoke(command, ["--trace", "--workload", "batch"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "{'workload': ['batch'], 'trace': True}"
    assert "--trace / --no-trace" in CliRunner().invoke(command, ["--help"]).output


def test_a_new_option_is_an_answer_checked_and_recorded(trace_option):
    spec = parse_spec({"name": "traced", "trace": True})
    assert spec.knob("trace") is True and parse_spec({"name": "plain"}).knob("trace") is False
    assert answers_for(spec)["trace"] is True
    with pytest.raises(SpecError, match='--trace: "yes" is not allowed; true or false'):
        parse_spec({"name": "traced", "trace": "yes"})
    with pytest.raises(
        SpecError, match="--trace: applies to the .* workloads, and nothing in this project takes"
    ):
        parse_spec({"name": "served", "stack": "vllm", "workload": ["server"], "trace": True})


def test_a_new_option_is_a_question_of_the_wizard_and_of_copier_yml(trace_option, monkeypatch):
    assert "trace" in wizard.tuning() and "trace" in wizard.groups()["scaling and image"]
    asked = []
    monkeypatch.setattr(questions, "ask_now", lambda question: asked.append(question) or True)
    raw: dict = {}
    questions.ask_record(raw, trace_option, {})
    assert raw == {"trace": True} and len(asked) == 1
    question = copier_yml.document()["trace"]
    assert (question["type"], question["help"], question["default"]) == ("bool", TRACE.question, False)


def test_a_new_option_reaches_the_functions_that_take_it_and_the_templates(trace_option, tmp_path):
    plan = make_plan(parse_spec({"name": "traced", "workload": ["batch", "server"], "trace": True}))
    assert plan.function("batch").settings == (("trace", True),)
    assert plan.function("server").settings == ()  # a Server has no timeout: it does not take it
    data = plan.to_data()
    assert [f.get("settings") for f in data["functions"]] == [None, {"trace": True}, None]
    template = tmp_path / "template" / "project"
    shutil.copytree(template_dir(), template)
    (template / "template/TRACING.md.jinja").write_text(TRACED)
    (template / "copier.yml").write_text(copier_yml.text())
    for traced in (True, False):
        spec = parse_spec({"name": f"t{traced}", "workload": ["batch"], "trace": traced})
        project = render_data(answers_for(spec), tmp_path / spec.name, template)
        assert ("logs every input" in (project / "TRACING.md").read_text()) is traced


def test_copier_yml_asks_each_question_as_its_record_says():
    """copier.yml's questions are the records' own words (numbers: the knob's help and bounds)."""
    document = copier_yml.document()
    for option in catalog.OPTIONS:
        knob = catalog.INT_KNOB_BY_KEY.get(option.key)
        expected = option.question if knob is None else f"{knob.help[0].upper()}{knob.help[1:]}"
        assert document[option.key]["help"].startswith(expected), option.key
