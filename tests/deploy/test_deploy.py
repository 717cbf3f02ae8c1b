"""deploy/: every YAML parses, the Dockerfile passes hadolint, the chart renders into manifests
that pass the Kubernetes schemas, the systemd unit passes `systemd-analyze verify`, and the port,
probes, config path and stop signal they name are the ones the gateway serves."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import kubernetes_validate
import pytest
import yaml

from tests.deploy.helm_render import render_chart
from tests.e2e.conftest import start_gateway

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "llm-gateway"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
UNIT = DEPLOY / "systemd" / "llm-gateway.service"
CONFIG_PATH = "/etc/llm-gateway/config.yaml"
PORT = 8317
K8S_VERSION = kubernetes_validate.latest_version()
ALL_ON = {"autoscaling": {"enabled": True}, "serviceMonitor": {"enabled": True}, "redisUrl": "redis://r:6379/0"}


def manifests(overrides: dict | None = None) -> list[dict]:
    rendered = render_chart(CHART, overrides=overrides)
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


def by_kind(docs: list[dict], kind: str) -> dict:
    (found,) = [d for d in docs if d["kind"] == kind]
    return found


def shutdown_seconds() -> float:
    config = yaml.safe_load((DEPLOY / "docker" / "config.yaml").read_text())
    return config["shutdown"]["delay-seconds"] + config["shutdown"]["drain-timeout-seconds"]


def test_every_yaml_file_parses():
    files = [p for p in DEPLOY.rglob("*.y*ml") if "templates" not in p.parts]
    assert len(files) >= 6
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path


def test_the_dockerfile_passes_hadolint_and_names_what_the_gateway_serves():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = DOCKERFILE.read_text()
    assert re.search(rf"^EXPOSE {PORT}$", text, re.M)
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.M)
    assert f"127.0.0.1:{PORT}/healthz" in text and CONFIG_PATH in text
    assert re.search(r"^USER 10001:10001$", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)


def test_the_chart_renders_into_valid_manifests_with_production_defaults():
    docs = manifests(ALL_ON)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "ServiceMonitor"]
    )
    for doc in docs:
        if doc["kind"] != "ServiceMonitor":  # a CRD: no schema in the Kubernetes API
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    deployment = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["args"] == ["serve", "--config", CONFIG_PATH]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] > shutdown_seconds()
    assert {"name": "LLM_GATEWAY_REDIS_URL", "value": "redis://r:6379/0"} in container["env"]
    assert all("value" not in e for e in container["env"] if e["name"] in ("ENCRYPTION_KEY", "GATEWAY_CLIENT_KEY"))
    # The config is the ConfigMap's, and a change of it changes the pods' checksum.
    config = yaml.safe_load(by_kind(docs, "ConfigMap")["data"]["config.yaml"])
    assert config["port"] == PORT
    checksum = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    changed = by_kind(manifests({"config": {"port": PORT, "debug": True}}), "Deployment")
    assert changed["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != checksum
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it when enabled
    assert by_kind(manifests(), "Deployment")["spec"]["replicas"] == 2


def test_the_schema_check_refuses_a_broken_manifest():
    broken = copy.deepcopy(by_kind(manifests(), "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_systemd_unit_verifies_and_matches_the_gateway(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    text = UNIT.read_text()
    assert f"--config {CONFIG_PATH}" in text and "KillSignal=SIGTERM" in text
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text and "StateDirectory=llm-gateway" in text
    assert "ProtectSystem=strict" in text and "NoNewPrivileges=yes" in text and "DynamicUser=yes" in text
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", text, re.M).group(1)) > shutdown_seconds()
    # verify needs ExecStart's program to exist: the same unit, pointing at this checkout's.
    local = tmp_path / "llm-gateway.service"
    local.write_text(text.replace("/opt/llm-gateway/bin/llm-gateway", str(Path(sys.executable).parent / "llm-gateway")))
    result = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_compose_stack_wires_replicas_probes_and_grace(tmp_path):
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"gateway-1", "gateway-2", "loadbalancer", "redis", "postgres", "prometheus"} <= set(services)
    gateway = services["gateway-1"]
    assert gateway["read_only"] is True and gateway["user"] == "10001:10001"
    assert int(gateway["stop_grace_period"].rstrip("s")) > shutdown_seconds()
    assert gateway["environment"]["LLM_GATEWAY_STORE_URL"].startswith("postgresql://")
    haproxy = (DEPLOY / "compose" / "haproxy.cfg").read_text()
    assert "option httpchk GET /readyz" in haproxy and haproxy.count(f":{PORT} check") == 2
    prometheus = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    assert prometheus["scrape_configs"][0]["metrics_path"] == "/metrics"


def test_the_gateway_starts_from_the_container_config_and_answers_the_probes(tmp_path):
    env = {
        "GATEWAY_CLIENT_KEY": "client-key-for-the-probe-test",
        "LLM_GATEWAY_STORE_URL": f"sqlite:///{tmp_path}/store/usage.db",
        "LLM_GATEWAY_MANAGEMENT_KEY": "management-key-for-the-probe-test",
    }
    gateway = start_gateway((DEPLOY / "docker" / "config.yaml").read_text(), tmp_path / "gw", env=env)
    try:
        assert httpx.get(gateway.url + "/healthz").status_code == 200
        assert httpx.get(gateway.url + "/readyz").status_code == 200
        assert "llm_gateway_" in httpx.get(gateway.url + "/metrics").text
        answer = gateway.client("client-key-for-the-probe-test").chat.completions.create(
            model="mock-1", messages=[{"role": "user", "content": "ping"}]
        )
        assert answer.choices[0].message.content
        assert os.path.exists(tmp_path / "store" / "usage.db")
    finally:
        # A second SIGTERM during shutdown.delay-seconds (5 s here) starts the drain at once.
        gateway.process.terminate()
        time.sleep(0.2)
        gateway.stop()
