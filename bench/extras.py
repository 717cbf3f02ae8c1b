"""The optional parts of a run: --profile, --scale and --with litellm.

Each returns one JSON section and never fails the run: what could not be done is said in
the section's `note` (and on stderr), and the run goes on. Servers started here are stopped
here; the caller's `Processes` ends them anyway if something goes wrong in between.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.litellm_side import (
    LITELLM_KEY,
    LITELLM_SPEC,
    install_litellm,
    litellm_config,
    start_litellm,
)
from bench.phases import Bench, probe
from bench.procs import Processes
from bench.profiler import (
    attach_py_spy,
    install_profilers,
    py_spy,
    py_spy_wrapper,
    pyinstrument_wrapper,
    stop_profiler,
    top_self,
)
from bench.report import ratio
from bench.servers import (
    REPO,
    Server,
    gateway_endpoints,
    openai_endpoints,
    start_gateway,
)

__all__ = ["litellm_section", "profile_section", "scale_section"]

TOOLS = REPO / "bench" / ".tools"
MIB = 2**20


def _throughput(bench: Bench, server: Server, label: str) -> dict[str, Any]:
    s = bench.settings
    return bench.load(
        gateway_endpoints(server.port)["chat"],
        server.tree,
        connections=s.throughput_connections,
        seconds=s.throughput_seconds,
        label=label,
    )


def _profiled(bench: Bench, procs: Processes, child: Any, server: Server, out: Path) -> dict[str, Any] | None:
    """Runs the throughput phase while `child` profiles, then stops it; the figures if it wrote `out`."""
    figures = _throughput(bench, server, "gateway (profiled)")
    written = stop_profiler(child, out)
    procs.stop(child)
    return figures if written else None


def profile_section(
    bench: Bench, procs: Processes, server: Server, config: Path, work: Path, results: Path, stamp: str
) -> dict[str, Any]:
    """py-spy attached to the running gateway; else py-spy launching one; else pyinstrument."""
    target, install_note = install_profilers(TOOLS)
    bench.say(install_note)
    mode = os.environ.get("BENCH_PROFILE_MODE", "auto")
    seconds = bench.settings.warmup_seconds + bench.settings.throughput_seconds
    exe = py_spy(target)
    out = results / f"profile-{stamp}.speedscope.json"
    attempts: list[str] = []
    if exe and mode in ("auto", "attach"):
        child = attach_py_spy(
            procs,
            exe=exe,
            pid=server.process.pid,
            out=out,
            seconds=seconds,
            prefix=bench.pinning.tools,
            log=work / "py-spy-attach.log",
        )
        figures = _profiled(bench, procs, child, server, out) if child else None
        if figures:
            return _profile_result(bench, "py-spy record --pid (attached)", out, figures, attempts, install_note)
        attempts.append(f"py-spy --pid could not attach or write; see {work / 'py-spy-attach.log'}")
    if exe and mode in ("auto", "attach", "wrapper"):
        wrapped = start_gateway(
            procs,
            config=config,
            prefix=bench.pinning.tools,
            log=work / "gateway-py-spy.log",
            launcher=py_spy_wrapper(exe, out, seconds),
            skip_names=("py-spy",),
        )
        _pin_gateway(bench, wrapped)
        figures = _profiled(bench, procs, wrapped.process, wrapped, out)
        if figures:
            return _profile_result(
                bench, "py-spy record -- python -m gateway (wrapper)", out, figures, attempts, install_note
            )
        attempts.append(f"py-spy as a wrapper wrote no profile; see {work / 'gateway-py-spy.log'}")
    out = results / f"profile-{stamp}.pyinstrument.speedscope.json"
    launcher, env = pyinstrument_wrapper(target, out)
    try:
        instrumented = start_gateway(
            procs,
            config=config,
            prefix=bench.pinning.server,
            launcher=launcher,
            env=env,
            log=work / "gateway-pyinstrument.log",
        )
    except RuntimeError as exc:
        attempts.append(str(exc))
        bench.say("profiling failed: " + "; ".join(attempts))
        return {"tool": None, "path": None, "note": "; ".join(attempts), "install": install_note}
    figures = _profiled(bench, procs, instrumented.process, instrumented, out)
    if figures:
        return _profile_result(bench, "pyinstrument", out, figures, attempts, install_note)
    attempts.append(f"pyinstrument wrote no profile; see {work / 'gateway-pyinstrument.log'}")
    return {"tool": None, "path": None, "note": "; ".join(attempts), "install": install_note}


def _pin_gateway(bench: Bench, server: Server) -> None:
    """A wrapped gateway starts on the profiler's CPU; move the gateway itself to the server CPU."""
    if bench.pinning.server:
        cpu = int(bench.pinning.server[-1])
        for pid in server.tree.pids():
            os.sched_setaffinity(pid, {cpu})


