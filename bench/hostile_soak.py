"""Bounded soak with hostile clients and hostile upstreams beside normal traffic.

Starts the real gateway (its own process) with small `limits:`, one well-behaved upstream and
one raw-socket upstream that answers with a rotating fault (a 200 MB body, a gzip bomb,
broken chunked framing, an endless stream event). For a fixed time it drives normal chat
completions (whole and streamed) to the good model, while hostile clients open silent
connections, send heads that never end, oversized heads, bodies that stall, `?key=` values
that are not UTF-8, and requests to the hostile upstream's model. It reports whether normal
requests kept being served, any 5xx the gateway made for them, tracebacks in the gateway's
log, and the gateway's RSS: cold, after a warm-up of normal traffic only (the baseline: the
first requests load code and fill pools that stay), at its peak and after each soak round.
Several rounds tell retention (RSS flat from one round to the next) from a leak (RSS growing
with every round). With `--traced` the gateway also runs under tracemalloc (slower) and the
report adds Python's own heap at the same points: back at its baseline means every object was
freed, and what RSS still shows is memory the C allocator keeps for reuse.

    python bench/hostile_soak.py --seconds 30 [--rounds 3] [--concurrency 8] [--traced] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import rss_mib, start_gateway  # noqa: E402
from tests.e2e.mock_upstream import MockUpstream, ServerThread  # noqa: E402
from tests.e2e.raw_upstream import (  # noqa: E402
    FIRST_EVENT,
    RawUpstream,
    endless_event,
    framing_breaks,
    gzip_bomb,
    huge_answer,
)

FAULTS = [
    huge_answer(200),
    gzip_bomb(200),
    framing_breaks(FIRST_EVENT, b"QQ\r\nbroken\r\n", pause=0.2, content_type="text/event-stream"),
    endless_event(400),
]


def rotating() -> object:
    state = {"n": 0}

    async def handler(writer: asyncio.StreamWriter) -> None:
        state["n"] += 1
        await FAULTS[state["n"] % len(FAULTS)](writer)

    return handler


async def normal(url: str, until: float, counts: Counter[str], statuses: Counter[int]) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            body = {"model": "good", "messages": [{"role": "user", "content": f"hello {n}"}], "stream": n % 3 == 0}
            try:
                reply = await client.post(
                    url + "/v1/chat/completions", json=body, headers={"authorization": "Bearer soak-key"}
                )
                statuses[reply.status_code] += 1
                ok = reply.status_code == 200 and (
                    "[DONE]" in reply.text if body["stream"] else "choices" in reply.text
                )
                counts["normal_ok" if ok else "normal_failed"] += 1
            except httpx.HTTPError as exc:
                counts["normal_failed"] += 1
                counts[f"normal_error_{type(exc).__name__}"] += 1


def _raw(port: int, payload: bytes, *, pause: float = 0.0, trickle: int = 0) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(payload)
            for _ in range(trickle):
                time.sleep(pause)
                sock.sendall(b"x")
            sock.settimeout(10)
            while sock.recv(65536):
                pass
    except OSError:
        pass


def hostile_clients(port: int, until: float, counts: Counter[str]) -> None:
    attacks = [
        ("silent", lambda: _raw(port, b"")),
        ("half_head", lambda: _raw(port, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-A: ")),
        ("huge_head", lambda: _raw(port, b"GET /v1/models HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")),
        (
            "slow_body",
            lambda: _raw(
                port,
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                b"soak-key\r\nContent-Length: 30000000\r\n\r\n{",
                pause=0.5,
                trickle=6,
            ),
        ),
        ("bad_key", lambda: _raw(port, b"GET /v1/models?key=%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n")),
    ]
    n = 0
    while time.monotonic() < until:
        name, attack = attacks[n % len(attacks)]
        threading.Thread(target=attack, daemon=True).start()
        counts[name] += 1
        n += 1
        time.sleep(0.05)


async def hostile_upstream_requests(url: str, until: float, counts: Counter[str]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            try:
                reply = await client.post(
                    url + "/v1/chat/completions",
                    headers={"authorization": "Bearer soak-key"},
                    json={"model": "bad", "stream": n % 2 == 0, "messages": [{"role": "user", "content": "x"}]},
                )
                counts[f"bad_upstream_{reply.status_code}"] += 1
            except httpx.HTTPError as exc:
                counts[f"bad_upstream_error_{type(exc).__name__}"] += 1


async def drive(
    url: str,
    port: int,
    seconds: float,
    concurrency: int,
    pid: int,
    counts: Counter[str],
    statuses: Counter[int],
    *,
    hostile: bool = True,
) -> float:
    """One round; the peak RSS seen during it."""
    until = time.monotonic() + seconds
    peak = 0.0

    async def watch() -> None:
        nonlocal peak
        while time.monotonic() < until:
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.2)

    if not hostile:
        await asyncio.gather(watch(), *(normal(url, until, counts, statuses) for _ in range(concurrency)))
        return peak
    attackers = threading.Thread(target=hostile_clients, args=(port, until, counts), daemon=True)
    attackers.start()
    await asyncio.gather(
        watch(),
        hostile_upstream_requests(url, until, counts),
        *(normal(url, until, counts, statuses) for _ in range(concurrency)),
    )
    attackers.join(timeout=15)
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of normal traffic before the baseline")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--traced", action="store_true", help="also measure the Python heap (tracemalloc)")
    args = parser.parse_args()
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    good = MockUpstream()
    with ServerThread(good) as server, RawUpstream() as bad, tempfile.TemporaryDirectory() as directory:
        good.port = server.port
        bad.handler = rotating()  # type: ignore[assignment]
        config = f"""
