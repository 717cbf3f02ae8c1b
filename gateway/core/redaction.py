"""Secrets never leave the process: one `Redactor` applied at every output edge.

The gateway knows every secret it holds (upstream keys, secret header values, client keys,
the management key). Any text leaving the process — an error answer, a stream's error event,
a log line (tracebacks included) — passes through `Redactor.text` or `.bytes` at the edge
where it leaves, so no call site has to remember to redact, and redaction always comes after
any truncation upstream of it. A whole secret is replaced by `[redacted]`, and so is any
fragment of one at least `FRAGMENT` characters long: an upstream that cuts its error text in
the middle of a key must not leak the rest of it.

Matching is by fixed-length windows: every `FRAGMENT`-character window of every secret goes
into one dict, the text is scanned once, and each hit is grown to the longest stretch that
matches the secret around it. Secrets shorter than `FRAGMENT` are matched whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

__all__ = ["FRAGMENT", "MASK", "RedactingFilter", "Redactor"]

FRAGMENT = 12
MASK = "[redacted]"
MIN_SECRET = 4  # shorter values ("", "x") are not secrets worth masking everywhere
MAX_SECRETS = 10_000


class Redactor:
    __slots__ = ("secrets", "_windows", "_short")

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)[:MAX_SECRETS]
        self.secrets: frozenset[str] = frozenset(kept)
        self._windows: dict[str, list[tuple[str, int]]] = {}
        self._short: tuple[str, ...] = tuple(s for s in kept if len(s) < FRAGMENT)
        for secret in kept:
            for offset in range(len(secret) - FRAGMENT + 1):
                self._windows.setdefault(secret[offset : offset + FRAGMENT], []).append((secret, offset))

    def union(self, secrets: Iterable[str]) -> Redactor:
        """A redactor for these secrets and the ones known so far (a reload must not make a
        removed key printable while requests that used it are still running)."""
        return Redactor([*self.secrets, *secrets])

    def text(self, text: str) -> str:
        if not self.secrets or not text:
            return text
        spans = self._spans(text)
        for short in self._short:
            start = text.find(short)
            while start >= 0:
                spans.append((start, start + len(short)))
                start = text.find(short, start + 1)
        if not spans:
            return text
        return _mask(text, spans)

    def bytes(self, data: bytes) -> bytes:
        if not self.secrets or not data:
            return data
        text = data.decode("utf-8", "surrogateescape")
        clean = self.text(text)
        return data if clean is text else clean.encode("utf-8", "surrogateescape")

    def _spans(self, text: str) -> list[tuple[int, int]]:
        windows = self._windows
        spans: list[tuple[int, int]] = []
        covered = 0
        for position in range(len(text) - FRAGMENT + 1):
            if position < covered:
                continue
            hits = windows.get(text[position : position + FRAGMENT])
            if not hits:
                continue
            start, end = position, position + FRAGMENT
            for secret, offset in hits:
                left, right = position, position + FRAGMENT
                before, after = offset, offset + FRAGMENT
                while left > 0 and before > 0 and text[left - 1] == secret[before - 1]:
                    left, before = left - 1, before - 1
                while right < len(text) and after < len(secret) and text[right] == secret[after]:
                    right, after = right + 1, after + 1
                start, end = min(start, left), max(end, right)
            spans.append((start, end))
            covered = end
        return spans


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    spans.sort()
    out: list[str] = []
    position = 0
    for start, end in spans:
        if end <= position:
            continue
        out.append(text[position : max(start, position)])
        out.append(MASK)
        position = end
    out.append(text[position:])
    return "".join(out)


class RedactingFilter(logging.Filter):
    """Attached to log handlers: every record's message and traceback are redacted."""

    def __init__(self, redactor: Callable[[], Redactor]) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor()
        message = record.getMessage()
        clean = redactor.text(message)
        if clean is not message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        return True
