"""The guidance the generated project gives matches Modal: snapshots, uv, CI, jobs, logs, Secrets."""

from __future__ import annotations

import re
import tomllib

import yaml

from modalgen.answers.spec import parse_spec
from modalgen.render.template import render
from tests.generated import check_settings


def _project(tmp_path, name: str, **raw):
    return render(parse_spec({"name": name, **raw}), tmp_path / name)


def test_cpu_snapshot_loads_on_cpu_and_moves_to_the_gpu_after_restore(tmp_path):
    project = _project(tmp_path, "snap", gpu=["H100"], workload=["service", "batched"], snapshot=True)
    for module in ("service", "batched"):
        source = (project / f"snap/{module}.py").read_text()
        snap = source.index("@modal.enter(snap=True)")
        restore = source.index("@modal.enter(snap=False)")
        assert snap < restore
        assert 'core.load_model(device="cpu", target="cuda")' in source[snap:restore]
        assert "self.model.to(core.best_device())" in source[restore:]
        assert "enable_memory_snapshot=True" in source and "enable_gpu_snapshot" not in source
    assert "A CPU snapshot holds no GPU memory" in (project / "README.md").read_text()
    check_settings(project)


def test_gpu_snapshot_is_its_own_flag(tmp_path):
    project = _project(
        tmp_path, "gpusnap", gpu=["H100"], workload=["service"], snapshot=True, gpu_snapshot=True
    )
    source = (project / "gpusnap/service.py").read_text()
    assert 'experimental_options={"enable_gpu_snapshot": True}' in source
    assert "enable_memory_snapshot=True" in source and "snap=False" not in source
    assert "GPU memory snapshots are on as well" in (project / "README.md").read_text()
    check_settings(project)


def test_uv_sync_installs_runtime_dependencies_only_from_any_folder(tmp_path):
    project = _project(tmp_path, "synced", workload=["web"], uv_sync=True, pip=["numpy==2.3.4"])
    common = (project / "synced/common.py").read_text()
    assert "PROJECT_ROOT = Path(__file__).resolve().parent.parent" in common  # not the working folder
    assert (
        '.uv_sync(uv_project_dir=str(PROJECT_ROOT), extra_options="--no-dev --no-install-package modal")'
        in common
    )
    assert ".uv_pip_install(" not in common  # nothing installs again what uv installed
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    assert "fastapi[standard]==0.165.0" in dependencies and "numpy==2.3.4" in dependencies
    assert not any(d.startswith("pytest") for d in dependencies)  # the dev group stays out of the image
    assert any(d.startswith("pytest") for d in pyproject["dependency-groups"]["dev"])
    check_settings(project)


def test_uv_lock_is_committed_and_ci_installs_exactly_it(tmp_path):
    project = _project(tmp_path, "locked")
    assert "uv.lock" not in [line.strip() for line in (project / ".gitignore").read_text().splitlines()]
    assert "Commit `uv.lock`" in (project / "README.md").read_text()
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert ci.count("if [ -f uv.lock ]; then uv sync --locked; else uv sync; fi") == 2  # both jobs


def test_ci_runs_smoke_before_deploy_and_smoke_alone_by_hand(tmp_path):
    project = _project(tmp_path, "ci")
    ci = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    assert "workflow_dispatch" in ci[True]  # YAML reads the key `on` as true
    smoke = ci["jobs"]["smoke"]
    assert smoke["needs"] == "test" and "workflow_dispatch" in smoke["if"]
    steps = [step.get("run") for step in smoke["steps"]]
    assert steps.index("make smoke") < steps.index("make deploy")
    deploy = smoke["steps"][steps.index("make deploy")]["if"]
    assert "refs/heads/main" in deploy and "workflow_dispatch" not in deploy  # by hand: smoke alone


def test_jobs_go_to_the_deployed_app_and_results_are_fetched_by_id(tmp_path):
    """`modal run --detach` keeps only the last function its entrypoint triggered: jobs that must
    outlive the terminal are submitted to the deployed app (Modal's job-queue guide)."""
    project = _project(tmp_path, "jobs", workload=["spawn"])
    makefile = (project / "Makefile").read_text()
    assert "modal run $(ENV_FLAG) -m $(PACKAGE).app::app.run_spawn" in makefile and "--detach" not in makefile
    assert "python -m $(PACKAGE).jobs submit" in makefile
    assert "python -m $(PACKAGE).jobs fetch $(ID)" in makefile
    readme = (project / "README.md").read_text()
    assert "make submit" in readme and "make fetch ID=fc-..." in readme and "job-queue" in readme


def test_logs_stream_and_recent_logs_exit(tmp_path):
    makefile = (_project(tmp_path, "logs") / "Makefile").read_text()
    assert "logs:  ## Stream" in makefile and "modal app logs $(ENV_FLAG) $(APP) -f" in makefile
    assert "logs-recent:" in makefile and "modal app logs $(ENV_FLAG) $(APP)\n" in makefile


def test_env_example_has_each_secrets_own_keys(tmp_path):
    project = _project(tmp_path, "keys", secret=["huggingface-secret", "wandb", "db:DB_USER,DB_PASSWORD"])
    sections = (project / ".env.example").read_text().split("# Secret ")[1:]
    keys = {s.split('"')[1]: re.findall(r"^([A-Z_]+)=$", s, re.M) for s in sections}
    assert keys == {
        "huggingface-secret": ["HF_TOKEN"],
        "wandb": ["WANDB_API_KEY"],
        "db": ["DB_USER", "DB_PASSWORD"],
    }


def test_container_python_follows_the_pinned_image_builder(tmp_path):
    project = _project(tmp_path, "py310", python="3.10", image_builder="2025.06")
    assert "export MODAL_IMAGE_BUILDER_VERSION := 2025.06" in (project / "Makefile").read_text()
    assert 'PYTHON_VERSION = "3.10"' in (project / "py310/common.py").read_text()