api-keys: [soak-key]
request-retry: 0
timeouts: {{first-byte-seconds: 10, idle-seconds: 5, total-seconds: 30}}
limits: {{head-timeout-seconds: 2, max-head-bytes: 32768, body-idle-seconds: 2, body-timeout-seconds: 5,
          max-answer-bytes: 8388608, max-event-bytes: 1048576}}
openai-compatibility:
  - name: good
    base-url: {good.base_url}
    models: [{{name: m, alias: good}}]
  - name: bad
    base-url: {bad.base_url}
    models: [{{name: m, alias: bad}}]
"""
        trace_file = Path(directory) / "traced.txt"
        env = {"PYTHONPATH": str(ROOT / "bench" / "traced"), "SOAK_TRACE_FILE": str(trace_file)}
        gateway = start_gateway(config, Path(directory), env=env if args.traced else None)
        pid = gateway.process.pid

        def heap() -> None:
            if args.traced:
                os.kill(pid, signal.SIGUSR1)
                time.sleep(1)

        counts: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        try:
            time.sleep(1)
            cold = rss_mib(pid)
            asyncio.run(
                drive(
                    gateway.url, gateway.port, args.warmup, args.concurrency, pid, Counter(), Counter(), hostile=False
                )
            )
            time.sleep(2)
            baseline = rss_mib(pid)
            heap()
            peak, after = 0.0, []
            for _ in range(args.rounds):
                round_peak = asyncio.run(
                    drive(gateway.url, gateway.port, args.seconds, args.concurrency, pid, counts, statuses)
                )
                peak = max(peak, round_peak)
                time.sleep(12)  # refused connections linger, slow bodies time out
                after.append(round(rss_mib(pid), 1))
                heap()
            log = gateway.log()
            traced = [float(line) for line in trace_file.read_text().split()] if args.traced else []
        finally:
            gateway.stop()
    report = {
        "seconds": args.seconds,
        "rounds": args.rounds,
        "normal_ok": counts["normal_ok"],
        "normal_failed": counts["normal_failed"],
        "normal_5xx": sum(n for status, n in statuses.items() if status >= 500),
        "tracebacks_in_log": log.count("Traceback"),
        "rss_mib": {"cold": round(cold, 1), "baseline": round(baseline, 1), "peak": round(peak, 1), "after": after},
        "python_heap_mib": {"baseline": traced[0], "after": traced[1:]} if traced else None,
        "hostile": {k: v for k, v in sorted(counts.items()) if not k.startswith("normal_")},
    }
    print(
        "| normal ok | normal failed | normal 5xx | tracebacks "
        "| RSS cold / baseline after warm-up / peak (MiB) | RSS after each round (MiB) |"
    )
    print("|---|---|---|---|---|---|")
    rss = report["rss_mib"]
    print(
        f"| {report['normal_ok']} | {report['normal_failed']} | {report['normal_5xx']} | "
        f"{report['tracebacks_in_log']} | {rss['cold']} / {rss['baseline']} / {rss['peak']} | "
        f"{' / '.join(str(a) for a in after)} |"
    )
    if traced:
        print(f"Python heap (tracemalloc), baseline then after each round: {' / '.join(map(str, traced))} MiB")
    print("hostile traffic:", json.dumps(report["hostile"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    healthy = report["normal_failed"] == 0 and report["tracebacks_in_log"] == 0
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
