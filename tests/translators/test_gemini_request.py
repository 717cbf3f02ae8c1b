"""OpenAI chat requests -> Gemini generateContent requests (translators/gemini/request.py, contents.py)."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types as genai

from translators.errors import TranslationError
from translators.gemini import build_request, ignored_fields, request_path
from translators.gemini.contents import SKIP_SIGNATURE

MODEL = "gemini-2.5-flash"
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def build(**fields: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}], **fields}
    return build_request(body, upstream_model=MODEL)


def assert_valid_gemini_request(request: dict[str, Any]) -> None:
    """The google-genai SDK's models forbid unknown fields: a misspelt key fails here."""
    for content in request["contents"]:
        genai.Content.model_validate(content)
    if "systemInstruction" in request:
        genai.Content.model_validate(request["systemInstruction"])
    for tool in request.get("tools", []):
        genai.Tool.model_validate(tool)
    if "toolConfig" in request:
        genai.ToolConfig.model_validate(request["toolConfig"])
    if "generationConfig" in request:
        genai.GenerationConfig.model_validate(request["generationConfig"])
    assert set(request) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}


def refused(param: str, **fields: Any) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        build(**fields)
    assert caught.value.param == param
    return caught.value


def test_tool_conversation_becomes_alternating_turns_with_grouped_function_responses():
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {
                    "id": "call_paris",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    "extra_content": {"google": {"thought_signature": "CiQBVKhc7vB+"}},
                },
                {
                    "id": "call_oslo",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_paris", "content": '{"temp_c": 18, "sky": "clear"}'},
        {"role": "tool", "tool_call_id": "call_oslo", "content": [{"type": "text", "text": "rain, 9 C"}]},
        {"role": "assistant", "content": "Paris 18 C clear; Oslo 9 C rain."},
        {"role": "user", "name": "ana", "content": "Thanks"},
    ]
    request = build_request({"model": "gpt-4o", "messages": messages, "tools": [WEATHER_TOOL]}, upstream_model=MODEL)
    assert request["systemInstruction"] == {"parts": [{"text": "You are terse."}, {"text": "Answer in English."}]}
    assert request["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Paris and Oslo?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Checking both."},
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": "CiQBVKhc7vB+",
                },
                {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp_c": 18, "sky": "clear"}}},
                {"functionResponse": {"name": "get_weather", "response": {"content": "rain, 9 C"}}},
            ],
        },
        {"role": "model", "parts": [{"text": "Paris 18 C clear; Oslo 9 C rain."}]},
        {"role": "user", "parts": [{"text": "Thanks"}]},
    ]
    assert request["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather for a city",
                    "parametersJsonSchema": WEATHER_TOOL["function"]["parameters"],
                }
            ]
        }
    ]
    assert_valid_gemini_request(request)


# An assistant turn as the Anthropic translator hands it out: signed thinking in thinking_blocks.
CLAUDE_TOOL_TURN: dict[str, Any] = {
    "role": "assistant",
    "content": "Let me check the weather in Paris.",
    "reasoning_content": "The user wants the weather in Paris.",
    "thinking_blocks": [
        {"type": "thinking", "thinking": "The user wants the weather in Paris.",
         "signature": "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr"},
    ],
    "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
}  # fmt: skip


def test_anthropic_thinking_blocks_on_an_earlier_turn_are_dropped_without_being_reported():
    without = {key: value for key, value in CLAUDE_TOOL_TURN.items() if key != "thinking_blocks"}
    body = {
        "model": "gpt-4o",
        "tools": [WEATHER_TOOL],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            CLAUDE_TOOL_TURN,
            {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "content": "18 C"},
        ],
    }
    request = build_request(body, upstream_model=MODEL)
    assert request == build_request(
        {**body, "messages": [body["messages"][0], without, body["messages"][2]]}, upstream_model=MODEL
    )
    assert request["contents"][1]["parts"][0] == {"text": "Let me check the weather in Paris."}
    assert ignored_fields(body) == ()
    assert_valid_gemini_request(request)


def test_replayed_tool_call_without_signature_gets_the_documented_skip_value_on_its_first_call_only():
    messages = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "[1, 2]"},
        {"role": "tool", "tool_call_id": "b", "content": ""},
    ]
    contents = build(messages=messages)["contents"]
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": SKIP_SIGNATURE},
        {"functionCall": {"name": "get_weather", "args": {}}},
    ]
    # A JSON result that is not an object is wrapped, like plain text.
    assert contents[2]["parts"][0]["functionResponse"]["response"] == {"content": "[1, 2]"}
    assert contents[2]["parts"][1]["functionResponse"]["response"] == {"content": ""}


