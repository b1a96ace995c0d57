"""modalgen: generate and grow Modal projects that prove themselves."""

__version__ = "0.4.0"


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def entry() -> None:
    """The console script. SIGTERM unwinds like Ctrl-C from the first moment, and Ctrl-C while
    modules load ends as cleanly as during the work: exit 130, nothing written.

    The handler goes in first, through the C module (`signal` itself imports enum first, long
    enough under load for a signal to land before any handler and kill the process by signal),
    and the `try` covers it: a Ctrl-C at any moment of modalgen's own code is answered.
    """
    try:
        import _signal

        _signal.signal(_signal.SIGTERM, _on_sigterm)
        from modalgen.cli.main import run
    except KeyboardInterrupt:
        import os
        import sys

        sys.stderr.write("\nmodalgen: interrupted; nothing was written\n")
        sys.stderr.flush()
        os._exit(130)
    run()
