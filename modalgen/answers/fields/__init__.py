"""The check of every answer field, one function each: the same for flags, wizard, files and `set`.

Each raises SpecError naming the option (as its flag is spelled), the value as the user typed it
and what is allowed. The `modal` client does not check GPU names and counts, cron strings, time
zones or mount paths before Modal's servers do, so modalgen checks them here, before anything is
written. One module per kind of value; this package names them all (`fields.check_cron`).
"""

from __future__ import annotations

from modalgen.answers.fields.basic import (
    ENV_KEY_RE,
    check_bool,
    check_choice,
    check_int,
    check_value,
    each_item,
    split_commas,
    string_list,
)
from modalgen.answers.fields.errors import (
    SpecError,
    flag,
    shown,
)
from modalgen.answers.fields.gpus import (
    GpuChoice,
    check_cpu,
    parse_gpu,
    parse_gpu_for,
    parse_gpus,
)
from modalgen.answers.fields.image import (
    check_image_builder,
    check_python,
    parse_apt,
    parse_env,
    parse_pip,
)
from modalgen.answers.fields.model import (
    check_dataset,
    check_dtype,
    check_hf_model,
    check_max_model_len,
    check_model_params,
)
from modalgen.answers.fields.mounts import (
    SecretKeys,
    VolumeMount,
    default_secret_keys,
    parse_environments,
    parse_secret,
    parse_secrets,
    parse_volume,
    parse_volumes,
)
from modalgen.answers.fields.schedule import (
    check_cron,
    check_period,
    check_timezone,
    parse_workloads,
)
from modalgen.answers.fields.text import (
    check_description,
    check_name,
    is_one_safe_line,
    package_name,
    volume_identifier,
)
from modalgen.answers.fields.typed import (
    as_typed,
    typed_items,
)

__all__ = [
    "ENV_KEY_RE",
    "GpuChoice",
    "SecretKeys",
    "SpecError",
    "VolumeMount",
    "as_typed",
    "check_bool",
    "check_choice",
    "check_cpu",
    "check_cron",
    "check_description",
    "check_dtype",
    "check_dataset",
    "check_hf_model",
    "check_image_builder",
    "check_int",
    "check_max_model_len",
    "check_model_params",
    "check_name",
    "check_period",
    "check_python",
    "check_timezone",
    "check_value",
    "default_secret_keys",
    "each_item",
    "flag",
    "is_one_safe_line",
    "package_name",
    "parse_apt",
    "parse_environments",
    "parse_env",
    "parse_gpu",
    "parse_gpu_for",
    "parse_gpus",
    "parse_pip",
    "parse_secret",
    "parse_secrets",
    "parse_volume",
    "parse_volumes",
    "parse_workloads",
    "shown",
    "split_commas",
    "string_list",
    "typed_items",
    "volume_identifier",
]