def test_images_as_data_urls_become_inline_data_and_http_urls_become_file_data():
    content = [
        {"type": "text", "text": "Compare these"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/photos/cat.webp?size=large"}},
        {"type": "image_url", "image_url": {"url": "http://example.com/render"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}},
    ]
    request = build(messages=[{"role": "user", "content": content}])
    assert request["contents"][0]["parts"] == [
        {"text": "Compare these"},
        {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/photos/cat.webp?size=large"}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "http://example.com/render"}},
        {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0x"}},
    ]
    assert_valid_gemini_request(request)


def test_sampling_fields_map_to_generation_config():
    request = build(
        max_completion_tokens=512,
        temperature=0.2,
        top_p=0.9,
        stop="\n\n",
        seed=42,
        n=3,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        user="u-123",
        stream_options={"include_usage": True},
        stream=True,
    )
    assert request["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "seed": 42,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
        "candidateCount": 3,
        "maxOutputTokens": 512,
        "stopSequences": ["\n\n"],
    }
    assert_valid_gemini_request(request)


def test_max_tokens_alone_and_stop_list_are_carried():
    config = build(max_tokens=64, stop=["END", "STOP"])["generationConfig"]
    assert config == {"maxOutputTokens": 64, "stopSequences": ["END", "STOP"]}


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_weather"]},
        ),
    ],
)
def test_tool_choice_maps_to_function_calling_mode(tool_choice, expected):
    request = build(tools=[WEATHER_TOOL], tool_choice=tool_choice, parallel_tool_calls=True)
    assert request["toolConfig"] == {"functionCallingConfig": expected}
    assert_valid_gemini_request(request)


def test_json_object_and_json_schema_response_formats_set_the_mime_type_and_schema():
    assert build(response_format={"type": "json_object"})["generationConfig"] == {
        "responseMimeType": "application/json"
    }
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    request = build(
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "a", "schema": schema, "strict": True},
        }
    )
    assert request["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
    }
    assert "generationConfig" not in build(response_format={"type": "text"})
    assert_valid_gemini_request(request)


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        ("none", {"thinkingBudget": 0}),
        ("low", {"thinkingBudget": 1024, "includeThoughts": True}),
        ("medium", {"thinkingBudget": 8192, "includeThoughts": True}),
        ("high", {"thinkingBudget": 24576, "includeThoughts": True}),
    ],
)
def test_reasoning_effort_maps_to_a_thinking_budget_that_surfaces_thoughts(effort, expected):
    request = build(reasoning_effort=effort)
    assert request["generationConfig"] == {"thinkingConfig": expected}
    assert_valid_gemini_request(request)


def test_high_effort_under_4000_max_completion_tokens_thinks_within_three_quarters_of_it():
    request = build(reasoning_effort="high", max_completion_tokens=4000)
    assert request["generationConfig"] == {
        "maxOutputTokens": 4000,
        "thinkingConfig": {"thinkingBudget": 3000, "includeThoughts": True},
    }
    assert_valid_gemini_request(request)


@pytest.mark.parametrize(
    ("effort", "limit", "budget"),
    [
        ("low", 64_000, 1024),  # the effort's budget fits: kept
        ("medium", 8192, 6144),
        ("low", 800, 600),
        ("low", 500, 512),  # below every model's range otherwise; Gemini stops thinking at 500
        ("high", 100, 512),
    ],
)
def test_effort_budget_is_lowered_to_three_quarters_of_max_output_tokens_but_not_below_512(effort, limit, budget):
    config = build(reasoning_effort=effort, max_tokens=limit)["generationConfig"]
    assert config["maxOutputTokens"] == limit
    assert config["thinkingConfig"] == {"thinkingBudget": budget, "includeThoughts": True}


def test_reasoning_effort_none_stays_off_under_any_limit():
    config = build(reasoning_effort="none", max_tokens=100)["generationConfig"]
    assert config == {"maxOutputTokens": 100, "thinkingConfig": {"thinkingBudget": 0}}


