"""modalgen: generate and grow Modal projects that prove themselves."""

__version__ = "0.4.0"


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def _redeliver(unraisable) -> None:
    """A signal's KeyboardInterrupt raised where Python ignores exceptions (a weakref callback of
    the import system, a `__del__`) would be lost, its traceback printed and the work carried on:
    deliver it again, as SIGTERM (whose handler this is), to unwind from the code that runs next."""
    import sys

    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import _signal  # built-in modules: nothing to import from disk here
        import _thread
        import time

        def again() -> None:  # from another thread, once this hook has returned: run here, the
            time.sleep(0.01)  # handler would raise inside the hook, and be ignored again
            _thread.interrupt_main(_signal.SIGTERM)

        _thread.start_new_thread(again, ())
        return
    sys.__unraisablehook__(unraisable)


def answer_signals() -> None:
    """SIGTERM raises KeyboardInterrupt, which unwinds like Ctrl-C, wherever it lands."""
    import _signal
    import sys

    _signal.signal(_signal.SIGTERM, _on_sigterm)
    sys.unraisablehook = _redeliver


def entry() -> None:
    """The console script. SIGTERM unwinds like Ctrl-C from the first moment, and Ctrl-C while
    modules load ends as cleanly as during the work: exit 130, nothing written.

    The handler goes in first, through the C module (`signal` itself imports enum first, long
    enough under load for a signal to land before any handler and kill the process by signal),
    and the `try` covers it: a Ctrl-C at any moment of modalgen's own code is answered.
    """
    try:
        answer_signals()
        from modalgen.cli.main import run
    except KeyboardInterrupt:
        import os
        import sys

        sys.stderr.write("\nmodalgen: interrupted; nothing was written\n")
        sys.stderr.flush()
        os._exit(130)
    run()
