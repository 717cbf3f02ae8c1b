"""Pure translation between LLM API dialects.

Nothing in this package performs I/O, awaits, or imports the gateway: every module is a
function of its inputs, so each can be tested on recorded payloads alone. The hub format is
OpenAI Chat Completions (request bodies, `chat.completion` and `chat.completion.chunk`
dicts); every dialect converts to and from it.
"""
