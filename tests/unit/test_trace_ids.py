"""W3C traceparent: a valid one continues the client's trace, anything else starts a new one."""

from __future__ import annotations

import pytest

from gateway.observe.trace_ids import new_trace, parse_traceparent

VALID = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_valid_traceparent_is_read():
    assert parse_traceparent(VALID) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)
    assert parse_traceparent(VALID[:-2] + b"00")[2] is False
    assert parse_traceparent(VALID.upper()) is not None


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"",
        b"garbage",
        b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # unknown version
        b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # zero trace id
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # zero parent
        b"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\u00e9".encode(),
    ],
)
def test_anything_else_is_ignored(value):
    assert parse_traceparent(value) is None


def test_each_attempt_gets_its_own_span_in_the_same_trace():
    trace = new_trace(VALID)
    assert (trace.trace_id, trace.parent_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    first = trace.attempt_header(1.0)
    trace.take_attempt()
    trace.take_attempt()  # an attempt refused before it was sent has no span
    second = trace.attempt_header(2.0)
    trace.take_attempt()
    assert first.split("-")[1] == second.split("-")[1] == trace.trace_id
    assert [ids and ids[0] for ids in trace.attempts] == [first.split("-")[2], None, second.split("-")[2]]
    fresh = new_trace(None)
    assert len(fresh.trace_id) == 32 and fresh.parent_id is None and fresh.trace_id != trace.trace_id
