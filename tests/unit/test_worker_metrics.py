"""Workers' snapshots: written atomically, read leniently, summed into a scrape."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observe.exchange import Attempt, Exchange
from gateway.observe.metrics import Metrics
from gateway.observe.worker_metrics import WorkerSnapshots


def _metrics(peers=lambda: ()) -> Metrics:
    return Metrics(active_streams=lambda: 1, enabled=lambda: True, peers=peers)


def _finished(metrics: Metrics) -> None:
    exchange = Exchange("r", "openai", "chat", 0.0, 0.0, (metrics.observe,), lambda: 0.5)
    exchange.route = "m"
    exchange.status = 200
    exchange.usage_raw = {"prompt_tokens": 5, "completion_tokens": 2}
    exchange.attempts.append(Attempt("oai", "oai#0", "m", "ok"))
    exchange.finish("completed")


def _samples(metrics: Metrics) -> dict:
    registry = CollectorRegistry()
    registry.register(metrics)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }


def test_a_scrape_sums_the_other_workers_snapshots_and_skips_what_it_cannot_read(tmp_path):
    other = _metrics()
    for _ in range(3):
        _finished(other)
    WorkerSnapshots(str(tmp_path), other.snapshot, pid=os.getpid() + 1_000_000).write()
    (tmp_path / "123.json").write_bytes(b'{"requests": [[1, 2], "x", [null]], "duration": [[1, [1], 2]]')  # torn
    (tmp_path / "456.json").write_bytes(b'{"requests": "nope", "duration": [["a", "b", "c", [0], 1.0]]}')
    (tmp_path / "notes.json").write_bytes(b"{}")
    own = _metrics()
    snapshots = WorkerSnapshots(str(tmp_path), own.snapshot)
    own.peers = snapshots.peers
    _finished(own)
    samples = _samples(own)
    labels = (("dialect", "openai"), ("model", "m"), ("provider", "oai"), ("status_class", "2xx"))
    assert samples[("llm_gateway_requests_total", labels)] == 4
    duration = (("dialect", "openai"), ("model", "m"), ("provider", "oai"))
    assert samples[("llm_gateway_request_duration_seconds_count", duration)] == 4
    assert samples[("llm_gateway_request_duration_seconds_sum", duration)] == 2.0
    token = (("kind", "input"), ("model", "m"), ("provider", "oai"))
    assert samples[("llm_gateway_tokens_total", token)] == 20
    # The other worker's process does not exist: its streams are not counted.
    assert samples[("llm_gateway_active_streams", ())] == 1


def test_a_snapshot_is_replaced_whole(tmp_path):
    metrics = _metrics()
    snapshots = WorkerSnapshots(str(tmp_path), metrics.snapshot, pid=42)
    snapshots.write()
    _finished(metrics)
    snapshots.write()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["42.json"]
    reader = WorkerSnapshots(str(tmp_path), metrics.snapshot, pid=43)
    (peer,) = list(reader.peers())
    assert peer["requests"] == [["openai", "m", "oai", "2xx", 1]]
