"""Which conversation a request belongs to, for session affinity (gateway/state/affinity.py).

In order: the session header an agent sends (Claude Code's `x-claude-code-session-id`,
Codex's `session-id`), the body's `prompt_cache_key`, the session of the response named by
`previous_response_id` (or that id, starting a session), then `metadata.user_id` (Claude Code
puts its session id there), else a hash of the conversation's opening (system prompt and first
two turns), which every later turn of the conversation repeats. Keys are scoped by the client
key's name, so two tenants never share a binding. Computed only when affinity is on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from gateway.core.asgi import Scope

__all__ = ["session_key"]

SESSION_HEADERS = (b"x-claude-code-session-id", b"session-id", b"session_id", b"x-session-id")
# Where each dialect keeps its system prompt and its turns.
SYSTEM_FIELDS = ("system", "instructions", "systemInstruction", "system_instruction")
TURN_FIELDS = ("messages", "input", "contents")


def session_key(scope: Scope, body: dict[str, Any], client: str | None, session_of: Callable[[str], str | None]) -> str:
    """`session_of` finds the session of a response id the gateway passed on."""
    previous = body.get("previous_response_id")
    if isinstance(previous, str) and previous and not _explicit(scope, body):
        known = session_of(previous)
        if known is not None:
            return known
    return f"{client or ''}\0{_session(scope, body)}"


def _explicit(scope: Scope, body: dict[str, Any]) -> bool:
    return any(name in SESSION_HEADERS and value for name, value in scope["headers"]) or bool(
        body.get("prompt_cache_key")
    )


def _session(scope: Scope, body: dict[str, Any]) -> str:
    for name, value in scope["headers"]:
        if name in SESSION_HEADERS and value:
            return "h:" + value.decode("latin-1")
    cache_key = body.get("prompt_cache_key")
    if isinstance(cache_key, str) and cache_key:
        return "c:" + cache_key
    previous = body.get("previous_response_id")
    if isinstance(previous, str) and previous:
        return "r:" + previous
    metadata = body.get("metadata")
    user = metadata.get("user_id") if isinstance(metadata, dict) else None
    if isinstance(user, str) and user:
        return "u:" + user
    return "o:" + _opening(body)


def _opening(body: dict[str, Any]) -> str:
    system = next((body[f] for f in SYSTEM_FIELDS if f in body), None)
    turns = next((body[f] for f in TURN_FIELDS if f in body), None)
    opening = [system, turns[:2] if isinstance(turns, list) else turns]
    try:
        data = orjson.dumps(opening, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        data = repr(opening).encode()
    return hashlib.blake2b(data, digest_size=12).hexdigest()
