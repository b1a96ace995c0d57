"""copier's template format, rendered with jinja2 directly: the parts modalgen's templates use.

copier copy of a template folder, done as copier does it, step for step (copier 9: `_main.py`
`_ask`, `_render_template`, `_render_path`, `_render_file`; `_user_data.py` `Question`):

- copier.yml: questions in order; `_subdirectory`, `_templates_suffix`, `_envops`, `_exclude`
  (Jinja-rendered, matched as gitignore patterns against the rendered path), `_answers_file`,
  `_jinja_extensions`. A question answered in the data takes that answer, cast to its type (a
  multiselect keeps its choices' order); otherwise its default, rendered with the answers so far. A
  question whose `when` is false is answered all the same but not recorded in `_copier_answers`.
- Paths: each part of a path is a template; a part that renders empty drops the file; `.jinja`
  files render, others are copied as they are; a plain file with a `.jinja` sibling is skipped.
- Files: rendered with the answers, `_copier_answers`, `_copier_conf`; the source's mode is kept.
- Filters: jinja2's own plus copier's Ansible filters that the templates use (`to_nice_yaml`,
  `regex_replace`, `regex_search`, ...), written here exactly as jinja2-ansible-filters does.
  A template that uses a filter, a setting or a `_copier_conf` entry not written here fails
  loudly; it never renders differently from copier.

No copier import: `tests/test_copier_identity.py` proves the trees byte-identical to copier's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from modalgen.render import filters

SETTINGS = {  # what modalgen renders of copier's settings; the others are refused
    "min_copier_version", "subdirectory", "answers_file", "templates_suffix", "envops", "exclude",
    "jinja_extensions",
}  # fmt: skip
QUESTION_KEYS = {"type", "help", "default", "when", "choices", "multiselect", "validator", "secret",
                 "placeholder", "qmark", "multiline"}  # fmt: skip


class Unsupported(Exception):
    """The template uses a part of copier's format that modalgen's renderer does not implement."""


def _cast_to_bool(value: Any) -> bool:
    """copier's `cast_to_bool`."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    try:
        lower = value.strip().lower()
    except AttributeError:
        return bool(value)
    if not lower:
        return False
    if lower in {"y", "yes", "t", "true", "on"}:
        return True
    if lower in {"n", "no", "f", "false", "off", "~", "null", "none"}:
        return False
    return bool(value)


def _cast_to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (float, int)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode()
    raise ValueError(f"Could not convert {value} to string")


def _parse_yaml(value: str) -> Any:
    import yaml

    return yaml.safe_load(value)


def _parse_json(value: str) -> Any:
    import json

    return json.loads(value)


CASTS: dict[str, Callable[[Any], Any]] = {
    "bool": _cast_to_bool, "float": float, "int": int, "json": _parse_json, "str": _cast_to_str,
    "yaml": _parse_yaml, "path": str,
}  # fmt: skip
MISSING = object()


@dataclass
class Question:
    name: str
    details: dict[str, Any]

    @property
    def type(self) -> str:
        declared = self.details.get("type", "")
        if declared:
            return declared
        inferred = type(self.details.get("default")).__name__
        return inferred if inferred in CASTS else "yaml"

    def cast(self, answer: Any) -> Any:
        kind = self.type
        if answer is None and kind not in {"json", "yaml"}:
            raise ValueError(f"Invalid answer {answer!r} to question {self.name!r} of type {kind!r}")
        cast = CASTS[kind]
        try:
            if self.details.get("multiselect") and isinstance(answer, list):
                return [cast(item) for item in answer]
            return cast(answer)
        except (TypeError, AttributeError):
            if kind in {"json", "yaml"}:
                return answer
            raise


