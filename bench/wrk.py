"""Closed-loop load with wrk (https://github.com/wg/wrk), when it is installed.

A generated Lua script sets the POST body and headers, stops each thread after its share of
the request count, and prints the summary as one JSON line from `done()`. wrk's main thread
always sleeps the whole duration, so a run that hits the count bound is flagged `capped`
(its rate is then a lower bound); the counts are set so that only a runaway hits it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import orjson

from bench.loadgen import LoadResult
from bench.wire import Endpoint

__all__ = ["available", "run_wrk"]

MARK = "BENCH_JSON "
SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
{headers}
local limit = {limit}
local count = 0
function response(status, headers, body)
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{mark}{{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,'
    .. '"p50":%.1f,"p90":%.1f,"p99":%.1f,"mean":%.1f,"min":%.1f,"max":%.1f}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.min, latency.max))
end
"""


def available() -> str | None:
    return shutil.which("wrk")


def _script(endpoint: Endpoint, limit: int) -> str:
    headers = [("Content-Type", "application/json"), *endpoint.headers]
    lines = "\n".join(f'wrk.headers["{name}"] = "{value}"' for name, value in headers)
    return SCRIPT.format(body=endpoint.body.decode(), headers=lines, limit=limit, mark=MARK)


def run_wrk(
    endpoint: Endpoint, *, connections: int, seconds: float, max_requests: int, prefix: Sequence[str] = ()
) -> LoadResult:
    """Runs wrk with one thread (it shares its core with the mock) and reads its JSON line."""
    wrk = available()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    threads = 1
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        script = Path(directory) / "post.lua"
        script.write_text(_script(endpoint, max(1, max_requests // threads)))
        argv = [
            *prefix,
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            endpoint.url,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    figures = orjson.loads(line[len(MARK) :])
    errors = figures["status"] + figures["connect"] + figures["read"] + figures["write"] + figures["timeout"]
    latency = {key: float(figures[key]) for key in ("p50", "p90", "p99", "mean", "min", "max")}
    statuses = {"non_2xx": figures["status"], "socket_errors": errors - figures["status"]}
    return LoadResult(
        "wrk",
        connections,
        max(0, figures["requests"] - figures["status"]),
        errors,
        figures["duration_us"] / 1e6,
        latency,
        statuses,
        capped=figures["requests"] >= max_requests,
    )
