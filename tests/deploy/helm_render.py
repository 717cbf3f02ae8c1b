"""Renders the chart's templates the way `helm template` does, for the subset of Go templates
and Sprig functions the chart uses, where no helm binary can be installed.

Supported: `{{ }}` with `-` trimming, `define` / `include`, `if` / `else` / `end` (`not` in
the condition), field paths (`.Values.a.b`, `.Release.Name`, `.Chart.AppVersion`), string and
number literals, parenthesised calls, pipelines, and the functions `include`, `toYaml`,
`nindent`, `indent`, `quote`, `sha256sum`, `add`, `index`, `not`. Anything else is an error, so
a template using more than this fails the test instead of rendering wrongly.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TemplateError", "render_chart"]

ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


class TemplateError(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    """[("text", ...), ("action", ...)] with `{{-` / `-}}` whitespace trimming applied."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in ACTION.finditer(text):
        before = text[position : match.start()]
        if match.group(1):
            before = before.rstrip()
        parts.append(("text", before))
        parts.append(("action", match.group(2)))
        position = match.end()
        if match.group(3):
            rest = text[position:]
            position += len(rest) - len(rest.lstrip())
    parts.append(("text", text[position:]))
    return parts


def _parse(tokens: list[tuple[str, str]], start: int, stop: tuple[str, ...]) -> tuple[list[Any], int, str]:
    """Nodes until one of the `stop` keywords; returns (nodes, next index, keyword met)."""
    nodes: list[Any] = []
    index = start
    while index < len(tokens):
        kind, value = tokens[index]
        index += 1
        if kind == "text":
            nodes.append(("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        if word in stop:
            return nodes, index, word
        if word == "if":
            then, index, met = _parse(tokens, index, ("else", "end"))
            otherwise: list[Any] = []
            if met == "else":
                otherwise, index, _ = _parse(tokens, index, ("end",))
            nodes.append(("if", value[2:].strip(), then, otherwise))
        elif word == "define":
            body, index, _ = _parse(tokens, index, ("end",))
            nodes.append(("define", shlex.split(value)[1], body))
        elif word.startswith("/*"):
            continue
        else:
            nodes.append(("action", value))
    if stop:
        raise TemplateError(f"missing {{{{ end }}}} (expected one of {stop})")
    return nodes, index, ""


def _field(path: str, dot: dict[str, Any]) -> Any:
    value: Any = dot
    for part in path.strip(".").split("."):
        if not part:
            continue
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class _Renderer:
    def __init__(self, defines: dict[str, list[Any]]) -> None:
        self.defines = defines

    def render(self, nodes: list[Any], dot: dict[str, Any]) -> str:
        out: list[str] = []
        for node in nodes:
            if node[0] == "text":
                out.append(node[1])
            elif node[0] == "action":
                value = self.pipeline(node[1], dot)
                out.append("" if value is None else _text(value))
            elif node[0] == "if":
                chosen = node[2] if _truthy(self.pipeline(node[1], dot)) else node[3]
                out.append(self.render(chosen, dot))
            elif node[0] == "define":
                continue
        return "".join(out)

    def pipeline(self, expression: str, dot: dict[str, Any]) -> Any:
        stages = _split_pipes(expression)
        value = self.call(_words(stages[0]), dot, piped=_MISSING)
        for stage in stages[1:]:
            value = self.call(_words(stage), dot, piped=value)
        return value

    def term(self, word: str, dot: dict[str, Any]) -> Any:
        if word.startswith("(") and word.endswith(")"):
            return self.pipeline(word[1:-1], dot)
        if word == ".":
            return dot
        if word.startswith("."):
            return _field(word, dot)
        if word.startswith('"'):
            return word[1:-1]
        if re.fullmatch(r"-?\d+", word):
            return int(word)
        raise TemplateError(f"unsupported term {word!r}")

    def call(self, words: list[str], dot: dict[str, Any], piped: Any) -> Any:
        name, args = words[0], [self.term(w, dot) for w in words[1:]]
        if piped is not _MISSING:
            args.append(piped)
        if not (name.startswith((".", '"', "(")) or re.fullmatch(r"-?\d+", name)):
            return self.function(name, args)
        if args:
            raise TemplateError(f"{name} takes no arguments")
        return self.term(name, dot)

    def function(self, name: str, args: list[Any]) -> Any:
        if name == "include":
            template, scope = args
            if template not in self.defines:
                raise TemplateError(f"no template named {template!r}")
            return self.render(self.defines[template], scope)
        if name == "toYaml":
            (value,) = args
            return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")
        if name == "nindent":
            width, text = args
            return "\n" + _indent(str(text), width)
        if name == "indent":
            width, text = args
            return _indent(str(text), width)
        if name == "quote":
            (value,) = args
            return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if name == "sha256sum":
            (value,) = args
            return hashlib.sha256(str(value).encode()).hexdigest()
        if name == "add":
            return sum(int(a) for a in args)
        if name == "index":
            container, *keys = args
            for key in keys:
                container = container[key]
            return container
        if name == "not":
            (value,) = args
            return not _truthy(value)
        raise TemplateError(f"unsupported function {name!r}")


_MISSING = object()


def _split(text: str, at: Callable[[str], bool]) -> list[str]:
    """`text` cut where `at(char)` holds outside quotes and parentheses; empty pieces dropped."""
    pieces, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if at(char) and not quoted and depth == 0:
            pieces.append(current.strip())
            current = ""
        else:
            current += char
    pieces.append(current.strip())
    return [piece for piece in pieces if piece]


def _split_pipes(expression: str) -> list[str]:
    return _split(expression, lambda char: char == "|")


def _words(stage: str) -> list[str]:
    return _split(stage, str.isspace)


def _indent(text: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _truthy(value: Any) -> bool:
    return bool(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_chart(chart: Path, *, release: str = "gw", overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """{template file name: rendered text} for every template, as `helm template` would."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    values = _merge(yaml.safe_load((chart / "values.yaml").read_text()) or {}, overrides or {})
    dot = {
        "Values": values,
        "Release": {"Name": release, "Namespace": "default", "Service": "Helm"},
        "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta.get("appVersion")},
    }
    parsed = {}
    defines: dict[str, list[Any]] = {}
    for path in sorted((chart / "templates").iterdir()):
        nodes, _, _ = _parse(_tokens(path.read_text()), 0, ())
        defines.update({n[1]: n[2] for n in nodes if n[0] == "define"})
        parsed[path.name] = nodes
    renderer = _Renderer(defines)
    return {name: renderer.render(nodes, dot) for name, nodes in parsed.items() if not name.startswith("_")}
