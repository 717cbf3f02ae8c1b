"""The anthropic SDK as a client of the gateway's Anthropic answers and streams, for the tests.

A real `anthropic.Anthropic` client with strict response validation reads the bytes through a
mock transport, the way it reads Anthropic's own API: streams through `messages.stream()` and
its accumulator, whole answers through `messages.create()`, errors as the SDK's exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import orjson
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

REQUEST: dict[str, Any] = {"model": "claude-alias", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}]}
STREAM_EVENT = TypeAdapter(RawMessageStreamEvent)


def client(handler: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-test",
        base_url="http://gateway.test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
        _strict_response_validation=True,
    )


def answering(status: int, body: bytes, content_type: str) -> anthropic.Anthropic:
    return client(lambda request: httpx2.Response(status, headers={"content-type": content_type}, content=body))


def read_stream(body: bytes) -> tuple[list[Any], Message]:
    """The SDK's events and final message for an SSE body, as `messages.stream()` gives them."""
    with answering(200, body, "text/event-stream").messages.stream(**REQUEST) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def read_message(payload: dict[str, Any]) -> Message:
    return answering(200, orjson.dumps(payload), "application/json").messages.create(**REQUEST)


def raised(status: int, body: bytes, *, stream: bool = False) -> anthropic.APIStatusError:
    """The exception the SDK raises for an error answer, or for an error event in a stream."""
    content_type = "text/event-stream" if stream else "application/json"
    sdk = answering(200 if stream else status, body, content_type)
    try:
        if stream:
            with sdk.messages.stream(**REQUEST) as events:
                list(events)
        else:
            sdk.messages.create(**REQUEST)
    except anthropic.APIStatusError as error:
        return error
    raise AssertionError("the SDK raised nothing")


def events_of(out: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    """Each SSE event as (name, data), checked to be one `event:` line, one `data:` line of JSON
    whose `type` is the event's name."""
    events = []
    for raw in out:
        head, data, end = raw.split(b"\n", 2)
        assert head.startswith(b"event: ") and data.startswith(b"data: ") and end == b"\n", raw
        name, payload = head[len(b"event: ") :].decode(), orjson.loads(data[len(b"data: ") :])
        assert payload["type"] == name
        events.append((name, payload))
    return events


def assert_coherent(events: list[tuple[str, dict[str, Any]]], *, ended: bool) -> None:
    """The order the streaming docs give: message_start, then blocks indexed from 0, each
    started, given deltas and stopped in turn, then at most one message_delta and, when the
    stream `ended`, message_stop last. Every event validates as the SDK's event type."""
    names = [name for name, _ in events]
    if not events:
        return
    assert names[0] == "message_start"
    open_index, next_index = None, 0
    for name, payload in events:
        if name != "ping":
            STREAM_EVENT.validate_python(payload)
        if name == "content_block_start":
            assert open_index is None and payload["index"] == next_index
            open_index, next_index = next_index, next_index + 1
        elif name in ("content_block_delta", "content_block_stop"):
            assert payload["index"] == open_index
            open_index = None if name == "content_block_stop" else open_index
        elif name in ("message_delta", "message_stop"):
            assert open_index is None
    assert names.count("message_delta") <= 1
    if ended:
        assert names[-2:] == ["message_delta", "message_stop"]
    else:
        assert "message_stop" not in names
