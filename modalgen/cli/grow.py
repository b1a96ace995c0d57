"""`modalgen add`, `set` and `update`: new answers from the project's and the flags, then the 3-way merge."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from modalgen import __version__
from modalgen.cli.commands import exit_cleanly_on_sigterm, raw_from_flags_or_exit
from modalgen.cli.main import UserError, _is_interactive
from modalgen.cli.options import spec_options

if TYPE_CHECKING:
    pass


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

    exit_cleanly_on_sigterm()
    if kind not in grow.ADDABLE:
        raise UserError(f'KIND: "{kind}" is not allowed; one of {", ".join(grow.ADDABLE)}')
    if kind in ("volume", "secret") and not value:  # the positional NAME, not the --volume/--secret flag
        usage = "NAME[:MOUNT]" if kind == "volume" else "NAME[:KEY1,KEY2]"
        raise UserError(f"{usage}: missing; `modalgen add {kind} {usage}`")
    given = raw_from_flags_or_exit(flags)
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
    from modalgen.answers import model

    if "hf_model" not in given:
        return spec
    model.HUB_LOOKUPS = True
    return model.pin_params(model.pin_revision(spec))


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

    exit_cleanly_on_sigterm()
    given = raw_from_flags_or_exit(flags)
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

    exit_cleanly_on_sigterm()
    with grow.opened_for_change(Path(project), dry_run=dry_run) as proj:  # a second one waits
        if proj.version == __version__:
            click.echo(f"{proj.root} is at modalgen {__version__} already: nothing to update.")
            return
        new_spec, notes = grow.updated_spec(proj)
        for note in notes:
            click.echo(f"modalgen: {note}", err=True)
        from modalgen.plan.build import make_plan

        what = f"update {proj.version} -> {__version__}"
        _grow(proj, new_spec, make_plan(new_spec), what, dry_run, migrate=True)


def report_summary(spec, plan) -> str:
    from modalgen.cli import report

    return report.summary(spec, plan)


def _grow(proj, new_spec, new_plan, what: str, dry_run: bool, old_plan=None, migrate: bool = False) -> None:
    from modalgen.cli import report
    from modalgen.grow import commands as grow
    from modalgen.grow import merge

    if grow.git_is_dirty(proj.root):
        click.echo(
            f"modalgen: warning: {proj.root} has uncommitted changes; commit first to review this change "
            "on its own (nothing is committed, stashed or reset for you)",
            err=True,
        )
    plan = grow.plan_growth(proj, new_spec, new_plan, old_plan, migrate=migrate)
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
    if migrate:
        _modal_changes_left(proj.root)
    if plan.conflicts:
        sys.exit(1)
    click.echo("Next: review the change (git diff), then `make test`.")


def _modal_changes_left(root) -> None:
    """Uses of changed Modal APIs the update could not rewrite: each needs a person's judgement."""
    from modalgen.tools.check import modal_changes_in

    left = modal_changes_in(root)
    if left:
        click.echo(f"Your code uses {len(left)} Modal API(s) that changed; change them by hand:", err=True)
    for use in left:
        click.echo(f"  {use.path}:{use.line}: {use.change.message}", err=True)


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
