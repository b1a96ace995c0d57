"""The Hugging Face Hub, asked for what a model is: its parameter count, config.json and commits.

Optional and bounded: every look-up runs in a daemon thread that the caller waits for at most its
timeout, any failure counts as "not reachable", and HF_HUB_OFFLINE or MODALGEN_OFFLINE keep modalgen
off the Hub. Standard library only; `urllib` and `json` are imported where a request is made.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

HUB_URL = "https://huggingface.co"  # tests point this (or env MODALGEN_HUB_URL) at a local server
_HUB_ENV = "MODALGEN_HUB_URL"
_OFFLINE_ENVS = ("HF_HUB_OFFLINE", "MODALGEN_OFFLINE")
_TRUTHY = {"1", "true", "yes", "on"}  # what huggingface_hub accepts for HF_HUB_OFFLINE
_MAX_JSON_BYTES = 4_000_000  # a model-info answer is tens of KB; refuse to read a runaway body

MIN_PARAMS = 1e6
MAX_PARAMS = 1e13

REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def hub_allowed(hub: bool) -> bool:
    """Offline switches win over the argument: a user who set HF_HUB_OFFLINE means it."""
    if not hub:
        return False
    return not any(os.environ.get(name, "").strip().lower() in _TRUTHY for name in _OFFLINE_ENVS)


def _hub_base() -> str:
    return (os.environ.get(_HUB_ENV) or HUB_URL).rstrip("/")


def hub_lookup(
    repo_id: str, revision: str, *, want_params: bool, timeout: float
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(model info, config.json) from the Hub; either None when it did not answer in time. Model info
    is asked for only when the parameter count is wanted (its safetensors total).

    The requests run in a daemon thread that the caller waits for at most `timeout`: urllib's own
    timeout covers connect and each read but not DNS resolution, which can block far longer on a machine
    without a route. When the model-info request fails the Hub counts as unreachable and config.json is
    not tried, so an offline run pays one timeout at most. Gated repos (meta-llama) answer model info but
    refuse config.json without a token; KNOWN then supplies the architecture.
    """
    import threading
    import time
    from urllib.parse import quote

    base = _hub_base()
    repo_path = quote(repo_id, safe="/")
    rev = quote(revision, safe="")
    info_url = f"{base}/api/models/{repo_path}" + ("" if revision == "main" else f"/revision/{rev}")
    config_url = f"{base}/{repo_path}/resolve/{rev}/config.json"
    deadline = time.monotonic() + max(timeout, 0.0)
    found: dict[str, Any] = {}

    def work() -> None:
        if want_params:
            found["info"] = _get_json(info_url, timeout)
            if found["info"] is None:
                return
        left = deadline - time.monotonic()
        if left > 0:
            found["config"] = _get_json(config_url, left)

    worker = threading.Thread(target=work, name="modalgen-hub", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    snapshot = dict(found)  # a late answer after the deadline is ignored
    return snapshot.get("info"), snapshot.get("config")


def offline_switch() -> str | None:
    """The environment variable that keeps modalgen off the Hub (HF_HUB_OFFLINE, MODALGEN_OFFLINE), if set."""
    return next((name for name in _OFFLINE_ENVS if os.environ.get(name, "").strip().lower() in _TRUTHY), None)


def hub_commit(repo_id: str, revision: str = "main", timeout: float = 2.0) -> str | None:
    """The commit a branch (or tag) of `repo_id` is at on the Hub, to pin REPO or REPO@BRANCH; None when
    the Hub is not allowed, does not answer within `timeout`, or knows no such repo or branch."""
    if not hub_allowed(True) or not REPO_RE.match(repo_id) or ".." in repo_id:
        return None
    if not REVISION_RE.match(revision):
        return None
    import threading
    from urllib.parse import quote

    found: dict[str, Any] = {}
    url = f"{_hub_base()}/api/models/{quote(repo_id, safe='/')}"
    if revision != "main":  # the same address hub_lookup asks for a revision's metadata
        url += f"/revision/{quote(revision, safe='')}"

    def work() -> None:
        found["info"] = _get_json(url, timeout)

    worker = threading.Thread(target=work, name="modalgen-hub-commit", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    sha = (found.get("info") or {}).get("sha")
    return sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def _get_json(url: str, timeout: float) -> dict[str, Any] | None:
    """A JSON object from URL, or None on any failure: the Hub is optional, never an error."""
    import json
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "modalgen"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(_MAX_JSON_BYTES + 1)
        if len(body) > _MAX_JSON_BYTES:
            return None
        data = json.loads(body)
    except Exception:  # noqa: BLE001 - DNS, refused, timeout, HTTP status, bad JSON: all "not reachable"
        return None
    return data if isinstance(data, dict) else None


def _positive_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def safetensors_total(info: dict[str, Any]) -> float | None:
    """The Hub's count of parameters in the repo's safetensors files ("safetensors": {"total": N})."""
    safetensors = info.get("safetensors")
    total = _positive_number(safetensors.get("total")) if isinstance(safetensors, dict) else None
    return total if total is not None and MIN_PARAMS <= total <= MAX_PARAMS else None
