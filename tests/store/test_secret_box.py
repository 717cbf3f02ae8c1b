"""Secrets at rest: Fernet keys newest first, any decrypts, rotation, and errors that say what
to do without showing a key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gateway.store.secret_box import EncryptionKeyError, SecretBox

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_secret_is_stored_as_a_token_that_does_not_contain_it():
    box = SecretBox.from_value(OLD)
    assert box is not None
    token = box.encrypt("sk-live-0123456789abcdef")
    assert "sk-live" not in token and "0123456789" not in token
    assert box.decrypt(token) == "sk-live-0123456789abcdef"


def test_the_first_key_encrypts_and_any_key_decrypts_so_keys_rotate():
    old = SecretBox([OLD])
    stored = old.encrypt("secret-one")
    both = SecretBox.from_value(f"{NEW}, {OLD}")
    assert both is not None and both.count == 2
    assert both.decrypt(stored) == "secret-one"
    rotated = both.rotate(stored)
    assert SecretBox([NEW]).decrypt(rotated) == "secret-one"
    with pytest.raises(EncryptionKeyError):
        old.decrypt(rotated)


def test_a_wrong_key_is_a_clear_error_that_shows_no_key():
    stored = SecretBox([OLD]).encrypt("secret-two")
    with pytest.raises(EncryptionKeyError) as caught:
        SecretBox([NEW]).decrypt(stored)
    assert "ENCRYPTION_KEY" in str(caught.value) and NEW not in str(caught.value) and OLD not in str(caught.value)
    with pytest.raises(EncryptionKeyError, match="nothing was rewritten"):
        SecretBox([NEW]).rotate(stored)


@pytest.mark.parametrize("value", ["not-a-key", f"{OLD},short", "x" * 44])
def test_a_malformed_key_names_its_position_and_how_to_make_one(value):
    with pytest.raises(EncryptionKeyError) as caught:
        SecretBox.from_value(value)
    message = str(caught.value)
    assert "Fernet.generate_key()" in message and "key " in message and OLD not in message


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_key_means_no_box(value):
    assert SecretBox.from_value(value) is None


def test_only_commas_is_an_error():
    with pytest.raises(EncryptionKeyError, match="empty"):
        SecretBox.from_value(",")
