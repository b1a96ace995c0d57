"""modalgen's own test suite: nothing it runs asks the network."""

import os

# Model sizing asks the Hugging Face Hub for parameter counts when it can; tests never do (and the
# projects and CLI processes they start inherit this).
os.environ["MODALGEN_OFFLINE"] = "1"

# `control_plane`: a local Modal control plane the real `modal` client and CLI talk to (tests/controlplane).
from tests.controlplane.plugin import control_plane  # noqa: E402, F401
