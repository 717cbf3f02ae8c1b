"""A Responses API client's view of gateway output: the official openai SDK reading it.

`sdk_events` serves the bytes to `client.responses.create(stream=True)` over a mock transport,
with the SDK's strict response validation on, and `sdk_final_response` runs them through
`client.responses.stream()`, whose accumulator checks item identities and order as a client
does. `parse_events` reads the SSE framing and checks every event against the SDK's event union.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, get_args

import httpx2
import openai
from openai import omit
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import Field, TypeAdapter

from translators.sse import SSEDecoder

# The SDK's event union, discriminated by `type` so a failure names its one event type.
STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(Annotated[get_args(ResponseStreamEvent)[0], Field(discriminator="type")])  # type: ignore[arg-type]


def _client(body: bytes, content_type: str) -> openai.OpenAI:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": content_type}, content=body)

    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
        max_retries=0,
        _strict_response_validation=True,
    )


def sdk_events(stream: bytes) -> list[Any]:
    """The events the SDK yields for the stream, each validated against its model."""
    client = _client(stream, "text/event-stream")
    return list(client.responses.create(model="codex", input="hi", stream=True))


def sdk_final_response(stream: bytes) -> Any:
    """What `client.responses.stream(...).get_final_response()` makes of the stream."""
    client = _client(stream, "text/event-stream")
    with client.responses.stream(model="codex", input="hi") as events:
        for _ in events:
            pass
        return events.get_final_response()


def sdk_answer(body: bytes) -> Response:
    """A whole answer as `client.responses.create()` returns it."""
    return _client(body, "application/json").responses.create(model="codex", input="hi")


def parse_events(stream: bytes) -> list[dict[str, Any]]:
    """The event payloads, checked: the SSE event name is the payload's type, sequence numbers
    count up from 0 without a gap, and every payload validates as the SDK's event model."""
    decoder = SSEDecoder()
    events = decoder.feed(stream) + decoder.close()
    payloads = []
    for number, event in enumerate(events):
        payload = json.loads(event.data)
        assert event.event == payload["type"], f"event {number} is named {event.event!r}"
        assert payload["sequence_number"] == number, f"event {number} has sequence_number {payload['sequence_number']}"
        STREAM_EVENT.validate_python(payload)
        payloads.append(payload)
    return payloads


def accumulate(payloads: list[dict[str, Any]]) -> Any:
    """The SDK's stream accumulator run over event payloads; the final response, or None when
    the events end before `response.completed`. Raises where a client's accumulator would."""
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    for payload in payloads:
        state.handle_event(STREAM_EVENT.validate_python(payload))
    return state._completed_response
