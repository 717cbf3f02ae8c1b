"""Responses API payloads shared by the Responses response and stream tests.

Shapes from platform.openai.com/docs/api-reference/responses/object; each test module passes
its own recorded ids, timestamps and model.
"""

from __future__ import annotations

from typing import Any


def usage_fields(
    input_tokens: int = 36, output_tokens: int = 87, cached: int = 0, reasoning: int = 0
) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    *, id: str, created_at: int, model: str, status: str, output: list[Any], usage: Any, **fields: Any
) -> dict[str, Any]:
    """A `response` object with the defaults a plain request gets; `fields` override them."""
    return {
        "id": id, "object": "response", "created_at": created_at, "status": status,
        "error": None, "incomplete_details": None, "instructions": None, "max_output_tokens": None,
        "model": model, "output": output, "parallel_tool_calls": True,
        "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "store": False,
        "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
        "top_p": 1.0, "truncation": "disabled", "usage": usage, "user": None, "metadata": {}, **fields,
    }  # fmt: skip
