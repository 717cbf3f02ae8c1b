"""The benchmark orchestrator: mock upstream, gateway and load generator, then table and JSON.

`bench/run.sh [--quick] [--profile] [--soak [N]] [--with litellm] [--workers N] [--scale]`.
Every process it starts is its own process group and is ended on the way out, also on
Ctrl-C, SIGTERM or a failure; every phase is bounded in time and in request count.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.extras import litellm_section, profile_section, scale_section
from bench.phases import FULL, QUICK, Bench, probe
from bench.procs import Pinning, Processes
from bench.report import compare_latency, ratio, render_table, stream_added, write_json
from bench.servers import (
    REPO,
    Server,
    direct_endpoints,
    gateway_config,
    gateway_endpoints,
    start_gateway,
    start_mock,
    workers_supported,
)

__all__ = ["main"]

SOAK_DEFAULT = 100_000
BUSY_LOAD = 0.5  # 1-minute load average above which other work will disturb the figures


class BenchError(Exception):
    """A run that cannot produce figures: said in one line, exit status 1."""


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/run.sh", description="Benchmark llm-gateway against a mock upstream.")
    parser.add_argument("--quick", action="store_true", help="tiny counts and durations (whole run < 60 s)")
    parser.add_argument("--profile", action="store_true", help="profile the gateway during a throughput phase")
    parser.add_argument(
        "--soak",
        nargs="?",
        type=int,
        const=SOAK_DEFAULT,
        default=None,
        metavar="N",
        help=f"bounded mixed soak of N requests (default {SOAK_DEFAULT:,})",
    )
    parser.add_argument(
        "--with",
        dest="rivals",
        action="append",
        default=[],
        choices=["litellm"],
        help="also measure this proxy against the same mock",
    )
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes, if its CLI has --workers")
    parser.add_argument("--scale", action="store_true", help="report N-worker throughput against 1 worker")
    parser.add_argument(
        "--loadgen",
        choices=["auto", "wrk", "python"],
        default=os.environ.get("BENCH_LOADGEN", "auto"),
        help="closed-loop load generator",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=Path(os.environ.get("BENCH_RESULTS_DIR") or REPO / "bench" / "results")
    )
    return parser


def _exit_on_signals() -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so every `finally` (and process cleanup) runs."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


def _loadgen(choice: str) -> tuple[str, str]:
    found = wrk.available()
    if choice == "python":
        return "python", "Python asyncio load generator (requested)"
    if found:
        return "wrk", f"wrk at {found}, 1 thread"
    if choice == "wrk":
        raise SystemExit("bench: --loadgen wrk asked for, but wrk is not installed")
    return "python", "Python asyncio load generator (wrk is not installed)"


def _startups(procs: Processes, bench: Bench, config: Path, work: Path, *, workers: int) -> tuple[Server, list[float]]:
    """Starts the gateway `startup_runs` times (spawn to first 200); the last one keeps running."""
    prefix = bench.pinning.server if workers == 1 else ()
    runs: list[float] = []
    for attempt in range(bench.settings.startup_runs):
        server = start_gateway(
            procs, config=config, prefix=prefix, log=work / f"gateway-{attempt}.log", workers=workers
        )
        runs.append(server.startup_seconds)
        if attempt + 1 < bench.settings.startup_runs:
            procs.stop(server.process)
    say(
        f"gateway start-up to first 200: {', '.join(f'{s:.3f}' for s in runs)} s; idle RSS "
        f"{server.idle_rss / 2**20:.1f} MiB (pid {server.process.pid})"
    )
    return server, runs


def _streaming(bench: Bench, direct: dict[str, Any], gateway: dict[str, Any], server: Server) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for connections in bench.settings.stream_connections:
        d = bench.streams(direct["chat_stream"], None, connections=connections, label="direct")
        g = bench.streams(gateway["chat_stream"], server.tree, connections=connections, label="gateway")
        section[f"c{connections}"] = {
            "connections": connections,
            "direct": d,
            "gateway": g,
            "added": stream_added(d, g),
        }
    return section


def _translation(
    bench: Bench, direct: dict[str, Any], gateway: dict[str, Any], server: Server, passthrough_rps: float
) -> dict[str, Any]:
    """OpenAI client -> claude-api-key entry; measured only where the gateway answers 200."""
    status, stream_status = probe(gateway["claude"]), probe(gateway["claude_stream"])
    section: dict[str, Any] = {
        "status": status,
        "stream_status": stream_status,
        "available": status == 200,
        "note": "ok" if status == 200 else f"n/a (HTTP {status})",
        "stream_note": "ok" if stream_status == 200 else f"n/a (HTTP {stream_status})",
        "throughput": None,
        "stream_c1": None,
    }
    say(f"OpenAI client -> Anthropic upstream: HTTP {status} (stream: HTTP {stream_status})")
    c = bench.settings.throughput_connections
    seconds = bench.settings.throughput_seconds
    if status == 200:
        d = bench.load(direct["messages"], None, connections=c, seconds=seconds, label="direct /v1/messages")
        g = bench.load(gateway["claude"], server.tree, connections=c, seconds=seconds, label="gateway -> anthropic")
        section["throughput"] = {
            "connections": c,
            "direct_rps": d["rps"],
            "gateway_rps": g["rps"],
            "ratio": ratio(g["rps"], d["rps"]),
            "ratio_vs_passthrough": ratio(g["rps"], passthrough_rps),
            "direct": d,
            "gateway": g,
        }
    if stream_status == 200:
        d = bench.streams(direct["messages_stream"], None, connections=1, label="direct /v1/messages")
        g = bench.streams(gateway["claude_stream"], server.tree, connections=1, label="gateway -> anthropic")
        section["stream_c1"] = {"direct": d, "gateway": g, "added": stream_added(d, g)}
    return section


def _core(bench: Bench, server: Server, mock_port: int) -> dict[str, Any]:
    """Throughput, latency, streaming and translation: direct to the mock, then through `server`."""
    s = bench.settings
    direct, gateway = direct_endpoints(mock_port), gateway_endpoints(server.port)
    for name in ("chat", "chat_stream"):
        status = probe(gateway[name])
        if status != 200:
            raise BenchError(
                f"the gateway answered HTTP {status} to a passthrough {name.replace('_', ' ')}; "
                f"its log is in {server.log}"
            )
    c = s.throughput_connections
    d_thr = bench.load(direct["chat"], None, connections=c, seconds=s.throughput_seconds, label="direct")
    g_thr = bench.load(gateway["chat"], server.tree, connections=c, seconds=s.throughput_seconds, label="gateway")
    d_lat = bench.load(
        direct["chat"],
        None,
        connections=1,
        seconds=s.latency_seconds,
        max_requests=s.latency_max_requests,
        label="direct",
    )
    g_lat = bench.load(
        gateway["chat"],
        server.tree,
        connections=1,
        seconds=s.latency_seconds,
        max_requests=s.latency_max_requests,
        label="gateway",
    )
    streaming = _streaming(bench, direct, gateway, server)
    translation = _translation(bench, direct, gateway, server, g_thr["rps"])
    return {
        "throughput": {
            "connections": c,
            "direct_rps": d_thr["rps"],
            "gateway_rps": g_thr["rps"],
            "ratio": ratio(g_thr["rps"], d_thr["rps"]),
            "direct": d_thr,
            "gateway": g_thr,
        },
        "latency": {"connections": 1, **compare_latency(d_lat, g_lat), "direct": d_lat, "gateway": g_lat},
        "streaming": streaming,
        "translation": translation,
        "cpu_us_per_request": g_thr.get("cpu_us_per_request"),
        "cpu": {
            "throughput_c64": g_thr.get("cpu_us_per_request"),
            "latency_c1": g_lat.get("cpu_us_per_request"),
            "stream_c1_per_stream": streaming.get("c1", {}).get("gateway", {}).get("cpu_us_per_stream"),
            "stream_c16_per_stream": streaming.get("c16", {}).get("gateway", {}).get("cpu_us_per_stream"),
            "translation_c64": (translation["throughput"] or {}).get("gateway", {}).get("cpu_us_per_request"),
        },
    }


def _environment(bench: Bench, loadgen_note: str, workers: dict[str, Any]) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "pinning": bench.pinning.note,
        "loadavg_at_start": os.getloadavg(),
        "loadgen": bench.loadgen,
        "loadgen_note": loadgen_note,
        "event_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "stream_chunks": bench.settings.chunks,
        "chunk_delay_ms": bench.settings.chunk_delay_ms,
        "settings": {k: getattr(bench.settings, k) for k in bench.settings.__slots__},
        "workers": workers,
    }


def _workers(args: argparse.Namespace) -> dict[str, Any]:
    supported = workers_supported()
    asked = args.workers if args.workers > 1 else (os.cpu_count() or 1) if args.scale else 1
    note = "gateway CLI has --workers" if supported else "gateway CLI has no --workers option; skipped"
    used = args.workers if supported and args.workers > 1 and not args.scale else 1
    if used > 1:
        note += f"; {used} workers, not pinned (workers share the machine's CPUs)"
    return {"requested": asked, "supported": supported, "used": used, "note": note}


def run(args: argparse.Namespace, procs: Processes, stamp: str) -> dict[str, Any]:
    settings = QUICK if args.quick else FULL
    pinning = Pinning.detect()
    pinning.pin_self_to_tools()
    loadgen, loadgen_note = _loadgen(args.loadgen)
    bench = Bench(settings, pinning, loadgen, say)
    say(f"{settings.mode} run; pinning: {pinning.note}; load generator: {loadgen_note}")
    if os.getloadavg()[0] > BUSY_LOAD:
        say(f"the machine is busy (load average {os.getloadavg()[0]:.2f}): figures will be noisy")
    work = args.results_dir / f"run-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    workers = _workers(args)
    say(f"workers: {workers['note']}")
    mock_port = start_mock(
        procs, pinning=pinning, chunks=settings.chunks, delay_ms=settings.chunk_delay_ms, log=work / "mock.log"
    )
    config = work / "gateway.yaml"
    config.write_text(gateway_config(mock_port))
    server, startups = _startups(procs, bench, config, work, workers=workers["used"])
    record: dict[str, Any] = {
        "schema": 1,
        "timestamp": stamp,
        "mode": settings.mode,
        "command": sys.argv[1:],
        "environment": _environment(bench, loadgen_note, workers),
        "logs": str(work),
    }
    record |= _core(bench, server, mock_port)
    peak = server.tree.peak_rss()
    record["rss"] = {
        "idle_bytes": server.idle_rss,
        "peak_bytes": peak,
        "idle_mib": server.idle_rss / 2**20,
        "peak_mib": peak / 2**20,
    }
    record["startup"] = {"seconds": statistics.median(startups), "runs": startups}
    record["profile"] = (
        profile_section(bench, procs, server, config, work, args.results_dir, stamp) if args.profile else None
    )
    record["scale"] = scale_section(bench, procs, server, config, work, workers, record) if args.scale else None
    record["soak"] = _soak(bench, server, args.soak) if args.soak else None
    record["comparisons"] = {
        "litellm": litellm_section(bench, procs, work, mock_port, record) if "litellm" in args.rivals else None
    }
    return record


def _soak(bench: Bench, server: Server, total: int) -> dict[str, Any]:
    seconds = min(1800.0, max(60.0, total / 100))
    say(f"soak: {total:,} mixed requests (stream / non-stream / disconnect mid-stream), at most {seconds:.0f} s")
    endpoints = gateway_endpoints(server.port)
    return {
        "requested": total,
        "time_bound_seconds": seconds,
        **bench.soak(endpoints["chat"], endpoints["chat_stream"], server.tree, total=total, seconds=seconds),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _exit_on_signals()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    try:
        with Processes() as procs:
            record = run(args, procs, stamp)
    except (BenchError, RuntimeError) as exc:
        say(f"failed: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted; every process the bench started has been stopped")
        return 130
    record["bench_seconds"] = time.monotonic() - started
    record["environment"]["loadavg_at_end"] = os.getloadavg()
    path = write_json(args.results_dir, stamp, record)
    print(render_table(record))
    for note in _notes(record):
        print(f"\n{note}")
    print(f"\nRaw figures: {path} (and {args.results_dir / 'latest.json'})")
    return 0


def _notes(record: dict[str, Any]) -> list[str]:
    env = record["environment"]
    load = f"{env['loadavg_at_start'][0]:.2f} / {env['loadavg_at_end'][0]:.2f}"
    notes = [
        f"Pinning: {env['pinning']}. Load generator: {env['loadgen_note']}. Workers: {env['workers']['note']}. "
        + f"Load average at start / end: {load}."
    ]
    profile = record.get("profile")
    if profile:
        notes.append(f"Profile ({profile.get('tool')}): {profile.get('path') or profile.get('note')}")
    side = record["comparisons"].get("litellm")
    if side and side.get("status") != "ok":
        notes.append(f"LiteLLM: {side.get('note')}")
    return notes


if __name__ == "__main__":
    sys.exit(main())
