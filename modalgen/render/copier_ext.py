"""The Jinja extension that lets plain `copier copy` render modalgen's template: it computes `plan`.

The answers file holds the answers, not the plan, so copier must plan as modalgen does. copier.yml
names this extension (`_jinja_extensions`, hence `copier copy --trust`) and asks a hidden question
`plan` right after `name`, whose default is `{{ modalgen_plan() }}`: the answers given (the data
file) -> Spec -> Plan, by modalgen's own functions, as JSON. modalgen itself passes the plan it has
already computed as data, which copier would take the same way; it never calls this.

    copier copy --trust --defaults --data-file .modalgen-answers.yml templates/project DEST

copier must run where modalgen is installed (the same environment).
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.ext import Extension


class PlanExtension(Extension):
    def __init__(self, environment) -> None:
        super().__init__(environment)
        environment.globals["modalgen_plan"] = modalgen_plan


@pass_context
def modalgen_plan(context) -> str:
    """The plan of the answers in the render context, as JSON (the question's type)."""
    import json

    from modalgen import catalog
    from modalgen.answers.spec import parse_spec
    from modalgen.plan.build import make_plan
    from modalgen.render.template import plan_data

    missing = object()
    answers: dict[str, Any] = {}
    for key in catalog.ANSWER_KEYS:
        value = context.get(key, missing)
        if value is not missing:
            answers[key] = value
    spec = parse_spec(answers)
    return json.dumps(plan_data(spec, make_plan(spec)))
