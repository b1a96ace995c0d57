"""modalgen's command line: parse, call, print, exit codes. Nothing else lives here.

Exit codes: 0 done; 1 failed (or declined at the confirmation); 2 bad input, nothing written;
130 interrupted (Ctrl-C), nothing written. Heavy imports (copier, questionary) happen inside the
commands that need them, so `--help` and input errors stay fast.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from modalgen import __version__
from modalgen.options import spec_options

if TYPE_CHECKING:  # pathlib loads with the commands that use it: `--help` stays fast
    from pathlib import Path

EXAMPLES_NEW = """
\b
Examples:
  modalgen new my-inference                      # the wizard, in a terminal
  modalgen new my-inference -y                   # every default, no questions
  modalgen new embedder --gpu H100:2 --gpu A100-80GB:2 --workload batch,web
  modalgen new nightly --cpu-only --workload cron --cron "0 6 * * *" --timezone Europe/Berlin
  modalgen new trainer --gpu A10G --volume model-cache:/models --python 3.11 --dry-run
"""


class UserError(Exception):
    """A mistake in how modalgen was called that no SpecError covers (exit 2)."""


def _is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


EXAMPLES = """
\b
Examples:
  modalgen new my-inference --gpu H100:2 --workload batch,web -y
  modalgen add cron --cron "0 6 * * *"
  modalgen update --dry-run
  modalgen gpus --gpu H100:2 --hours 3
  modalgen doctor
\b
Shell completion (bash; zsh_source and fish_source for the others):
  eval "$(_MODALGEN_COMPLETE=bash_source modalgen)"
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, "-V", "--version", prog_name="modalgen")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug: bool) -> None:
    """Generate Modal projects that prove themselves: GPU jobs, web endpoints, schedules, Volumes.

    Exit codes: 0 done, 1 failed, 2 bad input (nothing written), 130 interrupted.
    """


def _raw_from_flags(flags: dict[str, Any]) -> dict[str, Any]:
    from modalgen.options import FlagConflict, raw_from_flags

    try:
        return raw_from_flags(flags)
    except FlagConflict as exc:
        raise UserError(str(exc)) from None


def _gather_raw(answers_file: Path | None, name: str | None, flags: dict[str, Any]) -> dict[str, Any]:
    """Flags over the answers file: the raw answers before validation and the wizard."""
    from modalgen.answers_io import load_answers

    raw: dict[str, Any] = load_answers(answers_file) if answers_file else {}
    raw.pop("modalgen_version", None)  # this modalgen records its own version
    raw.pop("_src_path", None)
    raw.update(_raw_from_flags(flags))
    if name is not None:
        raw["project_name"] = name
    return raw


@cli.command(epilog=EXAMPLES_NEW)
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
@click.option("--dry-run", is_flag=True, help="List the files it would write; write nothing.")
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty folder: other files are kept, and no `git init` there.",
)
@click.option("--no-git", is_flag=True, help="Skip `git init` and the first commit.")
def new(
    name: str | None,
    answers_file: str | None,
    output_dir: str,
    defaults: bool,
    dry_run: bool,
    force: bool,
    no_git: bool,
    **flags: Any,
) -> None:
    """Create the Modal project NAME.

    In a terminal, a wizard asks for every answer not given as a flag. Otherwise (stdin is not a
    terminal, or --defaults) nothing is asked: missing answers take their defaults. Every answer is
    checked before anything is written; the project is rendered aside and moved into place whole.
    """
    from pathlib import Path

    from modalgen import place, report
    from modalgen.spec import parse_spec

    _exit_cleanly_on_sigterm()
    raw = _gather_raw(Path(answers_file) if answers_file else None, name, flags)
    output_dir = Path(output_dir)
    interactive = _is_interactive() and not defaults
    if interactive:
        # Flags are checked before the first question, with a stand-in for a missing name.
        parse_spec({"project_name": "x", **raw})
        if "project_name" in raw:
            place.check_target(output_dir / raw["project_name"], force=force)
        from modalgen import wizard

        spec = parse_spec(wizard.ask_missing(raw))
        _check_schedule_flags(spec, flags)
        place.check_target(output_dir / spec.name, force=force)
        runs = wizard.next_runs(spec.cron, spec.timezone) if wizard.has_cron_string(spec) else None
        if not wizard.confirm(report.summary(spec, next_runs=runs)):
            click.echo("Nothing written.")
            sys.exit(1)
    else:
        if "project_name" not in raw:
            raise UserError("name: missing; give NAME (e.g. `modalgen new my-inference`)")
        spec = parse_spec(raw)
        _check_schedule_flags(spec, flags)
        place.check_target(output_dir / spec.name, force=force)
        click.echo(f"modalgen new {spec.name}")
        click.echo(report.summary(spec))
    target = output_dir / spec.name

    from modalgen.render import render

    if dry_run:
        files = place.dry_run(lambda tree: render(spec, tree), spec.name)
        click.echo(f"Would write {len(files)} files to {target}/ (dry run: nothing written):")
        for f in files:
            click.echo(f"  {f}")
        return

    started = time.perf_counter()
    files = place.stage_and_place(target, lambda tree: render(spec, tree), force=force, git=not no_git)
    elapsed = time.perf_counter() - started
    click.echo(f"Created {target}/ ({len(files)} files) in {elapsed:.1f} s.")
    click.echo(_next_steps(target))


