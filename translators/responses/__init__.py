"""OpenAI Responses API dialect (https://platform.openai.com/docs/api-reference/responses).

OpenAI chat requests become `POST /v1/responses` requests; Responses objects, their SSE streams
and error answers become OpenAI `chat.completion`, `chat.completion.chunk` and error info.
`ignored_fields` names the request fields `build_request` ignores because it does not know them.
"""

from translators.responses.errors import parse_error
from translators.responses.request import build_request, ignored_fields, request_path
from translators.responses.response import parse_response
from translators.responses.stream import StreamDecoder

__all__ = [
    "StreamDecoder",
    "build_request",
    "ignored_fields",
    "parse_error",
    "parse_response",
    "request_path",
]
