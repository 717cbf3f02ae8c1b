"""Every dialect package's public surface, and the purity of all translator modules."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import translators

ROOT = Path(translators.__file__).parents[1]
FORBIDDEN = ("gateway", "httpx", "starlette", "anyio")

# Dialect package -> the modules a fresh interpreter imports to use it.
DIALECTS: dict[str, tuple[str, ...]] = {
    "translators.anthropic": ("translators.anthropic",),
    "translators.gemini": ("translators.gemini", "translators.gemini.embeddings"),
    "translators.responses": ("translators.responses",),
}
# The modules the dialects share, and the OpenAI passthrough.
SHARED: tuple[str, ...] = (
    "translators.common",
    "translators.decoding",
    "translators.errors",
    "translators.hub",
    "translators.openai",
    "translators.sse",
)


@pytest.mark.parametrize("package", DIALECTS)
def test_package_exports_exactly_the_translator_interface(package):
    assert sorted(importlib.import_module(package).__all__) == [
        "StreamDecoder",
        "build_request",
        "ignored_fields",
        "parse_error",
        "parse_response",
        "request_path",
    ]


@pytest.mark.parametrize("modules", [*DIALECTS.values(), SHARED], ids=[*DIALECTS, "shared"])
def test_fresh_import_loads_none_of_gateway_httpx_starlette_anyio(modules):
    probe = (
        f"import sys, {', '.join(modules)}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("package", [*DIALECTS, "translators"])
def test_no_module_imports_io_libraries_or_awaits(package):
    sources = sorted(Path(importlib.import_module(package).__file__).parent.glob("*.py"))
    assert sources
    for source in sources:
        text = source.read_text()
        for name in FORBIDDEN:
            assert f"import {name}" not in text and f"from {name}" not in text, f"{source.name} imports {name}"
        assert "await " not in text and "async def" not in text, f"{source.name} is not synchronous"
