"""modalgen's command line: parse, call, print, exit codes. Nothing else lives here.

Exit codes: 0 done; 1 failed (or declined at the confirmation, or conflicts); 2 bad input, nothing
written; 130 interrupted (Ctrl-C or SIGTERM), nothing written. The commands live in
`modalgen.cli.commands` and load only when one runs: `modalgen --help` costs about `import click`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from modalgen import __version__


class UserError(Exception):
    """A mistake in how modalgen was called that no SpecError covers (exit 2)."""


def _is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


EXAMPLES = """
\b
Examples:
  modalgen new my-inference --gpu H100:2 --workload batch,web -y
  modalgen add cron --cron "0 6 * * *"
  modalgen set --timeout 1200
  modalgen update --dry-run
  modalgen gpus --gpu H100:2 --hours 3
  modalgen doctor
\b
Shell completion (bash; zsh_source and fish_source for the others):
  eval "$(_MODALGEN_COMPLETE=bash_source modalgen)"
"""


# Each command: where it is defined (a function of `modalgen.cli.commands`, or `module.function` of
# another module of modalgen.cli), and the first paragraph of its help, which `modalgen --help`
# shortens as click does (a test checks that it is the command's own), so that listing the commands
# loads none of them.
COMMANDS = {
    "new": ("new", "Create the Modal project NAME."),
    "add": ("grow.add", "Grow a modalgen project by one component, keeping every line you wrote."),
    "set": ("grow.set_answers", "Change answers of an existing project, keeping every line you wrote."),
    "update": ("grow.update", "Bring a project to this modalgen's template, with the same answers, "
               "keeping your edits."),
    "doctor": ("doctor", "Check, without any network call, that this machine (and project) is ready for "
               "Modal."),
    "gpus": ("gpus.gpus", "The GPU table: VRAM, $/hr and the most per container; the cost of "
             "configurations; or the GPU shapes a model fits on."),
    "bench": ("tools.bench", "Load-test an endpoint: latency, throughput, tokens, $/request."),
    "check": ("tools.check", "Is this project current: the release that made it, what changed since, pins "
              "behind."),
    "coldstart": ("tools.coldstart", "Cold-start the deployed endpoint: time to first byte, split by the "
                  "container's timestamps."),
}  # fmt: skip


def _load(where: str) -> click.Command:
    """The command at `where` (see COMMANDS), importing its module now."""
    import importlib

    module, _, attr = where.rpartition(".")
    return getattr(importlib.import_module(f"modalgen.cli.{module or 'commands'}"), attr)


class LazyGroup(click.Group):
    """A group whose commands are imported when one runs, not to list them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        return _load(COMMANDS[name][0])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, with the lazy commands' lines read from COMMANDS."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                if not self.commands[name].hidden:
                    rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                stand_in = click.Command(name, help=COMMANDS[name][1])  # click shortens it as its own
                rows.append((name, stand_in.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def __getattr__(name: str) -> Any:
    """`from modalgen.cli.main import add` still gives the command (it loads them)."""
    for where, _ in COMMANDS.values():
        if where.rpartition(".")[2] == name:
            return _load(where)
    raise AttributeError(name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, "-V", "--version", prog_name="modalgen")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug: bool) -> None:
    """Generate Modal projects that prove themselves: GPU jobs, web endpoints, schedules, Volumes.

    Exit codes: 0 done, 1 failed, 2 bad input (nothing written), 130 interrupted.
    """


# What to do instead of an option a command does not have, where a near spelling would mislead.
NOT_AN_OPTION = {
    ("set", "--name"): "`modalgen set` cannot rename a project: NAME is its folder and its Python package. "
    "To rename, make the project again from its answers: `modalgen new NEW-NAME --answers-file "
    ".modalgen-answers.yml --output-dir ..`, then move your code over",
    ("add", "--name"): "`modalgen add` cannot rename a project (NAME is its folder and its Python package); "
    "a Volume's or Secret's name follows its kind: `modalgen add volume NAME[:MOUNT]`, "
    "`modalgen add secret NAME`",
}


def _no_such_option(exc: click.NoSuchOption) -> str:
    """An unknown option, named as typed, with what to do: a close spelling of an option the command has.

    click's own guess compares whole flags, so the shared `--` makes `--name` "close" to `--base`;
    here only the words are compared, and strictly.
    """
    import difflib

    command = exc.ctx.command if exc.ctx else None
    what = NOT_AN_OPTION.get((command.name if command else "", exc.option_name))
    if what:
        return f"{exc.option_name}: no such option; {what}"
    words = [o[2:] for p in (command.params if command else []) for o in (*p.opts, *p.secondary_opts)
             if o.startswith("--")]  # fmt: skip
    close = difflib.get_close_matches(exc.option_name.lstrip("-"), words, n=2, cutoff=0.75)
    guess = f"; did you mean {' or '.join('--' + w for w in close)}?" if close else ""
    return f"{exc.option_name}: no such option{guess}"


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
        message = exc.format_message()
        if isinstance(exc, click.NoSuchOption):  # the user's words: the flag as typed, no quotes
            message = _no_such_option(exc)
        click.echo(f"modalgen: error: {_one_line(message)}{hint}", err=True)
        return 2
    except UserError as exc:
        click.echo(f"modalgen: error: {_one_line(str(exc))}", err=True)
        return 2
    except Exception as exc:
        from modalgen.answers.fields import SpecError
        from modalgen.grow.lock import Busy
        from modalgen.grow.place import TargetError

        if isinstance(exc, SpecError | TargetError | Busy):
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