EXAMPLES_ADD = """
\b
Examples:
  modalgen add cron --cron "0 6 * * *" --timezone Europe/Berlin
  modalgen add web --web wsgi --public
  modalgen add volume model-cache:/models
  modalgen add secret openai --project ../my-inference
  modalgen add service --dry-run                 # print the diff, write nothing
"""


@cli.command(epilog=EXAMPLES_ADD)
@click.argument("kind", metavar="KIND")
@click.argument("value", required=False, metavar="[NAME[:MOUNT]]")
@spec_options
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to grow.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
@click.option("-y", "--defaults", is_flag=True, help="Ask nothing: answers not given take their defaults.")
def add(kind: str, value: str | None, project: str, dry_run: bool, defaults: bool, **flags: Any) -> None:
    """Grow a modalgen project by one component, keeping every line you wrote.

    KIND is a workload (batch, map, web, cron, service, batched, spawn), `volume NAME[:MOUNT]` or
    `secret NAME`; options are those of `modalgen new`. The project is rendered as it was made and
    as it will be; files you never touched are replaced, files you edited get a 3-way merge, files
    you deleted stay deleted. Overlapping edits get conflict markers, listed, with exit code 1.
    `.modalgen-answers.yml` is rewritten last. A dirty git tree is warned about, never touched.
    """
    from pathlib import Path

    from modalgen import grow
    from modalgen.spec import parse_spec

    _exit_cleanly_on_sigterm()
    if kind not in grow.ADDABLE:
        raise UserError(f"kind: {kind!r} is not allowed; one of {', '.join(grow.ADDABLE)}")
    proj = grow.open_project(Path(project))
    raw = grow.with_addition(proj.answers, kind, value, _raw_from_flags(flags))
    if _is_interactive() and not defaults:
        from modalgen import wizard

        raw = wizard.ask_missing(raw)
    new_spec = parse_spec(raw)
    _check_schedule_flags(new_spec, flags)
    old_spec = proj.spec
    if new_spec.to_answers() == old_spec.to_answers():
        click.echo(f"{kind} {value or ''}".strip() + f" is already in {proj.root}: nothing changed.")
        return
    _grow(proj, new_spec, f"add {kind} {value or ''}".rstrip(), dry_run)


@cli.command()
@click.option("--project", default=".", type=click.Path(file_okay=False), help="The project to update.")
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
def update(project: str, dry_run: bool) -> None:
    """Bring a project to this modalgen's template, with the same answers, keeping your edits.

    The same 3-way merge as `modalgen add`: conflicts are marked inline and listed (exit 1), and the
    new modalgen version is recorded last.

    \b
    Examples:
      modalgen update --dry-run      # the diff, nothing written
      modalgen update --project ../my-inference
    """
    from pathlib import Path

    from modalgen import grow

    _exit_cleanly_on_sigterm()
    proj = grow.open_project(Path(project))
    if proj.version == __version__:
        click.echo(f"{proj.root} is at modalgen {__version__} already: nothing to update.")
        return
    _grow(proj, proj.spec, f"update {proj.version} -> {__version__}", dry_run)


def _grow(proj, new_spec, what: str, dry_run: bool) -> None:
    from modalgen import grow, merge, report

    if grow.git_is_dirty(proj.root):
        click.echo(
            f"modalgen: warning: {proj.root} has uncommitted changes; commit first to review this change "
            "on its own (nothing is committed, stashed or reset for you)",
            err=True,
        )
    plan = grow.plan_growth(proj, new_spec)
    if dry_run:
        click.echo(merge.unified_diff(plan, proj.root), nl=False)
        click.echo(f"modalgen {what} (dry run: nothing written):")
        click.echo(report.growth(plan))
        if plan.conflicts:
            sys.exit(1)
        return
    merge.apply(plan, proj.root)
    click.echo(f"modalgen {what}:")
    click.echo(report.growth(plan))
    if plan.conflicts:
        click.echo(
            f"Conflicts in {len(plan.conflicts)} file(s): resolve the lines between "
            f"'{merge.MARKERS[0]}' and '{merge.MARKERS[2]}', then run `make test`.",
            err=True,
        )
        sys.exit(1)
    click.echo("Next: review the change (git diff), then `make test`.")


