from email.utils import formatdate

import pytest

from gateway.upstream.retry_after import parse_duration, retry_after_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("250ms", 0.25),
        ("1h2m3s", 3723.0),
        ("2", 2.0),
        ("0.5s", 0.5),
        ("soon", None),
        ("", None),
        ("5x", None),
    ],
)
def test_parse_duration_reads_openai_reset_formats(text, seconds):
    assert parse_duration(text) == seconds


def test_retry_after_ms_wins_over_retry_after_seconds():
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}, now=0) == 1.5


def test_retry_after_http_date_counts_from_now():
    now = 1_800_000_000.0
    assert retry_after_seconds({"retry-after": formatdate(now + 42, usegmt=True)}, now=now) == pytest.approx(42, abs=1)


def test_openai_reset_headers_take_the_longer_wait_and_garbage_gives_none():
    assert retry_after_seconds({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}, now=0) == 360
    assert retry_after_seconds({"retry-after": "whenever"}, now=0) is None
    assert retry_after_seconds({}, now=0) is None
