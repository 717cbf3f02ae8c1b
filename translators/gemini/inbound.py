"""Gemini API clients (google-genai, Gemini CLI) served through the hub, from any upstream.

The gateway decodes a client's `generateContent` body into a hub `ChatRequest` (`hub_request`;
`ignored_fields` names what it did not know), lets an upstream adapter answer, and hands the
answer back as Gemini's (`client_answer`, `ClientStream`, `error_body`). Embeddings, token
counts and the model list have their own translators. All are pure: ids come from the hub and
the model from the URL. What each field becomes, or why it is dropped or refused, is written
where it is handled: `inbound_request.py` and `inbound_contents.py` (requests),
`inbound_answer.py` (answers and streams), `inbound_extras.py` (the rest). A client whose model
is on a Gemini upstream is served by `passthrough.py` instead.
"""

from translators.gemini.inbound_answer import ClientStream, client_answer, error_body
from translators.gemini.inbound_extras import (
    batch_embed_request,
    embed_answer,
    embed_request,
    estimate_tokens,
    model_entry,
    models_list,
)
from translators.gemini.inbound_request import hub_request, ignored_fields

__all__ = [
    "ClientStream",
    "batch_embed_request",
    "client_answer",
    "embed_answer",
    "embed_request",
    "error_body",
    "estimate_tokens",
    "hub_request",
    "ignored_fields",
    "model_entry",
    "models_list",
]