@cli.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: {ok, checks: [{name, ok, detail, fix}]}."
)
@click.option("--project", default=".", type=click.Path(file_okay=False),
              help="Also check this project, when it is one (default: the current folder).")  # fmt: skip
def doctor(as_json: bool, project: str) -> None:
    """Check, without any network call, that this machine (and project) is ready for Modal.

    Python, uv, the modal package against the minor the templates pin, a Modal token (environment,
    or the active profile of ~/.modal.toml, honouring MODAL_CONFIG_PATH and MODAL_PROFILE), the
    active profile and MODAL_ENVIRONMENT; inside a project, its answers file and its modal pin.
    Each problem comes with its fix. Exit 0 only when all is well, 1 otherwise.

    \b
    Examples:
      modalgen doctor
      modalgen doctor --json | jq .ok
    """
    import json
    from pathlib import Path

    from modalgen.doctor import as_json as to_json
    from modalgen.doctor import run_checks

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


def _check_schedule_flags(spec, flags: dict[str, Any]) -> None:
    """A schedule flag without a cron workload would do nothing: say so."""
    for name in ("cron", "timezone", "period"):
        if flags.get(name) and "cron" not in spec.workloads:
            raise UserError(f"{name}: --{name} needs the cron workload; add --workload cron")


def _next_steps(target: Path) -> str:
    from modalgen.modal_auth import auth_state

    steps = [f"cd {target}"]
    if not auth_state().configured:
        steps.append("uv run modal setup      # no Modal token found yet")
    steps += [
        "make test               # offline: the real modal package, no account needed",
        "make smoke              # the GPU core on Modal: checks GPU type and count",
        "make deploy",
    ]
    return "Next steps:\n" + "\n".join(f"  {s}" for s in steps)


@cli.command()
@click.option("--gpu", "gpu", metavar="TYPE[:COUNT]", help="Price this configuration, e.g. H100:2.")
@click.option(
    "--hours",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Hours of running containers to price.",
)
def gpus(gpu: str | None, hours: float) -> None:
    """The GPU table: VRAM, $/hr and the most per container; or the cost of one configuration.

    \b
    Examples:
      modalgen gpus
      modalgen gpus --gpu H100:2 --hours 3     # prints 23.70
    """
    from modalgen import report
    from modalgen.fields import parse_gpu

    if gpu is None:
        click.echo(report.gpu_table())
        return
    choice = parse_gpu(gpu)
    click.echo(f"{choice.price_per_hour * hours:.2f}")


def _exit_cleanly_on_sigterm() -> None:
    from modalgen.atomic import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args

    if os.environ.get("NO_COLOR"):
        os.environ.setdefault("PROMPT_TOOLKIT_COLOR_DEPTH", "DEPTH_1_BIT")
    try:
        result = cli.main(args=args, prog_name="modalgen", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # a command's own exit code (1: conflicts, declined)
        return exc.code if isinstance(exc.code, int) else 1
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Work happens in scratch folders and lands in one held-signal step: nothing is half done.
        click.echo("\nmodalgen: interrupted; no partial project or file was left behind", err=True)
        return 130
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"modalgen: error: {_one_line(exc.format_message())}{hint}", err=True)
        return 2
    except UserError as exc:
        click.echo(f"modalgen: error: {_one_line(str(exc))}", err=True)
        return 2
    except Exception as exc:
        from modalgen.fields import SpecError
        from modalgen.place import TargetError

        if isinstance(exc, SpecError | TargetError):
            click.echo(f"modalgen: error: {_one_line(str(exc))}", err=True)
            return 2
        if debug:
            raise
        if isinstance(exc, OSError) and exc.strerror:  # a full disk, a read-only folder: not a bug
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"modalgen: error: {exc.strerror}{where}; nothing was changed", err=True)
            return 1
        click.echo(
            f"modalgen: internal error: {exc.__class__.__name__}: {_one_line(str(exc))}"
            " (rerun with --debug for the traceback)",
            err=True,
        )
        return 1


def run() -> None:
    code = main()
    # The work is done, or cleanly undone, and every scratch folder is gone. Exit now, with this
    # code: a signal that lands during the interpreter's own shutdown cannot turn it into a death
    # by signal, and there is nothing left for the shutdown to clean up.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
