"""Request fields a translated dialect ignored because it does not know them.

A field the translator knows but cannot honour is refused with a 400; an unknown one (often a
newer OpenAI field, or a vendor extension) is not sent upstream. That must not be silent: the
first time each (dialect, field) is seen it is logged as a warning, and every time counted.
"""

from __future__ import annotations

import logging

__all__ = ["DroppedFields"]

log = logging.getLogger("gateway.translation")
MAX_TRACKED = 1_000


class DroppedFields:
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def record(self, dialect: str, fields: tuple[str, ...]) -> None:
        for field in fields:
            # messages[3].foo and messages[7].foo are the same field.
            name = _generic(field)
            key = (dialect, name)
            seen = self.counts.get(key)
            if seen is None:
                if len(self.counts) >= MAX_TRACKED:
                    continue
                log.warning(
                    "request field %r is not known to the %s translation and was not sent upstream "
                    "(warned once per field)",
                    name,
                    dialect,
                )
                seen = 0
            self.counts[key] = seen + 1


def _generic(field: str) -> str:
    if not field.startswith("messages["):
        return field
    _, _, rest = field.partition("]")
    return "messages[]" + rest
