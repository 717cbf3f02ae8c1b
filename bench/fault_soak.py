"""Bounded soak under random upstream faults: does any request fail while a target could serve?

Starts the real gateway (its own process) in front of three local upstreams: two that answer
with a random fault on a share of requests (500, 503, 529, 429 with Retry-After, hanging
before headers, malformed SSE, a connection cut mid-stream) and one that is always healthy.
Drives mixed streamed and whole chat completions for a fixed time, then reports requests sent,
succeeded, failed and why. Failures before the first byte while the healthy upstream existed
must be zero; a stream cut after its first byte cannot be retried and is counted apart.

    python bench/fault_soak.py --seconds 60 --concurrency 16 [--fault-rate 0.3] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import start_gateway  # noqa: E402
from tests.e2e.mock_upstream import MockUpstream, ServerThread, answer, chunks, hang, raw_stream, sse, status, stream  # noqa: E402


def faulty(rate: float, rng: random.Random):
    """A behaviour that answers normally, or with one fault picked at random."""
    good = chunks("m", ["one", "two", "three"])
    faults = [
        status(500, "internal"),
        status(503, "unavailable"),
        status(529, "overloaded"),
        status(429, "slow down", headers={"retry-after": "1"}),
        hang(5),
        raw_stream(b"data: {not json\n\n"),
        stream(["cut", "here"], cut_after=2),
        raw_stream(sse(good[0]), b"data: {broken json mid-stream\n\n"),
    ]
    normal = answer("ok")

    async def behave(request, receive, send):
        behaviour = rng.choice(faults) if rng.random() < rate else normal
        await behaviour(request, receive, send)

    return behave


async def client_loop(url: str, deadline: float, rng: random.Random, results: Counter, reasons: Counter) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < deadline:
            streamed = rng.random() < 0.5
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": streamed}
            results["sent"] += 1
            try:
                if streamed:
                    async with client.stream("POST", url, json=body, headers={"x-api-key": "soak"}) as response:
                        if response.status_code != 200:
                            reasons[f"HTTP {response.status_code}"] += 1
                            await response.aread()
                            results["failed"] += 1
                            continue
                        lines = [line async for line in response.aiter_lines() if line]
                    if lines and lines[-1] == "data: [DONE]":
                        results["succeeded"] += 1
                    elif any('"error"' in line for line in lines):
                        results["cut_after_first_byte"] += 1
                        reasons["stream ended with an error event after its first byte"] += 1
                    else:
                        results["failed"] += 1
                        reasons["stream ended without [DONE] or error"] += 1
                else:
                    response = await client.post(url, json=body, headers={"x-api-key": "soak"})
                    if response.status_code == 200:
                        results["succeeded"] += 1
                    else:
                        results["failed"] += 1
                        reasons[f"HTTP {response.status_code}: {response.json()['error']['message'][:80]}"] += 1
            except httpx.HTTPError as exc:
                results["failed"] += 1
                reasons[type(exc).__name__] += 1


async def drive(url: str, seconds: float, concurrency: int, seed: int) -> tuple[Counter, Counter]:
    results: Counter = Counter()
    reasons: Counter = Counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(client_loop(url, deadline, random.Random(seed + i), results, reasons) for i in range(concurrency))
    )
    return results, reasons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mocks = [
        MockUpstream(default=faulty(args.fault_rate, rng)),
        MockUpstream(default=faulty(args.fault_rate, rng)),
        MockUpstream(),
    ]
    servers = [ServerThread(mock) for mock in mocks]
    # The faulty upstreams' deliberate errors are not news.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    for mock, server in zip(mocks, servers, strict=True):
        server.__enter__()
        mock.port = server.port
    entries = "".join(
        f"""
  - name: upstream-{i}
    base-url: {mock.base_url}
    models: [{{name: m}}]
"""
        for i, mock in enumerate(mocks)
    )
    config = f"""
api-keys: [soak]
request-retry: 3
timeouts: {{first-byte-seconds: 1, idle-seconds: 1}}
circuit-breaker: {{failure-threshold: 3, cool-off-seconds: 2}}
openai-compatibility:{entries}
"""
    with tempfile.TemporaryDirectory() as directory:
        gateway = start_gateway(config, Path(directory))
        try:
            results, reasons = asyncio.run(
                drive(gateway.url + "/v1/chat/completions", args.seconds, args.concurrency, args.seed)
            )
        finally:
            gateway.stop()
            for server in servers:
                server.__exit__(None, None, None)
    served = Counter(mock.port for mock in mocks for _ in mock.requests)
    report = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "fault_rate": args.fault_rate,
        **{k: results[k] for k in ("sent", "succeeded", "failed", "cut_after_first_byte")},
        "failed_while_a_healthy_target_existed": results["failed"],
        "upstream_attempts": [served[m.port] for m in mocks],
        "reasons": dict(reasons),
    }
    print("| sent | succeeded | failed | cut after first byte | attempts per upstream (faulty, faulty, healthy) |")
    print("|---|---|---|---|---|")
    print(
        f"| {report['sent']} | {report['succeeded']} | {report['failed']} | {report['cut_after_first_byte']} | "
        f"{report['upstream_attempts']} |"
    )
    for reason, count in reasons.most_common():
        print(f"  {count:6d}  {reason}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