def test_request_path_quotes_the_model_into_one_segment():
    assert request_path(upstream_model=MODEL, stream=False) == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request_path(upstream_model="models/gemini-2.5-pro", stream=True) == (
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert (
        request_path(upstream_model="../files?key=x", stream=False)
        == "/v1beta/models/..%2Ffiles%3Fkey%3Dx:generateContent"
    )


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"content": "no role"}], "messages[0].role"),
        ([{"role": "function", "name": "f", "content": "x"}], "messages[0].role"),
        (
            [{"role": "user", "content": [{"type": "video_url", "video_url": {}}]}],
            "messages[0].content[0].type",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png,raw"}}],
                }
            ],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}],
            "messages[0].content[0].file.file_id",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "input_audio", "input_audio": {"data": "x", "format": "flac"}}],
                }
            ],
            "messages[0].content[0].input_audio.format",
        ),
        (
            [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
            "messages[0].content[0].type",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{city: Paris}"},
                        }
                    ],
                },
            ],
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}],
                },
            ],
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "call_unknown", "content": "42"},
            ],
            "messages[1].tool_call_id",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": "y", "audio": {"id": "audio_1"}},
            ],
            "messages[1].audio",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
            ],
            "messages[1].function_call",
        ),
        ([{"role": "user", "content": "x", "tool_calls": []}], "messages[0].tool_calls"),
        ([{"role": "system", "content": "only a system prompt"}], "messages"),
        ([{"role": "user", "content": []}], "messages[0].content"),
        ([], "messages"),
    ],
)
def test_malformed_messages_are_refused_naming_the_offending_path(messages, param):
    refused(param, messages=messages)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"reasoning_effort": "minimal"}, "reasoning_effort"),
        ({"reasoning_effort": "xhigh"}, "reasoning_effort"),
        ({"n": 0}, "n"),
        ({"temperature": "hot"}, "temperature"),
        ({"max_tokens": 10, "max_completion_tokens": 20}, "max_tokens"),
        ({"max_completion_tokens": 0}, "max_completion_tokens"),
        ({"stop": ["a", 1]}, "stop"),
        ({"response_format": {"type": "grammar"}}, "response_format.type"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type"),
        (
            {"tools": [{"type": "function", "function": {"description": "nameless"}}]},
            "tools[0].function.name",
        ),
        ({"tool_choice": "any"}, "tool_choice"),
        (
            {"tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}},
            "tool_choice",
        ),
        ({"functions": [{"name": "legacy"}]}, "functions"),
    ],
)
def test_fields_gemini_cannot_honour_are_refused_naming_the_field(fields, param):
    refused(param, **fields)


def test_fields_at_their_do_nothing_values_and_openai_only_fields_are_accepted():
    request = build(
        logprobs=False,
        logit_bias={},
        modalities=["text"],
        metadata={"k": "v"},
        store=False,
        service_tier="auto",
        prompt_cache_key="p",
        safety_identifier="s",
    )
    assert request == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


def test_unknown_request_and_message_fields_are_ignored_and_reported_by_path():
    known = {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
        "temperature": 0.5,
    }
    body = {
        **known,
        "frobnicate": 1,
        "messages": [known["messages"][0], {**known["messages"][1], "x_client_note": "draft 2"}],
        "x_trace_id": "abc",
    }
    request = build_request(body, upstream_model=MODEL)
    assert request == build_request(known, upstream_model=MODEL)
    assert_valid_gemini_request(request)
    assert ignored_fields(body) == ("frobnicate", "x_trace_id", "messages[1].x_client_note")


def test_known_fields_are_never_reported_as_ignored():
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "name": "ana", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "refusal": None, "audio": None},
        ],
        "top_k": 40,
        "logprobs": False,
        "user": "u-1",
        "stream_options": {"include_usage": True},
    }
    assert ignored_fields(body) == ()
    assert build_request(body, upstream_model=MODEL)["contents"][1] == {
        "role": "model",
        "parts": [{"text": "Hello"}],
    }


def test_ignored_fields_of_a_malformed_body_is_empty_rather_than_an_error():
    assert ignored_fields([]) == ()  # type: ignore[arg-type]
    assert ignored_fields({"messages": "not a list", "x": 1}) == ("x",)
    assert ignored_fields({"messages": ["not an object", {"role": "user", "y": 2}]}) == ("messages[1].y",)


def test_parallel_tool_calls_false_is_dropped_not_refused():
    """Codex sends it on every request; Gemini has no switch, and several calls stay valid."""
    request = build(tools=[WEATHER_TOOL], parallel_tool_calls=False)
    assert "parallel_tool_calls" not in request and "parallelToolCalls" not in str(request)
