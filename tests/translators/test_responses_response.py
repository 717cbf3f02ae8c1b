"""OpenAI Responses `response` objects -> chat.completion (platform.openai.com/docs/api-reference/responses/object).

Each payload is first validated with the official SDK's `Response` model (the documented shape),
and each result with its `ChatCompletion` model (what clients parse).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from tests.translators.hub_check import assert_conforms
from tests.translators.responses_payloads import response_object, usage_fields
from translators import hub
from translators.errors import TranslationError
from translators.responses import parse_response

CREATED = 1_741_476_777
RESPONSE_ID = "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41"


def response(output: list[dict[str, Any]], status: str = "completed", **fields: Any) -> dict[str, Any]:
    fields.setdefault("usage", usage_fields())
    payload = response_object(
        id=RESPONSE_ID, created_at=1741476777, model="gpt-4o-2024-08-06", status=status, output=output, **fields
    )
    Response.model_validate(payload)  # the fixture has the documented shape
    return payload


def message_item(
    *parts: dict[str, Any], item_id: str = "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41"
) -> dict[str, Any]:
    return {"type": "message", "id": item_id, "status": "completed", "role": "assistant", "content": list(parts)}


def text(value: str, **fields: Any) -> dict[str, Any]:
    return {"type": "output_text", "text": value, "annotations": [], **fields}


def function_call(call_id: str, name: str, arguments: str, item_id: str) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name,
            "arguments": arguments, "status": "completed"}  # fmt: skip


def parse(payload: dict[str, Any]) -> dict[str, Any]:
    completion = parse_response(payload, model="gpt-4o", created=CREATED, id="chatcmpl-fallback")
    ChatCompletion.model_validate(completion)  # the official SDK must accept every answer
    assert_conforms(completion, hub.ChatCompletion)  # and it is what the hub contract says
    return completion


def test_text_response_becomes_a_completion_with_the_clients_model_and_the_response_id():
    story = "In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool."
    completion = parse(response([message_item(text(story))]))
    assert completion == {
        "id": RESPONSE_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": story, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 36,
            "completion_tokens": 87,
            "total_tokens": 123,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def test_output_text_parts_and_message_items_are_joined_in_order():
    payload = response([message_item(text("Hello, "), text("café")), message_item(text("!"), item_id="msg_2")])
    assert parse(payload)["choices"][0]["message"]["content"] == "Hello, café!"


def test_function_calls_become_tool_calls_with_the_call_id_and_finish_tool_calls():
    payload = response([
        message_item(text("Let me check both cities.")),
        function_call("call_12345xyz", "get_weather", '{"location":"Paris, France"}', "fc_67ca09c6bedc8190a7abfec07b1a1332"),
        function_call("call_67890abc", "get_weather", '{"location":"Bogotá, Colombia"}', "fc_67ca09c6bedc8190a7abfec07b1a1333"),
    ])  # fmt: skip
    choice = parse(payload)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check both cities."
    assert choice["message"]["tool_calls"] == [
        {"id": "call_12345xyz", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"location":"Paris, France"}'}},
        {"id": "call_67890abc", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"location":"Bogotá, Colombia"}'}},
    ]  # fmt: skip
    assert json.loads(choice["message"]["tool_calls"][1]["function"]["arguments"]) == {"location": "Bogotá, Colombia"}


def test_a_call_without_arguments_still_gives_parsable_arguments():
    payload = response([function_call("call_1", "get_time", "", "fc_1")])
    choice = parse(payload)["choices"][0]
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"][0]["function"]["arguments"] == "{}"


def test_reasoning_summaries_become_reasoning_content_and_reasoning_tokens_are_counted():
    payload = response(
        [
            {"type": "reasoning", "id": "rs_6876cf02e0bc8192b74af0fb64b715ff06fa2fcced15a5ac",
             "summary": [{"type": "summary_text", "text": "**Computing the GCD**\n\nUsing Euclid's algorithm."},
                         {"type": "summary_text", "text": "**Checking**\n\n21 divides both."}]},
            message_item(text("The GCD of 1071 and 462 is 21.")),
        ],
        usage=usage_fields(input_tokens=2048, output_tokens=640, cached=1920, reasoning=576),
    )  # fmt: skip
    completion = parse(payload)
    message = completion["choices"][0]["message"]
    assert message["reasoning_content"] == (
        "**Computing the GCD**\n\nUsing Euclid's algorithm.\n\n**Checking**\n\n21 divides both."
    )
    assert message["content"] == "The GCD of 1071 and 462 is 21."
    assert completion["usage"] == {
        "prompt_tokens": 2048,
        "completion_tokens": 640,
        "total_tokens": 2688,
        "prompt_tokens_details": {"cached_tokens": 1920},
        "completion_tokens_details": {"reasoning_tokens": 576},
    }


def test_raw_reasoning_text_of_open_models_is_reasoning_content_too():
    payload = response([
        {"type": "reasoning", "id": "rs_1", "summary": [],
         "content": [{"type": "reasoning_text", "text": "User asks for 2+2. Answer 4."}]},
        message_item(text("4")),
    ])  # fmt: skip
    assert parse(payload)["choices"][0]["message"]["reasoning_content"] == "User asks for 2+2. Answer 4."


def test_encrypted_reasoning_without_summary_adds_no_reasoning_content():
    payload = response([
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAABoISQ24OyVRYbkYfukn"},
        message_item(text("4")),
    ])  # fmt: skip
    assert "reasoning_content" not in parse(payload)["choices"][0]["message"]


@pytest.mark.parametrize(
    ("reason", "finish"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter"), ("max_messages", "length")],
)
def test_incomplete_responses_finish_by_their_reason(reason, finish):
    payload = response([message_item(text("Once upon a"))], status="incomplete",
                       incomplete_details={"reason": reason})  # fmt: skip
    choice = parse(payload)["choices"][0]
    assert (choice["finish_reason"], choice["message"]["content"]) == (finish, "Once upon a")


def test_a_call_cut_off_by_the_token_limit_finishes_with_length():
    payload = response([function_call("call_1", "get_weather", '{"loc', "fc_1")], status="incomplete",
                       incomplete_details={"reason": "max_output_tokens"})  # fmt: skip
    assert parse(payload)["choices"][0]["finish_reason"] == "length"


def test_refusal_parts_become_the_message_refusal():
    payload = response([message_item({"type": "refusal", "refusal": "I'm sorry, I cannot assist with that request."})])
    message = parse(payload)["choices"][0]["message"]
    assert message == {"role": "assistant", "content": None, "refusal": "I'm sorry, I cannot assist with that request."}


def test_output_text_logprobs_become_choice_logprobs():
    logprobs = [
        {"token": "Hi", "bytes": [72, 105], "logprob": -0.0012,
         "top_logprobs": [{"token": "Hi", "bytes": [72, 105], "logprob": -0.0012},
                          {"token": "Hello", "bytes": [72, 101, 108, 108, 111], "logprob": -6.75}]},
        {"token": "!", "bytes": [33], "logprob": -0.02, "top_logprobs": []},
    ]  # fmt: skip
    completion = parse(response([message_item(text("Hi!", logprobs=logprobs))]))
    assert completion["choices"][0]["logprobs"] == {"content": logprobs, "refusal": None}


def test_empty_logprobs_lists_leave_choice_logprobs_null():
    assert parse(response([message_item(text("Hi", logprobs=[]))]))["choices"][0]["logprobs"] is None


def test_output_items_of_built_in_tools_are_skipped():
    payload = response([
        {"type": "web_search_call", "id": "ws_67c9fa0502748190b7dd390736892e100be649c1a5ff9609",
         "status": "completed", "action": {"type": "search", "query": "positive news today"}},
        message_item(text("Here is some good news.")),
    ])  # fmt: skip
    choice = parse(payload)["choices"][0]
    assert (choice["message"]["content"], choice["finish_reason"]) == ("Here is some good news.", "stop")


def test_response_without_usage_has_no_usage_and_without_id_uses_the_given_one():
    payload = response([message_item(text("ok"))], usage=None)
    del payload["id"]
    completion = parse_response(payload, model="gpt-4o", created=CREATED, id="chatcmpl-fallback")
    assert "usage" not in completion
    assert completion["id"] == "chatcmpl-fallback"


def test_a_failed_response_is_refused_with_the_upstreams_message():
    payload = response([], status="failed",
                       error={"code": "server_error", "message": "The model failed to generate a response."})  # fmt: skip
    with pytest.raises(TranslationError) as caught:
        parse_response(payload, model="gpt-4o", created=CREATED, id="x")
    assert "The model failed to generate a response." in caught.value.message


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "chat.completion", "choices": []},
        {"object": "response", "status": "completed"},
        {"object": "response", "status": "in_progress", "output": []},
        {"object": "response", "status": "completed", "output": [{"id": "x"}]},
        {"object": "response", "status": "completed", "output": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
    ],
    ids=["not-a-response", "no-output", "still-in-progress", "item-without-type", "call-without-call-id"],
)  # fmt: skip
def test_payloads_that_break_the_documented_format_raise_translation_error(payload):
    with pytest.raises(TranslationError):
        parse_response(payload, model="gpt-4o", created=CREATED, id="x")
