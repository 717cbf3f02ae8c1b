"""Client auth, request validation, the models list and health endpoints, over real sockets."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
import websockets

from tests.e2e.configs import two_providers

BODY = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b):
    return gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, extra="max-body-bytes: 4096"))


def post(gateway, body=None, *, content=None, headers=None, params=None, path="/v1/chat/completions"):
    headers = {"authorization": "Bearer test-key", **(headers or {})}
    return httpx.post(
        gateway.url + path, json=body if content is None else None, content=content, headers=headers, params=params
    )


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "x-goog-api-key", "query"])
def test_wrong_key_in_each_accepted_place_gives_401_and_right_key_passes(gateway, header):
    def call(key: str) -> httpx.Response:
        if header == "query":
            return httpx.post(gateway.url + "/v1/chat/completions", json=BODY, params={"key": key})
        value = f"Bearer {key}" if header == "authorization" else key
        return httpx.post(gateway.url + "/v1/chat/completions", json=BODY, headers={header: value})

    wrong = call("not-the-key")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "test-key" not in wrong.text
    assert call("second-key").status_code == 200


def test_missing_key_gives_401_in_the_openai_sdk_error_type(gateway):
    with pytest.raises(openai.AuthenticationError) as caught:
        gateway.client(key="wrong").chat.completions.create(**BODY)
    assert caught.value.code == "invalid_api_key"
    response = httpx.get(gateway.url + "/v1/models")
    assert response.status_code == 401 and "Missing API key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "body is empty"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "'model'"),
        (b'{"model": "gpt"}', "'messages'"),
        (b'{"model": "gpt", "messages": []}', "non-empty array"),
        (b'{"model": 42, "messages": [{"role": "user", "content": "x"}]}', "non-empty string"),
        (b'{"model": "gpt", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}', "'stream'"),
    ],
)
def test_malformed_requests_get_400_saying_what_is_wrong(gateway, upstream_a, content, fragment):
    response = post(gateway, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert upstream_a.requests == []


def test_body_over_max_body_bytes_gives_413(gateway, upstream_a):
    big = {**BODY, "messages": [{"role": "user", "content": "x" * 5000}]}
    response = post(gateway, big)
    assert response.status_code == 413
    assert "max-body-bytes" in response.json()["error"]["message"]
    assert upstream_a.requests == []


def test_unknown_model_gives_404_listing_the_closest_ids(gateway):
    with pytest.raises(openai.NotFoundError) as caught:
        gateway.client().chat.completions.create(model="a/gtp", messages=BODY["messages"])
    assert caught.value.code == "model_not_found"
    assert "a/gpt" in caught.value.message


def test_models_list_has_every_id_a_client_may_use_owned_by_its_entry(gateway):
    models = {m.id: m.owned_by for m in gateway.client().models.list()}
    assert models == {
        "a/upstream-gpt": "alpha",
        "a/gpt": "alpha",
        "upstream-gpt": "alpha",
        "gpt": "alpha",
        "a/embedder": "alpha",
        "embedder": "alpha",
        "a/shared-model": "alpha",
        "shared-model": "alpha",
        "b/shared-model": "beta",
        "claude/claude-sonnet-4-5": "claude-api-key[0]",
        "claude-sonnet-4-5": "claude-api-key[0]",
    }


def test_models_list_with_force_model_prefix_has_only_prefixed_ids(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, force_prefix=True))
    ids = {m.id for m in gateway.client().models.list()}
    assert ids == {
        "a/upstream-gpt",
        "a/gpt",
        "a/embedder",
        "a/shared-model",
        "b/shared-model",
        "claude/claude-sonnet-4-5",
    }
    with pytest.raises(openai.NotFoundError):
        gateway.client().chat.completions.create(model="gpt", messages=BODY["messages"])


def test_model_by_id_accepts_slashes_and_passthrough_ids(gateway):
    client = gateway.client()
    assert client.models.retrieve("a/gpt").owned_by == "alpha"
    assert client.models.retrieve("open/vendor/any-model").owned_by == "anything"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope/model")


def test_health_endpoints_answer_without_a_key_and_unknown_paths_say_what_exists(gateway):
    assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(gateway.url + "/readyz").json() == {"status": "ready"}
    unknown = httpx.get(gateway.url + "/v2/everything")
    assert unknown.status_code == 404 and "/v1/chat/completions" in unknown.json()["error"]["message"]
    wrong_method = httpx.get(gateway.url + "/v1/chat/completions", headers={"authorization": "Bearer test-key"})
    assert wrong_method.status_code == 405


def test_a_websocket_upgrade_is_refused_at_once_with_426(gateway_factory):
    """No WebSocket transport: 426 tells a client such as Codex to use HTTP without retrying."""
    gateway = gateway_factory("host: 127.0.0.1\napi-keys: [k]\n")

    async def connect() -> int:
        try:
            async with websockets.connect(gateway.url.replace("http://", "ws://") + "/v1/responses"):
                return 101
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    assert asyncio.run(connect()) == 426
