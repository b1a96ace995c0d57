"""modalgen's commands: parse, call, print. `modalgen.cli.main` loads this module only to run one of them.

Heavy imports (jinja2, questionary) happen inside the commands that need them; copier is never
imported.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from modalgen import __version__
from modalgen.cli.main import UserError, _is_interactive
from modalgen.cli.options import spec_options

if TYPE_CHECKING:  # pathlib loads with the commands that use it
    from pathlib import Path

EXAMPLES_NEW = """
\b
Examples:
  modalgen new my-inference                      # the wizard, in a terminal
  modalgen new my-inference -y                   # every default, no questions
  modalgen new embedder --gpu H100:2,A100-80GB:2 --workload batch,web
  modalgen new chat --gpu H100 --workload web,service --min-containers 1   # web front on CPU
  modalgen new nightly --cpu-only --workload cron --cron "0 6 * * *" --timezone Europe/Berlin
  modalgen new trainer --gpu A10G --gpu-for cron=A100-80GB:4 --workload batch,cron
  modalgen new trainer --gpu A10G --volume model-cache:/models --dry-run --json
"""


def _raw_from_flags(flags: dict[str, Any]) -> dict[str, Any]:
    from modalgen.cli.options import FlagConflict, raw_from_flags

    try:
        return raw_from_flags(flags)
    except FlagConflict as exc:
        raise UserError(str(exc)) from None


def _gather_raw(answers_file: Path | None, name: str | None, flags: dict[str, Any]) -> dict[str, Any]:
    """Flags over the answers file: the raw answers before validation and the wizard."""
    from modalgen.answers.file import load_answers
    from modalgen.answers.spec import BOOKKEEPING, migrate

    raw: dict[str, Any] = migrate(load_answers(answers_file)) if answers_file else {}
    for key in BOOKKEEPING:  # this modalgen records its own version and plan
        raw.pop(key, None)
    raw.update(_raw_from_flags(flags))
    if name is not None:
        raw["name"] = name
    return raw


@click.command(epilog=EXAMPLES_NEW)
@click.argument("name", required=False)
@spec_options
@click.option(
    "--answers-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="YAML with the keys of .modalgen-answers.yml; flags override it.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where the folder NAME is created.",
)
@click.option("-y", "--defaults", is_flag=True, help="Ask nothing: answers not given take their defaults.")
@click.option(
    "--dry-run", is_flag=True, help="Print the summary and the files it would write; write nothing."
)
@click.option("--json", "as_json", is_flag=True,
              help="With --dry-run: one JSON object {answers, plan, files} on stdout.")  # fmt: skip
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty folder: other files are kept, overwritten ones listed, no `git init`.",
)
@click.option("--no-git", is_flag=True, help="Skip `git init` and the first commit.")
def new(
    name: str | None,
    answers_file: str | None,
    output_dir: str,
    defaults: bool,
    dry_run: bool,
    as_json: bool,
    force: bool,
    no_git: bool,
    **flags: Any,
) -> None:
    """Create the Modal project NAME.

    In a terminal, a wizard asks for every answer not given as a flag, shows the plan (each
    function, where it runs, what it costs) and asks before writing. Otherwise (stdin is not a
    terminal, or --defaults) nothing is asked: missing answers take their defaults. Every answer is
    checked before anything is written; the project is rendered aside and moved into place whole.
    """
    from pathlib import Path

    from modalgen.plan import build as plan
    from modalgen.render.template import render

    _exit_cleanly_on_sigterm()
    plan.HUB_LOOKUPS = True  # a model's parameter count from the Hub, when it answers (2 s at most)
    if as_json and not dry_run:
        raise UserError("--json: goes with --dry-run (it prints the plan instead of writing)")
    raw = _gather_raw(Path(answers_file) if answers_file else None, name, flags)
    output_dir = Path(output_dir)
    interactive = _is_interactive() and not defaults and not as_json
    spec, project_plan = _new_spec_and_plan(raw, output_dir, force=force, interactive=interactive,
                                            quiet=as_json)  # fmt: skip
    target = output_dir / spec.name

    def build(tree: Path) -> None:
        render(spec, tree, project_plan)  # the plan made above, passed on

    if dry_run:
        _new_dry_run(spec, project_plan, target, build, force=force, as_json=as_json)
    else:
        _new_in_place(project_plan, target, build, force=force, git=not no_git)


def _new_spec_and_plan(raw: dict[str, Any], output_dir: Path, *, force: bool, interactive: bool, quiet: bool):
    """answers -> Spec -> Plan, once each: from the wizard in a terminal, else from flags and defaults."""
    from modalgen.answers.spec import parse_spec
    from modalgen.cli import report
    from modalgen.grow import place
    from modalgen.plan import build as plan

    if interactive:
        # Flags are checked before the first question, with a stand-in for a missing name.
        parse_spec({"name": "x", **raw})
        if "name" in raw:
            place.check_target(output_dir / raw["name"], force=force)
        from modalgen.cli import wizard

        spec = wizard.run(raw, lambda s: place.check_target(output_dir / s.name, force=force))
        if spec is None:
            click.echo("Nothing written.")
            sys.exit(1)
        spec = plan.pin_params(plan.pin_revision(spec))
        return spec, plan.make_plan(spec)
    if "name" not in raw:
        raise UserError("NAME: missing; give it (e.g. `modalgen new my-inference`)")
    spec = plan.pin_params(plan.pin_revision(parse_spec(raw)))
    project_plan = plan.make_plan(spec)
    place.check_target(output_dir / spec.name, force=force)
    if not quiet:
        click.echo(f"modalgen new {spec.name}")
        click.echo(report.summary(spec, project_plan))
    return spec, project_plan


def _new_dry_run(spec, project_plan, target: Path, build, *, force: bool, as_json: bool) -> None:
    from modalgen.grow import place

    files = place.dry_run(build, spec.name)
    overwrite = place.overwritten(target, files) if force else []
    if as_json:
        import json

        from modalgen.render.template import answers_for

        answers = answers_for(spec, project_plan)
        click.echo(json.dumps({"answers": answers, "plan": project_plan.to_data(), "files": files,
                               "overwrites": overwrite}, indent=2))  # fmt: skip
        return
    if overwrite:
        click.echo(f"Would overwrite {len(overwrite)} files in {target}/:")
        for f in overwrite:
            click.echo(f"  {f}")
    click.echo(f"Would write {len(files)} files to {target}/ (dry run: nothing written):")
    for f in files:
        click.echo(f"  {f}")


def _new_in_place(project_plan, target: Path, build, *, force: bool, git: bool) -> None:
    from modalgen.cli import report
    from modalgen.grow import place

    started = time.perf_counter()
    before = set(place.list_files(target)) if force and target.is_dir() else set()
    files = place.stage_and_place(target, build, force=force, git=git)
    elapsed = time.perf_counter() - started
    click.echo(f"Created {target}/ ({len(files)} files) in {elapsed:.1f} s.")
    overwrote = sorted(before & set(files))
    if overwrote:
        click.echo(f"Overwrote {len(overwrote)} files that were there (--force):")
        for f in overwrote:
            click.echo(f"  {f}")
    from modalgen.tools.modal_auth import auth_state

    click.echo(report.next_steps(target, project_plan, token=auth_state().configured))


EXAMPLES_ADD = """
\b
Examples:
  modalgen add cron --cron "0 6 * * *" --timezone Europe/Berlin
  modalgen add web --web-style wsgi --public
  modalgen add volume model-cache:/models
  modalgen add secret openai --project ../my-inference
  modalgen add secret db:DB_USER,DB_PASSWORD
  modalgen add service --dry-run                 # print the diff, write nothing
