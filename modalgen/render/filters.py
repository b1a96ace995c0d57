"""The filters copier adds to Jinja that modalgen's templates use, and compiled templates kept on disk.

copier loads `jinja2_ansible_filters.AnsibleCoreFiltersExtension` (GPL, and about 40 filters);
the ones the templates use are written here to do exactly what that package does. A filter a
template uses that is not here fails at compile time ("No filter named ..."), never silently.

Compiling a template is most of the time a cold render takes, so compiled templates are kept in
modalgen's cache folder (`$XDG_CACHE_HOME/modalgen`), as Python keeps bytecode: each entry is
checked against its source's checksum and compiled again when the source changed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any


def to_nice_yaml(a: Any, indent: int = 4, *args: Any, **kw: Any) -> str:
    import yaml

    return yaml.dump(a, indent=indent, allow_unicode=True, default_flow_style=False, **kw)


def to_yaml(a: Any, *args: Any, **kw: Any) -> str:
    import yaml

    return yaml.dump(a, allow_unicode=True, **kw)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def regex_replace(value: Any = "", pattern: str = "", replacement: str = "", ignorecase: bool = False) -> str:
    return re.compile(pattern, flags=re.I if ignorecase else 0).sub(replacement, _text(value))


def regex_search(value: str, regex: str, *args: str, **kwargs: Any) -> Any:
    if args:
        raise NotImplementedError("regex_search with back-references")
    flags = (re.I if kwargs.get("ignorecase") else 0) | (re.M if kwargs.get("multiline") else 0)
    match = re.search(regex, value, flags)
    return match.group() if match else None


def regex_findall(value: str, regex: str, multiline: bool = False, ignorecase: bool = False) -> list:
    return re.findall(regex, value, (re.I if ignorecase else 0) | (re.M if multiline else 0))


def regex_escape(string: str) -> str:
    return re.escape(string)


def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    if value is None and none_val is not None:
        return none_val
    return true_val if bool(value) else false_val


def extract(item: Any, container: Any, morekeys: Any = None) -> Any:
    from functools import reduce

    from jinja2.runtime import Undefined

    value = container[item]
    if morekeys is not None:
        if not isinstance(morekeys, list):
            morekeys = [morekeys]
        try:
            value = reduce(lambda d, k: d[k], morekeys, value)
        except KeyError:
            value = Undefined()
    return value


COPIER_FILTERS = {
    "extract": extract,
    "to_nice_yaml": to_nice_yaml,
    "to_yaml": to_yaml,
    "regex_replace": regex_replace,
    "regex_search": regex_search,
    "regex_findall": regex_findall,
    "regex_escape": regex_escape,
    "ternary": ternary,
}


def pathjoin(*path: str, mode: str = "posix") -> str:
    kinds = {"posix": PurePosixPath, "windows": PureWindowsPath, "native": PurePath}
    return str(kinds[mode](*path))


# -- compiled templates, kept between runs


def cache_dir() -> Path | None:
    if os.environ.get("MODALGEN_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    from modalgen import __version__

    return Path(base) / "modalgen" / f"jinja-{__version__}"


def bytecode_cache(flavour: str):
    """A cache of compiled templates for environments configured as `flavour` says (its envops)."""
    folder = cache_dir()
    if folder is None:
        return None
    import hashlib

    folder = folder / hashlib.sha1(flavour.encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    from jinja2 import FileSystemBytecodeCache

    class BestEffort(FileSystemBytecodeCache):
        """A cache that never fails a render: an entry it cannot read or write is compiled again."""

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 (a truncated or foreign file: compile instead)
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return BestEffort(str(folder))


def compiled(env, source: str):
    """`env.from_string(source)`, through the environment's bytecode cache when it has one."""
    cache = env.bytecode_cache
    if cache is None:
        return env.from_string(source)
    import hashlib

    bucket = cache.get_bucket(env, "<string>" + hashlib.sha1(source.encode()).hexdigest(), None, source)
    code = bucket.code
    if code is None:
        code = env.compile(source)
        bucket.code = code
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, code, env.make_globals(None), None)
