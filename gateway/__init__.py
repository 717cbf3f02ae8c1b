"""llm-gateway: an OpenAI-compatible reverse proxy for LLM providers."""

__version__ = "0.1.0"
