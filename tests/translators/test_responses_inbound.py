"""Responses API clients -> hub requests, and hub answers -> Responses `response` objects.

Requests are written as Codex CLI and the openai SDK send them (each checked against the SDK's
own request params type); every hub request is held to translators/hub.py's `ChatRequest`, and
every answer is read back by the openai SDK with strict validation, as a client reads it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openai.types.responses import Response
from openai.types.responses.response_create_params import ResponseCreateParamsStreaming
from pydantic import TypeAdapter

from tests.translators import responses_inbound_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.responses_client import sdk_answer
from tests.translators.responses_inbound_payloads import (
    CAT_ARGUMENTS,
    CODEX_REQUEST,
    CREATED,
    ENVIRONMENT,
    INSTRUCTIONS,
    LS_ARGUMENTS,
    RESPONSE_ID,
    SDK_REQUEST,
    hub_completion,
)
from translators import hub
from translators.errors import TranslationError
from translators.responses.inbound import (
    DROPPED_FIELDS,
    KNOWN_FIELDS,
    assistant_message,
    client_answer,
    error_body,
    hub_request,
    ignored_fields,
    next_history,
)

STREAMING = TypeAdapter(ResponseCreateParamsStreaming)


def translate(body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    request = hub_request(body, **kwargs)
    assert_conforms(request, hub.ChatRequest)
    return request


def refused(body: dict[str, Any]) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        hub_request(body)
    return caught.value


def answer(completion: dict[str, Any], request: dict[str, Any] = SDK_REQUEST) -> dict[str, Any]:
    """The response object, after the SDK read it strictly as a client does."""
    response = client_answer(completion, model="codex", id=RESPONSE_ID, created=CREATED, request=request)
    Response.model_validate(response)
    sdk_answer(json.dumps(response).encode())
    return response


# --- requests ------------------------------------------------------------------------------------


def test_the_fixtures_are_requests_the_sdk_accepts():
    STREAMING.validate_python(CODEX_REQUEST)
    STREAMING.validate_python({**SDK_REQUEST, "stream": True})


def test_codex_request_becomes_system_instructions_messages_and_one_assistant_turn_with_both_calls():
    body = copy.deepcopy(CODEX_REQUEST)
    request = translate(body)
    assert body == CODEX_REQUEST, "the client's body is left as it was"
    calls = [
        {"id": "call_Q1", "type": "function", "function": {"name": "shell", "arguments": LS_ARGUMENTS}},
        {"id": "call_Q2", "type": "function", "function": {"name": "shell", "arguments": CAT_ARGUMENTS}},
    ]
    assert request["messages"] == [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "developer", "content": [{"type": "text", "text": "<permissions instructions>"}]},
        {"role": "user", "content": [{"type": "text", "text": ENVIRONMENT}]},
        {"role": "user", "content": [{"type": "text", "text": "List the files, then read the README."}]},
        {
            "role": "assistant",
            "content": "Let me look around.",
            "reasoning_content": "**Listing files**\n\nI'll run ls, then cat the README.",
            "tool_calls": calls,
        },
        {"role": "tool", "tool_call_id": "call_Q1", "content": "total 8\n-rw-r--r-- 1 dev dev 42 README.md"},
        {"role": "tool", "tool_call_id": "call_Q2", "content": "# Project\nA demo."},
    ]
    shell = payloads.SHELL_TOOL
    assert request["tools"][0] == {
        "type": "function",
        "function": {
            "name": "shell",
            "description": shell["description"],
            "parameters": shell["parameters"],
            "strict": False,
        },
    }
    assert {key: value for key, value in request.items() if key not in ("messages", "tools")} == {
        "model": "gpt-5-codex",
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning_effort": "medium",
        "verbosity": "medium",
        "prompt_cache_key": "0199a3c2-7f0e-7a51-9d0b-0c8f6f2b9e11",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_sdk_request_maps_sampling_limits_format_image_and_user_ids():
    request = translate(SDK_REQUEST)
    assert request["messages"] == [
        {"role": "system", "content": "Answer in one sentence."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
            ],
        },
    ]
    schema = SDK_REQUEST["text"]["format"]["schema"]
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "caption", "schema": schema, "strict": True},
    }
    assert (request["max_completion_tokens"], request["temperature"], request["top_p"]) == (256, 0.2, 0.9)
    assert (request["user"], request["safety_identifier"]) == ("user-1234", "sid-1234")
    assert "metadata" not in request and "store" not in request and "stream" not in request


def test_string_input_is_one_user_message():
    assert translate({"model": "m", "input": "Hi"})["messages"] == [{"role": "user", "content": "Hi"}]


def test_history_goes_between_the_instructions_and_the_input():
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    request = translate({"model": "m", "instructions": "Be brief.", "input": "And now?"}, history=history)
    assert request["messages"] == [
        {"role": "system", "content": "Be brief."},
        *history,
        {"role": "user", "content": "And now?"},
    ]


def test_easy_input_messages_without_type_keep_their_roles_and_string_content():
    body = {
        "model": "m",
        "input": [
            {"role": "system", "content": "S"},
            {"role": "assistant", "content": "A"},
            {"role": "user", "content": "U"},
        ],
    }
    assert translate(body)["messages"] == [
        {"role": "system", "content": "S"},
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "U"},
    ]


def test_text_after_calls_starts_a_new_assistant_message_and_refusals_are_kept():
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""}
    said = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}
    refusal = {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]}
    request = translate({"model": "m", "input": [{"role": "user", "content": "Go"}, call, said, refusal]})
    assert request["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "assistant", "content": "Done."},
        {"role": "assistant", "content": None, "refusal": "I can't."},
    ]


def test_a_reasoning_item_alone_is_dropped_and_one_without_a_summary_adds_nothing():
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"}
    said = {"role": "assistant", "content": "Hi"}
    request = translate(
        {
            "model": "m",
            "input": [
                {"role": "user", "content": "Q"},
                reasoning,
                said,
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "late"}]},
                {"role": "user", "content": "Q2"},
            ],
        }
    )
    assert request["messages"] == [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "Hi", "reasoning_content": "late"},
        {"role": "user", "content": "Q2"},
    ]


def test_files_audio_and_tool_output_parts_become_hub_parts():
    pdf = "data:application/pdf;base64,JVBERi0xLjQK"
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": [
                {"type": "input_file", "file_data": pdf, "filename": "a.pdf"},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            ]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "ok"}]},
        ],
    }  # fmt: skip
    messages = translate(body)["messages"]
    assert messages[0]["content"] == [
        {"type": "file", "file": {"file_data": pdf, "filename": "a.pdf"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]}


@pytest.mark.parametrize(
    ("part", "param"),
    [
        ({"type": "input_image", "file_id": "file-abc", "detail": "auto"}, "input[0].content[0].file_id"),
        ({"type": "input_image", "image_url": "ftp://x", "detail": "auto"}, "input[0].content[0].image_url"),
        ({"type": "input_image", "image_url": "https://x", "detail": "huge"}, "input[0].content[0].detail"),
        ({"type": "input_file", "file_id": "file-abc"}, "input[0].content[0].file_id"),
        ({"type": "input_file", "file_url": "https://x/a.pdf"}, "input[0].content[0].file_url"),
        ({"type": "output_text", "text": "not a user's"}, "input[0].content[0].type"),
    ],
)
def test_user_parts_that_cannot_be_sent_are_refused_naming_their_path(part, param):
    assert refused({"model": "m", "input": [{"role": "user", "content": [part]}]}).param == param


@pytest.mark.parametrize(
    "kind", ["custom_tool_call", "local_shell_call", "item_reference", "web_search_call", "compaction"]
)
def test_unknown_item_types_are_refused_naming_the_type(kind):
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": "x"},
            {"role": "user", "content": "y"},
            {"type": kind, "id": "x"},
        ],
    }
    error = refused(body)
    assert error.param == "input[3].type" and kind in error.message


@pytest.mark.parametrize(
    ("item", "param"),
    [
        ({"type": "function_call", "name": "f", "arguments": "{}"}, "input[0].call_id"),
        ({"type": "function_call", "call_id": "c", "name": "f", "arguments": "{oops"}, "input[0].arguments"),
        ({"type": "function_call_output", "output": "x"}, "input[0].call_id"),
        ({"type": "message", "role": "tool", "content": "x"}, "input[0].role"),
        ({"type": "message", "role": "user", "content": 7}, "input[0].content"),
    ],
)
def test_malformed_items_are_refused_naming_the_field(item, param):
    assert refused({"model": "m", "input": [item]}).param == param


@pytest.mark.parametrize(
    ("tool", "kind"),
    [
        ({"type": "web_search"}, "web_search"),
        ({"type": "custom", "name": "apply_patch"}, "custom"),
        ({"type": "local_shell"}, "local_shell"),
    ],
)
def test_tools_other_than_functions_are_left_out_and_named(tool, kind):
    body = {"model": "m", "input": "x", "tools": [payloads.SHELL_TOOL, tool]}
    assert [t["function"]["name"] for t in hub_request(body)["tools"]] == ["shell"]
    assert ignored_fields(body) == (f"tools[1] ({kind})",)


def test_a_namespace_and_web_search_beside_functions_leave_the_functions():
    namespace = {"type": "namespace", "name": "agents", "tools": [payloads.SHELL_TOOL]}
    body = {"model": "m", "input": "x", "tools": [namespace, {"type": "web_search"}, payloads.SHELL_TOOL]}
    assert [t["function"]["name"] for t in hub_request(body)["tools"]] == ["shell"]


def test_a_tool_without_a_type_is_refused():
    assert refused({"model": "m", "input": "x", "tools": [{"name": "x"}]}).param == "tools[0].type"


def test_function_tool_fields_that_ask_for_more_are_refused():
    error = refused({"model": "m", "input": "x", "tools": [{**payloads.SHELL_TOOL, "defer_loading": True}]})
    assert error.param == "tools[0].defer_loading"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("required", "required"),
        ({"type": "function", "name": "shell"}, {"type": "function", "function": {"name": "shell"}}),
        (
            {"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": "shell"}]},
            {
                "type": "allowed_tools",
                "allowed_tools": {"mode": "auto", "tools": [{"type": "function", "function": {"name": "shell"}}]},
            },
        ),
    ],
)
def test_tool_choice_becomes_the_hub_spelling(choice, expected):
    assert translate({"model": "m", "input": "x", "tool_choice": choice})["tool_choice"] == expected


def test_hosted_tool_choices_are_refused():
    assert refused({"model": "m", "input": "x", "tool_choice": {"type": "web_search_preview"}}).param == "tool_choice"


@pytest.mark.parametrize(
    ("form", "expected"), [({"type": "json_object"}, {"type": "json_object"}), ({"type": "text"}, {"type": "text"})]
)
def test_text_formats_become_response_formats(form, expected):
    assert translate({"model": "m", "input": "x", "text": {"format": form}})["response_format"] == expected


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"reasoning": {"effort": "max"}}, "reasoning.effort"),
        ({"reasoning": {"summary": "long"}}, "reasoning.summary"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"temperature": "hot"}, "temperature"),
        ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
        ({"text": {"format": {"type": "json_schema", "name": "x"}}}, "text.format.schema"),
        ({"text": {"verbosity": "loud"}}, "text.verbosity"),
        ({"background": True}, "background"),
        ({"conversation": "conv_123"}, "conversation"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
        ({"include": "reasoning.encrypted_content"}, "include"),
        ({"top_logprobs": 21}, "top_logprobs"),
        ({"model": 7}, "model"),
        ({"input": []}, "input"),
        ({"input": {"role": "user"}}, "input"),
    ],
)
def test_requests_the_hub_cannot_express_are_refused_naming_the_field(body, param):
    assert refused({"model": "m", "input": "x", **body}).param == param


def test_logprobs_are_asked_for_through_include_and_top_logprobs():
    body = {"model": "m", "input": "x", "include": ["message.output_text.logprobs"], "top_logprobs": 3}
    request = translate(body)
    assert (request["logprobs"], request["top_logprobs"]) == (True, 3)
    assert "logprobs" not in translate({"model": "m", "input": "x", "top_logprobs": 3})


def test_dropped_fields_are_known_and_unknown_ones_are_named():
    body = {
        "model": "m",
        "input": "x",
        "store": False,
        "truncation": "auto",
        "service_tier": "flex",
        "frobnicate": 1,
        "previous_response_id": "resp_1",
        "max_tool_calls": 3,
    }
    assert ignored_fields(body) == ("frobnicate",)
    assert set(DROPPED_FIELDS) <= KNOWN_FIELDS
    assert translate(body)["service_tier"] == "flex"
    assert ignored_fields([1]) == ()


def test_next_history_leaves_out_the_instructions_and_ends_with_the_answer():
    request = translate({"model": "m", "instructions": "Be brief.", "input": "Hi"})
    said = {"role": "assistant", "content": "Hello"}
    assert next_history({"instructions": "Be brief."}, request, said) == [{"role": "user", "content": "Hi"}, said]
    request = translate({"model": "m", "input": "Hi"})
    assert next_history({}, request, said) == [{"role": "user", "content": "Hi"}, said]


def test_error_body_is_openais_envelope():
    assert error_body(400, "invalid_request_error", "bad", None, "input[0].type") == {
        "error": {"message": "bad", "type": "invalid_request_error", "param": "input[0].type", "code": None}
    }


# --- whole answers -------------------------------------------------------------------------------


def test_text_answer_is_a_completed_response_with_one_message_and_usage():
    response = answer(payloads.TEXT_COMPLETION)
    assert response["output"] == [
        {
            "id": "msg_gw0c0ffee_0",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "The README describes a demo project.",
                    "annotations": [],
                    "logprobs": [],
                }
            ],
        }
    ]
    assert (response["status"], response["model"], response["created_at"], response["id"]) == (
        "completed",
        "codex",
        CREATED,
        RESPONSE_ID,
    )
    assert response["usage"] == {
        "input_tokens": 1200,
        "input_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 0},
        "output_tokens": 340,
        "output_tokens_details": {"reasoning_tokens": 128},
        "total_tokens": 1540,
    }
    sdk = Response.model_validate(response)
    assert sdk.output_text == "The README describes a demo project."


def test_answer_echoes_the_request_fields_the_sdk_reads():
    response = answer(payloads.TEXT_COMPLETION)
    assert response["instructions"] == "Answer in one sentence."
    assert (response["max_output_tokens"], response["temperature"], response["top_p"]) == (256, 0.2, 0.9)
    assert response["text"]["format"]["name"] == "caption" and response["metadata"] == {"team": "vision"}
    assert (response["store"], response["user"], response["tool_choice"], response["tools"]) == (
        True,
        "user-1234",
        "auto",
        [],
    )
    codex = answer(payloads.TEXT_COMPLETION, CODEX_REQUEST)
    assert [tool["name"] for tool in codex["tools"]] == ["shell", "update_plan"]
    assert (codex["parallel_tool_calls"], codex["store"], codex["reasoning"]) == (
        False,
        False,
        {"effort": "medium", "summary": "auto"},
    )


def test_tool_answer_gives_reasoning_message_and_function_call_items_in_order():
    response = answer(payloads.TOOL_COMPLETION, CODEX_REQUEST)
    reasoning, message, call = response["output"]
    assert reasoning == {
        "id": "rs_gw0c0ffee_0",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "I should list the files first."}],
    }
    assert message["id"] == "msg_gw0c0ffee_1" and message["content"][0]["text"] == "Listing files."
    assert call == {
        "id": "fc_gw0c0ffee_2",
        "type": "function_call",
        "status": "completed",
        "call_id": "call_X1",
        "name": "shell",
        "arguments": '{"command":["ls"]}',
    }
    assert response["status"] == "completed"


@pytest.mark.parametrize(("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")])
def test_an_answer_cut_short_is_incomplete_with_the_reason_and_its_last_item_incomplete(finish, reason):
    response = answer(hub_completion({"content": "Partial"}, finish))
    assert (response["status"], response["incomplete_details"]) == ("incomplete", {"reason": reason})
    assert response["output"][0]["status"] == "incomplete"


def test_refusal_and_logprobs_are_parts_of_the_message():
    completion = hub_completion({"content": "Hi", "refusal": "but no"})
    entry = {
        "token": "Hi",
        "logprob": -0.1,
        "bytes": None,
        "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}],
    }
    completion["choices"][0]["logprobs"] = {"content": [entry], "refusal": None}
    text, refusal = answer(completion)["output"][0]["content"]
    assert text["logprobs"] == [
        {
            "token": "Hi",
            "logprob": -0.1,
            "bytes": [],
            "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}],
        }
    ]
    assert refusal == {"type": "refusal", "refusal": "but no"}


def test_an_answer_without_usage_or_content_is_still_a_valid_response():
    response = answer(hub_completion({"content": None}, usage=None))
    assert (response["output"], response["usage"]) == ([], None)


def test_an_answer_without_a_message_or_with_a_nameless_call_is_a_translation_error():
    with pytest.raises(TranslationError):
        client_answer({"choices": []}, model="m", id=RESPONSE_ID, created=CREATED, request={})
    nameless = hub_completion(
        {"content": None, "tool_calls": [{"id": "c", "type": "function", "function": {}}]}, "tool_calls"
    )
    with pytest.raises(TranslationError):
        client_answer(nameless, model="m", id=RESPONSE_ID, created=CREATED, request={})


def test_request_values_of_the_wrong_type_are_echoed_as_the_apis_defaults():
    request = {
        "tools": "x",
        "tool_choice": {"type": "mcp"},
        "text": 5,
        "metadata": {"a": 1},
        "temperature": True,
        "max_output_tokens": 2**70,
    }
    response = answer(payloads.TEXT_COMPLETION, request)
    assert (response["tools"], response["tool_choice"], response["text"], response["metadata"]) == (
        [],
        "auto",
        {"format": {"type": "text"}},
        {},
    )
    assert (response["temperature"], response["max_output_tokens"]) == (None, None)


def test_assistant_message_keeps_what_a_later_turn_replays():
    blocks = [{"type": "thinking", "thinking": "Hmm.", "signature": "sig"}]
    call = {**payloads.SHELL_CALL, "extra_content": {"google": {"thought_signature": "ts"}}}
    completion = hub_completion(
        {"content": "Ok", "reasoning_content": "Hmm.", "thinking_blocks": blocks, "tool_calls": [call]}, "tool_calls"
    )
    assert assistant_message(completion) == {
        "role": "assistant",
        "content": "Ok",
        "tool_calls": [call],
        "reasoning_content": "Hmm.",
        "thinking_blocks": blocks,
    }
    assert_conforms(assistant_message(completion), hub.AssistantMessage)


def test_a_request_without_input_continues_its_history_and_without_either_is_refused():
    history = [{"role": "user", "content": "Hi"}]
    assert translate({"model": "m"}, history=history)["messages"] == history
    assert refused({"model": "m", "instructions": "Be brief."}).param == "input"
