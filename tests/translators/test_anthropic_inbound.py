"""Anthropic Messages clients <-> the hub: requests in, answers, streams and errors out.

Requests are written as Claude Code and the anthropic SDK send them
(https://docs.anthropic.com/en/api/messages); answers and streams are read back by the real
anthropic SDK (tests/translators/anthropic_client.py). Streams run from upstream bytes through
the upstream's own decoder into `ClientStream`, fed whole, split at every byte and byte by byte.
"""

from __future__ import annotations

import copy
from typing import Any

import anthropic as sdk
import orjson
import pytest

from tests.translators import anthropic_client as client
from tests.translators.hub_check import assert_conforms
from tests.translators.streams import feed_whole
from tests.translators.test_anthropic_request import PNG_1PX
from tests.translators.test_anthropic_stream import REDACTED, SIGNATURE, THINKING_TOOL_CONTENT, THINKING_TOOL_STREAM
from tests.translators.test_gemini_stream import TOOL_STREAM as GEMINI_TOOL_STREAM
from translators import anthropic, gemini, hub
from translators.anthropic import inbound, inbound_answer
from translators.anthropic import response as anthropic_response
from translators.errors import StreamError, TranslationError
from translators.openai import ChunkDecoder

PDF = "JVBERi0xLjQK"  # "%PDF-1.4\n"

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "The city and state"}},
    "required": ["location"],
}
READ_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}

THINKING_BLOCK = {"type": "thinking", "thinking": "The user wants Paris weather.", "signature": SIGNATURE}

# As Claude Code sends a turn after two tool calls: cached system blocks, a signed thinking block
# and a redacted one replayed, a tool result with a screenshot, then the user's own words.
CLAUDE_CODE_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32000,
    "stream": True,
    "temperature": 1,
    "system": [
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Use the tools."},
    ],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris? And read shot.png."}]},
        {"role": "assistant", "content": [
            THINKING_BLOCK,
            {"type": "redacted_thinking", "data": REDACTED},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}},
            {"type": "tool_use", "id": "toolu_02", "name": "read_file", "input": {"path": "shot.png"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "15°C, cloudy"},
            {"type": "tool_result", "tool_use_id": "toolu_02", "is_error": False, "content": [
                {"type": "text", "text": "shot.png:"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
            ]},
            {"type": "text", "text": "Thanks!", "cache_control": {"type": "ephemeral"}},
        ]},
    ],
    "tools": [
        {"name": "get_weather", "description": "Get the weather", "input_schema": WEATHER_SCHEMA,
         "cache_control": {"type": "ephemeral"}},
        {"name": "read_file", "input_schema": READ_SCHEMA},
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "enabled", "budget_tokens": 10000},
    "metadata": {"user_id": "user_3f2a_account_session_9"},
    "service_tier": "auto",
}  # fmt: skip

CLAUDE_CODE_HUB: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "messages": [
        {"role": "system", "content": [{"type": "text", "text": "You are Claude Code."},
                                       {"type": "text", "text": "Use the tools."}]},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris? And read shot.png."}]},
        {"role": "assistant", "content": "Let me check.",
         "reasoning_content": "The user wants Paris weather.",
         "thinking_blocks": [THINKING_BLOCK, {"type": "redacted_thinking", "data": REDACTED}],
         "tool_calls": [
             {"id": "toolu_01", "type": "function",
              "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'}},
             {"id": "toolu_02", "type": "function",
              "function": {"name": "read_file", "arguments": '{"path":"shot.png"}'}},
         ]},
        {"role": "tool", "tool_call_id": "toolu_01", "content": "15°C, cloudy"},
        {"role": "tool", "tool_call_id": "toolu_02", "content": [{"type": "text", "text": "shot.png:"}]},
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
            {"type": "text", "text": "Thanks!"},
        ]},
    ],
    "max_completion_tokens": 32000,
    "temperature": 1,
    "stream": True,
    "tools": [
        {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA,
                                          "description": "Get the weather"}},
        {"type": "function", "function": {"name": "read_file", "parameters": READ_SCHEMA}},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "reasoning_effort": "medium",
    "user": "user_3f2a_account_session_9",
}  # fmt: skip


