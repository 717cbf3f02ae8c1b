"""`llm-gateway serve | check-config | usage`: the operator's entry points.

`serve` is the default subcommand. A config that cannot be used is reported problem by
problem (key path and line) and the process exits 1 before binding any port.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from gateway.clients.keys import exposure_problem
from gateway.config.loader import ConfigError, Problem, load_config
from gateway.config.models import GatewayConfig
from gateway.observe.logs import configure
from gateway.observe.worker_metrics import METRICS_DIR_ENV
from gateway.routing.catalog import build_catalog

if TYPE_CHECKING:
    from gateway.app import Gateway

__all__ = ["main"]

log = logging.getLogger("gateway")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(_with_default_command(list(sys.argv[1:] if argv is None else argv)))
    return args.run(args)


def _with_default_command(argv: list[str]) -> list[str]:
    if not argv or argv[0] not in ("serve", "check-config", "usage", "rotate-key", "-h", "--help", "--version"):
        return ["serve", *argv]
    return argv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llm-gateway", description="OpenAI-compatible gateway for LLM providers.")
    parser.add_argument("--version", action="version", version=f"llm-gateway {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway (default)")
    serve.add_argument("--config", default="config.yaml", help="path of config.yaml (default: %(default)s)")
    serve.add_argument("--host", help="interface to bind, overriding the config's host")
    serve.add_argument("--port", type=int, help="port to bind, overriding the config's port")
    serve.add_argument("--log-level", default=None, choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the socket, e.g. one per core (default: %(default)s)",
    )
    serve.set_defaults(run=_serve)
    check = commands.add_parser("check-config", help="validate a config file and summarise it")
    check.add_argument("--config", default="config.yaml", help="path of config.yaml (default: %(default)s)")
    check.set_defaults(run=_check)
    usage = commands.add_parser("usage", help="print tokens and cost from the usage ledger")
    usage.add_argument("--config", default="config.yaml", help="path of config.yaml (default: %(default)s)")
    usage.add_argument("--since", default="7d", help="start: 24h, 7d, 2026-12-01, ... (default: %(default)s)")
    usage.add_argument("--until", default=None, help="end (exclusive), same forms (default: now)")
    usage.add_argument(
        "--by", default="key,model", help="group by some of key,model,provider,day (default: %(default)s)"
    )
    usage.add_argument("--format", default="table", choices=["table", "json", "csv"])
    usage.set_defaults(run=_usage)
    rotate = commands.add_parser(
        "rotate-key", help="re-encrypt every stored secret with the first key of ENCRYPTION_KEY"
    )
    rotate.add_argument("--config", default="config.yaml", help="path of config.yaml (default: %(default)s)")
    rotate.set_defaults(run=_rotate_key)
    return parser


def _version() -> str:
    from gateway import __version__

    return __version__


def _report(title: str, problems: list[Problem], stream: TextIO = sys.stderr) -> None:
    print(title, file=stream)
    for problem in problems:
        print(f"  - {problem}", file=stream)


def _check(args: argparse.Namespace) -> int:
    try:
        config, warnings = load_config(args.config, os.environ)
    except ConfigError as exc:
        _report(f"{args.config}: {len(exc.problems)} problem(s):", exc.problems, sys.stdout)
        if exc.warnings:
            _report(f"{args.config}: {len(exc.warnings)} warning(s):", exc.warnings, sys.stdout)
        return 1
    if warnings:
        _report(f"{args.config}: {len(warnings)} warning(s):", warnings, sys.stdout)
    catalog = build_catalog(config)
    print(f"{args.config}: OK")
    print(
        f"  listen: {config.host}:{config.port}, client keys: {len(config.api_keys)}, "
        f"routing: {config.routing.strategy}, request-retry: {config.request_retry}"
    )
    for provider in catalog.providers:
        print(f"  provider {provider.name}: {provider.dialect} at {provider.base_url}")
    for pool in catalog.pools.values():
        print(f"  model {pool.id}: {len(pool.targets)} target(s), owned by {pool.owned_by}")
    problem = exposure_problem(config, config.host)
    if problem:
        print(f"  warning: {problem}")
    return 0


def _read_config(path: str) -> GatewayConfig | None:
    """The config for a command that only reads it; None (problems printed) if it is broken."""
    try:
        config, _ = load_config(path, os.environ)
    except ConfigError as exc:
        _report(f"llm-gateway: cannot read {path}, it has {len(exc.problems)} problem(s):", exc.problems)
        return None
    return config


def _usage(args: argparse.Namespace) -> int:
    """The ledger's report, read straight from the store the gateway writes."""
    import time

    from gateway.store.database import StoreError, open_database
    from gateway.store.ledger import Ledger
    from gateway.store.migrations import migrate
    from gateway.store.report import parse_group_by, parse_when, render
    from gateway.store.service import store_url

    config = _read_config(args.config)
    if config is None:
        return 1
    now = time.time()
    try:
        since = parse_when(args.since, now)
        until = parse_when(args.until, now) if args.until else None
        group_by = parse_group_by(args.by)
    except ValueError as exc:
        print(f"llm-gateway usage: {exc}", file=sys.stderr)
        return 2
    try:
        db = open_database(store_url(config.store, args.config))
        try:
            migrate(db)
            report = Ledger(db).report(since=since, until=until, group_by=group_by)
        finally:
            db.close()
    except StoreError as exc:
        print(f"llm-gateway usage: {exc}", file=sys.stderr)
        return 1
    print(render(report, args.format), end="" if args.format == "csv" else "\n")
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    """ENCRYPTION_KEY=new,old llm-gateway rotate-key: afterwards `new` alone opens the store."""
    from gateway.store.database import StoreError, open_database
    from gateway.store.migrations import migrate
    from gateway.store.providers import ManagedError, ProviderStore
    from gateway.store.secret_box import ENCRYPTION_KEY_ENV, EncryptionKeyError, SecretBox
    from gateway.store.service import store_url

    config = _read_config(args.config)
    if config is None:
        return 1
    try:
        box = SecretBox.from_value(os.environ.get(ENCRYPTION_KEY_ENV))
        if box is None:
            raise EncryptionKeyError(
                "ENCRYPTION_KEY is not set: put the new key first and the old one after it, comma-separated."
            )
        db = open_database(store_url(config.store, args.config))
        try:
            migrate(db)
            store = ProviderStore(db, box)
            store.check_key()
            count = store.rotate()
        finally:
            db.close()
    except (EncryptionKeyError, StoreError, ManagedError) as exc:
        print(f"llm-gateway rotate-key: {exc}", file=sys.stderr)
        return 1
    print(
        f"llm-gateway rotate-key: {count} secret(s) re-encrypted with the first key; "
        + ("the other keys may now be dropped from ENCRYPTION_KEY." if box.count > 1 else "nothing else to drop.")
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        config, warnings = load_config(args.config, os.environ)
    except ConfigError as exc:
        _report(f"llm-gateway: cannot start, {args.config} has {len(exc.problems)} problem(s):", exc.problems)
        if exc.warnings:
            _report(f"{args.config}: {len(exc.warnings)} warning(s):", exc.warnings)
        return 1
    level = args.log_level or ("debug" if config.debug else config.logging.level)
    logs = configure(config.logging.format, level, access=config.logging.access)
    for warning in warnings:
        log.warning("%s: %s", args.config, warning)
    host = args.host or config.host
    port = args.port or config.port
    problem = exposure_problem(config, host)
    if problem:
        print(f"llm-gateway: cannot start: {problem}", file=sys.stderr)
        return 1
    if not config.api_keys:
        log.warning("api-keys is empty: every client on this machine may use the gateway without a key")

    import uvicorn

    if args.workers < 1:
        print("llm-gateway: --workers must be at least 1", file=sys.stderr)
        return 1
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level=level,
        log_config=logs,
        # The gateway's own access line (gateway.observe.logs) says more than uvicorn's.
        access_log=False,
        lifespan="on",
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http=_http_protocol(),
        timeout_keep_alive=math.ceil(config.limits.keep_alive_seconds),
        server_header=False,
        date_header=False,
        # uvicorn takes whole seconds here.
        timeout_graceful_shutdown=math.ceil(config.shutdown.drain_timeout_seconds),
    )
    log.info(
        "llm-gateway %s listening on http://%s:%d/v1 with %d model id(s), %d worker(s)",
        _version(),
        host,
        port,
        len(build_catalog(config).pools),
        args.workers,
    )
    if args.workers == 1:
        from gateway.app import Gateway
        from gateway.server import GatewayServer
        from gateway.store.secret_box import EncryptionKeyError

        try:
            app = Gateway(config, config_path=os.path.abspath(args.config))
        except EncryptionKeyError as exc:
            print(f"llm-gateway: cannot start: {exc}", file=sys.stderr)
            return 1
        server = GatewayServer(uvicorn.Config(app, **options), gateway=app, delay=config.shutdown.delay_seconds)
        server.run()
        if not server.started:
            # Start-up refused (a wrong ENCRYPTION_KEY, say); the log said why.
            return 3
    else:
        # Each worker process loads the file itself; the path travels in the environment, and
        # so does the directory where workers leave their metrics for each other.
        os.environ[CONFIG_ENV] = os.path.abspath(args.config)
        metrics_dir = tempfile.mkdtemp(prefix="llm-gateway-metrics-")
        os.environ[METRICS_DIR_ENV] = metrics_dir
        try:
            uvicorn.run("gateway.cli:worker_app", factory=True, workers=args.workers, **options)
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


CONFIG_ENV = "LLM_GATEWAY_CONFIG"


def _http_protocol() -> Any:
    """uvicorn's httptools protocol with the gateway's head and connection limits; h11 where
    httptools is missing (those limits then do not apply)."""
    if importlib.util.find_spec("httptools") is None:
        log.warning("httptools is not installed: the head and connection limits do not apply")
        return "h11"
    from gateway.inbound.guard import GuardedHttpToolsProtocol

    return GuardedHttpToolsProtocol


def worker_app() -> Gateway:
    """The app of one worker process started by `serve --workers N`."""
    from gateway.app import Gateway
    from gateway.server import freeze_startup_objects

    path = os.environ[CONFIG_ENV]
    config, _ = load_config(path, os.environ)
    configure(config.logging.format, "debug" if config.debug else config.logging.level, access=config.logging.access)
    app = Gateway(config, config_path=path, metrics_dir=os.environ.get(METRICS_DIR_ENV))
    freeze_startup_objects()
    return app
