"""The Responses translator's public surface and purity."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import translators.responses

PACKAGE_DIR = Path(translators.responses.__file__).parent
FORBIDDEN = ("gateway", "httpx", "starlette", "anyio")


def test_package_exports_exactly_the_translator_interface():
    assert sorted(translators.responses.__all__) == [
        "StreamDecoder",
        "build_request",
        "ignored_fields",
        "parse_error",
        "parse_response",
        "request_path",
    ]


def test_fresh_import_loads_none_of_gateway_httpx_starlette_anyio():
    probe = (
        "import sys, translators.responses\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parents[1],
    )
    assert result.stdout.strip() == "[]"


def test_no_module_imports_io_libraries_or_awaits():
    for source in PACKAGE_DIR.glob("*.py"):
        text = source.read_text()
        for name in FORBIDDEN:
            assert f"import {name}" not in text and f"from {name}" not in text, (
                f"{source.name} imports {name}"
            )
        assert "await " not in text and "async def" not in text, f"{source.name} is not synchronous"
