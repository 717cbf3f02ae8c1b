"""Anthropic error answers -> UpstreamErrorInfo (https://docs.anthropic.com/en/api/errors)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from translators.anthropic import parse_error
from translators.errors import UpstreamErrorInfo

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def envelope(kind: str, message: str) -> bytes:
    return orjson.dumps(
        {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_018EeWyXxfu5pfWkrYcMdjWG",
        }
    )


@pytest.mark.parametrize(
    ("status", "kind", "openai_type"),
    [
        (400, "invalid_request_error", "invalid_request_error"),
        (401, "authentication_error", "authentication_error"),
        (402, "billing_error", "permission_error"),
        (403, "permission_error", "permission_error"),
        (404, "not_found_error", "not_found_error"),
        (413, "request_too_large", "invalid_request_error"),
        (429, "rate_limit_error", "rate_limit_error"),
        (500, "api_error", "server_error"),
        (504, "timeout_error", "server_error"),
        (529, "overloaded_error", "server_error"),
    ],
)
def test_documented_error_types_map_to_openai_types_and_keep_their_own_as_code(status, kind, openai_type):
    info = parse_error(status, {}, envelope(kind, "The upstream's own words."))
    assert info == UpstreamErrorInfo(status=status, type=openai_type, message="The upstream's own words.", code=kind)


def test_unknown_error_type_is_classified_by_status():
    assert parse_error(429, {}, envelope("brand_new_error", "x")).type == "rate_limit_error"
    assert parse_error(503, {}, envelope("brand_new_error", "x")).type == "server_error"
    assert parse_error(409, {}, envelope("brand_new_error", "x")).type == "invalid_request_error"


def test_non_json_body_keeps_its_text_as_the_message():
    body = b"<html><body><h1>413 Request Entity Too Large</h1></body></html>"
    info = parse_error(413, {"content-type": "text/html"}, body)
    assert info.type == "invalid_request_error"
    assert info.message == body.decode()
    assert info.code is None


@pytest.mark.parametrize("body", [b"", b"null", b"[1, 2]", b'{"type": "error", "error": "flat"}', b"\xff\xfe"])
def test_empty_or_odd_bodies_still_give_a_sensible_info(body):
    info = parse_error(503, {}, body)
    assert (info.status, info.type) == (503, "server_error")
    assert info.message


def test_retry_after_header_in_seconds_wins():
    headers = {"retry-after": "17", "anthropic-ratelimit-requests-reset": "2025-06-01T12:00:30Z"}
    assert parse_error(429, headers, envelope("rate_limit_error", "slow"), now=NOW).retry_after == 17.0


def test_reset_timestamps_are_ignored_without_now():
    headers = {"anthropic-ratelimit-tokens-reset": "2025-06-01T12:00:30Z"}
    assert parse_error(429, headers, envelope("rate_limit_error", "slow")).retry_after is None


def test_earliest_reset_timestamp_gives_retry_after_when_now_is_known():
    headers = {
        "anthropic-ratelimit-requests-reset": "2025-06-01T12:00:45Z",
        "anthropic-ratelimit-tokens-reset": "2025-06-01T12:00:08Z",
        "anthropic-ratelimit-input-tokens-reset": "2025-06-01T12:00:20+00:00",
        "anthropic-ratelimit-output-tokens-reset": "2025-06-01T12:01:00Z",
    }
    assert parse_error(429, headers, envelope("rate_limit_error", "slow"), now=NOW).retry_after == 8.0


def test_only_exhausted_limits_count_when_remaining_headers_say_which():
    headers = {
        "anthropic-ratelimit-requests-remaining": "12",
        "anthropic-ratelimit-requests-reset": "2025-06-01T12:00:02Z",
        "anthropic-ratelimit-output-tokens-remaining": "0",
        "anthropic-ratelimit-output-tokens-reset": "2025-06-01T12:00:40Z",
    }
    assert parse_error(429, headers, envelope("rate_limit_error", "slow"), now=NOW).retry_after == 40.0


def test_reset_in_the_past_means_retry_now_and_garbage_headers_are_ignored():
    past = {"anthropic-ratelimit-tokens-reset": "2025-06-01T11:59:00Z"}
    assert parse_error(429, past, b"", now=NOW).retry_after == 0.0
    for retry_after in ("soon", "inf", "-3"):
        garbage = {"retry-after": retry_after, "anthropic-ratelimit-tokens-reset": "tomorrow"}
        assert parse_error(429, garbage, b"", now=NOW).retry_after is None