def request(**fields: Any) -> dict[str, Any]:
    return {"model": "claude-alias", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}], **fields}


def hub_of(body: dict[str, Any]) -> dict[str, Any]:
    converted = inbound.hub_request(body)
    assert_conforms(converted, hub.ChatRequest)
    return converted


def refused(body: Any) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        inbound.hub_request(body)
    return caught.value


# --- requests -------------------------------------------------------------------------------


def test_a_claude_code_turn_after_tool_calls_becomes_the_hub_request_it_means():
    before = copy.deepcopy(CLAUDE_CODE_REQUEST)
    assert hub_of(CLAUDE_CODE_REQUEST) == CLAUDE_CODE_HUB
    assert CLAUDE_CODE_REQUEST == before, "the client's body is not changed"


def test_thinking_blocks_replayed_to_an_anthropic_upstream_come_back_unchanged_and_signed():
    upstream = anthropic.build_request(hub_of(CLAUDE_CODE_REQUEST), upstream_model="claude-sonnet-4-5-20250929")
    assistant = upstream["messages"][1]
    assert assistant["content"][:2] == [THINKING_BLOCK, {"type": "redacted_thinking", "data": REDACTED}]
    assert [block["id"] for block in assistant["content"] if block["type"] == "tool_use"] == ["toolu_01", "toolu_02"]
    results = [block for block in upstream["messages"][2]["content"] if block["type"] == "tool_result"]
    assert [block["tool_use_id"] for block in results] == ["toolu_01", "toolu_02"]


def test_tool_results_come_first_one_tool_message_each_in_order_then_the_rest_of_the_turn():
    body = request(messages=[
        {"role": "user", "content": "Go"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "a", "name": "f", "input": {}},
            {"type": "tool_use", "id": "b", "name": "f", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "one"}]},
            {"type": "tool_result", "tool_use_id": "b", "is_error": True, "content": "failed"},
            {"type": "text", "text": "Go on"}]},
    ])  # fmt: skip
    assert hub_of(body)["messages"][2:] == [
        {"role": "tool", "tool_call_id": "a", "content": [{"type": "text", "text": "one"}]},
        {"role": "tool", "tool_call_id": "b", "content": "failed"},
        {"role": "user", "content": [{"type": "text", "text": "Go on"}]},
    ]


def test_a_turn_of_tool_results_only_adds_no_user_message_and_an_empty_result_is_empty_text():
    body = request(messages=[
        {"role": "user", "content": "Go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]},
    ])  # fmt: skip
    assert hub_of(body)["messages"][2:] == [{"role": "tool", "tool_call_id": "a", "content": ""}]


def test_images_and_pdfs_become_image_url_and_file_parts():
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {"type": "document", "title": "report.pdf", "cache_control": {"type": "ephemeral"},
         "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
        {"type": "text", "text": "Compare them."},
    ]  # fmt: skip
    assert hub_of(request(messages=[{"role": "user", "content": content}]))["messages"] == [
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "report.pdf"}},
            {"type": "text", "text": "Compare them."},
        ]},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("block", "param"),
    [
        ({"type": "image", "source": {"type": "file", "file_id": "file_011"}}, "messages[0].content[0].source.type"),
        ({"type": "image", "source": {"type": "base64", "media_type": "image/tiff", "data": "AA=="}},
         "messages[0].content[0].source.media_type"),
        ({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Hi"}},
         "messages[0].content[0].source.type"),
        ({"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
         "messages[0].content[0].source.type"),
        ({"type": "document", "citations": {"enabled": True},
          "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}, "messages[0].content[0].citations"),
        ({"type": "search_result", "source": "https://example.com", "title": "t", "content": []},
         "messages[0].content[0].type"),
        ({"type": "thinking", "thinking": "x", "signature": "s"}, "messages[0].content[0].type"),
        ({"type": "tool_result", "tool_use_id": "a", "content": [{"type": "search_result"}]},
         "messages[0].content[0].content[0].type"),
    ],
    ids=["file-image", "tiff", "text-document", "url-document", "citations", "search-result", "user-thinking",
         "search-in-tool-result"],
)  # fmt: skip
def test_content_other_upstreams_cannot_read_is_refused_naming_its_path(block, param):
    assert refused(request(messages=[{"role": "user", "content": [block]}])).param == param


def test_server_tool_blocks_in_an_assistant_turn_are_refused():
    block = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}}
    body = request(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [block]}])
    assert refused(body).param == "messages[1].content[0].type"


