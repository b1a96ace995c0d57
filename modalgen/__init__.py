"""modalgen: generate and grow Modal projects that prove themselves."""

__version__ = "0.1.0"


def entry() -> None:
    """The console script. Ctrl-C while modules load ends as cleanly as during the work (exit 130)."""
    import sys

    try:
        from modalgen.cli import run
    except KeyboardInterrupt:
        sys.stderr.write("\nmodalgen: interrupted; nothing was written\n")
        sys.exit(130)
    run()
