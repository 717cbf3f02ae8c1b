"""Defects found when the gateway was tried as a new user would, each pinned through real
sockets: thinking budgets under the output limit, thinking signatures across turns, and one
header list per stream answer."""

from __future__ import annotations

import httpx

from tests.e2e import dialect_mocks as mocks
from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.test_dialects import WEATHER_TOOL, config


def test_high_reasoning_effort_with_a_4000_token_limit_gets_a_budget_that_fits(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = mocks.anthropic_text()
    upstream_b.default = mocks.gemini_text()
    client = gateway_factory(config(upstream_a.root, upstream_b.root)).client()
    client.chat.completions.create(
        model="sonnet",
        messages=[{"role": "user", "content": "think"}],
        reasoning_effort="high",
        max_completion_tokens=4000,
    )
    sent = upstream_a.requests[0].body
    assert sent["max_tokens"] == 4000
    assert sent["thinking"]["type"] == "enabled" and 1024 <= sent["thinking"]["budget_tokens"] < 4000
    client.chat.completions.create(
        model="flash",
        messages=[{"role": "user", "content": "think"}],
        reasoning_effort="high",
        max_completion_tokens=4000,
    )
    generation = upstream_b.requests[0].body["generationConfig"]
    assert generation["maxOutputTokens"] == 4000 and 0 < generation["thinkingConfig"]["thinkingBudget"] < 4000


def test_a_limit_with_no_room_for_thinking_is_refused_naming_the_field(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = mocks.anthropic_text()
    gateway = gateway_factory(config(upstream_a.root, upstream_b.root))
    answer = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        json={
            "model": "claude/sonnet",
            "messages": [{"role": "user", "content": "x"}],
            "reasoning_effort": "low",
            "max_tokens": 1000,
        },
    )
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "max_tokens"
    assert upstream_a.requests == []


def test_thinking_signature_streamed_from_anthropic_goes_back_unchanged_on_the_next_turn(
    gateway_factory, upstream_a, upstream_b
):
    upstream_a.default = mocks.anthropic_thinking_tool_stream(signature="sig-abc-123")
    client = gateway_factory(config(upstream_a.root, upstream_b.root)).client()
    messages = [{"role": "user", "content": "Weather in Oslo?"}]
    reasoning, blocks, calls = "", [], {}
    for chunk in client.chat.completions.create(
        model="sonnet", messages=messages, tools=[WEATHER_TOOL], reasoning_effort="low", stream=True
    ):
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta.model_dump()
        reasoning += delta.get("reasoning_content") or ""
        blocks += delta.get("thinking_blocks") or []
        for call in delta.get("tool_calls") or []:
            entry = calls.setdefault(call["index"], {"id": call.get("id"), "arguments": ""})
            entry["arguments"] += (call.get("function") or {}).get("arguments") or ""
            entry["id"] = entry["id"] or call.get("id")
    assert reasoning == "The user wants weather. Call the tool."
    assert [b["signature"] for b in blocks] == ["sig-abc-123"]
    upstream_a.default = mocks.anthropic_text("It is cold.")
    assistant = {
        "role": "assistant",
        "content": None,
        "thinking_blocks": [{"type": "thinking", "thinking": reasoning, "signature": "sig-abc-123"}],
        "tool_calls": [
            {
                "id": calls[0]["id"],
                "type": "function",
                "function": {"name": "get_weather", "arguments": calls[0]["arguments"]},
            }
        ],
    }
    tool = {"role": "tool", "tool_call_id": calls[0]["id"], "content": "-3 C"}
    reply = client.chat.completions.create(
        model="sonnet", messages=[*messages, assistant, tool], tools=[WEATHER_TOOL], reasoning_effort="low"
    )
    assert reply.choices[0].message.content == "It is cold."
    turn = upstream_a.requests[1].body["messages"][1]
    assert turn["role"] == "assistant"
    assert turn["content"][0] == {"type": "thinking", "thinking": reasoning, "signature": "sig-abc-123"}
    assert turn["content"][1]["type"] == "tool_use" and turn["content"][1]["input"] == {"location": "Oslo"}


def test_each_stream_answer_carries_exactly_its_own_request_id(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = mocks.anthropic_text()
    gateway = gateway_factory(config(upstream_a.root, upstream_b.root))
    seen = []
    for _ in range(3):
        with httpx.stream(
            "POST",
            gateway.url + "/v1/chat/completions",
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
            json={"model": "sonnet", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        ) as r:
            r.read()
            seen.append(r.headers.get_list("x-request-id"))
    assert all(len(ids) == 1 for ids in seen) and len({ids[0] for ids in seen}) == 3
