"""Import directions: the request path only points down, translators stay pure, and aiohttp
stays inside the upstream package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_TRANSLATORS = {"gateway", "httpx", "starlette", "anyio", "asyncio", "uvicorn", "socket", "aiohttp"}
# The request path, in order: a stage may import the stages after it, never one before it.
# `runtime` is the config snapshot the front door reads once per request (keys, catalog).
PATH = ("inbound", "runtime", "clients", "routing", "upstream")
# Below every stage: they import none of the stages, only each other.
# `store` (the database) sits beside the path: the front door never waits on it.
SHARED = {"core", "config", "state", "observe", "store"}
# Beside the path too: the management API, mounted by the app, imported by no stage.
BESIDE = {"admin"}
# Wiring: builds everything, may import anything.
WIRING = {"app", "cli", "server", "__main__", "__init__"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _part(module: str) -> str | None:
    """The gateway part a module name belongs to: 'routing' for gateway.routing.catalog."""
    pieces = module.split(".")
    return pieces[1] if pieces[0] == "gateway" and len(pieces) > 1 else None


def _gateway_modules() -> list[tuple[str, Path]]:
    base = ROOT / "gateway"
    return [(path.relative_to(base).parts[0].removesuffix(".py"), path) for path in base.rglob("*.py")]


def test_no_translator_module_imports_io_or_the_gateway():
    offenders = []
    for path in (ROOT / "translators").rglob("*.py"):
        offenders += [f"{path.name}: {n}" for n in _imports(path) if n.split(".")[0] in FORBIDDEN_IN_TRANSLATORS]
    assert offenders == []


def test_every_gateway_part_is_a_stage_shared_or_wiring():
    parts = {part for part, _ in _gateway_modules()}
    known = set(PATH) | SHARED | WIRING | BESIDE
    assert parts <= known, parts - known


def test_nothing_but_the_wiring_imports_the_management_side():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for part, path in _gateway_modules()
        if part not in WIRING | BESIDE
        for name in _imports(path)
        if _part(name) in BESIDE
    ]
    assert offenders == []


def _backward_imports(modules: list[tuple[str, Path]]) -> list[str]:
    offenders = []
    for part, path in modules:
        if part not in PATH:
            continue
        for name in _imports(path):
            target = _part(name)
            if target in PATH and PATH.index(target) < PATH.index(part):
                offenders.append(f"{path.name} imports {name}")
            if target in WIRING - {"__init__"}:
                offenders.append(f"{path.name} imports the wiring module {name}")
    return offenders


def test_no_stage_imports_a_stage_that_comes_before_it_on_the_path():
    assert _backward_imports(_gateway_modules()) == []


def test_shared_packages_import_no_stage():
    offenders = []
    for part, path in _gateway_modules():
        if part in SHARED:
            offenders += [
                f"{path.relative_to(ROOT)} imports {name}"
                for name in _imports(path)
                if _part(name) in set(PATH) | BESIDE | WIRING - {"__init__"}
            ]
    assert offenders == []


def test_aiohttp_is_imported_only_inside_the_upstream_package():
    offenders = [
        f"{path.relative_to(ROOT)}"
        for part, path in _gateway_modules()
        if part != "upstream" and any(n.split(".")[0] == "aiohttp" for n in _imports(path))
    ]
    assert offenders == []


def test_a_backward_import_is_reported(tmp_path):
    bad = tmp_path / "attempt.py"
    bad.write_text("from gateway.routing.catalog import Route\nfrom gateway.state.breaker import CircuitBreaker\n")
    assert _backward_imports([("upstream", bad)]) == ["attempt.py imports gateway.routing.catalog"]