def test_unsigned_thinking_reads_back_as_reasoning_text_only():
    assistant = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Hmm.", "signature": ""}, {"type": "text", "text": "Hi"}]}  # fmt: skip
    message = hub_of(request(messages=[{"role": "user", "content": "Hi"}, assistant]))["messages"][1]
    assert message == {"role": "assistant", "content": "Hi", "reasoning_content": "Hmm."}


def test_a_system_turn_among_the_messages_stays_in_place():
    body = request(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert hub_of(body)["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("budget", "effort"),
    [(1024, "minimal"), (1400, "minimal"), (2048, "low"), (4096, "low"), (5000, "medium"), (10000, "medium"),
     (12000, "high"), (16384, "high"), (32000, "xhigh"), (128000, "xhigh")],
)  # fmt: skip
def test_a_thinking_budget_reads_as_the_effort_whose_budget_is_nearest_by_ratio(budget, effort):
    # 4096 lies as far from 2048 as from 8192 by ratio: the lower effort wins the tie.
    thinking = {"type": "enabled", "budget_tokens": budget}
    assert hub_of(request(thinking=thinking, max_tokens=200000))["reasoning_effort"] == effort


@pytest.mark.parametrize(
    ("fields", "effort"),
    [
        ({"thinking": {"type": "adaptive"}}, "medium"),
        ({"thinking": {"type": "adaptive", "display": "summarized"}, "output_config": {"effort": "high"}}, "high"),
        ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}, "xhigh"),
        ({"output_config": {"effort": "low"}}, "low"),
        ({"thinking": {"type": "disabled"}, "output_config": {"effort": "high"}}, "none"),
        ({"thinking": {"type": "enabled", "budget_tokens": 2048}, "output_config": {"effort": "high"}}, "low"),
        ({}, None),
    ],
    ids=["adaptive", "adaptive-high", "adaptive-max", "effort-alone", "disabled", "budget-wins", "omitted"],
)
def test_adaptive_thinking_takes_the_clients_effort_and_disabled_thinking_reads_none(fields, effort):
    assert hub_of(request(**fields)).get("reasoning_effort") == effort


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, {"tool_choice": "auto"}),
        ({"type": "any"}, {"tool_choice": "required"}),
        ({"type": "none"}, {"tool_choice": "none"}),
        ({"type": "tool", "name": "get_weather"},
         {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}}),
        ({"type": "any", "disable_parallel_tool_use": True}, {"tool_choice": "required", "parallel_tool_calls": False}),
        ({"type": "none", "disable_parallel_tool_use": True}, {"tool_choice": "none"}),
    ],
)  # fmt: skip
def test_tool_choice_maps_to_the_hub_choice_and_serial_tool_use_to_no_parallel_calls(choice, expected):
    tool = {"name": "get_weather", "input_schema": WEATHER_SCHEMA}
    converted = hub_of(request(tools=[tool], tool_choice=choice))
    assert {key: converted[key] for key in ("tool_choice", "parallel_tool_calls") if key in converted} == expected


def test_tool_choice_without_tools_is_dropped_when_it_asks_nothing_and_refused_when_it_asks_for_a_call():
    assert "tool_choice" not in hub_of(request(tool_choice={"type": "auto"}))
    assert refused(request(tool_choice={"type": "any"})).param == "tool_choice"


