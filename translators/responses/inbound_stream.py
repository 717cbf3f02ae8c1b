"""Hub `chat.completion.chunk`s -> the SSE events of a Responses stream
(platform.openai.com/docs/api-reference/responses-streaming).

`response.created` and `response.in_progress` open the stream at the first output (the
role-only chunk a decoder writes at once is not output), so an upstream that fails before
answering can still be retried elsewhere before the client has seen a byte. Output items follow
one at a time, each `response.output_item.added`, its deltas and its `.done` events, then
`response.output_item.done`; a change of kind (reasoning, text, a new tool call) closes the open
item. Usage arrives in the hub's trailing choiceless chunk, so `response.completed` (or
`response.incomplete`) is written by `close()`. Every event carries `type` and a
`sequence_number` counting up from 0. What the chunks carry beyond these fields is ignored, as
upstream decoders hand over chunks with extra fields of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from translators.errors import TranslationError
from translators.responses.inbound_answer import (
    INCOMPLETE_REASONS,
    delta_logprobs,
    item_id,
    output_logprobs,
    response_object,
    response_usage,
)
from translators.sse import encode_event

__all__ = ["ClientStream"]

# HTTP status of a failure -> the documented `response.error.code` a client reads it as.
FAILURE_CODES: dict[int, str] = {
    400: "invalid_prompt",
    413: "invalid_prompt",
    422: "invalid_prompt",
    429: "rate_limit_exceeded",
}


@dataclass(slots=True)
class _Part:
    """The open content part of a message: `output_text` or `refusal`."""

    kind: str
    index: int
    texts: list[str] = field(default_factory=list)
    logprobs: list[Any] = field(default_factory=list)

    def whole(self) -> dict[str, Any]:
        text = "".join(self.texts)
        if self.kind == "refusal":
            return {"type": "refusal", "refusal": text}
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": output_logprobs(self.logprobs)}


@dataclass(slots=True)
class _Item:
    """The open output item; `texts` is reasoning text or call arguments, `call` the hub index."""

    kind: str
    index: int
    id: str
    texts: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    part: _Part | None = None
    call: int | None = None
    call_id: str = ""
    name: str = ""


@dataclass(slots=True)
class _Answer:
    """What the stream said, kept for the hub assistant message of `previous_response_id`."""

    texts: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)  # reasoning since the last thinking block
    blocks: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)


def _thought_signature(extra: Any) -> dict[str, Any] | None:
    """A tool call's `extra_content` as translators/hub.py defines it: Gemini's thought signature."""
    google = extra.get("google") if isinstance(extra, Mapping) else None
    signature = google.get("thought_signature") if isinstance(google, Mapping) else None
    return {"google": {"thought_signature": signature}} if isinstance(signature, str) else None


class ClientStream:
    """Hub chunks in, Responses SSE event bytes out; see the module docstring for the events."""

    def __init__(self, *, model: str, id: str, created: int, request: Mapping[str, Any]) -> None:
        self._model, self._id, self._created, self._request = model, id, created, request
        self._sequence = 0
        self._started = False
        self._closed = False
        self._output: list[dict[str, Any]] = []
        self._open: _Item | None = None
        self._finish: str | None = None
        self._answer = _Answer()
        self._assistant: dict[str, Any] | None = None
        self._error: TranslationError | None = None
        self.usage: dict[str, Any] | None = None

    # --- the interface ------------------------------------------------------------------------

    def feed(self, chunks: Sequence[Mapping[str, Any]]) -> list[bytes]:
        """Events for `chunks`; a malformed chunk raises once the events before it are handed out."""
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        out: list[bytes] = []
        try:
            for chunk in chunks:
                self._chunk(chunk, out)
        except TranslationError as error:
            if not out:
                raise
            self._error = error
        return out

    def close(self) -> list[bytes]:
        """The end of the hub stream: the open item's `.done` events and `response.completed` (or
        `response.incomplete`); a second call, or one after `error_event`, gives nothing."""
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        out: list[bytes] = []
        sequence = self._sequence
        try:
            self._start(out)
            self._close_item(out, final=True)
            incomplete = INCOMPLETE_REASONS.get(self._finish) if self._finish else None
            status = "incomplete" if incomplete else "completed"
            response = self._response(status, self._output, response_usage(self.usage), incomplete)
            out.append(self._event(f"response.{status}", response=response))
        except TranslationError:
            self._sequence = sequence  # none of these events was handed out; error_event follows on
            raise
        self._closed = True
        self._assistant = self._assistant_message()
        return out

    def error_event(self, status: int, type: str, message: str) -> bytes:
        """`response.failed`, after `response.created` if the stream had not begun: how a failure
        reaches a client once its stream has started; the output so far is in the response."""
        if self._closed:
            return b""
        out: list[bytes] = []
        self._start(out)
        output = list(self._output)
        if self._open is not None:
            output.append({**self._whole(self._open), "status": "incomplete"})
        code = FAILURE_CODES.get(status) or ("rate_limit_exceeded" if type == "rate_limit_error" else "server_error")
        error = {"code": code, "message": message, "type": type}
        try:
            failed = self._response("failed", output, None, None, error)
            out.append(self._event("response.failed", response=failed))
        except TranslationError:
            # What could not be written was the output: the failure itself still must reach the client.
            failed = self._response("failed", [], None, None, error)
            out.append(self._event("response.failed", response=failed))
        self._closed = True
        return b"".join(out)

    @property
    def assistant_message(self) -> dict[str, Any] | None:
        """After `close()`: the hub assistant message this response produced, for the gateway to
        store as the end of the exchange a later `previous_response_id` names."""
        return self._assistant

    # --- events -------------------------------------------------------------------------------

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, **fields, "sequence_number": self._sequence}
        try:
            encoded = orjson.dumps(data)
        except orjson.JSONEncodeError:
            raise TranslationError(f"the {kind} event cannot be written as JSON") from None
        self._sequence += 1
        return encode_event(encoded, event=kind)

    def _response(
        self, status: str, output: list[dict[str, Any]], usage: Any, incomplete: str | None, error: Any = None
    ) -> dict[str, Any]:
        return response_object(
            id=self._id, created=self._created, model=self._model, request=self._request, status=status,
            output=output, usage=usage, incomplete_reason=incomplete, error=error,
        )  # fmt: skip

    def _start(self, out: list[bytes]) -> None:
        if self._started:
            return
        response = self._response("in_progress", [], None, None)
        out.append(self._event("response.created", response=response))
        out.append(self._event("response.in_progress", response=response))
        self._started = True

    # --- one chunk ----------------------------------------------------------------------------

    def _chunk(self, chunk: Any, out: list[bytes]) -> None:
        if not isinstance(chunk, Mapping):
            return
        if isinstance(chunk.get("usage"), Mapping):
            self.usage = dict(chunk["usage"])
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, Mapping) and choice.get("index", 0) == 0:
                self._choice(choice, out)

    def _choice(self, choice: Mapping[str, Any], out: list[bytes]) -> None:
        delta = choice.get("delta")
        delta = delta if isinstance(delta, Mapping) else {}
        if isinstance(delta.get("reasoning_content"), str) and delta["reasoning_content"]:
            self._reasoning(delta["reasoning_content"], out)
        if isinstance(delta.get("thinking_blocks"), list):
            self._thinking_blocks(delta["thinking_blocks"])
        if isinstance(delta.get("content"), str) and delta["content"]:
            logprobs = choice.get("logprobs")
            entries = logprobs.get("content") if isinstance(logprobs, Mapping) else None
            self._text("output_text", delta["content"], entries, out)
        if isinstance(delta.get("refusal"), str) and delta["refusal"]:
            self._text("refusal", delta["refusal"], None, out)
        if isinstance(delta.get("tool_calls"), list):
            for call in delta["tool_calls"]:
                if isinstance(call, Mapping):
                    self._call(call, out)
        if isinstance(choice.get("finish_reason"), str):
            self._finish = choice["finish_reason"]

    def _open_item(self, kind: str, prefix: str, out: list[bytes]) -> _Item:
        self._start(out)
        self._close_item(out)
        index = len(self._output)
        item = self._open = _Item(kind=kind, index=index, id=item_id(prefix, self._id, index))
        return item

    def _reasoning(self, text: str, out: list[bytes]) -> None:
        self._answer.reasoning.append(text)
        self._answer.unsigned.append(text)
        item = self._open
        if item is None or item.kind != "reasoning":
            item = self._open_item("reasoning", "rs", out)
            added = {"id": item.id, "type": "reasoning", "summary": []}
            out.append(self._event("response.output_item.added", output_index=item.index, item=added))
            out.append(self._event(
                "response.reasoning_summary_part.added", item_id=item.id, output_index=item.index,
                summary_index=0, part={"type": "summary_text", "text": ""},
            ))  # fmt: skip
        item.texts.append(text)
        out.append(self._event(
            "response.reasoning_summary_text.delta", item_id=item.id, output_index=item.index,
            summary_index=0, delta=text,
        ))  # fmt: skip

    def _thinking_blocks(self, entries: list[Any]) -> None:
        """Anthropic's thinking blocks, assembled as translators/hub.py describes, for replay."""
        answer = self._answer
        for entry in entries:
            kind = entry.get("type") if isinstance(entry, Mapping) else None
            if kind == "thinking" and isinstance(entry, Mapping) and isinstance(entry.get("signature"), str):
                text = "".join(answer.unsigned)
                answer.blocks.append({"type": "thinking", "thinking": text, "signature": entry["signature"]})
                answer.unsigned = []
            elif kind == "redacted_thinking" and isinstance(entry, Mapping) and isinstance(entry.get("data"), str):
                answer.blocks.append({"type": "redacted_thinking", "data": entry["data"]})

    def _text(self, kind: str, text: str, logprobs: Any, out: list[bytes]) -> None:
        (self._answer.texts if kind == "output_text" else self._answer.refusals).append(text)
        item = self._open
        if item is None or item.kind != "message":
            item = self._open_item("message", "msg", out)
            added = {"id": item.id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
            out.append(self._event("response.output_item.added", output_index=item.index, item=added))
        part = item.part
        if part is None or part.kind != kind:
            self._close_part(item, out)
            part = item.part = _Part(kind=kind, index=len(item.parts))
            empty = {"type": "refusal", "refusal": ""} if kind == "refusal" else _Part(kind, 0).whole()
            out.append(self._event("response.content_part.added", **self._part_place(item, part), part=empty))
        part.texts.append(text)
        if kind == "refusal":
            out.append(self._event("response.refusal.delta", **self._part_place(item, part), delta=text))
            return
        part.logprobs.extend(logprobs if isinstance(logprobs, list) else [])
        out.append(self._event(
            "response.output_text.delta", **self._part_place(item, part), delta=text,
            logprobs=delta_logprobs(logprobs),
        ))  # fmt: skip

    def _call(self, delta: Mapping[str, Any], out: list[bytes]) -> None:
        calls = self._answer.calls
        index = delta.get("index")
        if isinstance(index, bool) or not isinstance(index, int):
            # An upstream that numbers no calls: a call with an id is a new one.
            index = max(calls, default=-1) + (1 if isinstance(delta.get("id"), str) or not calls else 0)
        function = delta.get("function")
        function = function if isinstance(function, Mapping) else {}
        if index not in calls:
            item = self._start_call(index, delta, function, out)
        elif self._open is not None and self._open.call == index:
            item = self._open
        else:
            raise TranslationError("the upstream went back to a tool call it had finished")
        fragment = function.get("arguments")
        if isinstance(fragment, str) and fragment:
            calls[index]["function"]["arguments"] += fragment
            item.texts.append(fragment)
            out.append(self._event(
                "response.function_call_arguments.delta", item_id=item.id, output_index=item.index, delta=fragment
            ))  # fmt: skip

    def _start_call(self, index: int, delta: Mapping[str, Any], function: Mapping[str, Any], out: list[bytes]) -> _Item:
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise TranslationError("the upstream started a tool call without a name")
        call_id = delta.get("id")
        call_id = call_id if isinstance(call_id, str) and call_id else item_id("call", self._id, index)
        call: dict[str, Any] = {"id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        extra = _thought_signature(delta.get("extra_content"))
        if extra is not None:
            call["extra_content"] = extra  # Gemini's signature, for replay
        self._answer.calls[index] = call
        item = self._open_item("function_call", "fc", out)
        item.call, item.call_id, item.name = index, call_id, name
        added = {
            "id": item.id, "type": "function_call", "status": "in_progress", "call_id": call_id,
            "name": name, "arguments": "",
        }  # fmt: skip
        out.append(self._event("response.output_item.added", output_index=item.index, item=added))
        return item

    # --- closing items ------------------------------------------------------------------------

    @staticmethod
    def _part_place(item: _Item, part: _Part) -> dict[str, Any]:
        return {"item_id": item.id, "output_index": item.index, "content_index": part.index}

    def _close_part(self, item: _Item, out: list[bytes]) -> None:
        part, item.part = item.part, None
        if part is None:
            return
        whole = part.whole()
        place = self._part_place(item, part)
        if part.kind == "refusal":
            out.append(self._event("response.refusal.done", **place, refusal=whole["refusal"]))
        else:
            out.append(self._event(
                "response.output_text.done", **place, text=whole["text"], logprobs=delta_logprobs(part.logprobs)
            ))  # fmt: skip
        out.append(self._event("response.content_part.done", **place, part=whole))
        item.parts.append(whole)

    def _whole(self, item: _Item) -> dict[str, Any]:
        """The item as `output_item.done` and the response's `output` show it."""
        text = "".join(item.texts)
        if item.kind == "reasoning":
            return {"id": item.id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
        if item.kind == "message":
            content = [*item.parts, item.part.whole()] if item.part is not None else item.parts
            return {"id": item.id, "type": "message", "status": "completed", "role": "assistant", "content": content}
        return {
            "id": item.id, "type": "function_call", "status": "completed", "call_id": item.call_id,
            "name": item.name, "arguments": text,
        }  # fmt: skip

    def _close_item(self, out: list[bytes], *, final: bool = False) -> None:
        item, self._open = self._open, None
        if item is None:
            return
        closers: dict[str, Callable[[_Item, list[bytes]], None]] = {
            "reasoning": self._close_reasoning,
            "message": self._close_part,
            "function_call": self._close_call,
        }
        closers[item.kind](item, out)
        whole = self._whole(item)
        if final and self._finish in INCOMPLETE_REASONS:
            whole["status"] = "incomplete"  # the item the answer was cut short in
        out.append(self._event("response.output_item.done", output_index=item.index, item=whole))
        self._output.append(whole)

    def _close_reasoning(self, item: _Item, out: list[bytes]) -> None:
        text = "".join(item.texts)
        place = {"item_id": item.id, "output_index": item.index, "summary_index": 0}
        out.append(self._event("response.reasoning_summary_text.done", **place, text=text))
        part = {"type": "summary_text", "text": text}
        out.append(self._event("response.reasoning_summary_part.done", **place, part=part))

    def _close_call(self, item: _Item, out: list[bytes]) -> None:
        if not item.texts:
            # A call without arguments still reads as a JSON object on the client.
            self._answer.calls[item.call or 0]["function"]["arguments"] = "{}"
            item.texts.append("{}")
            out.append(self._event(
                "response.function_call_arguments.delta", item_id=item.id, output_index=item.index, delta="{}"
            ))  # fmt: skip
        arguments = "".join(item.texts)
        out.append(self._event(
            "response.function_call_arguments.done", item_id=item.id, output_index=item.index, arguments=arguments
        ))  # fmt: skip

    def _assistant_message(self) -> dict[str, Any]:
        answer = self._answer
        message: dict[str, Any] = {"role": "assistant", "content": "".join(answer.texts) or None}
        if answer.refusals:
            message["refusal"] = "".join(answer.refusals)
        if answer.calls:
            message["tool_calls"] = [answer.calls[index] for index in sorted(answer.calls)]
        if answer.reasoning:
            message["reasoning_content"] = "".join(answer.reasoning)
        if answer.blocks:
            message["thinking_blocks"] = answer.blocks
        return message
