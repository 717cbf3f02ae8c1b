"""Helpers for stream translator tests: feeding recorded bytes, expected chunks, SDK assembly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from tests.translators.hub_check import assert_conforms
from translators import hub
from translators.decoding import EventDecoder
from translators.errors import StreamError


class StreamMachine(Protocol):
    def feed(self, data: bytes) -> list[Any]: ...
    def close(self) -> list[Any]: ...


def feed_whole(machine: StreamMachine, data: bytes) -> list[Any]:
    return machine.feed(data) + machine.close()


def feed_split_at(machine: StreamMachine, data: bytes, cut: int) -> list[Any]:
    return machine.feed(data[:cut]) + machine.feed(data[cut:]) + machine.close()


def feed_bytewise(machine: StreamMachine, data: bytes) -> list[Any]:
    events: list[Any] = []
    for index in range(len(data)):
        events.extend(machine.feed(data[index : index + 1]))
    return events + machine.close()


def assert_same_events_at_every_split(factory: Callable[[], StreamMachine], data: bytes) -> list[Any]:
    """Feeds `data` whole, split in two at every offset, and byte by byte; all must agree.

    A dialect decoder's chunks must also be `chat.completion.chunk`s as translators/hub.py
    describes them.
    """
    expected = feed_whole(factory(), data)
    if isinstance(factory(), EventDecoder):
        for chunk in expected:
            assert_conforms(chunk, hub.ChatCompletionChunk)
    for cut in range(len(data) + 1):
        assert feed_split_at(factory(), data, cut) == expected, f"split at byte {cut} differs"
    assert feed_bytewise(factory(), data) == expected, "byte-by-byte feeding differs"
    return expected


def run_until_error(machine: StreamMachine, pieces: Iterable[bytes]) -> tuple[list[Any], StreamError]:
    """Feeds the pieces, then closes; returns what came out before the `StreamError`."""
    chunks: list[Any] = []
    try:
        for piece in pieces:
            chunks.extend(machine.feed(piece))
        chunks.extend(machine.close())
    except StreamError as error:
        return chunks, error
    raise AssertionError("the stream did not raise StreamError")


def assemble(chunks: list[dict[str, Any]]) -> Any:
    """Runs the chunks through the official SDK's accumulator, as a client would."""
    state = ChatCompletionStreamState()
    for item in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(item))
    return state.get_final_completion()


def assemble_thinking_blocks(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message's `thinking_blocks` from its stream, read as translators/hub.py specifies.

    A `thinking` entry closes the reasoning text streamed since the previous one; a
    `redacted_thinking` entry is whole; each entry's `index` is its place in the list.
    """
    blocks: list[dict[str, Any]] = []
    text: list[str] = []
    for item in chunks:
        for choice in item["choices"]:
            delta = choice["delta"]
            text.append(delta.get("reasoning_content") or "")
            for entry in delta.get("thinking_blocks", []):
                assert entry["index"] == len(blocks), "thinking_blocks indexes count up from 0"
                if entry["type"] == "thinking":
                    blocks.append({"type": "thinking", "thinking": "".join(text), "signature": entry["signature"]})
                    text = []
                else:
                    blocks.append({"type": "redacted_thinking", "data": entry["data"]})
    return blocks


def choice_chunk(
    *,
    id: str,
    model: str,
    created: int,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    logprobs: Any = None,
    index: int = 0,
) -> dict[str, Any]:
    """The `chat.completion.chunk` a client should receive for one choice's delta."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": logprobs}],
    }


def usage_chunk(*, id: str, model: str, created: int, usage: dict[str, Any]) -> dict[str, Any]:
    """The choiceless chunk that reports usage at the end of a stream."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }
