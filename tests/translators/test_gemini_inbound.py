"""Gemini client requests -> hub (translators/gemini/inbound_request.py, inbound_contents.py), and
the embeddings, token-count and model-list translators (inbound_extras.py)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import types

from tests.translators import gemini_inbound_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.test_gemini_stream import SIGNATURE
from translators import hub
from translators.errors import TranslationError
from translators.gemini import build_request, inbound
from translators.gemini.contents import SKIP_SIGNATURE

MODEL = payloads.MODEL


def translate(body: dict[str, Any], *, stream: bool = False) -> dict[str, Any]:
    request = inbound.hub_request(body, model=MODEL, stream=stream)
    assert_conforms(request, hub.ChatRequest)
    return request


def refused(body: Any) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        inbound.hub_request(body, model=MODEL, stream=False)
    return caught.value


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts)}


def model(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


def hello(**fields: Any) -> dict[str, Any]:
    return {"contents": [user({"text": "Hello"})], **fields}


# --- contents -----------------------------------------------------------------------------------


def test_tool_conversation_keeps_system_thoughts_image_calls_signature_and_answers():
    request = translate(payloads.TOOL_CONVERSATION)
    system, question, step, weather, time, said, follow_up = request["messages"]
    assert system == {"role": "system", "content": "You are a travel assistant."}
    assert question["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{payloads.PNG_1PX}"},
    }
    assert step["content"] == "This is Paris. Let me check."
    assert step["reasoning_content"] == "**Locating the photo**\n\nThe skyline is Paris."
    first, second = step["tool_calls"]
    assert first == {
        "id": "call_1_2",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        "extra_content": {"google": {"thought_signature": SIGNATURE}},
    }
    assert second["id"] == "call_1_3" and "extra_content" not in second
    assert weather == {"role": "tool", "tool_call_id": "call_1_2", "content": '{"temp":18,"unit":"c"}'}
    assert time == {"role": "tool", "tool_call_id": "call_1_3", "content": '{"time":"14:05"}'}
    assert said == {"role": "assistant", "content": "It is 18 C and 14:05 in Paris."}
    assert follow_up == {"role": "user", "content": "And tomorrow?"}


def test_a_replayed_call_reaches_a_gemini_upstream_with_its_own_signature_and_the_second_unsigned():
    request = translate(payloads.TOOL_CONVERSATION)
    upstream = build_request(request, upstream_model="gemini-3-pro-preview")
    calls = [part for part in upstream["contents"][1]["parts"] if "functionCall" in part]
    assert calls[0]["thoughtSignature"] == SIGNATURE and "thoughtSignature" not in calls[1]
    assert calls[0]["thoughtSignature"] != SKIP_SIGNATURE
    responses = [part["functionResponse"] for part in upstream["contents"][2]["parts"]]
    assert responses == [
        {"name": "get_weather", "response": {"temp": 18, "unit": "c"}},
        {"name": "get_time", "response": {"time": "14:05"}},
    ]


def test_function_responses_match_calls_by_id_first_then_by_name_in_order():
    body = {
        "contents": [
            user({"text": "Weather in Oslo and Rome?"}),
            model(
                {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                {"functionCall": {"id": "rome", "name": "get_weather", "args": {"city": "Rome"}}},
            ),
            user(
                {"functionResponse": {"id": "rome", "name": "get_weather", "response": {"temp": 25}}},
                {"functionResponse": {"name": "get_weather", "response": {"temp": -3}}},
            ),
        ]
    }
    tool_messages = translate(body)["messages"][2:]
    assert [(m["tool_call_id"], m["content"]) for m in tool_messages] == [
        ("rome", '{"temp":25}'),
        ("call_1_0", '{"temp":-3}'),
    ]


def test_a_function_response_to_no_earlier_call_is_refused_naming_it():
    error = refused({"contents": [user({"functionResponse": {"name": "get_weather", "response": {}}})]})
    assert error.param == "contents[0].parts[0].functionResponse"
    assert "get_weather" in error.message


def test_tool_answers_come_before_the_text_of_their_turn_and_consecutive_model_turns_merge():
    body = {
        "contents": [
            user({"text": "Go"}),
            model({"text": "Looking."}),
            model({"functionCall": {"name": "look", "args": {}}}),
            user({"text": "(done)"}, {"functionResponse": {"name": "look", "response": {"ok": True}}}),
        ]
    }
    messages = translate(body)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "user"]
    assert messages[1]["content"] == "Looking." and messages[1]["tool_calls"][0]["id"] == "call_2_0"
    assert messages[3]["content"] == "(done)"


def test_snake_case_fields_read_as_their_camel_case_names():
    request = translate(payloads.SNAKE_CASE_REQUEST)
    document = request["messages"][1]["content"]
    assert document[1] == {
        "type": "file",
        "file": {"file_data": f"data:application/pdf;base64,{payloads.PDF}", "filename": "document.pdf"},
    }
    assert document[2] == {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
    assert request["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert request["reasoning_effort"] == "low"
    assert request["response_format"]["json_schema"]["schema"] == {
        "type": "object",
        "properties": {"summary": {"type": "string"}, "pages": {"type": "integer", "minimum": 1}},
    }
    assert inbound.ignored_fields(payloads.SNAKE_CASE_REQUEST) == ()


def test_calls_keep_the_clients_ids_and_audio_becomes_input_audio():
    messages = translate(payloads.ID_REQUEST)["messages"]
    assert messages[0]["content"] == [{"type": "input_audio", "input_audio": {"data": "SUQzBA==", "format": "mp3"}}]
    assert messages[1]["tool_calls"][0]["id"] == messages[2]["tool_call_id"] == "fc-1"
    assert messages[1]["content"] is None


@pytest.mark.parametrize(
    ("part", "param"),
    [
        ({"inlineData": {"mimeType": "video/mp4", "data": "AAAA"}}, "contents[0].parts[0].inlineData"),
        ({"fileData": {"mimeType": "application/pdf", "fileUri": "https://x/y.pdf"}}, "contents[0].parts[0].fileData"),
        (
            {"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.png"}},
            "contents[0].parts[0].fileData.fileUri",
        ),
        ({"executableCode": {"language": "PYTHON", "code": "1"}}, "contents[0].parts[0].executableCode"),
        ({"functionCall": {"name": "f", "args": {}}}, "contents[0].parts[0].functionCall"),
        ({"text": "a", "inlineData": {"mimeType": "image/png", "data": ""}}, "contents[0].parts[0]"),
        ({}, "contents[0].parts[0]"),
        ({"text": "I was thinking", "thought": True}, "contents[0].parts[0].thought"),
    ],
)
def test_user_parts_without_a_hub_form_are_refused_naming_the_part(part, param):
    assert refused({"contents": [user(part)]}).param == param


def test_roles_other_than_user_and_model_and_empty_turns_are_refused():
    assert refused({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}).param == "contents[0].role"
    assert refused({"contents": [user()]}).param == "contents[0].parts"
    assert refused({"contents": []}).param == "contents"
    assert refused({"contents": [user({"text": "x"})], "systemInstruction": {"parts": [{"inlineData": {}}]}}).param == (
        "systemInstruction.parts[0]"
    )


def test_a_model_part_that_only_carries_a_signature_is_passed_over():
    body = {"contents": [user({"text": "Hi"}), model({"text": "Hello"}, {"thoughtSignature": SIGNATURE})]}
    assert translate(body)["messages"][1] == {"role": "assistant", "content": "Hello"}


# --- tools and configuration ---------------------------------------------------------------------


def test_gemini_schemas_become_json_schema_and_json_schemas_pass_as_they_are():
    tools = translate(payloads.TOOL_CONVERSATION)["tools"]
    assert tools[0]["function"]["parameters"] == payloads.WEATHER_DECLARATION["parametersJsonSchema"]
    assert tools[1]["function"]["parameters"] == {
        "type": "object",
        "properties": {"tz": {"type": ["string", "null"], "examples": ["Europe/Paris"]}},
        "required": ["tz"],
    }


def test_nested_schemas_lower_their_types_in_items_any_of_and_string_int64_limits_become_numbers():
    schema = {
        "type": "ARRAY",
        "maxItems": "3",
        "items": {"anyOf": [{"type": "STRING"}, {"type": "OBJECT", "properties": {"n": {"type": "NUMBER"}}}]},
    }
    function = {"name": "f", "parameters": schema}
    parameters = translate(hello(tools=[{"functionDeclarations": [function]}]))["tools"][0]["function"]["parameters"]
    assert parameters == {
        "type": "array",
        "maxItems": 3,
        "items": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"n": {"type": "number"}}}]},
    }


@pytest.mark.parametrize("tool", ["googleSearch", "codeExecution", "urlContext", "google_search_retrieval"])
def test_built_in_tools_are_refused_naming_them(tool):
    error = refused(hello(tools=[{"functionDeclarations": [], tool: {}}]))
    assert error.param == f"tools[0].{tool}" and tool in error.message


@pytest.mark.parametrize(
    ("config", "choice"),
    [
        ({"mode": "AUTO"}, "auto"),
        ({"mode": "ANY"}, "required"),
        ({"mode": "NONE"}, "none"),
        ({"mode": "ANY", "allowedFunctionNames": ["get_weather"]}, {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"mode": "ANY", "allowedFunctionNames": ["get_weather", "get_time"]},
            {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
                {"type": "function", "function": {"name": "get_weather"}},
                {"type": "function", "function": {"name": "get_time"}}]}},
        ),
        (
            {"allowedFunctionNames": ["get_time"]},
            {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [
                {"type": "function", "function": {"name": "get_time"}}]}},
        ),
    ],
)  # fmt: skip
def test_function_calling_modes_and_allowed_names_become_tool_choice(config, choice):
    body = hello(
        tools=[{"functionDeclarations": [payloads.WEATHER_DECLARATION]}], toolConfig={"functionCallingConfig": config}
    )
    assert translate(body)["tool_choice"] == choice


def test_validated_mode_and_names_with_none_are_refused_and_a_tool_config_without_tools_asks_nothing():
    tools = [{"functionDeclarations": [payloads.WEATHER_DECLARATION]}]
    validated = {"functionCallingConfig": {"mode": "VALIDATED"}}
    assert refused(hello(tools=tools, toolConfig=validated)).param == "toolConfig.functionCallingConfig.mode"
    none = {"functionCallingConfig": {"mode": "NONE", "allowedFunctionNames": ["get_weather"]}}
    assert refused(hello(tools=tools, toolConfig=none)).param == "toolConfig.functionCallingConfig.allowedFunctionNames"
    assert "tool_choice" not in translate(hello(toolConfig={"functionCallingConfig": {"mode": "ANY"}}))


def test_generation_config_maps_sampling_limits_stops_and_thinking():
    request = translate(payloads.TOOL_CONVERSATION, stream=True)
    expected = {
        "temperature": 0.4, "top_p": 0.95, "top_k": 40, "seed": 7, "max_completion_tokens": 4096,
        "stop": ["END"], "reasoning_effort": "medium", "stream": True, "stream_options": {"include_usage": True},
    }  # fmt: skip
    assert {key: request[key] for key in expected} == expected
    penalties = translate(hello(generationConfig={"presencePenalty": 0.5, "frequencyPenalty": -0.5}))
    assert (penalties["presence_penalty"], penalties["frequency_penalty"]) == (0.5, -0.5)


@pytest.mark.parametrize(
    ("thinking", "effort"),
    [
        ({"thinkingBudget": 0}, "none"),
        ({"thinkingBudget": 512}, "low"),
        ({"thinkingBudget": 6000}, "medium"),
        ({"thinkingBudget": 32768}, "high"),
        ({"thinkingBudget": -1}, None),
        ({"thinkingLevel": "MINIMAL"}, "minimal"),
        ({"thinkingLevel": "high"}, "high"),
        ({"includeThoughts": True}, None),
    ],
)
def test_thinking_budget_and_level_become_the_nearest_reasoning_effort(thinking, effort):
    request = translate(hello(generationConfig={"thinkingConfig": thinking}))
    assert request.get("reasoning_effort") == effort


@pytest.mark.parametrize(
    ("config", "param"),
    [
        ({"candidateCount": 2}, "generationConfig.candidateCount"),
        ({"responseModalities": ["IMAGE"]}, "generationConfig.responseModalities"),
        ({"responseLogprobs": True}, "generationConfig.responseLogprobs"),
        ({"speechConfig": {"voiceConfig": {}}}, "generationConfig.speechConfig"),
        ({"responseMimeType": "text/x.enum"}, "generationConfig.responseMimeType"),
        ({"responseSchema": {"type": "OBJECT"}}, "generationConfig.responseMimeType"),
        (
            {"thinkingConfig": {"thinkingBudget": 1024, "thinkingLevel": "LOW"}},
            "generationConfig.thinkingConfig.thinkingLevel",
        ),
        ({"thinkingConfig": {"thinkingBudget": -7}}, "generationConfig.thinkingConfig.thinkingBudget"),
        ({"maxOutputTokens": 0}, "generationConfig.maxOutputTokens"),
        ({"temperature": "hot"}, "generationConfig.temperature"),
        ({"topK": 4.5}, "generationConfig.topK"),
        ({"stopSequences": "END"}, "generationConfig.stopSequences"),
    ],
)
def test_generation_settings_the_hub_cannot_carry_are_refused_naming_them(config, param):
    assert refused(hello(generationConfig=config)).param == param


def test_json_output_with_a_json_schema_passes_the_schema_as_it_is():
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": False}
    config = {"responseMimeType": "application/json", "responseJsonSchema": schema}
    assert translate(hello(generationConfig=config))["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }


def test_cached_content_is_refused_and_safety_settings_and_model_are_dropped():
    assert refused(hello(cachedContent="cachedContents/abc")).param == "cachedContent"
    request = translate(
        hello(model="models/gemini-2.5-pro", safetySettings=[{"category": "X", "threshold": "BLOCK_NONE"}])
    )
    assert request["model"] == MODEL and "safetySettings" not in request


def test_ignored_fields_names_unknown_top_level_and_generation_fields():
    body = hello(labels={"team": "a"}, generationConfig={"temperature": 1, "futureKnob": 3, "media_resolution": "LOW"})
    assert inbound.ignored_fields(body) == ("labels", "generationConfig.futureKnob")
    assert inbound.ignored_fields(payloads.TOOL_CONVERSATION) == ()
    assert inbound.ignored_fields(["not", "an", "object"]) == ()


# --- requests as google-genai writes them ------------------------------------------------------


def sdk_client(handler: Any) -> genai.Client:
    transport = httpx.MockTransport(handler)
    options = types.HttpOptions(base_url="http://gateway.test", httpx_client=httpx.Client(transport=transport))
    return genai.Client(api_key="test-key", http_options=options)


def test_requests_the_sdk_writes_translate_to_what_they_ask():
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(400, json=inbound.error_body(400, "stop here"))

    def weather(city: str, unit: str = "c") -> str:
        """Current weather for a city."""
        return "sunny"

    config = types.GenerateContentConfig(
        system_instruction="Be brief.",
        temperature=0.2,
        max_output_tokens=300,
        stop_sequences=["\n\n"],
        thinking_config=types.ThinkingConfig(thinking_budget=1024, include_thoughts=True),
        tools=[weather],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
        response_mime_type="text/plain",
    )
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather?"), types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png")]),
        types.Content(role="model", parts=[types.Part(function_call=types.FunctionCall(name="weather", args={"city": "Rome"}), thought_signature=b"sig")]),
        types.Content(role="user", parts=[types.Part.from_function_response(name="weather", response={"output": "sunny"})]),
    ]  # fmt: skip
    with pytest.raises(genai.errors.ClientError):
        sdk_client(handler).models.generate_content(model=MODEL, contents=contents, config=config)
    request = translate(seen[0])
    assert request["messages"][0] == {"role": "system", "content": "Be brief."}
    assert request["messages"][1]["content"][1]["image_url"]["url"] == "data:image/png;base64,iVBORw=="
    call = request["messages"][2]["tool_calls"][0]
    assert call["extra_content"] == {"google": {"thought_signature": base64.b64encode(b"sig").decode()}}
    assert request["messages"][3] == {"role": "tool", "tool_call_id": call["id"], "content": '{"output":"sunny"}'}
    assert request["tools"][0]["function"]["name"] == "weather"
    assert request["tools"][0]["function"]["parameters"]["properties"]["city"]["type"] == "string"
    assert request["tool_choice"] == "required" and request["reasoning_effort"] == "low"
    assert (request["temperature"], request["max_completion_tokens"], request["stop"]) == (0.2, 300, ["\n\n"])
    assert inbound.ignored_fields(seen[0]) == ()


# --- embeddings, token counts, models ------------------------------------------------------------


def test_embed_content_becomes_one_hub_embeddings_request():
    body = {
        "model": "models/text-embedding-3-small",
        "content": {"parts": [{"text": "What is the meaning of life?"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 256,
    }
    assert inbound.embed_request(body, model="text-embedding-3-small") == {
        "model": "text-embedding-3-small",
        "input": "What is the meaning of life?",
        "encoding_format": "float",
        "dimensions": 256,
    }


def test_batch_embed_contents_becomes_one_request_of_several_inputs():
    requests = [
        {"model": "models/e5", "content": {"parts": [{"text": text}]}, "task_type": "RETRIEVAL_DOCUMENT", "title": "t"}
        for text in ("alpha", "beta")
    ]
    assert inbound.batch_embed_request({"requests": requests}, model="e5") == {
        "model": "e5",
        "input": ["alpha", "beta"],
        "encoding_format": "float",
    }
    with pytest.raises(TranslationError) as caught:
        inbound.batch_embed_request({"requests": [{**requests[0], "model": "models/other"}]}, model="e5")
    assert caught.value.param == "requests[0].model"
    mixed = [{**requests[0], "outputDimensionality": 8}, requests[1]]
    with pytest.raises(TranslationError):
        inbound.batch_embed_request({"requests": mixed}, model="e5")


def test_embedding_of_a_non_text_part_or_an_unknown_field_is_refused():
    with pytest.raises(TranslationError) as caught:
        inbound.embed_request({"content": {"parts": [{"inlineData": {}}]}}, model="e")
    assert caught.value.param == "content.parts[0]"
    with pytest.raises(TranslationError) as caught:
        inbound.embed_request({"content": {"parts": [{"text": "x"}]}, "autoTruncate": True}, model="e")
    assert caught.value.param == "autoTruncate"


def test_embed_answer_gives_gemini_shapes_in_input_order_from_floats_or_base64():
    packed = base64.b64encode(struct.pack("<2f", 0.5, -1.0)).decode()
    answer = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": packed},
            {"object": "embedding", "index": 0, "embedding": [0.1, 2]},
        ],
        "model": "e5",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    assert inbound.embed_answer(answer, batch=True) == {"embeddings": [{"values": [0.1, 2.0]}, {"values": [0.5, -1.0]}]}
    single = {**answer, "data": answer["data"][1:]}
    assert inbound.embed_answer(single, batch=False) == {"embedding": {"values": [0.1, 2.0]}}
    types.EmbedContentResponse.model_validate(inbound.embed_answer(answer, batch=True))
    with pytest.raises(TranslationError):
        inbound.embed_answer(answer, batch=False)


def test_estimate_tokens_counts_text_at_four_characters_and_media_at_258():
    body = {"contents": [user({"text": "a" * 40}, {"inlineData": {"mimeType": "image/png", "data": "x" * 9000}})]}
    assert inbound.estimate_tokens(body) == 10 + 258
    wrapped = {
        "generateContentRequest": {"model": "models/m", **body, "systemInstruction": {"parts": [{"text": "b" * 8}]}}
    }
    assert inbound.estimate_tokens(wrapped) == 12 + 258
    assert inbound.estimate_tokens({}) == 0


def test_models_list_names_every_id_as_google_genai_lists_models():
    listing = inbound.models_list(["gpt-4o", "claude-sonnet-4-5"])
    assert listing["models"][0]["name"] == "models/gpt-4o"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=listing)

    models = list(sdk_client(handler).models.list())
    assert [m.name for m in models] == ["models/gpt-4o", "models/claude-sonnet-4-5"]
    assert "generateContent" in (models[0].supported_actions or [])


def test_model_entry_is_what_google_genai_reads_for_one_model():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=inbound.model_entry(request.url.path.rsplit("/", 1)[1]))

    found = sdk_client(handler).models.get(model="gpt-4o")
    assert (found.name, found.display_name) == ("models/gpt-4o", "gpt-4o")


def test_embeddings_and_token_counts_reach_google_genai_as_it_reads_them():
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith(":countTokens"):
            return httpx.Response(200, json={"totalTokens": inbound.estimate_tokens(body)})
        hub_request = inbound.batch_embed_request(body, model="e5")
        hub_answer = {"data": [{"index": i, "embedding": [float(i)]} for i in range(len(hub_request["input"]))]}
        return httpx.Response(200, json=inbound.embed_answer(hub_answer, batch=True))

    client = sdk_client(handler)
    embedded = client.models.embed_content(model="e5", contents=["one", "two"])
    assert [e.values for e in embedded.embeddings or []] == [[0.0], [1.0]]
    assert client.models.count_tokens(model="e5", contents="twelve chars").total_tokens == 3