class Template:
    """A copier template folder: its settings, its questions and a jinja2 environment over it."""

    def __init__(self, root: Path) -> None:
        import yaml

        self.root = Path(root).resolve()
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        config = yaml.load((self.root / "copier.yml").read_text(encoding="utf-8"), Loader=loader)
        self.settings = {k[1:]: v for k, v in config.items() if k.startswith("_")}
        unknown = set(self.settings) - SETTINGS
        if unknown:
            raise Unsupported(f"copier.yml settings modalgen does not render: {sorted(unknown)}")
        self.questions = [
            Question(k, v if isinstance(v, dict) else {"default": v})
            for k, v in config.items()
            if not k.startswith("_")
        ]
        for q in self.questions:
            if set(q.details) - QUESTION_KEYS:
                raise Unsupported(f"question {q.name}: {sorted(set(q.details) - QUESTION_KEYS)}")
        self.suffix = self.settings.get("templates_suffix", ".jinja")
        self.copy_root = self.root / self.settings.get("subdirectory", "")
        self.exclude = tuple(self.settings.get("exclude", DEFAULT_EXCLUDE if not self.settings.get(
            "subdirectory") else ()))  # fmt: skip

    @cached_property
    def env(self):
        import jinja2

        envops = dict(self.settings.get("envops", {}))
        envops.setdefault("keep_trailing_newline", True)
        if "undefined" in envops:
            raise Unsupported("_envops.undefined")
        extensions = list(self.settings.get("jinja_extensions", ()))
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.root)),
            extensions=extensions,
            bytecode_cache=filters.bytecode_cache(repr((sorted(envops.items()), extensions))),
            **envops,
        )
        env.filters.update(filters.COPIER_FILTERS)
        env.globals["pathjoin"] = filters.pathjoin
        return env

    def render_string(self, source: str, context: Mapping[str, Any]) -> str:
        if "{" not in source:  # nothing for Jinja to do: the text as it is
            return source
        return filters.compiled(self.env, source).render(context)


DEFAULT_EXCLUDE = ("copier.yaml", "copier.yml", "~*", "*.py[co]", "__pycache__", ".git", ".DS_Store", ".svn")


class _Conf(dict):
    """`_copier_conf`: the entries modalgen's templates read; any other one fails loudly."""

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise Unsupported(f"_copier_conf.{key} is not rendered by modalgen")
        return dict.__getitem__(self, key)


@dataclass
class Answers:
    """The questionnaire answered as copier answers it with `--defaults` and `data`."""

    context: dict[str, Any]
    recorded: dict[str, Any]
    hidden: set[str] = field(default_factory=set)


