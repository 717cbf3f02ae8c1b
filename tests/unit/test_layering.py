"""Translators stay pure: no module under translators/ may import the gateway or do I/O."""

import ast
from pathlib import Path

FORBIDDEN = {"gateway", "httpx", "starlette", "anyio", "asyncio", "uvicorn", "socket"}


def test_no_translator_module_imports_io_or_the_gateway():
    offenders = []
    for path in Path(__file__).resolve().parents[2].joinpath("translators").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
