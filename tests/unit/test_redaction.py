"""The redactor: whole secrets and every long enough fragment of one leave no output edge."""

from __future__ import annotations

import logging

from gateway.config.loader import parse_config
from gateway.config.secrets import config_secrets
from gateway.core.redaction import FRAGMENT, MASK, RedactingFilter, Redactor

KEY = "sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"


def test_a_whole_secret_is_masked_wherever_it_appears():
    redactor = Redactor([KEY])
    assert redactor.text(f"bad key {KEY}, and again:{KEY}") == f"bad key {MASK}, and again:{MASK}"


def test_every_fragment_long_enough_to_identify_a_key_is_masked_at_every_cut():
    redactor = Redactor([KEY])
    for cut in range(len(KEY) + 1):
        for fragment in (KEY[:cut], KEY[cut:]):
            text = redactor.text(f"Incorrect API key provided: {fragment}... see docs")
            if len(fragment) >= FRAGMENT:
                assert fragment not in text and MASK in text, (cut, text)
            else:
                assert text == f"Incorrect API key provided: {fragment}... see docs"


def test_a_fragment_in_the_middle_of_other_text_is_masked_with_its_whole_stretch():
    middle = KEY[5:30]
    assert Redactor([KEY]).text(f"x{middle}y") == f"x{MASK}y"


def test_short_secrets_are_masked_whole_and_very_short_values_are_ignored():
    redactor = Redactor(["abcd12", "x", ""])
    assert redactor.text("key abcd12 and abcd1") == f"key {MASK} and abcd1"
    assert redactor.text("x marks") == "x marks"


def test_bytes_keep_invalid_utf8_as_it_was():
    redactor = Redactor([KEY])
    data = b"\xff\xfe " + KEY.encode() + b" \xe9"
    assert redactor.bytes(data) == b"\xff\xfe " + MASK.encode() + b" \xe9"
    clean = b"nothing secret \xff"
    assert redactor.bytes(clean) is clean


def test_union_keeps_the_secrets_of_earlier_configs():
    assert Redactor(["old-secret-value"]).union(["new-secret-value"]).secrets == {
        "old-secret-value",
        "new-secret-value",
    }


def test_the_log_filter_masks_messages_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("test.redaction")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(logging.Formatter().format(record))  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter(lambda: Redactor([KEY])))
    logger.addHandler(handler)
    try:
        logger.warning("upstream said %s", f"invalid key {KEY[:20]}")
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert all(KEY[:FRAGMENT] not in line for line in seen) and MASK in seen[0] and MASK in seen[1]
    assert "RuntimeError" in seen[1]


def test_config_secrets_cover_keys_and_credential_headers_but_not_plain_headers():
    config, _ = parse_config(
        """
api-keys: [client-secret-1, {api-key: client-secret-2, name: b}]
remote-management: {secret-key: management-secret}
openai-compatibility:
  - name: one
    base-url: http://one/v1
    api-key-entries: [{api-key: upstream-key-1}]
    headers: {Authorization: "Bearer header-token-9", X-Title: "My Application", X-Org-Key: org-secret-7}
claude-api-key:
  - api-key: claude-key-1
""",
        {},
    )
    secrets = set(config_secrets(config))
    assert {
        "client-secret-1",
        "client-secret-2",
        "management-secret",
        "upstream-key-1",
        "header-token-9",
        "Bearer header-token-9",
        "org-secret-7",
        "claude-key-1",
    } <= secrets
    assert "My Application" not in secrets