def test_server_tools_are_refused_naming_every_one_of_them():
    tools = [
        {"name": "get_weather", "input_schema": WEATHER_SCHEMA},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "custom", "name": "ok", "input_schema": {"type": "object"}},
    ]
    error = refused(request(tools=tools))
    assert error.param == "tools[1].type"
    assert "'web_search' ('web_search_20250305')" in error.message and "'bash' ('bash_20250124')" in error.message


def test_a_strict_custom_tool_keeps_strict_and_its_cache_control_is_dropped():
    tool = {"type": "custom", "name": "f", "input_schema": {"type": "object"}, "strict": True,
            "cache_control": {"type": "ephemeral"}, "eager_input_streaming": True}  # fmt: skip
    assert hub_of(request(tools=[tool]))["tools"] == [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": True}}
    ]


def test_sampling_stop_sequences_structured_output_and_user_map_to_their_hub_fields():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    converted = hub_of(request(
        top_p=0.9, top_k=40, stop_sequences=["END", "\n\nHuman:"], metadata={"user_id": "u-1"},
        output_config={"format": {"type": "json_schema", "schema": schema}},
    ))  # fmt: skip
    assert {key: converted[key] for key in ("top_p", "top_k", "stop", "user", "response_format")} == {
        "top_p": 0.9,
        "top_k": 40,
        "stop": ["END", "\n\nHuman:"],
        "user": "u-1",
        "response_format": {"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True}},
    }
    legacy = hub_of(request(output_format={"type": "json_schema", "schema": schema}))
    assert legacy["response_format"] == converted["response_format"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "claude-alias", "messages": [{"role": "user", "content": "Hi"}]}, "max_tokens"),
        (request(max_tokens=0), "max_tokens"),
        (request(max_tokens=True), "max_tokens"),
        (request(messages=[]), "messages"),
        (request(messages={"role": "user"}), "messages"),
        (request(messages=[{"role": "tool", "content": "x"}]), "messages[0].role"),
        (request(messages=[{"role": "user"}]), "messages[0].content"),
        (request(model=""), "model"),
        (request(temperature=1.5), "temperature"),
        (request(stop_sequences="END"), "stop_sequences"),
        (request(stream="yes"), "stream"),
        (request(thinking={"type": "enabled"}), "thinking.budget_tokens"),
        (request(thinking={"type": "between_tools"}), "thinking.type"),
        (request(output_config={"effort": "extreme"}), "output_config.effort"),
        (request(output_config={"format": {"type": "json_object"}}), "output_config.format.type"),
        (request(mcp_servers=[{"type": "url", "url": "https://mcp.example.com", "name": "x"}]), "mcp_servers"),
        (request(tools=[{"name": "f"}]), "tools[0].input_schema"),
        (request(tools=[{"name": "f", "input_schema": {}, "input_examples": [{"a": 1}]}]), "tools[0].input_examples"),
        (request(metadata={"user_id": 7}), "metadata.user_id"),
    ],
)
def test_a_malformed_or_unexpressible_request_is_refused_naming_the_field(body, param):
    assert refused(body).param == param


def test_the_body_must_be_an_object():
    assert refused([request()]).param is None


def test_ignored_fields_names_unknown_top_level_and_message_fields_but_not_dropped_ones():
    body = request(service_tier="auto", cache_control={"type": "ephemeral"}, betas=["x"], frequency_penalty=0.1,
                   messages=[{"role": "user", "content": "Hi", "name": "ann"}])  # fmt: skip
    assert inbound.ignored_fields(body) == ("betas", "frequency_penalty", "messages[0].name")
    assert inbound.ignored_fields([]) == ()  # type: ignore[arg-type]


# --- whole answers --------------------------------------------------------------------------


def completion(message: dict[str, Any], finish_reason: str = "stop", usage: Any = None) -> dict[str, Any]:
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-5",
              "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}]}  # fmt: skip
    if usage is not None:
        answer["usage"] = usage
    return answer


USAGE = {
    "prompt_tokens": 2000,
    "completion_tokens": 300,
    "total_tokens": 2300,
    "prompt_tokens_details": {"cached_tokens": 1500},
    "completion_tokens_details": {"reasoning_tokens": 120},
}


