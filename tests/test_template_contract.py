"""copier.yml repeats a few facts of modalgen's catalog; these tests prove the two agree."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

from modalgen import __version__, catalog
from modalgen.fields import volume_identifier
from modalgen.render import answers_for, render, template_dir
from modalgen.spec import ANSWER_KEYS, parse_spec
from tests.generated import check_settings

COPIER_YML = yaml.safe_load((template_dir() / "copier.yml").read_text())


def test_choices_and_defaults_match_the_catalog():
    assert COPIER_YML["workloads"]["choices"] == list(catalog.WORKLOAD_KINDS)
    assert COPIER_YML["workloads"]["default"] == list(catalog.DEFAULT_WORKLOADS)
    assert COPIER_YML["python_version"]["choices"] == list(catalog.CONTAINER_PYTHONS)
    assert COPIER_YML["python_version"]["default"] == catalog.DEFAULT_PYTHON
    assert COPIER_YML["gpu"]["default"] == [catalog.DEFAULT_GPU]
    assert COPIER_YML["cron"]["default"] == catalog.DEFAULT_CRON
    assert COPIER_YML["timezone"]["default"] == catalog.DEFAULT_TIMEZONE
    assert COPIER_YML["description"]["default"] == catalog.DEFAULT_DESCRIPTION
    assert COPIER_YML["gpu_prices"]["default"] == {g.name: g.price_per_hour for g in catalog.GPUS}
    assert COPIER_YML["modalgen_version"]["default"] == __version__
    assert COPIER_YML["web_style"]["choices"] == list(catalog.WEB_STYLES)
    assert COPIER_YML["web_style"]["default"] == catalog.DEFAULT_WEB_STYLE
    assert COPIER_YML["base"]["choices"] == list(catalog.BASES)
    assert COPIER_YML["base"]["default"] == catalog.DEFAULT_BASE
    for knob in catalog.INT_KNOBS:
        assert COPIER_YML[knob.key]["default"] == knob.default, knob.key
    # Every answer modalgen records is a question of the template, and nothing else is.
    questions = {k for k, v in COPIER_YML.items() if not k.startswith("_") and v.get("when") is not False}
    assert questions == set(ANSWER_KEYS) | {"modalgen_version"}


def _knob_tables() -> list[dict[str, set[str]]]:
    """The KNOBS tables the template repeats (macros and the generated conftest)."""
    tables = []
    for rel in ("macros.jinja", "template/tests/conftest.py.jinja"):
        text = (template_dir() / rel).read_text()
        body = re.search(r"KNOBS = (\{.*?\n\})", text, re.S).group(1)
        table = ast.literal_eval(body.replace("set()", "[]"))
        tables.append({kind: set(knobs) for kind, knobs in table.items()})
    return tables


def test_knob_tables_match_the_catalog():
    names = {catalog.WARM: "warm", catalog.CONCURRENT: "concurrent", catalog.RETRIES: "retries",
             catalog.SINGLE_USE: "single_use"}  # fmt: skip
    expected = {w.kind: {names[k] for k in w.knobs} for w in catalog.WORKLOADS} | {"core": set()}
    for table in _knob_tables():
        assert table == expected


def test_modal_pin_is_the_installed_minor():
    installed = ".".join(version("modal").split(".")[:2])
    assert COPIER_YML["modal_minor"]["default"] == installed


def test_smoke_test_knows_every_gpu():
    smoke = (template_dir() / "template/tests/test_smoke.py.jinja").read_text()
    names = re.findall(r'^    "([A-Z0-9-]+)": r"', smoke, re.M)
    assert names == [g.name for g in catalog.GPUS]


def test_volume_identifiers_agree_with_the_template(tmp_path):
    volumes = [{"name": "2024.runs"}, {"name": "Model-Cache"}, {"name": "a..b"}]
    spec = parse_spec({"project_name": "ids", "volumes": volumes})
    render(spec, tmp_path / "ids")
    common = (tmp_path / "ids/ids/common.py").read_text()
    for v in volumes:
        assert f'{volume_identifier(v["name"])} = modal.Volume.from_name("{v["name"]}"' in common


def test_plain_copier_renders_the_same_tree(tmp_path):
    """copier users can use the template directly; modalgen adds nothing copier would not write."""
    spec = parse_spec({"project_name": "same", "workloads": ["web", "cron"], "volumes": [{"name": "v"}]})
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
    """The matrix's check can fail: a project whose code disagrees with its answers is caught."""
    render(parse_spec({"project_name": "drift", "gpu": ["H100:2"]}), tmp_path / "drift")
    common = tmp_path / "drift/drift/common.py"
    common.write_text(common.read_text().replace('GPU = "H100:2"', 'GPU = "H100:1"'))
    try:
        check_settings(tmp_path / "drift")
    except AssertionError:
        return
    raise AssertionError("check_settings accepted a GPU that differs from the answers")