"""


@click.command(epilog=EXAMPLES_ADD)
@click.argument("kind", metavar="KIND")
@click.argument("value", required=False, metavar="[NAME[:MOUNT]]")
@spec_options
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to grow.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
@click.option("-y", "--defaults", is_flag=True, help="Ask nothing: answers not given take their defaults.")
def add(kind: str, value: str | None, project: str, dry_run: bool, defaults: bool, **flags: Any) -> None:
    """Grow a modalgen project by one component, keeping every line you wrote.

    KIND is a workload (batch, map, web, cron, service, batched, spawn, server), `volume
    NAME[:MOUNT]` or `secret NAME[:KEY1,KEY2]`; options are those of `modalgen new`, for the new
    component only: an option the project already uses is changed with `modalgen set`, never by
    `add`. The project is rendered as it was made and as it will be; files you never touched are
    replaced, files you edited get a 3-way merge, files you deleted stay deleted. Overlapping edits
    get conflict markers, listed, with exit code 1. `.modalgen-answers.yml` is rewritten last.
    """
    from pathlib import Path

    from modalgen.answers.spec import parse_spec
    from modalgen.grow import commands as grow
    from modalgen.plan.build import make_plan

    _exit_cleanly_on_sigterm()
    if kind not in grow.ADDABLE:
        raise UserError(f'KIND: "{kind}" is not allowed; one of {", ".join(grow.ADDABLE)}')
    if kind in ("volume", "secret") and not value:  # the positional NAME, not the --volume/--secret flag
        usage = "NAME[:MOUNT]" if kind == "volume" else "NAME[:KEY1,KEY2]"
        raise UserError(f"{usage}: missing; `modalgen add {kind} {usage}`")
    given = _raw_from_flags(flags)
    interactive = _is_interactive() and not defaults
    with grow.opened_for_change(Path(project), dry_run=dry_run) as proj:  # a second one waits
        old_spec = proj.spec
        old_plan = make_plan(old_spec)
        raw = grow.with_addition(proj.answers, kind, value, given)
        if interactive:
            from modalgen.cli import wizard

            raw = wizard.ask_missing(raw, tune=False)  # only what the new component needs; flags tune it
        new_spec = _pinned(parse_spec(raw), given)
        new_plan = make_plan(new_spec)
        grow.check_no_changes(old_spec, old_plan, new_spec, new_plan, given)
        if new_spec.to_answers(set()) == old_spec.to_answers(set()) and new_spec == old_spec:
            click.echo(f"{kind} {value or ''}".strip() + f" is already in {proj.root}: nothing changed.")
            return
        if interactive and not dry_run:
            from modalgen.cli import wizard

            if not wizard.confirm_growth(report_summary(new_spec, new_plan), f"Add {kind}?"):
                click.echo("Nothing written.")
                sys.exit(1)
        _grow(proj, new_spec, new_plan, f"add {kind} {value or ''}".rstrip(), dry_run, old_plan)
    _say_if_unpinned(new_spec, new_plan, given)


def _pinned(spec, given: dict[str, Any]):
    """A model given now (`add`, `set`) is pinned as `new` pins it: a branch becomes its commit on the
    Hub when the Hub answers, and a size the Hub gives is recorded. A model the project has is left be."""
    from modalgen.plan import build as plan

    if "hf_model" not in given:
        return spec
    plan.HUB_LOOKUPS = True
    return plan.pin_params(plan.pin_revision(spec))


def _say_if_unpinned(spec, project_plan, given: dict[str, Any]) -> None:
    from modalgen.cli import report

    if "hf_model" in given and spec.hf_model:
        if not project_plan.model["pinned"]:
            click.echo(f"--hf-model: {report.unpinned_line(spec, project_plan)}", err=True)


EXAMPLES_SET = """
\b
Examples:
  modalgen set --timeout 1200
  modalgen set --gpu L40S --dry-run          # print the diff, write nothing
  modalgen set --gpu-for web=cpu --min-containers 1
  modalgen set --cron "0 9 * * 1-5" --project ../nightly