def test_an_answer_with_thinking_text_and_tool_calls_is_a_message_the_sdk_reads():
    message = {
        "role": "assistant", "content": "Let me check the weather in Paris.",
        "reasoning_content": "The user wants the weather in Paris. I should call get_weather.",
        "thinking_blocks": THINKING_TOOL_CONTENT[:2],
        "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}],
    }  # fmt: skip
    answer = inbound.client_answer(completion(message, "tool_calls", USAGE), model="claude-alias", id="msg_gw1")
    assert answer == {
        "id": "msg_gw1", "type": "message", "role": "assistant", "model": "claude-alias",
        "content": THINKING_TOOL_CONTENT, "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 500, "output_tokens": 300, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 1500, "output_tokens_details": {"thinking_tokens": 120}},
    }  # fmt: skip
    parsed = client.read_message(answer)
    assert parsed.model_dump(mode="json", exclude_none=True)["content"] == THINKING_TOOL_CONTENT


def test_an_anthropic_answer_through_the_hub_and_back_keeps_its_content():
    original = {"id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant",
                "model": "claude-sonnet-4-5-20250929", "content": THINKING_TOOL_CONTENT, "stop_reason": "tool_use",
                "stop_sequence": None, "usage": {"input_tokens": 512, "cache_read_input_tokens": 100,
                                                 "output_tokens": 180}}  # fmt: skip
    through = anthropic.parse_response(original, model="claude-alias", created=1, id="chatcmpl-1")
    answer = inbound.client_answer(through, model="claude-alias", id="msg_gw1")
    assert answer["content"] == original["content"] and answer["stop_reason"] == "tool_use"
    assert (answer["usage"]["input_tokens"], answer["usage"]["cache_read_input_tokens"]) == (512, 100)


def test_reasoning_without_signed_blocks_is_one_unsigned_thinking_block():
    answer = inbound.client_answer(
        completion({"role": "assistant", "content": "42", "reasoning_content": "6 x 7"}), model="m", id="msg_1"
    )
    assert answer["content"] == [
        {"type": "thinking", "thinking": "6 x 7", "signature": ""},
        {"type": "text", "text": "42"},
    ]
    assert client.read_message(answer).content[0].type == "thinking"


@pytest.mark.parametrize(
    ("finish", "calls", "reason"),
    [("stop", False, "end_turn"), ("length", False, "max_tokens"), ("tool_calls", True, "tool_use"),
     ("content_filter", False, "refusal"), ("function_call", True, "tool_use"), ("stop", True, "tool_use"),
     ("length", True, "max_tokens"), (None, False, "end_turn"), ("something_new", False, "end_turn")],
)  # fmt: skip
def test_finish_reasons_read_as_anthropic_stop_reasons(finish, calls, reason):
    message: dict[str, Any] = {"role": "assistant", "content": "x"}
    if calls:
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    answer = inbound.client_answer(completion(message, finish), model="m", id="msg_1")
    assert answer["stop_reason"] == reason


def test_a_refusal_is_the_stop_reason_with_its_explanation():
    message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    answer = inbound.client_answer(completion(message), model="m", id="msg_1")
    assert answer["content"] == [] and answer["stop_reason"] == "refusal"
    details = client.read_message(answer).stop_details
    assert details is not None and details.explanation == "I can't help with that."


def test_tool_call_arguments_empty_mean_no_input_and_a_call_without_id_gets_one():
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"type": "function", "function": {"name": "now", "arguments": ""}}]}  # fmt: skip
    answer = inbound.client_answer(completion(message, "tool_calls"), model="m", id="msg_abc")
    assert answer["content"] == [{"type": "tool_use", "id": "toolu_abc_0", "name": "now", "input": {}}]


@pytest.mark.parametrize("arguments", ['{"a": ', "[1]", "null", '"text"'])
def test_tool_call_arguments_that_are_not_a_json_object_are_refused(arguments):
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}]}  # fmt: skip
    with pytest.raises(TranslationError):
        inbound.client_answer(completion(message, "tool_calls"), model="m", id="msg_1")


