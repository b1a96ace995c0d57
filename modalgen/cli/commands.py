"""modalgen's commands: parse, call, print. `modalgen.cli.main` loads this module only to run one of them.

Heavy imports (jinja2, questionary) happen inside the commands that need them; copier is never
imported.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

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


def raw_from_flags_or_exit(flags: dict[str, Any]) -> dict[str, Any]:
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
    raw.update(raw_from_flags_or_exit(flags))
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

    from modalgen.answers import model
    from modalgen.render.template import render

    exit_cleanly_on_sigterm()
    model.HUB_LOOKUPS = True  # a model's parameter count from the Hub, when it answers (2 s at most)
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


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: {ok, checks: [{name, ok, detail, fix}]}."
)
@click.option("--project", default=".", type=click.Path(file_okay=False),
              help="Also check the project this folder is in: it or a folder above it holds "
                   ".modalgen-answers.yml (default: the current folder).")  # fmt: skip
@click.option(
    "--online",
    is_flag=True,
    help="With a token, ask Modal whether each environment the project "
    "deploys to holds the Secrets its functions receive.",
)
def doctor(as_json: bool, project: str, online: bool) -> None:
    """Check, without any network call, that this machine (and project) is ready for Modal.

    Python, uv, the modal package against the minor the templates pin, a Modal token (environment,
    or the active profile of ~/.modal.toml, honouring MODAL_CONFIG_PATH and MODAL_PROFILE), the
    active profile and MODAL_ENVIRONMENT; inside a project (any folder of it), its answers file and
    its modal pin. With --online and a token, each environment the project deploys to
    (--environments, else the default) is asked for the Secrets the functions receive. Each problem
    comes with its fix, a command that runs from where you are. Exit 0 only when all is well, 1 otherwise.

    \b
    Examples:
      modalgen doctor
      modalgen doctor --json | jq .ok
      modalgen doctor --online          # in a project: its Secrets in each environment
    """
    import json
    from pathlib import Path

    from modalgen.tools.doctor import as_json as to_json
    from modalgen.tools.doctor import run_checks

    checks = run_checks(Path(project), online)
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


def exit_cleanly_on_sigterm() -> None:
    from modalgen.grow.atomic import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
