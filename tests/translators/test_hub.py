"""The hub contract (translators/hub.py) and the checker that holds translator output to it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.translators import streams
from tests.translators.hub_check import assert_conforms
from tests.translators.test_anthropic_stream import THINKING_TOOL_STREAM
from tests.translators.test_anthropic_stream import decoder as anthropic_decoder
from translators import anthropic, hub

SIGNATURE = "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"


def chunk(delta: dict[str, Any]) -> dict[str, Any]:
    return streams.choice_chunk(id="chatcmpl-1", model="m", created=1, delta=delta)


def test_every_name_the_hub_exports_is_one_of_its_types():
    assert hub.__all__ == sorted(hub.__all__)
    for name in hub.__all__:
        assert getattr(hub, name) is not None


@pytest.mark.parametrize(
    "delta",
    [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "Let me think."},
        {"thinking_blocks": [{"index": 0, "type": "thinking", "signature": SIGNATURE}]},
        {"thinking_blocks": [{"index": 1, "type": "redacted_thinking", "data": "EmwKAhgB"}]},
        {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                         "function": {"name": "f", "arguments": ""},
                         "extra_content": {"google": {"thought_signature": "CiQB"}}}]},
        {"refusal": "I can't help with that."},
    ],
)  # fmt: skip
def test_the_documented_deltas_are_chunks_of_the_hub(delta):
    assert_conforms(chunk(delta), hub.ChatCompletionChunk)


@pytest.mark.parametrize(
    ("delta", "complaint"),
    [
        ({"reasoning": "Let me think."}, "has no field ['reasoning']"),
        ({"thinking_blocks": [{"type": "thinking", "signature": SIGNATURE}]}, "lacks ['index']"),
        ({"thinking_blocks": [{"index": 0, "type": "summary", "signature": "x"}]}, "is not one of"),
        ({"tool_calls": [{"index": "0"}]}, "$.choices[0].delta.tool_calls[0].index"),
    ],
)
def test_the_checker_refuses_fields_and_shapes_the_hub_does_not_describe(delta, complaint):
    with pytest.raises(AssertionError) as caught:
        assert_conforms(chunk(delta), hub.ChatCompletionChunk)
    assert complaint in str(caught.value)


def test_a_whole_answers_message_is_a_valid_assistant_message_for_the_next_request():
    chunks = anthropic_decoder().feed(THINKING_TOOL_STREAM)
    blocks = streams.assemble_thinking_blocks(chunks)
    message = {
        "role": "assistant",
        "content": "Let me check the weather in Paris.",
        "thinking_blocks": blocks,
        "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}],
    }  # fmt: skip
    assert_conforms(message, hub.AssistantMessage)
    request = {"model": "claude", "messages": [{"role": "user", "content": "Weather?"}, message]}
    assert_conforms(request, hub.ChatRequest)
    assert anthropic.ignored_fields(request) == ()


def test_optional_and_required_keys_are_read_at_run_time():
    assert hub.AssistantMessage.__required_keys__ == {"role"}
    assert hub.ChatCompletion.__optional_keys__ == {"usage"}
    assert hub.ToolCallDelta.__required_keys__ == {"index"}