def test_an_answer_without_usage_reports_zero_tokens():
    answer = inbound.client_answer(completion({"role": "assistant", "content": "Hi"}), model="m", id="msg_1")
    assert answer["usage"] == {
        "input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}  # fmt: skip


# --- errors and token estimates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "sdk_error"),
    [(400, "invalid_request_error", sdk.BadRequestError), (401, "authentication_error", sdk.AuthenticationError),
     (402, "billing_error", sdk.PaymentRequiredError), (403, "permission_error", sdk.PermissionDeniedError),
     (404, "not_found_error", sdk.NotFoundError), (408, "invalid_request_error", sdk.RequestTimeoutError),
     (413, "request_too_large", sdk.ContentTooLargeError), (429, "rate_limit_error", sdk.RateLimitError),
     (500, "api_error", sdk.InternalServerError), (502, "api_error", sdk.InternalServerError),
     (503, "overloaded_error", sdk.ServiceUnavailableError), (504, "timeout_error", sdk.GatewayTimeoutError),
     (529, "overloaded_error", sdk.OverloadedError)],
)  # fmt: skip
def test_error_bodies_carry_the_documented_type_and_the_sdk_raises_its_error_for_the_status(status, kind, sdk_error):
    body = inbound.error_body(status, "Something went wrong.")
    assert body == {"type": "error", "error": {"type": kind, "message": "Something went wrong."}}
    error = client.raised(status, orjson.dumps(body))
    assert type(error) is sdk_error and error.type == kind


def test_an_error_event_ends_the_stream_and_the_sdk_raises_it():
    stream = inbound.ClientStream(model="m", id="msg_1")
    out = stream.feed([{"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}])
    out.append(stream.error_event(503, "server_error", "No upstream can take the request now."))
    assert stream.close() == [] and stream.feed([{"choices": []}]) == []
    error = client.raised(200, b"".join(out), stream=True)
    assert error.type == "overloaded_error" and "No upstream can take the request now." in error.message
    kept = inbound.ClientStream(model="m", id="msg_1").error_event(429, "rate_limit_error", "Slow down.")
    assert client.events_of([kept])[0][1]["error"]["type"] == "rate_limit_error"


def test_the_token_estimate_counts_characters_over_four_and_images_apart():
    body = request(system="abcd" * 10, messages=[{"role": "user", "content": [
        {"type": "text", "text": "x" * 400},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 100000}}]}])  # fmt: skip
    # 40 + 400 characters of text, 4+7+4+4+4 of keys ("role", "content", "type", "text"...).
    keys = len("role") + len("content") + len("type") + len("text")
    assert inbound.estimate_tokens(body) == 1600 + -(-(40 + len("user") + 400 + len("text") + keys) // 4)
    assert inbound.estimate_tokens({}) == 1 and inbound.estimate_tokens([]) == 1  # type: ignore[arg-type]


# --- streams --------------------------------------------------------------------------------


def openai_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    chunk = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "deepseek-reasoner",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}  # fmt: skip
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


# An OpenAI-compatible upstream that streams reasoning, text and two tool calls whose arguments
# arrive in fragments, then usage with cached tokens after the finish.
OPENAI_STREAM = b"".join([
    openai_chunk({"role": "assistant", "content": "", "reasoning_content": ""}),
    openai_chunk({"reasoning_content": "Two cities, "}),
    openai_chunk({"reasoning_content": "two calls."}),
    openai_chunk({"content": "Checking "}),
    openai_chunk({"content": "both caf\u00e9s."}),
    openai_chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                  "function": {"name": "get_weather", "arguments": ""}}]}),
    openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"location"'}}]}),
    openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ': "Paris"}'}}]}),
    openai_chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                  "function": {"name": "get_weather", "arguments": '{"location": '}}]}),
    openai_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"Oslo"}'}}]}),
    openai_chunk({}, "tool_calls"),
    b'data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner",'
    b'"choices":[],"usage":{"prompt_tokens":900,"completion_tokens":70,"total_tokens":970,'
    b'"prompt_tokens_details":{"cached_tokens":640},"completion_tokens_details":{"reasoning_tokens":20}}}\r\n\r\n',
    b"data: [DONE]\n\n",
])  # fmt: skip