def _profile_result(
    bench: Bench, tool: str, out: Path, figures: dict[str, Any], attempts: list[str], install_note: str
) -> dict[str, Any]:
    top = top_self(out)
    bench.say(
        f"profile ({tool}) -> {out}; top self time: " + ", ".join(f"{t['function']} {t['self_pct']}%" for t in top[:5])
    )
    return {
        "tool": tool,
        "path": str(out),
        "format": "speedscope",
        "top_self": top,
        "attempts": attempts,
        "install": install_note,
        "throughput_while_profiled": figures,
    }


def scale_section(
    bench: Bench,
    procs: Processes,
    server: Server,
    config: Path,
    work: Path,
    workers: dict[str, Any],
    record: dict[str, Any],
) -> dict[str, Any]:
    if not workers["supported"]:
        bench.say("--scale: the gateway CLI has no --workers option; skipped")
        return {"ratio": None, "note": "gateway CLI has no --workers option; skipped"}
    count = max(2, workers["requested"])
    many = start_gateway(procs, config=config, prefix=(), log=work / f"gateway-{count}-workers.log", workers=count)
    try:
        figures = _throughput(bench, many, f"gateway x{count} workers")
    finally:
        procs.stop(many.process)
    one = record["throughput"]["gateway_rps"]
    return {
        "workers": count,
        "one_worker_rps": one,
        "workers_rps": figures["rps"],
        "ratio": ratio(figures["rps"], one),
        "workers_figures": figures,
        "startup_seconds": many.startup_seconds,
        "note": f"{count} workers not pinned: they share the CPUs with the mock and the load generator",
    }


def _ours(record: dict[str, Any]) -> dict[str, float | None]:
    latency = record["latency"]["gateway_us"]
    c1 = record["streaming"].get("c1", {}).get("gateway", {})
    return {
        "throughput_rps": record["throughput"]["gateway_rps"],
        "latency_p50_us": latency["p50"],
        "latency_p90_us": latency["p90"],
        "latency_p99_us": latency["p99"],
        "first_token_ms": c1.get("first_token_ms", {}).get("p50"),
        "cpu_us_per_request": record["cpu_us_per_request"],
        "rss_idle_mib": record["rss"]["idle_mib"],
        "rss_peak_mib": record["rss"]["peak_mib"],
        "startup_seconds": record["startup"]["seconds"],
    }


def litellm_section(
    bench: Bench, procs: Processes, work: Path, mock_port: int, record: dict[str, Any]
) -> dict[str, Any]:
    exe, note = install_litellm(TOOLS, say=bench.say)
    bench.say(f"LiteLLM: {note}")
    if exe is None:
        return {"status": "failed", "note": note, "spec": LITELLM_SPEC}
    config = work / "litellm.yaml"
    config.write_text(litellm_config(mock_port))
    try:
        server = start_litellm(procs, exe=exe, config=config, prefix=bench.pinning.server, log=work / "litellm.log")
    except RuntimeError as exc:
        bench.say(f"LiteLLM: {exc}")
        return {"status": "failed", "note": str(exc), "spec": LITELLM_SPEC}
    try:
        figures = _measure_litellm(bench, server)
    finally:
        procs.stop(server.process)
    if figures.get("status") != "ok":
        return {**figures, "spec": LITELLM_SPEC}
    ours = _ours(record)
    theirs = figures["figures"]
    return {
        **figures,
        "spec": LITELLM_SPEC,
        "install": note,
        "ratios": {key: ratio(ours[key], theirs.get(key)) for key in ours},
    }


def _measure_litellm(bench: Bench, server: Server) -> dict[str, Any]:
    s = bench.settings
    chat, chat_stream = openai_endpoints("litellm", server.port, "/v1/chat/completions", "bench-model", LITELLM_KEY)
    status = probe(chat)
    if status != 200:
        bench.say(f"LiteLLM answered HTTP {status} to a chat completion; not measured")
        return {"status": "failed", "note": f"LiteLLM answered HTTP {status}"}
    thr = bench.load(
        chat, server.tree, connections=s.throughput_connections, seconds=s.throughput_seconds, label="litellm"
    )
    lat = bench.load(
        chat,
        server.tree,
        connections=1,
        seconds=s.latency_seconds,
        max_requests=s.latency_max_requests,
        label="litellm",
    )
    stream = bench.streams(chat_stream, server.tree, connections=1, label="litellm")
    peak = server.tree.peak_rss()
    latency = lat["latency_us"]
    figures = {
        "throughput_rps": thr["rps"],
        "latency_p50_us": latency.get("p50"),
        "latency_p90_us": latency.get("p90"),
        "latency_p99_us": latency.get("p99"),
        "first_token_ms": stream["first_token_ms"].get("p50"),
        "cpu_us_per_request": thr.get("cpu_us_per_request"),
        "rss_idle_mib": server.idle_rss / MIB,
        "rss_peak_mib": peak / MIB,
        "startup_seconds": server.startup_seconds,
    }
    return {"status": "ok", "figures": figures, "throughput": thr, "latency": lat, "stream_c1": stream}
