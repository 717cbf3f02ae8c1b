"""Google Gemini API dialect (generativelanguage.googleapis.com v1beta).

Chat: `build_request` / `request_path` turn an OpenAI chat request into `generateContent` or
`streamGenerateContent?alt=sse`; `parse_response` and `StreamDecoder` turn the answer back;
`parse_error` reads Google's error envelope; `ignored_fields` names the request fields
`build_request` ignores because it does not know them. Embeddings live in `embeddings.py`.
"""

from translators.gemini.errors import parse_error
from translators.gemini.request import build_request, ignored_fields, request_path
from translators.gemini.response import parse_response
from translators.gemini.stream import StreamDecoder

__all__ = [
    "StreamDecoder",
    "build_request",
    "ignored_fields",
    "parse_error",
    "parse_response",
    "request_path",
]