OPENAI_CONTENT = [
    {"type": "thinking", "thinking": "Two cities, two calls.", "signature": ""},
    {"type": "text", "text": "Checking both caf\u00e9s."},
    {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"location": "Paris"}},
    {"type": "tool_use", "id": "call_b", "name": "get_weather", "input": {"location": "Oslo"}},
]


class Chain:
    """An upstream's hub decoder feeding `ClientStream`: upstream bytes in, client bytes out."""

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.stream = inbound.ClientStream(model="claude-alias", id="msg_gw1")

    def feed(self, data: bytes) -> list[bytes]:
        return self.stream.feed(self.decoder.feed(data))

    def close(self) -> list[bytes]:
        return self.stream.feed(self.decoder.close()) + self.stream.close()


def openai_chain() -> Chain:
    return Chain(ChunkDecoder(model="claude-alias"))


def anthropic_chain() -> Chain:
    return Chain(anthropic.StreamDecoder(model="claude-alias", created=1, id="chatcmpl-1"))


def gemini_chain() -> Chain:
    return Chain(gemini.StreamDecoder(model="claude-alias", created=1, id="chatcmpl-1"))


def content_of(message: Any) -> list[dict[str, Any]]:
    return message.model_dump(mode="json", exclude_none=True)["content"]


def test_an_openai_compatible_stream_split_anywhere_reaches_the_sdk_as_the_same_anthropic_message(every_split):
    out = every_split(openai_chain, OPENAI_STREAM)
    client.assert_coherent(client.events_of(out), ended=True)
    _, message = client.read_stream(b"".join(out))
    assert content_of(message) == OPENAI_CONTENT
    assert (message.id, message.model, message.stop_reason) == ("msg_gw1", "claude-alias", "tool_use")
    assert message.usage.model_dump(exclude_none=True) == {
        "input_tokens": 260, "output_tokens": 70, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 640,
        "output_tokens_details": {"thinking_tokens": 20}}  # fmt: skip


def test_tool_arguments_stream_as_they_arrive_never_held_back():
    chain = openai_chain()
    deltas = []
    for piece in OPENAI_STREAM.split(b"\n\n"):
        for name, payload in client.events_of(chain.feed(piece + b"\n\n")):
            if name == "content_block_delta" and payload["delta"]["type"] == "input_json_delta":
                deltas.append(payload["delta"]["partial_json"])
    assert deltas == ['{"location"', ': "Paris"}', '{"location": ', '"Oslo"}']


def test_an_anthropic_stream_through_the_hub_reaches_the_sdk_with_its_signed_thinking_and_redacted_blocks(
    every_split,
):
    out = every_split(anthropic_chain, THINKING_TOOL_STREAM)
    events = client.events_of(out)
    client.assert_coherent(events, ended=True)
    sdk_events, message = client.read_stream(b"".join(out))
    # The upstream sent its signature in two pieces; the SDK takes each signature_delta as the
    # whole signature, so the client gets it in one.
    assert content_of(message) == THINKING_TOOL_CONTENT
    assert message.stop_reason == "tool_use" and message.usage.input_tokens == 512
    assert [(event.type, getattr(event, "signature", None)) for event in sdk_events if event.type == "signature"] == [
        ("signature", SIGNATURE)
    ]


def test_a_gemini_stream_of_thoughts_and_whole_function_calls_reaches_the_sdk(every_split):
    out = every_split(gemini_chain, GEMINI_TOOL_STREAM)
    client.assert_coherent(client.events_of(out), ended=True)
    _, message = client.read_stream(b"".join(out))
    content = content_of(message)
    assert [block["type"] for block in content] == ["thinking", "tool_use", "tool_use"]
    assert [(block["name"], block["input"]) for block in content[1:]] == [
        ("get_weather", {"city": "Paris"}), ("get_time", {})]  # fmt: skip
    assert message.stop_reason == "tool_use"


