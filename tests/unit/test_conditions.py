"""`when:` conditions over request facts, and the advanced-json merge."""

from __future__ import annotations

from gateway.config.entries import When
from gateway.routing.conditions import RequestFacts, has_image, merge_advanced

OPENAI_IMAGE = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]}
ANTHROPIC_IMAGE = {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64"}}]}]}
RESPONSES_IMAGE = {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x"}]}]}
GEMINI_IMAGE = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]}


def facts(body, **options) -> RequestFacts:
    values = {"stream": False, "key_name": "team-a", "dialect": "openai", "size": 100}
    values.update(options)
    return RequestFacts(body, **values)


def test_images_are_found_in_every_dialect_and_not_in_text():
    for body in (OPENAI_IMAGE, ANTHROPIC_IMAGE, RESPONSES_IMAGE, GEMINI_IMAGE):
        assert has_image(body), body
    assert not has_image({"messages": [{"role": "user", "content": "an image_url, in words"}]})
    deep: dict = {}
    node = deep
    for _ in range(500):
        node["x"] = {}
        node = node["x"]
    assert not has_image(deep)  # bounded, no recursion error


def test_every_condition_given_must_hold():
    when = When(
        stream=True, tools=False, client_keys=("team-a",), dialects=("openai", "anthropic"), max_request_bytes=500
    )
    assert facts({}, stream=True).meets(when)
    assert not facts({}, stream=False).meets(when)
    assert not facts({"tools": [{"type": "function"}]}, stream=True).meets(when)
    assert not facts({}, stream=True, key_name="team-b").meets(when)
    assert not facts({}, stream=True, dialect="gemini").meets(when)
    assert not facts({}, stream=True, size=501).meets(when)
    assert facts(OPENAI_IMAGE).meets(When(images=True, min_request_bytes=50))
    assert not facts({}).meets(When(images=True))
    assert facts({}).meets(When())


def test_advanced_json_merges_objects_key_by_key_and_replaces_the_rest():
    base = {"a": 1, "nested": {"x": 1, "y": {"deep": 1}}, "list": [1]}
    over = {"a": 2, "nested": {"y": {"other": 2}}, "list": [2]}
    assert merge_advanced(base, over) == {"a": 2, "nested": {"x": 1, "y": {"deep": 1, "other": 2}}, "list": [2]}
    assert base["nested"] == {"x": 1, "y": {"deep": 1}}  # inputs untouched
