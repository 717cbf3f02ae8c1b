"""OpenAI error answers -> UpstreamErrorInfo (platform.openai.com/docs/guides/error-codes)."""

from __future__ import annotations

import orjson
import pytest

from translators.errors import UpstreamErrorInfo
from translators.responses import parse_error
from translators.responses.errors import parse_duration, stream_error_info


def envelope(message: str, kind: str | None, code: str | None, param: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}})


@pytest.mark.parametrize(
    ("status", "body", "openai_type", "code"),
    [
        (400, envelope("Invalid type for 'input': expected a string.", "invalid_request_error",
                       "invalid_type", "input"), "invalid_request_error", "invalid_type"),
        (401, envelope("Incorrect API key provided: sk-abc***xyz.", "invalid_request_error",
                       "invalid_api_key"), "authentication_error", "invalid_api_key"),
        (403, envelope("You are not allowed to sample from this model", "invalid_request_error", None),
         "permission_error", None),
        (404, envelope("The model `gpt-9` does not exist or you do not have access to it.",
                       "invalid_request_error", "model_not_found"), "not_found_error", "model_not_found"),
        (429, envelope("Rate limit reached for gpt-4.1 in organization org-x on tokens per min (TPM).",
                       "tokens", "rate_limit_exceeded"), "rate_limit_error", "rate_limit_exceeded"),
        (429, envelope("You exceeded your current quota, please check your plan and billing details.",
                       "insufficient_quota", "insufficient_quota"), "rate_limit_error", "insufficient_quota"),
        (500, envelope("The server had an error while processing your request. Sorry about that!",
                       "server_error", None), "server_error", None),
        (503, envelope("The engine is currently overloaded, please try again later.", "server_error", None),
         "server_error", None),
    ],
    ids=["400", "401", "403", "404", "429-tokens", "429-quota", "500", "503"],
)  # fmt: skip
def test_status_decides_the_type_and_the_upstreams_message_and_code_are_kept(status, body, openai_type, code):
    info = parse_error(status, {}, body)
    assert info == UpstreamErrorInfo(
        status=status,
        type=openai_type,
        message=orjson.loads(body)["error"]["message"],
        code=code,
    )


def test_unlisted_statuses_fall_back_by_class():
    assert parse_error(418, {}, envelope("teapot", None, None)).type == "invalid_request_error"
    assert parse_error(529, {}, envelope("busy", None, None)).type == "server_error"


def test_non_json_body_keeps_its_text_as_the_message():
    body = b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    info = parse_error(502, {"content-type": "text/html"}, body)
    assert (info.type, info.message, info.code) == ("server_error", body.decode(), None)


@pytest.mark.parametrize("body", [b"", b"null", b"[1, 2]", b'{"error": null}', b'{"error": {"code": 5}}', b"\xff\xfe"])
def test_empty_or_odd_bodies_still_give_a_sensible_info(body):
    info = parse_error(503, {}, body)
    assert (info.status, info.type) == (503, "server_error")
    assert info.message


def test_a_bare_string_error_is_its_own_message():
    assert parse_error(400, {}, b'{"error": "model is required"}').message == "model is required"


def test_retry_after_ms_wins_over_retry_after_and_reset_durations():
    headers = {"retry-after-ms": "1500", "retry-after": "20", "x-ratelimit-reset-tokens": "6m0s"}
    assert parse_error(429, headers, b"").retry_after == 1.5


def test_retry_after_seconds_win_over_reset_durations():
    headers = {"retry-after": "20", "x-ratelimit-reset-tokens": "6m0s"}
    assert parse_error(429, headers, b"").retry_after == 20.0


def test_exhausted_limit_reset_is_the_retry_hint_on_a_429():
    headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-tokens": "149984",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    assert parse_error(429, headers, b"").retry_after == 1.0


def test_without_an_exhausted_limit_the_longer_reset_counts():
    headers = {"x-ratelimit-reset-requests": "250ms", "x-ratelimit-reset-tokens": "2m59.56s"}
    assert parse_error(429, headers, b"").retry_after == pytest.approx(179.56)


def test_reset_durations_are_no_retry_hint_outside_a_429():
    headers = {"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}
    assert parse_error(500, headers, b"").retry_after is None
    assert parse_error(503, {"retry-after": "3"}, b"").retry_after == 3.0


def test_an_http_date_retry_after_falls_back_to_the_reset_durations():
    headers = {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT", "x-ratelimit-reset-requests": "20ms"}
    assert parse_error(429, headers, b"").retry_after == pytest.approx(0.02)
    assert parse_error(429, {"retry-after": "soon", "retry-after-ms": "-5"}, b"").retry_after is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("1s", 1.0), ("250ms", 0.25), ("1h2m3.5s", 3723.5), ("17", 17.0), ("0s", 0.0)],
)
def test_go_style_durations_parse_to_seconds(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "6 m", "1s2x", "-1s", "m"])
def test_anything_else_is_not_a_duration(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("error", "status", "openai_type", "code"),
    [
        ({"code": "server_error", "message": "x"}, 500, "server_error", "server_error"),
        ({"code": "rate_limit_exceeded", "message": "x"}, 429, "rate_limit_error", "rate_limit_exceeded"),
        ({"code": "invalid_prompt", "message": "x"}, 400, "invalid_request_error", "invalid_prompt"),
        ({"code": "image_content_policy_violation", "message": "x"}, 400, "invalid_request_error",
         "image_content_policy_violation"),
        ({"type": "error", "code": "ERR_SOMETHING", "message": "x", "param": None}, 500, "server_error",
         "ERR_SOMETHING"),
        ({"type": "error", "error": {"type": "too_many_requests", "code": "too_many_requests", "message": "x"}},
         429, "rate_limit_error", "too_many_requests"),
        ({"type": "error", "error": {"type": "authentication_error", "code": None, "message": "x"}},
         401, "authentication_error", "authentication_error"),
        (None, 500, "server_error", None),
    ],
    ids=["server", "rate-limit", "invalid-prompt", "image-policy", "documented-unknown-code",
         "nested-too-many", "nested-type-only", "missing"],
)  # fmt: skip
def test_stream_errors_are_classified_by_their_code_then_type(error, status, openai_type, code):
    info = stream_error_info(error)
    assert (info.status, info.type, info.code) == (status, openai_type, code)
    assert info.message
