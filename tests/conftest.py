"""modalgen's own test suite: nothing it runs asks the network."""

import os

# Model sizing asks the Hugging Face Hub for parameter counts when it can; tests never do (and the
# projects and CLI processes they start inherit this).
os.environ["MODALGEN_OFFLINE"] = "1"

# `control_plane`: a local Modal control plane the real `modal` client and CLI talk to (tests/controlplane).
from tests.controlplane.plugin import control_plane  # noqa: E402, F401

# The files that take longest, longest first (seconds of test time measured with --durations=0 on this
# 2-core machine). `--dist loadfile` hands whole files to the two workers in collection order, and with
# `--no-loadscope-reorder` that order is this one: the long files start first and the short ones fill
# in behind them. xdist's own order (most tests first) started test_stacks and test_train last, each
# then running alone on one worker while the other sat idle.
LONGEST_FIRST = (
    "test_stacks.py", "test_modal_cli.py", "test_train.py", "test_finetune.py", "test_grow_update.py",
    "test_matrix_suites.py", "test_generated_projects.py", "test_faults.py", "test_wizard_pty.py",
    "test_bench_tool.py", "test_bench_make.py", "test_cli.py", "test_copier_identity.py", "test_matrix.py",
    "test_doctor.py", "test_grow.py", "test_standin.py", "test_smoke_bodies.py",
)  # fmt: skip


def pytest_collection_modifyitems(items) -> None:
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