"""


@click.command("set", epilog=EXAMPLES_SET)
@spec_options
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to change.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
def set_answers(project: str, dry_run: bool, **flags: Any) -> None:
    """Change answers of an existing project, keeping every line you wrote.

    Takes the flags of `modalgen new` (not NAME); each replaces that answer (`--workload web` sets
    the workloads to web alone; `modalgen add` adds one). The project is re-planned and re-rendered,
    then merged three-way exactly as `add` does: your edits stay, overlapping ones get conflict
    markers (listed, exit 1). Nothing to change: exit 0 and says so. `--dry-run` prints the diff.
    """
    from pathlib import Path

    from modalgen.answers.spec import parse_spec
    from modalgen.grow import commands as grow
    from modalgen.plan.build import make_plan

    _exit_cleanly_on_sigterm()
    given = _raw_from_flags(flags)
    if not given:
        raise UserError("set: no option given; name what to change, e.g. `modalgen set --timeout 1200`")
    with grow.opened_for_change(Path(project), dry_run=dry_run) as proj:  # a second one waits
        old_spec = proj.spec
        new_spec = _pinned(parse_spec({**proj.answers, **given}), given)
        if new_spec == old_spec and proj.version == __version__:
            click.echo(f"{proj.root} already has these answers: nothing to change.")
            return
        what = " ".join(f"--{key.replace('_', '-')}" for key in given)
        new_plan = make_plan(new_spec)
        old_plan = make_plan(old_spec) if proj.version == __version__ else None  # its base is planned
        _grow(proj, new_spec, new_plan, f"set {what}", dry_run, old_plan)
    _say_if_unpinned(new_spec, new_plan, given)


@click.command()
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to update.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
def update(project: str, dry_run: bool) -> None:
    """Bring a project to this modalgen's template, with the same answers, keeping your edits.

    The same 3-way merge as `modalgen add`: conflicts are marked inline and listed (exit 1), and the
    new modalgen version is recorded last. Answers files of earlier releases are read as they were
    written (renamed keys included).

    \b
    Examples:
      modalgen update --dry-run      # the diff, nothing written
      modalgen update --project ../my-inference
    """
    from pathlib import Path

    from modalgen.grow import commands as grow

    _exit_cleanly_on_sigterm()
    with grow.opened_for_change(Path(project), dry_run=dry_run) as proj:  # a second one waits
        if proj.version == __version__:
            click.echo(f"{proj.root} is at modalgen {__version__} already: nothing to update.")
            return
        new_spec, notes = grow.updated_spec(proj)
        for note in notes:
            click.echo(f"modalgen: {note}", err=True)
        from modalgen.plan.build import make_plan

        _grow(proj, new_spec, make_plan(new_spec), f"update {proj.version} -> {__version__}", dry_run)


def report_summary(spec, plan) -> str:
    from modalgen.cli import report

    return report.summary(spec, plan)


def _grow(proj, new_spec, new_plan, what: str, dry_run: bool, old_plan=None) -> None:
    from modalgen.cli import report
    from modalgen.grow import commands as grow
    from modalgen.grow import merge

    if grow.git_is_dirty(proj.root):
        click.echo(
            f"modalgen: warning: {proj.root} has uncommitted changes; commit first to review this change "
            "on its own (nothing is committed, stashed or reset for you)",
            err=True,
        )
    plan = grow.plan_growth(proj, new_spec, new_plan, old_plan)
    if dry_run:
        click.echo(merge.unified_diff(plan, proj.root), nl=False)
        click.echo(f"modalgen {what} (dry run: nothing written):")
        click.echo(report.growth(plan))
        _what_broke(plan)
        if plan.conflicts:
            sys.exit(1)
        return
    merge.apply(plan, proj.root)
    click.echo(f"modalgen {what}:")
    click.echo(report.growth(plan))
    marked = [rel for rel in plan.conflicts if rel not in plan.broken]
    if marked:
        click.echo(
            f"Conflicts in {len(marked)} file(s): resolve the lines between "
            f"'{merge.MARKERS[0]}' and '{merge.MARKERS[2]}', then run `make test`.",
            err=True,
        )
    _what_broke(plan)
    if plan.conflicts:
        sys.exit(1)
    click.echo("Next: review the change (git diff), then `make test`.")


def _what_broke(plan) -> None:
    """Files that merged cleanly but no longer run: each with the name and line that broke."""
    if not plan.broken:
        return
    click.echo(
        f"The merge broke {len(plan.broken)} Python file(s); fix them, then run `make test`:", err=True
    )
    for rel, problems in plan.broken.items():
        for problem in problems:
            click.echo(f"  {rel}: {problem}", err=True)


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: {ok, checks: [{name, ok, detail, fix}]}."
)
@click.option("--project", default=".", type=click.Path(file_okay=False),
              help="Also check the project this folder is in: it or a folder above it holds "
                   ".modalgen-answers.yml (default: the current folder).")  # fmt: skip
def doctor(as_json: bool, project: str) -> None:
    """Check, without any network call, that this machine (and project) is ready for Modal.

    Python, uv, the modal package against the minor the templates pin, a Modal token (environment,
    or the active profile of ~/.modal.toml, honouring MODAL_CONFIG_PATH and MODAL_PROFILE), the
    active profile and MODAL_ENVIRONMENT; inside a project (any folder of it), its answers file and
    its modal pin. Each problem comes with its fix, a command that runs from where you are. Exit 0
    only when all is well, 1 otherwise.

    \b
    Examples:
      modalgen doctor
      modalgen doctor --json | jq .ok
    """
    import json
    from pathlib import Path

    from modalgen.tools.doctor import as_json as to_json
    from modalgen.tools.doctor import run_checks

    checks = run_checks(Path(project))
    if as_json:
        click.echo(json.dumps(to_json(checks), indent=2))
    else:
        for c in checks:
            mark = "info" if c.informational else ("ok" if c.ok else "FAIL")
            click.echo(f"{mark:<5} {c.name:<13} {c.detail}")
            if c.fix and not c.ok:
                click.echo(f"{'':<5} {'':<13} fix: {c.fix}")
    if not all(c.ok for c in checks):
        sys.exit(1)


GPUS_STACK = "vllm"  # how `modalgen gpus` sizes a model when --stack is not given


@click.command()
@click.option("--gpu", "gpus_asked", metavar="TYPE[:COUNT]", multiple=True,
              help="Price these configurations (repeat, or a comma list), e.g. H100:2; with a model, "
                   "whether it fits each.")  # fmt: skip
@click.option("--hours", type=click.FloatRange(min=0), default=None,
              help="Hours of running containers to price; alone, a cost column for the table.")  # fmt: skip
@click.option("--model", metavar="REPO[@REV]", help="List the GPU shapes this model fits on, cheapest first.")
@click.option(
    "--model-params",
    metavar="N",
    help="The parameter count (8B, 0.5B): with --model when the Hub and the name don't tell; alone, "
    "a model of this size.",
)
@click.option(
    "--stack",
    "stack_name",
    metavar="NAME",
    help=f"Size the model as this stack runs it (KV cache, dtype): vllm, transformers, embeddings, "
    f"diffusers [default: {GPUS_STACK}].",
)
@click.option("--dtype", metavar="DTYPE", help="The weights' dtype: bf16, fp16, fp8, int8, int4, fp32.")
@click.option(
    "--max-model-len", metavar="N", help="Tokens of context to size the KV cache for (vllm, transformers)."
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def gpus(gpus_asked: tuple[str, ...], hours: float | None, model: str | None, model_params: str | None,
         stack_name: str | None, dtype: str | None, max_model_len: str | None,
         as_json: bool) -> None:  # fmt: skip
    """The GPU table: VRAM, $/hr and the most per container; the cost of configurations; or the
    GPU shapes a model fits on.

    With --model, the parameter count comes from the Hub's metadata when it answers (2 s at most;
    never with HF_HUB_OFFLINE=1), else the model's name (7B, 0.5B, 8x7B), else --model-params; the
    need is weights + KV cache for one full context (vllm, transformers) + activations + overhead,
    against each shape's VRAM at the stack's usable fraction (0.90). --model-params alone sizes a
    model of that size, as the vllm stack runs it unless --stack says otherwise. With --gpu, whether
    the model fits each of those; with --hours, what each shape costs for that long.

    \b
    Examples:
      modalgen gpus
      modalgen gpus --hours 10                 # the table with a cost column for 10 hours
      modalgen gpus --gpu H100:2 --hours 3     # prints 23.70
      modalgen gpus --gpu H100 --gpu A100-80GB --hours 10
      modalgen gpus --model Qwen/Qwen2.5-7B-Instruct
      modalgen gpus --model-params 70B --dtype fp8
      modalgen gpus --model meta-llama/Llama-3.1-70B-Instruct --gpu H100:2,H200 --json
    """
    import json

    from modalgen import catalog
    from modalgen.answers.fields import parse_gpus
    from modalgen.cli import report

    if model is not None or model_params is not None:
        _gpus_for_model(model, model_params, stack_name, dtype, max_model_len, gpus_asked, hours, as_json)
        return
    # Every flag does something or is refused: the sizing flags need a model to size.
    for option, value in (("--stack", stack_name), ("--dtype", dtype), ("--max-model-len", max_model_len)):
        if value is not None:
            raise UserError(
                f'{option}: "{value}" sizes a model; give --model REPO or --model-params N with it'
            )
    if not gpus_asked:
        if as_json:
            cost = lambda price: None if hours is None or price is None else round(price * hours, 2)  # noqa: E731
            rows = [
                {"gpu": g.name, "aliases": list(g.aliases), "vram_gb": g.vram_gb, "max_count": g.max_count,
                 "price_per_hour": g.price_per_hour, "cost": cost(g.price_per_hour)}
                for g in catalog.GPUS
            ]  # fmt: skip
            click.echo(json.dumps(rows, indent=2))
            return
        click.echo(report.gpu_table(hours))
        return
    choices = parse_gpus(list(gpus_asked))
    span = 1.0 if hours is None else hours
    costs = [(c, None if c.price_per_hour is None else round(c.price_per_hour * span, 2)) for c in choices]
    if as_json:
        click.echo(json.dumps([{"gpu": str(c), "count": c.count, "vram_gb": c.vram_gb,
                                "price_per_hour": c.price_per_hour, "hours": span, "cost": cost}
                               for c, cost in costs], indent=2))  # fmt: skip
        return
    if len(costs) == 1:
        click.echo("unknown" if costs[0][1] is None else f"{costs[0][1]:.2f}")
        return
    width = max(len(str(c)) for c, _ in costs)
    for c, cost in costs:
        click.echo(f"{str(c):<{width}}  {'unknown' if cost is None else f'{cost:.2f}'}")


def _gpus_for_model(model: str | None, model_params: str | None, stack_name: str | None, dtype: str | None,
                    max_model_len: str | None, gpus_asked: tuple[str, ...], hours: float | None,
                    as_json: bool) -> None:  # fmt: skip
    """`modalgen gpus --model` (or `--model-params` alone): the need, and the shapes that hold it, cheapest
    per hour first; with --gpu, whether each of those does."""
    import json

    from modalgen import catalog
    from modalgen.answers.fields import (
        SpecError,
        check_dtype,
        check_max_model_len,
        check_model_params,
        parse_gpus,
    )
    from modalgen.answers.spec import Spec
    from modalgen.plan import build as plan
    from modalgen.plan import sizing

    stack_name = GPUS_STACK if stack_name is None else stack_name
    stack = catalog.STACK_BY_NAME.get(stack_name)
    if stack is None or not stack.sizing:
        sized = ", ".join(s.name for s in catalog.STACKS if s.sizing)
        raise SpecError("stack", stack_name, f"one of {sized}")
    with_kv = [s.name for s in catalog.STACKS if s.sizing and sizing.STACK_DEFAULTS[s.name]["kv"]]
    if max_model_len is not None and stack_name not in with_kv:
        raise SpecError("max_model_len", max_model_len, f"the {stack_name} stack keeps no KV cache to size: "
                        f"it goes with --stack {' or '.join(with_kv)}")  # fmt: skip
    spec = Spec(name="sizing", stack=stack_name, model_params=check_model_params(model_params),
                dtype=check_dtype(dtype), max_model_len=check_max_model_len(max_model_len))  # fmt: skip
    if model is not None:
        spec = _with_model(spec, model)
        plan.HUB_LOOKUPS = True
        try:
            need = plan.model_need(spec)
        except SpecError as exc:  # `gpus` calls the model --model (`new` calls it --hf-model)
            raise (SpecError("--model", exc.value, exc.allowed) if exc.field == "hf_model" else exc) from None
        assumptions = f"as the {stack_name} stack runs it"
    else:
        shape = sizing.ModelShape(f"a {model_params} model", sizing.parse_params(model_params), "flag",
                                  None, None, None)  # fmt: skip
        need = sizing.memory_need(shape, stack=stack_name, dtype=spec.dtype, max_model_len=spec.max_model_len)
        assumptions = _assumptions(need, stack_name)
    split = plan.tensor_parallel(stack_name)
    if gpus_asked:
        rows = []
        for choice in parse_gpus(list(gpus_asked)):
            holds = sizing.fits(need, choice.gpu.vram_gb, choice.count if split else 1)
            rows.append({"gpu": choice.name, "count": choice.count, "vram_gb": choice.vram_gb,
                         "need_gb": round(need.total_gb, 1), "fits": holds,
                         "price_per_hour": choice.price_per_hour})  # fmt: skip
    else:
        rows = plan.fitting_shapes(spec, need)
    # Each row says what was sized and how, as the text's first two lines do.
    sized = {"model": need.repo, "params": need.params, "stack": stack_name, "dtype": need.dtype,
             "max_model_len": need.max_model_len}  # fmt: skip
    for row in rows:
        row.update(sized)
        if hours is not None:
            price = row["price_per_hour"]
            row["hours"], row["cost"] = hours, None if price is None else round(price * hours, 2)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"sized {assumptions}")
    click.echo(need.arithmetic())
    if gpus_asked:  # the shapes asked about, each with whether it holds the model
        _shape_table(rows, hours, "fits")
        if not any(row["fits"] for row in rows):
            click.echo("None of these holds it; without --gpu, the shapes that do are listed.")
            sys.exit(1)
        return
    if not rows:
        smaller = " or --max-model-len" if need.max_model_len else ""
        click.echo(f"No GPU shape on Modal fits it: try a smaller --dtype (fp8, int4){smaller}.")
        sys.exit(1)
    _shape_table(rows, hours, "(cheapest first)")


def _with_model(spec, model: str):
    """The sizing Spec with --model, checked as `new` checks --hf-model but named as `gpus` names it."""
    import dataclasses

    from modalgen.answers.fields import SpecError, check_hf_model

    try:
        return dataclasses.replace(spec, hf_model=check_hf_model(model, allow_unpinned=True))
    except SpecError as exc:
        raise SpecError("--model", exc.value, exc.allowed) from None


def _assumptions(need, stack_name: str) -> str:
    """What sizing a bare parameter count assumes: the stack's dtype, context and usable VRAM."""
    kv = (f", a KV cache for {need.max_model_len:,} tokens (estimated from the size)"
          if need.max_model_len else ", no KV cache")  # fmt: skip
    return (f"as the {stack_name} stack runs a model: {need.dtype} weights{kv}, {need.usable_fraction:.2f} "
            "of each GPU's memory usable (--stack, --dtype, --max-model-len change these)")  # fmt: skip


def _shape_table(rows: list[dict], hours: float | None, last: str) -> None:
    """One line per GPU shape: VRAM, $/hr, the cost for --hours, and `last`: whether it fits, or the order."""
    from modalgen.plan import build as plan

    names = [plan.shape_text(r).split(" (")[0] for r in rows]
    width = max(len("shape"), *(len(n) for n in names))
    cost_head = f"  {f'{hours:g} h':>8}" if hours is not None else ""
    click.echo(f"{'shape':<{width}}  {'VRAM':>7}  {'$/hr':>5}{cost_head}  " + last)
    for name, row in zip(names, rows, strict=True):
        price = "n/a" if row["price_per_hour"] is None else f"{row['price_per_hour']:.2f}"
        line = f"{name:<{width}}  {row['vram_gb']:>4} GB  {price:>5}"
        if hours is not None:
            line += f"  {'n/a' if row['cost'] is None else format(row['cost'], '.2f'):>8}"
        if last == "fits":
            line += "  " + ("yes" if row["fits"] else "no")
        click.echo(line)


def _exit_cleanly_on_sigterm() -> None:
    from modalgen.grow.atomic import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
