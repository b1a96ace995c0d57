"""modalgen: generate and grow Modal projects that prove themselves."""

__version__ = "0.4.0"


def entry() -> None:
    """The console script. SIGTERM unwinds like Ctrl-C from the first moment, and Ctrl-C while
    modules load ends as cleanly as during the work: exit 130, nothing written."""
    import signal
    import sys

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        from modalgen.cli.main import run
    except KeyboardInterrupt:
        import os

        sys.stderr.write("\nmodalgen: interrupted; nothing was written\n")
        sys.stderr.flush()
        os._exit(130)
    run()
