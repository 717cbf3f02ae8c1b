"""A schema-driven fuzz run of the management API: schemathesis generates requests from the
gateway's own OpenAPI document (valid and invalid bodies, odd path ids and query values) for
every operation, sent to the real gateway process; none may answer 5xx."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings

from tests.e2e.conftest import RunningGateway, start_gateway
from tests.e2e.test_managed_providers import ADMIN, Admin, config, provider_body

# More with LLM_GATEWAY_FUZZ_EXAMPLES=500 (and LLM_GATEWAY_FUZZ_RANDOM=1 for new examples each run).
EXAMPLES_PER_OPERATION = int(os.environ.get("LLM_GATEWAY_FUZZ_EXAMPLES", "25"))
# Fixed examples by default, so that a run in CI is reproducible.
DERANDOMIZE = os.environ.get("LLM_GATEWAY_FUZZ_RANDOM") != "1"
AUTH = {"authorization": f"Bearer {ADMIN}"}
# Operations that read an upstream's model list: 502 when it cannot be read is their answer.
UPSTREAM_LISTS = ("/available-models", "/ollama/models")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, upstream_a) -> Iterator[RunningGateway]:
    gateway = start_gateway(
        config(upstream_a.base_url),
        tmp_path_factory.mktemp("fuzz"),
        env={"ENCRYPTION_KEY": Fernet.generate_key().decode()},
    )
    try:
        # Something to find, change and delete: a provider with two models and a chain.
        admin = Admin(gateway)
        assert admin("POST", "/providers", provider_body(upstream_a)).status_code == 201
        assert admin("POST", "/chains", {"name": "smart", "models": ["team/m1"]}).status_code == 201
        yield gateway
    finally:
        gateway.stop()


def operations(gateway: RunningGateway) -> list[schemathesis.APIOperation]:
    document = httpx.get(gateway.url + "/v0/management/openapi.json", headers=AUTH).json()
    schema = schemathesis.openapi.from_dict(document)
    # Test connection and model lists reach out to the upstream; they are fuzzed like the rest.
    return [result.ok() for result in schema.get_all_operations()]


def test_no_generated_request_gets_a_server_error(fuzzed: RunningGateway) -> None:
    found = operations(fuzzed)
    assert len(found) >= 20
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=fuzzed.url, headers=AUTH, timeout=30) as client:
        for operation in found:

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=DERANDOMIZE,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def run(case: schemathesis.Case) -> None:
                kwargs = case.as_transport_kwargs(base_url=fuzzed.url)
                answer = client.request(
                    kwargs["method"],
                    kwargs["url"],
                    params=kwargs.get("params"),
                    json=kwargs.get("json"),
                    content=kwargs.get("data"),
                    headers={
                        **{k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"},
                        **AUTH,
                    },
                )
                statuses[answer.status_code] += 1
                # 502: an upstream's model list could not be read, the one 5xx that is an answer.
                upstream_failed = answer.status_code == 502 and case.path.endswith(
                    ("/available-models", "/ollama/models")
                )
                if answer.status_code >= 500 and not upstream_failed:
                    failures.append(f"{case.method} {kwargs['url']} -> {answer.status_code}: {answer.text[:300]}")

            run()
    assert failures == []
    # The run reached the handlers, not only the validation in front of them.
    assert sum(statuses.values()) >= len(found) * 5, statuses
    assert any(200 <= s < 300 for s in statuses) and {404, 422} <= set(statuses), statuses
    assert "Traceback" not in fuzzed.log()
