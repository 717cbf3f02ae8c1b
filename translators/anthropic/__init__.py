"""Anthropic Messages API dialect (https://docs.anthropic.com/en/api/messages).

OpenAI chat requests become `/v1/messages` requests; Anthropic messages, SSE streams and
error answers become OpenAI `chat.completion`, `chat.completion.chunk` and error info.
`ignored_fields` names the request fields `build_request` ignores because it does not know them.
"""

from translators.anthropic.errors import parse_error
from translators.anthropic.request import build_request, ignored_fields, request_path
from translators.anthropic.response import parse_response
from translators.anthropic.stream import StreamDecoder

__all__ = [
    "StreamDecoder",
    "build_request",
    "ignored_fields",
    "parse_error",
    "parse_response",
    "request_path",
]