def _render_value(template: Template, value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return template.render_string(value, context)
    if isinstance(value, list):
        return [_render_value(template, item, context) for item in value]
    return value


def _choices(template: Template, q: Question, context: Mapping[str, Any]) -> list[Any] | None:
    choices = q.details.get("choices")
    if not choices:
        return None
    if isinstance(choices, str):
        choices = _parse_yaml(template.render_string(choices, context))
    if isinstance(choices, dict):
        choices = list(choices.items())
    values = []
    for choice in choices:
        value = choice[1] if isinstance(choice, (tuple, list)) else choice
        if isinstance(value, dict):
            raise Unsupported(f"question {q.name}: choices with validators")
        values.append(q.cast(_render_value(template, value, context)))
    return values


def _parse_answer(template: Template, q: Question, answer: Any, context: Mapping[str, Any]) -> Any:
    choices = _choices(template, q, context)
    if q.details.get("multiselect"):
        if isinstance(answer, str):
            raise Unsupported(f"question {q.name}: a multiselect answer given as text")
        answer = [q.cast(a) for a in answer]
        for item in answer:
            if choices is not None and item not in choices:
                raise ValueError(f"Invalid choice for '{q.name}': {item!r} is not in {choices}")
        return [c for c in choices if c in answer] if choices is not None else answer
    answer = q.cast(answer)
    if choices is not None and answer not in choices:
        raise ValueError(f"Invalid choice for '{q.name}': {answer!r} is not in {choices}")
    return answer


def _validate(template: Template, q: Question, answer: Any, context: Mapping[str, Any]) -> None:
    validator = q.details.get("validator", "")
    if not validator:
        return
    try:
        message = template.render_string(validator, {**context, q.name: answer}).strip()
    except Exception as exc:  # noqa: BLE001 (copier reports the error as the message)
        message = str(exc)
    if message:
        raise ValueError(f"Validation error for question '{q.name}': {message}")


def answer(template: Template, data: Mapping[str, Any], base_context: Mapping[str, Any]) -> Answers:
    """copier's `_ask` with `defaults=True`: each question takes its data answer, or its default."""
    user: dict[str, Any] = {}
    hidden: set[str] = set()
    for q in template.questions:
        context = {**base_context, **data, **user}
        when = _cast_to_bool(_render_value(template, q.details.get("when", True), context))
        if not when:
            hidden.add(q.name)
        if q.name in data:
            value = _parse_answer(template, q, data[q.name], context)
            _validate(template, q, value, context)
            user[q.name] = value
            continue
        if "default" not in q.details:
            if when:
                raise ValueError(f'Question "{q.name}" is required')
            continue
        value = _parse_answer(template, q, _render_value(template, q.details["default"], context), context)
        if when and not q.details.get("secret"):
            _validate(template, q, value, context)
        user[q.name] = value
    combined = {**data, **user}
    names = {q.name for q in template.questions if not q.details.get("secret")}
    recorded = {k: v for k, v in combined.items() if not k.startswith("_") and k not in hidden and k in names}
    return Answers(combined, recorded, hidden)


# -- paths


def _pattern_matcher(patterns: list[str]) -> Callable[[PurePath], bool]:
    """copier's exclusions: gitignore patterns. Plain paths (no wildcard, no negation) match here:
    one with a slash before its end is anchored at the root, one without matches at any depth, and a
    folder that matches takes everything under it. Anything else goes to pathspec, as in copier."""
    from unicodedata import normalize

    lines = [normalize("NFD", p) for p in patterns]
    lines = [p for p in lines if p.strip() and not p.startswith("#")]
    if any(set(p) & set("*?[]!\\") or p != p.strip() for p in lines):
        import pathspec

        spec = pathspec.PathSpec.from_lines("gitignore", lines)
        return spec.match_file
    anchored, anywhere = set(), set()
    for p in lines:
        only_dirs = p.endswith("/")
        p = p.rstrip("/")
        if only_dirs:
            raise Unsupported(f"_exclude pattern for folders only: {p}/")
        (anchored if "/" in p else anywhere).add(p.lstrip("/"))

    def match(path: PurePath) -> bool:
        parts = PurePosixPath(path.as_posix()).parts
        for i in range(1, len(parts) + 1):
            if "/".join(parts[:i]) in anchored or parts[i - 1] in anywhere:
                return True
        return False

    return match


def _scantree(path: str) -> Iterator[os.DirEntry]:
    for entry in os.scandir(path):
        yield entry
        if entry.is_dir(follow_symlinks=True):
            yield from _scantree(entry.path)


@dataclass
class Rendered:
    files: list[str]  # relative paths written, in the order written


def render(
    template: Template, data: Mapping[str, Any], destination: Path, src_path: str | None = None
) -> Path:
    """Render `template` with `data` into `destination`, as `copier copy --defaults` would."""
    destination = Path(destination)
    conf = _Conf(
        src_path=PurePath(template.root),
        dst_path=PurePath(destination),
        answers_file=PurePath(""),
        sep=os.sep,
        os="linux",
    )
    base = {"_copier_conf": conf, "_folder_name": destination.name, "_copier_operation": "copy"}
    answers = answer(template, dict(data), base)
    answers_source = str(template.settings.get("answers_file", ".copier-answers.yml"))
    conf["answers_file"] = PurePath(template.render_string(answers_source, {**answers.context, **base}))
    remembered = {"_src_path": str(src_path if src_path is not None else template.root), **answers.recorded}
    context = {**answers.context, "_copier_answers": remembered, **base}
    exclusions: list[str] = []
    for pattern in template.exclude:
        exclusions += re.split(r"\r\n|\r|\n", template.render_string(pattern, context))
    excluded = _pattern_matcher(exclusions)
    answers_relpath = conf["answers_file"]
    suffix = template.suffix
    destination.mkdir(parents=True, exist_ok=True)
    for entry in _scantree(str(template.copy_root)):
        src = Path(entry.path)
        rel = src.relative_to(template.copy_root)
        is_template = bool(suffix) and rel.name.endswith(suffix)
        if suffix and (template.copy_root / f"{rel}{suffix}").exists():
            continue  # a plain file with a templated sibling: the sibling renders
        if is_template:
            rel = rel.with_suffix("")
        dst_rel = _render_parts(template, rel.parts, context, answers_relpath)
        if dst_rel is None:
            continue
        if not is_template and (template.root / f"{dst_rel}{suffix}").exists():
            continue
        if excluded(dst_rel):
            continue
        target = destination / dst_rel
        if entry.is_dir(follow_symlinks=True):
            target.mkdir(parents=True, exist_ok=True)
            continue
        src_rel = src.relative_to(template.root).as_posix()
        if src.name.endswith(suffix) and suffix:
            content = template.env.get_template(src_rel).render(context).encode()
        else:
            content = src.read_bytes()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        mode = src.stat().st_mode
        if target.stat().st_mode != mode:
            target.chmod(mode)
    return destination


def _render_parts(
    template: Template, parts: tuple[str, ...], context: Mapping[str, Any], answers_relpath: PurePath
) -> Path | None:
    rendered: list[str] = []
    for part in parts:
        text = template.render_string(part, context)
        if not text:
            return None
        if text == str(answers_relpath):
            return Path(answers_relpath)
        rendered.append(text)
    return Path(*rendered)
