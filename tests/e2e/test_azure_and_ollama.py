"""Azure OpenAI deployments and Ollama (listed or discovered models) behind /v1."""

from __future__ import annotations

import time

import openai
import pytest

from tests.e2e.mock_upstream import free_port, status, stream

MESSAGES = [{"role": "user", "content": "hi"}]


def azure_config(url: str) -> str:
    return f"""
api-keys: [test-key]
routing: {{strategy: fill-first}}
azure-openai:
  - name: azure-east
    prefix: az
    base-url: {url}
    api-version: 2024-10-21
    api-key-entries: [{{api-key: az-key-1}}, {{api-key: az-key-2}}]
    models:
      - {{name: gpt-4o, deployment: gpt4o-prod, alias: four}}
      - {{name: text-embedding-3-small}}
"""


def test_azure_chat_goes_to_the_deployment_url_with_api_key_header(gateway_factory, upstream_a):
    gateway = gateway_factory(azure_config(upstream_a.root))
    reply = gateway.client().chat.completions.create(model="four", messages=MESSAGES)
    assert reply.model == "four" and reply.choices[0].message.content == "hello from upstream"
    sent = upstream_a.requests[0]
    assert sent.path == "/openai/deployments/gpt4o-prod/chat/completions"
    assert sent.query == "api-version=2024-10-21"
    assert sent.headers["api-key"] == "az-key-1" and "authorization" not in sent.headers


def test_azure_stream_and_embeddings_pass_through(gateway_factory, upstream_a):
    gateway = gateway_factory(azure_config(upstream_a.root))
    upstream_a.default = stream(["x", "y"])
    chunks = list(gateway.client().chat.completions.create(model="az/gpt-4o", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "x y"
    upstream_a.reset()
    gateway.client().embeddings.create(model="text-embedding-3-small", input="a", encoding_format="float")
    assert upstream_a.requests[0].path == "/openai/deployments/text-embedding-3-small/embeddings"


def test_azure_429_rotates_to_the_next_key(gateway_factory, upstream_a):
    gateway = gateway_factory(azure_config(upstream_a.root))
    upstream_a.behaviours["az-key-1"] = status(
        429,
        "Requests to the ChatCompletions_Create Operation have exceeded call rate limit",
        headers={"retry-after": "10"},
    )
    gateway.client().chat.completions.create(model="four", messages=MESSAGES)
    assert upstream_a.keys_seen() == ["az-key-1", "az-key-2"]


def test_ollama_models_are_discovered_from_api_tags_and_served_through_its_v1(gateway_factory, upstream_a):
    upstream_a.tags = ["llama3.2:latest", "qwen2.5:7b"]
    gateway = gateway_factory(
        f"api-keys: [test-key]\nollama:\n  - prefix: local\n    base-url: {upstream_a.root}\n    refresh-seconds: 0.2\n"
    )
    deadline = time.monotonic() + 5
    while True:
        ids = {m.id for m in gateway.client().models.list()}
        if ids or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert ids == {"local/llama3.2:latest", "local/qwen2.5:7b", "llama3.2:latest", "qwen2.5:7b"}
    reply = gateway.client().chat.completions.create(model="local/qwen2.5:7b", messages=MESSAGES)
    assert reply.model == "local/qwen2.5:7b"
    assert upstream_a.requests[-1].path == "/v1/chat/completions"
    assert upstream_a.requests[-1].body["model"] == "qwen2.5:7b"
    # A model pulled later appears at the next refresh.
    upstream_a.tags = ["llama3.2:latest", "qwen2.5:7b", "phi4:latest"]
    deadline = time.monotonic() + 5
    while "phi4:latest" not in {m.id for m in gateway.client().models.list()} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "local/phi4:latest" in {m.id for m in gateway.client().models.list()}


def test_gateway_starts_when_ollama_is_down_and_says_so_in_its_log(gateway_factory):
    dead = f"http://127.0.0.1:{free_port()}"
    gateway = gateway_factory(f"api-keys: [test-key]\nollama:\n  - prefix: local\n    base-url: {dead}\n")
    assert list(gateway.client().models.list()) == []
    deadline = time.monotonic() + 5
    while "cannot list its models" not in gateway.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cannot list its models" in gateway.log()
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client().chat.completions.create(model="local/llama3.2", messages=MESSAGES)
    assert caught.value.status_code == 502 and "ollama" in caught.value.message
