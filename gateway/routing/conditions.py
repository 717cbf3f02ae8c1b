"""`when:` of a model: does a request meet its conditions? Pure, and only ever asked of targets
that have conditions, so pools without them pay nothing.

The facts a condition reads are gathered once per request, lazily: the image search walks the
body only when some target asks about images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.config.entries import When

__all__ = ["RequestFacts", "has_image", "merge_advanced"]

# Content part types that carry an image, in each dialect.
IMAGE_TYPES = frozenset({"image_url", "image", "input_image"})
IMAGE_KEYS = ("inlineData", "inline_data", "fileData", "file_data")
MAX_DEPTH = 64


def has_image(value: Any, depth: int = 0) -> bool:
    """An image part anywhere in a request body (bounded depth: a hostile body cannot recurse)."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str) and kind in IMAGE_TYPES:
            return True
        if any(isinstance(value.get(key), dict) for key in IMAGE_KEYS):
            return True
        return any(has_image(v, depth + 1) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return any(has_image(v, depth + 1) for v in value if isinstance(v, dict | list))
    return False


class RequestFacts:
    """What `when:` conditions read of one request."""

    __slots__ = ("body", "stream", "key_name", "dialect", "size", "_images")

    def __init__(self, body: Mapping[str, Any], *, stream: bool, key_name: str | None, dialect: str, size: int) -> None:
        self.body = body
        self.stream = stream
        self.key_name = key_name
        self.dialect = dialect
        self.size = size
        self._images: bool | None = None

    @property
    def images(self) -> bool:
        if self._images is None:
            self._images = has_image(self.body)
        return self._images

    def meets(self, when: When) -> bool:
        if when.stream is not None and when.stream != self.stream:
            return False
        if when.tools is not None and when.tools != bool(self.body.get("tools")):
            return False
        if when.client_keys is not None and self.key_name not in when.client_keys:
            return False
        if when.dialects is not None and self.dialect not in when.dialects:
            return False
        if when.min_request_bytes is not None and self.size < when.min_request_bytes:
            return False
        if when.max_request_bytes is not None and self.size > when.max_request_bytes:
            return False
        return when.images is None or when.images == self.images


def merge_advanced(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: objects merged key by key (recursively), anything else replaced."""
    merged = dict(base)
    for key, value in override.items():
        present = merged.get(key)
        if isinstance(present, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_advanced(present, value)
        else:
            merged[key] = value
    return merged
