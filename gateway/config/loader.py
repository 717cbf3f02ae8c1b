"""Reading config.yaml: YAML with line numbers, ${VAR} interpolation, unknown-key warnings.

`load_config(path, environ)` returns the validated `GatewayConfig` and a list of warnings, or
raises `ConfigError` listing every problem as `key.path[0].sub-key (line N): what is wrong`.
Values are interpolated before validation, so `port: ${PORT:-8317}` works; a variable that is
unset and has no default is an error naming the key path, never an empty secret.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from gateway.config.models import GatewayConfig
from gateway.config.routes import route_problems

__all__ = ["ConfigError", "Problem", "load_config", "parse_config"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The file cannot be used; `problems` says where and why, one entry each."""

    def __init__(self, source: str, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.source = source
        self.problems = problems
        # Unknown keys seen on the way: often the cause (a misspelt key leaves a required one unset).
        self.warnings = warnings or []
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def load_config(path: str | Path, environ: Mapping[str, str]) -> tuple[GatewayConfig, list[Problem]]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [Problem("(file)", None, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [Problem("(file)", None, f"not UTF-8 text (byte {exc.start})")]) from None
    return parse_config(text, environ, source=source)


def parse_config(
    text: str, environ: Mapping[str, str], *, source: str = "config.yaml"
) -> tuple[GatewayConfig, list[Problem]]:
    data, lines = _read_yaml(text, source)
    problems: list[Problem] = []
    data = _interpolate(data, (), environ, lines, problems)
    warnings: list[Problem] = []
    data = _strip_unknown(GatewayConfig, data, (), lines, warnings)
    try:
        config = GatewayConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem(error, lines) for error in exc.errors())
    if not problems:
        problems.extend(_route_problems(config, lines))
    if problems:
        raise ConfigError(source, problems, warnings)
    return config, warnings


def _route_problems(config: GatewayConfig, lines: dict[KeyPath, int]) -> list[Problem]:
    found = []
    for path, message in route_problems(config):
        if isinstance(path, tuple):
            found.append(Problem(format_path(path), _line(lines, path), message))
        else:
            found.append(Problem(path, None, message))
    return found


def _read_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [Problem("(yaml)", line, f"not valid YAML: {reason}")]) from None
    if node is None:
        return {}, {}
    lines: dict[KeyPath, int] = {}
    _record_lines(node, (), lines)
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        # e.g. an impossible date (2024-02-30) or a bad !!binary value.
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            source, [Problem("(yaml)", mark.line + 1 if mark else None, f"a value cannot be read: {exc}")]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("(top level)", 1, "must be a mapping of keys like 'port: 8317'")])
    return data, lines


def _record_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (str(key.value),)
            _record_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines)


def _line(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _interpolate(
    value: Any, path: KeyPath, environ: Mapping[str, str], lines: dict[KeyPath, int], problems: list[Problem]
) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, path + (str(k),), environ, lines, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, path + (i,), environ, lines, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        problems.append(
            Problem(
                format_path(path),
                _line(lines, path),
                f"environment variable {name} is not set; export it or write ${{{name}:-default}}",
            )
        )
        return ""

    return _VARIABLE.sub(substitute, value)


def _strip_unknown(
    model: type[BaseModel], data: Any, path: KeyPath, lines: dict[KeyPath, int], warnings: list[Problem]
) -> Any:
    """Drops keys the model does not know, warning with the closest known key."""
    if not isinstance(data, dict):
        return data
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        key_path = path + (str(key),)
        info = fields.get(str(key))
        if info is None:
            guess = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else "not an option of llm-gateway"
            warnings.append(Problem(format_path(key_path), _line(lines, key_path), f"unknown key, ignored; {hint}"))
            continue
        kept[key] = _strip_nested(info.annotation, value, key_path, lines, warnings)
    return kept


def _strip_nested(
    annotation: Any, value: Any, path: KeyPath, lines: dict[KeyPath, int], warnings: list[Problem]
) -> Any:
    nested = _models_in(annotation)
    if not nested:
        return value
    model = nested[0]
    if typing.get_origin(annotation) is dict and isinstance(value, dict):
        # A mapping of names to models (`prices:`): the keys are the operator's own.
        return {k: _strip_unknown(model, v, path + (str(k),), lines, warnings) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_unknown(model, item, path + (i,), lines, warnings) for i, item in enumerate(value)]
    return _strip_unknown(model, value, path, lines, warnings)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found.extend(_models_in(argument))
    return found


def _problem(error: Any, lines: dict[KeyPath, int]) -> Problem:
    path: KeyPath = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
    # A string where a mapping was expected reports the union branch in loc; drop those names.
    path = tuple(p for p in path if isinstance(p, int) or not p[:1].isupper())
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "unknown key"
    return Problem(format_path(path), _line(lines, path), message)
