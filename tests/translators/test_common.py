"""The request checks and hub-format builders every dialect shares (translators/common.py)."""

from __future__ import annotations

import pytest

from translators import common
from translators.errors import TranslationError

TABLE = {"n": common.Unsupported((None, 1), "one choice per request")}


def refusal(check, *args, **kwargs) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        check(*args, **kwargs)
    return caught.value


def test_unsupported_field_at_a_neutral_value_passes_and_otherwise_is_refused_by_name():
    common.check_unsupported({"n": 1, "other": 5}, TABLE, scope="for this model")
    common.check_unsupported({"n": None}, TABLE, scope="for this model")
    error = refusal(common.check_unsupported, {"n": 2}, TABLE, scope="for this model")
    assert (error.param, error.message) == ("n", "n is not supported for this model: one choice per request")


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "3"])
def test_positive_int_refuses_anything_but_an_integer_of_at_least_one(value):
    assert refusal(common.positive_int, {"dimensions": value}, "dimensions").param == "dimensions"


def test_positive_int_is_none_when_absent_or_null():
    assert common.positive_int({}, "n") is None
    assert common.positive_int({"n": None}, "n") is None
    assert common.positive_int({"n": 7}, "n") == 7


def test_requested_max_tokens_names_the_field_the_client_used():
    assert common.requested_max_tokens({}) is None
    assert common.requested_max_tokens({"max_tokens": 5}) == common.OutputLimit(5, "max_tokens")
    assert common.requested_max_tokens({"max_completion_tokens": 6}) == common.OutputLimit(6, "max_completion_tokens")
    both = {"max_tokens": 7, "max_completion_tokens": 7}
    assert common.requested_max_tokens(both) == common.OutputLimit(7, "max_completion_tokens")


def test_requested_max_tokens_that_disagree_or_are_both_malformed_name_max_tokens():
    assert refusal(common.requested_max_tokens, {"max_tokens": 1, "max_completion_tokens": 2}).param == "max_tokens"
    assert refusal(common.requested_max_tokens, {"max_tokens": 0, "max_completion_tokens": 0}).param == "max_tokens"


def test_ignored_fields_lists_unknown_top_level_then_message_fields():
    body = {"model": "m", "x": 1, "messages": [{"role": "user", "y": 2}, "not an object"]}
    known = frozenset({"model", "messages"})
    assert common.ignored_fields(body, known=known, known_message=frozenset({"role"})) == (
        "x",
        "messages[0].y",
    )
    assert common.ignored_fields([], known=known, known_message=frozenset()) == ()
    assert common.ignored_fields({"messages": "text"}, known=known, known_message=frozenset()) == ()


def test_usage_total_falls_back_to_prompt_plus_completion_when_not_reported():
    assert common.usage(prompt=3, completion=4) == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    assert common.usage(prompt=3, completion=4, total=9)["total_tokens"] == 9


def test_count_reads_only_integers_and_treats_anything_else_as_zero():
    assert common.count({"a": 5}, "a") == 5
    assert [common.count(fields, "a") for fields in ({"a": True}, {"a": "5"}, {}, None)] == [0, 0, 0, 0]


def test_completion_and_chunk_leave_out_usage_that_was_not_reported():
    choice = common.message_choice({"role": "assistant", "content": "hi"}, "stop")
    answer = common.completion(id="c", created=1, model="m", choices=[choice], usage=None)
    assert answer == {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice]}
    piece = common.chunk(id="c", created=1, model="m", choices=[common.delta_choice({"content": "hi"})])
    assert "usage" not in piece and piece["object"] == "chat.completion.chunk"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "invalid_request_error"), (402, "invalid_request_error"), (404, "not_found_error"),
     (429, "rate_limit_error"), (500, "server_error"), (529, "server_error")],
)  # fmt: skip
def test_error_type_for_status_falls_back_by_status_class(status, kind):
    assert common.error_type_for_status(status) == kind


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12.0), (" 0.5 ", 0.5), ("0", 0.0), ("-1", None), ("inf", None), ("nan", None),
     ("Wed, 21 Oct 2015 07:28:00 GMT", None), ("", None), (None, None)],
)  # fmt: skip
def test_seconds_accepts_only_finite_non_negative_numbers(text, value):
    assert common.seconds(text) == value


def test_error_body_that_is_empty_or_not_json_loads_as_none():
    assert common.load_error_body(b"") is None
    assert common.load_error_body(b"<html>bad gateway</html>") is None
    assert common.load_error_body(b'{"error": {}}') == {"error": {}}


@pytest.mark.parametrize(
    ("effort_budget", "limit", "expected"),
    [
        (16384, 4000, 3000),  # three quarters of the limit
        (2048, 10_000, 2048),  # fits: the effort's own budget
        (16384, 1025, 1024),  # the share is below the minimum: the minimum
        (16384, 100, 1024),  # the caller decides what an unfitting minimum means
    ],
)
def test_fitted_thinking_budget_keeps_a_quarter_of_the_limit_for_the_answer(effort_budget, limit, expected):
    assert common.fitted_thinking_budget(effort_budget, limit, minimum=1024) == expected
