"""copier.yml, written from the catalogue: the template's questions, and the facts it prints.

`python -m modalgen.render.copier_yml` rewrites `templates/project/copier.yml`; a test fails when the file
and the catalogue drift apart. The templates render from the plan (modalgen/plan/), which modalgen
passes as data; plain copier computes it from the answers through `copier_ext` (the hidden question
`plan`, asked right after `name`), so `copier copy --trust --defaults --data-file ANSWERS` renders
the very tree `modalgen new` does. The questions say what each recorded answer is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from modalgen import __version__, catalog
from modalgen.answers.spec import Spec

HEADER = """\
# Written by `python -m modalgen.render.copier_yml` from modalgen/catalog/: edit the catalogue, not this
# file (tests/test_template_contract.py fails when they differ). The files render from `plan`, which
# modalgen computes from the answers in .modalgen-answers.yml; copier computes it with modalgen's
# extension (installed with modalgen), so `copier copy --trust --defaults --data-file
# .modalgen-answers.yml` renders the same tree. The questions below say what each answer is.
"""
EXTENSION = "modalgen.render.copier_ext.PlanExtension"


def choices() -> dict[str, list[str]]:
    """The answers that take one of a list, read from the catalogue when copier.yml is written."""
    return {
        "workload": list(catalog.KIND_NAMES),
        "python": list(catalog.CONTAINER_PYTHONS),
        "image_builder": list(catalog.IMAGE_BUILDERS),
        "web_style": list(catalog.WEB_STYLES),
        "base": list(catalog.BASES),
        "stack": [s.name for s in catalog.STACKS],
        **{o.key: list(o.choices) for o in catalog.OPTIONS if o.choices},
    }


def _question(key: str, default: Any) -> dict[str, Any]:
    listed = choices()
    knob = catalog.INT_KNOB_BY_KEY.get(key)
    if knob:
        help_text = f"{knob.help[0].upper()}{knob.help[1:]} ({knob.low}-{knob.high})"
        question: dict[str, Any] = {"type": "int" if knob.default is not None else "yaml", "help": help_text}
    elif isinstance(default, bool):
        question = {"type": "bool", "help": catalog.OPTION_BY_KEY[key].question}
    elif key in listed or isinstance(default, str):
        question = {"type": "str", "help": catalog.OPTION_BY_KEY[key].question}
    else:
        question = {"type": "yaml", "help": catalog.OPTION_BY_KEY[key].question}
    if key in listed:
        question["choices"] = listed[key]
    if key == "workload":
        question["multiselect"] = True
    if key != "name":
        question["default"] = default
        question["when"] = f"{{{{ '{key}' in plan.answered }}}}"
    return question


def _defaults() -> dict[str, Any]:
    spec = Spec(name="x")
    return {**spec.to_answers(set(catalog.ANSWER_KEYS)), "period": None, "cron": spec.cron,
            "timezone": spec.timezone, "web_style": spec.web_style, "public": spec.public,
            "single_use_containers": False}  # fmt: skip


def catalog_facts() -> dict[str, Any]:
    """What the generated projects' own checks need to know about Modal, from the catalogue."""
    return {
        "modal_minor": catalog.MODAL_MINOR,
        "gpus": [
            {
                "name": g.name,
                "aliases": list(g.aliases),
                "vram_gb": g.vram_gb,
                "max_count": g.max_count,
                "price_per_hour": g.price_per_hour,
                "served_as": list(g.served_as),
                "note": g.note,
            }
            for g in catalog.GPUS
        ],  # fmt: skip
        "limits": {
            "timeout": [catalog.INT_KNOB_BY_KEY["timeout"].low, catalog.INT_KNOB_BY_KEY["timeout"].high],
            "retries": catalog.INT_KNOB_BY_KEY["retries"].high,
            "cpu": list(catalog.CPU_RANGE),
            "memory": [catalog.INT_KNOB_BY_KEY["memory"].low, catalog.INT_KNOB_BY_KEY["memory"].high],
        },
        "image_builders": {k: list(v) for k, v in catalog.IMAGE_BUILDERS.items()},
        "forbidden_mounts": list(catalog.FORBIDDEN_MOUNTS),
        "cpu_price": catalog.CPU_PRICE_PER_CORE_HOUR,
        "memory_price": catalog.MEMORY_PRICE_PER_GIB_HOUR,
        "default_cpu": catalog.DEFAULT_CPU,
        "default_memory_mib": catalog.DEFAULT_MEMORY_MIB,
        "system_dirs": list(catalog.SYSTEM_DIRS),
    }


def _excludes() -> list[str]:
    """Module and test files of the kinds a project lacks; generated per kind from the catalogue."""
    patterns = []
    for kind in catalog.KINDS:
        for path in (f"{{{{ plan.package }}}}/{kind.module}.py", f"tests/test_{kind.module}.py"):
            patterns.append(f"{{% if '{kind.name}' not in plan.kinds %}}{path}{{% endif %}}")
    for path in ("{{ plan.package }}/weights.py", "tests/test_weights.py"):
        patterns.append(f"{{% if not plan.model %}}{path}{{% endif %}}")
    patterns.append("{% if not plan.secrets %}.env.example{% endif %}")
    for path in ("tests/fake_engine.py", "tests/test_model.py"):  # the model stacks' own tests
        patterns.append(f"{{% if not plan.stack.test_packages %}}{path}{{% endif %}}")
    return patterns


def document() -> dict[str, Any]:
    defaults = _defaults()
    doc: dict[str, Any] = {
        "_min_copier_version": "9.4.0",
        "_subdirectory": "template",
        "_answers_file": catalog.ANSWERS_FILE,
        "_templates_suffix": ".jinja",
        "_envops": {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True},
        "_exclude": _excludes(),
        "_jinja_extensions": [EXTENSION],
    }
    for key in catalog.ANSWER_KEYS:
        doc[key] = _question(key, defaults.get(key))
        if key == "name":  # the plan next: every later question is recorded when the plan says it applies
            doc["plan"] = {"type": "json", "help": "What modalgen plans from the answers (modalgen/plan/)",
                           "default": "{{ modalgen_plan() }}", "when": False}  # fmt: skip
    doc["modalgen_version"] = {
        "type": "str", "help": "The modalgen version that rendered the project", "default": __version__,
    }  # fmt: skip
    doc["catalog"] = {"type": "yaml", "help": "Facts from modalgen/catalog/", "default": catalog_facts(),
                      "when": False}  # fmt: skip
    return doc


def text() -> str:
    return HEADER + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    from modalgen.render.template import template_dir

    path = Path(template_dir()) / "copier.yml"
    path.write_text(text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
