"""Config files the end-to-end tests run the gateway with."""

from __future__ import annotations


def two_providers(
    a_url: str, b_url: str, *, strategy: str = "round-robin", force_prefix: bool = False, extra: str = ""
) -> str:
    return f"""
host: 127.0.0.1
api-keys: ["test-key", {{api-key: "second-key", name: second}}]
force-model-prefix: {str(force_prefix).lower()}
request-retry: 3
routing: {{strategy: {strategy}}}
timeouts: {{connect-seconds: 2, first-byte-seconds: 2, idle-seconds: 2}}
openai-compatibility:
  - name: alpha
    prefix: a
    base-url: {a_url}
    api-key-entries: [{{api-key: a-key-1}}, {{api-key: a-key-2}}]
    models:
      - {{name: upstream-gpt, alias: gpt}}
      - {{name: embedder}}
      - {{name: shared-model}}
  - name: beta
    prefix: b
    base-url: {b_url}
    api-key-entries: [{{api-key: b-key-1}}]
    models:
      - {{name: shared-model}}
  - name: anything
    prefix: open
    base-url: {a_url}
    api-key-entries: [{{api-key: open-key}}]
claude-api-key:
  - api-key: sk-ant-not-a-real-key
    prefix: claude
    models: [{{name: claude-sonnet-4-5}}]
{extra}
"""
