"""One source of truth: copier.yml is written from the catalogue, the templates print the plan, and a
new workload kind is one catalogue record plus its module template and its test template."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from modalgen import catalog
from modalgen.answers.fields import volume_identifier
from modalgen.answers.spec import parse_spec
from modalgen.render import copier_yml
from modalgen.render.template import answers_for, render, render_data, template_dir
from tests.generated import check_settings, check_text, read_plan
from tests.smoke_runs import fake_gpus, run_smoke


def test_copier_yml_is_written_from_the_catalogue():
    """Edit the catalogue and run `python -m modalgen.render.copier_yml`: this fails until you do."""
    assert (template_dir() / "copier.yml").read_text() == copier_yml.text()


def test_modal_pin_is_the_installed_minor():
    installed = ".".join(version("modal").split(".")[:2])
    assert catalog.MODAL_MINOR == installed


def test_generated_gpu_rules_know_every_gpu_and_alias(tmp_path):
    render(parse_spec({"name": "rules"}), tmp_path / "rules")
    namespace: dict = {}
    exec((tmp_path / "rules/tests/modal_rules.py").read_text(), namespace)
    names = {n for g in catalog.GPUS for n in (g.name, *g.aliases)}
    assert set(namespace["GPU_TYPES"]) == names
    for g in catalog.GPUS:
        assert namespace["GPU_TYPES"][g.name] == (g.max_count, g.served_as)


def test_volume_identifiers_agree_with_the_template(tmp_path):
    volumes = [{"name": "2024.runs"}, {"name": "Model-Cache"}, {"name": "a..b"}]
    render(parse_spec({"name": "ids", "volume": volumes}), tmp_path / "ids")
    common = (tmp_path / "ids/ids/common.py").read_text()
    for v in volumes:
        assert f'{volume_identifier(v["name"])} = modal.Volume.from_name("{v["name"]}"' in common


def test_plain_copier_renders_the_same_tree(tmp_path):
    """copier users can use the template directly with the answers file; modalgen adds nothing."""
    spec = parse_spec({"name": "same", "workload": ["web", "cron", "service"], "volume": [{"name": "v"}]})
    render(spec, tmp_path / "ours" / "same")
    answers = tmp_path / "answers.yml"
    answers.write_text(yaml.safe_dump(answers_for(spec)))
    copier = Path(sys.executable).parent / "copier"
    subprocess.run(
        [str(copier), "copy", "--defaults", "--quiet", "--data-file", str(answers), str(template_dir()),
         str(tmp_path / "plain")],
        check=True, env={**os.environ, "COPIER_SETTINGS_PATH": os.devnull},
        capture_output=True,
    )  # fmt: skip
    ours = sorted(p.relative_to(tmp_path / "ours/same") for p in (tmp_path / "ours/same").rglob("*"))
    plain = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*"))
    assert ours == plain
    for rel in ours:
        if (tmp_path / "plain" / rel).is_file():
            assert (tmp_path / "ours/same" / rel).read_bytes() == (tmp_path / "plain" / rel).read_bytes(), rel


def test_the_settings_check_catches_a_wrong_gpu(tmp_path):
    """The matrix's check can fail: a project whose code disagrees with its plan is caught."""
    render(parse_spec({"name": "drift", "gpu": ["H100:2"]}), tmp_path / "drift")
    common = tmp_path / "drift/drift/common.py"
    common.write_text(common.read_text().replace('GPU = "H100:2"', 'GPU = "H100:1"'))
    with pytest.raises(AssertionError):
        check_settings(tmp_path / "drift")


# -- a new kind: one record, two templates

ECHO_MODULE = '''{% from "macros.jinja" import options, local_imports, do_work with context %}
{% set fn = plan.functions | selectattr("key", "equalto", "echo") | first %}
"""Echo: the core's answer, twice."""

{{ local_imports(fn) }}


@app.function(
{{ options(fn) }})
def echo_twice(text: str) -> list[dict]:
    return [{{ do_work(fn, "text") }}, {{ do_work(fn, "text") }}]
'''
ECHO_TEST = '''"""Echo, locally and on Modal (smoke)."""

import pytest
from conftest import assert_ran_on

from {{ plan.package }} import echo


def test_echo_runs_locally():
    assert [r["words"] for r in echo.echo_twice.local("a b")] == [2, 2]


@pytest.mark.smoke
def test_echo_on_modal(on_modal):
    for result in echo.echo_twice.remote("a b"):
        assert_ran_on(echo.echo_twice, result["device"])
'''


@pytest.fixture
def echo_kind(tmp_path, monkeypatch) -> Path:
    """The catalogue with one more kind, and a copy of the template with its two files."""
    kind = catalog.Kind("echo", "echo", "the core's answer, twice", "echo_twice", None, "function",
                        frozenset({catalog.TIMEOUT, catalog.RETRIES, catalog.RESOURCES}), "core")  # fmt: skip
    kinds = (*catalog.KINDS, kind)
    monkeypatch.setattr(catalog, "KINDS", kinds)
    monkeypatch.setattr(catalog, "KIND_NAMES", tuple(k.name for k in kinds))
    monkeypatch.setattr(catalog, "KIND_BY_NAME", {k.name: k for k in kinds})
    monkeypatch.setattr(catalog, "GPU_FOR_KEYS", (*catalog.GPU_FOR_KEYS, "echo"))
    template = tmp_path / "template" / "project"
    shutil.copytree(template_dir(), template)
    (template / "template/{{ plan.package }}/echo.py.jinja").write_text(ECHO_MODULE)
    (template / "template/tests/test_echo.py.jinja").write_text(ECHO_TEST)
    (template / "copier.yml").write_text(copier_yml.text())
    return template


def test_a_new_kind_is_one_record_and_two_templates(echo_kind, tmp_path):
    spec = parse_spec({"name": "echoes", "gpu": ["A10G"], "workload": ["echo", "web"]})
    project = render_data(answers_for(spec), tmp_path / "echoes", echo_kind)
    assert (project / "echoes/echo.py").is_file() and (project / "tests/test_echo.py").is_file()
    check_text(project)
    assert check_settings(project) == 3
    plan = read_plan(project)
    assert "    echo," in (project / "echoes/app.py").read_text()
    result = run_smoke(project, fake_gpus(plan), tmp_path, "-m", "")
    assert result.returncode == 0 and "skipped" not in result.stdout, result.stdout[-3000:]
    assert "test_echo.py .." in result.stdout.replace("tests/", "") or "passed" in result.stdout


def test_every_kind_is_in_the_catalogue_once_with_its_two_templates():
    """The shipped kinds follow the same shape: a record, a module template, a test template."""
    package = template_dir() / "template/{{ plan.package }}"
    tests = template_dir() / "template/tests"
    for kind in catalog.KINDS:
        assert (package / f"{kind.module}.py.jinja").is_file(), kind.name
        assert (tests / f"test_{kind.module}.py.jinja").is_file(), kind.name
    assert len({k.module for k in catalog.KINDS}) == len(catalog.KINDS)
    fields = {f.name for f in dataclasses.fields(catalog.Kind)}
    assert {"name", "module", "knobs", "placement", "packages", "make", "readme"} <= fields