def chunks(*deltas: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in deltas
    ]
    if finish:
        listed.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return listed


def names(out: list[bytes]) -> list[str]:
    return [name for name, _ in client.events_of(out)]


def test_message_delta_waits_for_the_usage_that_follows_the_finish():
    stream = inbound.ClientStream(model="m", id="msg_1")
    first = stream.feed(chunks({"content": "Hi"}, finish="stop"))
    assert names(first) == ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop"]
    usage = stream.feed([{"choices": [], "usage": USAGE}])
    assert client.events_of(usage)[0][1]["usage"]["input_tokens"] == 500
    assert stream.usage == USAGE
    assert names(stream.close()) == ["message_stop"] and stream.close() == []


def test_close_without_a_finish_or_any_chunk_still_ends_a_coherent_message():
    stream = inbound.ClientStream(model="m", id="msg_1")
    stream.feed(chunks({"content": "Hal"}))
    events = client.events_of(stream.feed([]) + stream.close())
    assert [name for name, _ in events] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[1][1]["delta"]["stop_reason"] == "end_turn" and events[1][1]["usage"] == {"output_tokens": 0}
    empty = inbound.ClientStream(model="m", id="msg_1").close()
    client.assert_coherent(client.events_of(empty), ended=True)
    assert client.read_stream(b"".join(empty))[1].content == []


def test_a_streamed_refusal_ends_with_the_refusal_stop_reason_and_its_explanation():
    stream = inbound.ClientStream(model="m", id="msg_1")
    out = stream.feed(chunks({"refusal": "I can't "}, {"refusal": "help."}, finish="stop")) + stream.close()
    message = client.read_stream(b"".join(out))[1]
    assert message.stop_reason == "refusal"
    assert message.stop_details is not None and message.stop_details.explanation == "I can't help."


def test_a_thinking_end_without_streamed_text_is_an_empty_signed_block_and_redacted_blocks_come_whole():
    stream = inbound.ClientStream(model="m", id="msg_1")
    out = stream.feed(chunks(
        {"thinking_blocks": [{"index": 0, "type": "thinking", "signature": "sig"}]},
        {"thinking_blocks": [{"index": 1, "type": "redacted_thinking", "data": REDACTED}]},
        {"content": "Done."}, finish="stop")) + stream.close()  # fmt: skip
    assert content_of(client.read_stream(b"".join(out))[1]) == [
        {"type": "thinking", "thinking": "", "signature": "sig"},
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "text", "text": "Done."},
    ]


def test_tool_arguments_that_interleave_two_calls_raise_after_what_came_before_is_handed_out():
    stream = inbound.ClientStream(model="m", id="msg_1")
    calls = [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{"}},
             {"index": 1, "id": "b", "function": {"name": "g", "arguments": "{"}}]  # fmt: skip
    out = stream.feed(chunks({"tool_calls": calls}, {"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}))
    assert names(out)[-1] == "content_block_delta"
    with pytest.raises(StreamError) as caught:
        stream.close()
    assert caught.value.info.code == "upstream_stream_interleaved"


def test_a_stream_is_the_same_whatever_the_grouping_of_its_chunks():
    decoded = feed_whole(ChunkDecoder(model="m"), OPENAI_STREAM)
    whole = inbound.ClientStream(model="m", id="msg_1")
    one_by_one = inbound.ClientStream(model="m", id="msg_1")
    expected = whole.feed(decoded) + whole.close()
    assert [event for item in decoded for event in one_by_one.feed([item])] + one_by_one.close() == expected


def test_cache_writes_counted_by_an_anthropic_upstream_reach_an_anthropic_client_apart():
    # input 21, cache reads 1000, cache writes 188086 upstream -> hub -> client: the same split.
    upstream = anthropic_response.usage(
        {"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 1000,
         "output_tokens": 393}
    )  # fmt: skip
    assert inbound_answer.client_usage(upstream) == {
        "input_tokens": 21, "output_tokens": 393, "cache_creation_input_tokens": 188086,
        "cache_read_input_tokens": 1000}  # fmt: skip
