"""List prices of well-known models, USD per 1M tokens: (input, output, cache read, cache write).

Published by each provider (standard tier, short-context rates, checked late 2025). A model's
`cost:` (or `cost-per-1k-*`) in config.yaml, or a pattern under top-level `prices:`, overrides
these; an upstream model matching none of them has no known cost. Keys are matched as name
prefixes ending at a `-`, `:` or `@` boundary, longest first (`gpt-4o-mini-2024-07-18` is
`gpt-4o-mini`, never `gpt-4o`), after `provider/` and `models/` prefixes are dropped and dots
read as dashes (`claude-sonnet-4.5` is `claude-sonnet-4-5`).
"""

from __future__ import annotations

__all__ = ["CATALOG"]

Prices = tuple[float, float, float | None, float | None]

CATALOG: dict[str, Prices] = {
    # OpenAI: cached input at the listed discount; no separate cache-write price.
    "gpt-5": (1.25, 10.0, 0.125, None),
    "gpt-5-codex": (1.25, 10.0, 0.125, None),
    "gpt-5-mini": (0.25, 2.0, 0.025, None),
    "gpt-5-nano": (0.05, 0.4, 0.005, None),
    "gpt-4.1": (2.0, 8.0, 0.5, None),
    "gpt-4.1-mini": (0.4, 1.6, 0.1, None),
    "gpt-4.1-nano": (0.1, 0.4, 0.025, None),
    "gpt-4o": (2.5, 10.0, 1.25, None),
    "gpt-4o-mini": (0.15, 0.6, 0.075, None),
    "gpt-4-turbo": (10.0, 30.0, None, None),
    "gpt-3.5-turbo": (0.5, 1.5, None, None),
    "o1": (15.0, 60.0, 7.5, None),
    "o1-mini": (1.1, 4.4, 0.55, None),
    "o3": (2.0, 8.0, 0.5, None),
    "o3-mini": (1.1, 4.4, 0.55, None),
    "o4-mini": (1.1, 4.4, 0.275, None),
    "text-embedding-3-small": (0.02, 0.0, None, None),
    "text-embedding-3-large": (0.13, 0.0, None, None),
    "text-embedding-ada-002": (0.1, 0.0, None, None),
    # Anthropic: cache reads at 0.1x input, 5-minute cache writes at 1.25x.
    "claude-opus-4-5": (5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-1": (15.0, 75.0, 1.5, 18.75),
    "claude-opus-4": (15.0, 75.0, 1.5, 18.75),
    "claude-sonnet-4-5": (3.0, 15.0, 0.3, 3.75),
    "claude-sonnet-4": (3.0, 15.0, 0.3, 3.75),
    "claude-3-7-sonnet": (3.0, 15.0, 0.3, 3.75),
    "claude-3-5-sonnet": (3.0, 15.0, 0.3, 3.75),
    "claude-haiku-4-5": (1.0, 5.0, 0.1, 1.25),
    "claude-3-5-haiku": (0.8, 4.0, 0.08, 1.0),
    "claude-3-haiku": (0.25, 1.25, 0.03, 0.3),
    "claude-3-opus": (15.0, 75.0, 1.5, 18.75),
    # Google: prompts up to 200k tokens (2.5 Pro) at the paid tier.
    "gemini-2.5-pro": (1.25, 10.0, 0.31, None),
    "gemini-2.5-flash": (0.3, 2.5, 0.075, None),
    "gemini-2.5-flash-lite": (0.1, 0.4, 0.025, None),
    "gemini-2.0-flash": (0.1, 0.4, 0.025, None),
    "gemini-2.0-flash-lite": (0.075, 0.3, None, None),
    "gemini-1.5-pro": (1.25, 5.0, 0.3125, None),
    "gemini-1.5-flash": (0.075, 0.3, 0.01875, None),
    "text-embedding-004": (0.0, 0.0, None, None),
    "gemini-embedding-001": (0.15, 0.0, None, None),
    # DeepSeek: cache hits at their listed rate.
    "deepseek-chat": (0.27, 1.1, 0.07, None),
    "deepseek-reasoner": (0.55, 2.19, 0.14, None),
    # The built-in mock provider costs nothing; listed so dashboards show a cost of 0.
    "mock-1": (0.0, 0.0, None, None),
}
