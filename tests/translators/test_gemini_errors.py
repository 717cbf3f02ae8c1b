"""Google error envelopes -> UpstreamErrorInfo (translators/gemini/errors.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from translators.errors import UpstreamErrorInfo
from translators.gemini import parse_error

QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)


def envelope(code: int, status: str, message: str, *details: dict[str, Any]) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return orjson.dumps({"error": error})


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def quota_exhausted(delay: str) -> bytes:
    return envelope(
        429,
        "RESOURCE_EXHAUSTED",
        QUOTA_MESSAGE,
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
        retry_info(delay),
    )


def test_quota_exhausted_is_a_rate_limit_with_the_retry_delay_from_retry_info():
    assert parse_error(429, {"content-type": "application/json"}, quota_exhausted("17s")) == UpstreamErrorInfo(
        status=429,
        type="rate_limit_error",
        message=QUOTA_MESSAGE,
        code="RESOURCE_EXHAUSTED",
        retry_after=17.0,
    )


@pytest.mark.parametrize(("delay", "seconds"), [("17s", 17.0), ("0.5s", 0.5), ("1.234s", 1.234), ("0s", 0.0)])
def test_retry_delay_durations_are_read_as_seconds(delay, seconds):
    assert parse_error(429, {}, quota_exhausted(delay)).retry_after == seconds


def test_retry_info_wins_over_the_header_and_the_header_is_used_without_it():
    assert parse_error(429, {"retry-after": "60"}, quota_exhausted("2s")).retry_after == 2.0
    body = envelope(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
    assert parse_error(429, {"retry-after": "30"}, body).retry_after == 30.0
    assert parse_error(429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, body).retry_after is None
    assert parse_error(429, {}, body).retry_after is None


def test_invalid_api_key_is_an_authentication_error_despite_its_400_invalid_argument():
    body = envelope(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": "API key not valid. Please pass a valid API key.",
        },
    )
    info = parse_error(400, {}, body)
    assert (info.status, info.type, info.code) == (400, "authentication_error", "API_KEY_INVALID")
    assert info.message == "API key not valid. Please pass a valid API key."


@pytest.mark.parametrize(
    ("code", "status", "message", "expected"),
    [
        (
            400,
            "INVALID_ARGUMENT",
            'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
            "invalid_request_error",
        ),
        (
            400,
            "FAILED_PRECONDITION",
            "User location is not supported for the API use.",
            "invalid_request_error",
        ),
        (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", "authentication_error"),
        (403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", "permission_error"),
        (
            404,
            "NOT_FOUND",
            "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.",
            "not_found_error",
        ),
        (
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            "server_error",
        ),
        (503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "server_error"),
        (504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", "server_error"),
    ],
)
def test_canonical_status_decides_the_error_type(code, status, message, expected):
    info = parse_error(code, {}, envelope(code, status, message))
    assert info == UpstreamErrorInfo(status=code, type=expected, message=message, code=status)


def test_error_wrapped_in_an_array_is_read_like_a_bare_one():
    body = b"[" + envelope(503, "UNAVAILABLE", "The model is overloaded. Please try again later.") + b"]"
    info = parse_error(503, {}, body)
    assert (info.type, info.message) == ("server_error", "The model is overloaded. Please try again later.")


@pytest.mark.parametrize(
    ("status", "body", "expected_type", "expected_message"),
    [
        (
            502,
            b"<html><body>502 Bad Gateway</body></html>",
            "server_error",
            "<html><body>502 Bad Gateway</body></html>",
        ),
        (503, b"", "server_error", "Gemini answered HTTP 503 with no error body"),
        (429, b"Too Many Requests", "rate_limit_error", "Too Many Requests"),
        (404, b'{"unexpected": true}', "not_found_error", '{"unexpected": true}'),
        (400, b"\xff\xfe not utf-8", "invalid_request_error", "\ufffd\ufffd not utf-8"),
    ],
)
def test_non_envelope_bodies_still_give_a_sensible_info(status, body, expected_type, expected_message):
    info = parse_error(status, {"retry-after": "5"}, body)
    assert (info.status, info.type, info.message, info.retry_after) == (
        status,
        expected_type,
        expected_message,
        5.0,
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"code": 429, "status": ["RESOURCE_EXHAUSTED"], "message": 7, "details": {"a": 1}}}',
        (
            b'{"error": {"code": 429, "details": ['
            b'{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": []},'
            b' {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"}, 3]}}'
        ),
        b'{"error": "quota"}',
        b"[]",
        b"null",
    ],
)
def test_malformed_envelopes_fall_back_to_the_http_status_without_raising(body):
    info = parse_error(429, {"retry-after": "1.5"}, body)
    assert (info.status, info.type, info.retry_after) == (429, "rate_limit_error", 1.5)
    assert isinstance(info.message, str) and info.message
