"""Field encryption for personal data at rest (domain.md §10: 字段加密 of ID and phone numbers).

Values are sealed with AES-256-GCM (`cryptography`); the stored text is `gcm1:<key id>:<base64(nonce|ciphertext)>`,
with the table and column as associated data, so a value copied into another column does not decrypt. The key is
GRIDSAFE_FIELD_KEY (32 bytes, base64); older keys in GRIDSAFE_FIELD_OLD_KEYS still decrypt during a rotation. In
development, with no key set, one is derived from SECRET_KEY (check_deploy refuses that in production).

Ciphertexts are random, so the column cannot be searched: a field with `lookup_field="phone_hash"` also fills that
companion column with a keyed HMAC-SHA256 (a blind index) in pre_save; find rows with `blind_index(value)`.
QuerySet.update() bypasses pre_save, so write these fields through save(). 商用密码: SM4 would replace AES-GCM in a
certified product; the format's version prefix leaves room for it."""

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact

PREFIX = "gcm1:"


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gridsafe", info=info).derive(material)


def _decode_key(raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured("GRIDSAFE_FIELD_KEY must be 32 bytes in base64 (gridsafe check_deploy shows one)")
    return key


@functools.cache
def _keys() -> tuple[bytes, dict[str, bytes]]:
    """(current key, {key id: key} for every key that may decrypt)."""
    if settings.GRIDSAFE_FIELD_KEY:
        current = _decode_key(settings.GRIDSAFE_FIELD_KEY)
    else:
        current = _derive(settings.SECRET_KEY.encode(), b"gridsafe field key (dev)")
    every = [current] + [_decode_key(k) for k in settings.GRIDSAFE_FIELD_OLD_KEYS]
    return current, {key_id(k): k for k in every}


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def reset_keys() -> None:
    """After changing the key settings (tests)."""
    _keys.cache_clear()


def current_key() -> str:
    """The key in force, spelt as GRIDSAFE_FIELD_KEY is (the dev key derived from SECRET_KEY too): what goes into
    GRIDSAFE_FIELD_OLD_KEYS when it is rotated out."""
    return base64.urlsafe_b64encode(_keys()[0]).decode().rstrip("=")


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def encrypt(plaintext: str, *, context: str) -> str:
    key, _ = _keys()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}{key_id(key)}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, *, context: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # a value written before the column was encrypted; the data migration seals it
    kid, _, blob = stored[len(PREFIX) :].partition(":")
    _, keys = _keys()
    if kid not in keys:
        raise ImproperlyConfigured(f"no field key with id {kid}: set GRIDSAFE_FIELD_OLD_KEYS during a rotation")
    raw = base64.b64decode(blob)
    return AESGCM(keys[kid]).decrypt(raw[:12], raw[12:], context.encode()).decode()


def blind_index(value: str) -> str:
    """Keyed hash for equality lookups of an encrypted value (normalised: surrounding spaces removed)."""
    key, _ = _keys()
    mac_key = _derive(key, b"gridsafe blind index")
    return hmac.new(mac_key, value.strip().encode(), hashlib.sha256).hexdigest()


def blind_index_all_keys(value: str) -> list[str]:
    """`blind_index` under every configured key, the retired ones included (core.idempotency reads the places
    fingerprints once written with it)."""
    _, keys = _keys()
    mac_keys = [_derive(key, b"gridsafe blind index") for key in keys.values()]
    return [hmac.new(k, value.strip().encode(), hashlib.sha256).hexdigest() for k in mac_keys]


class _EmptyOnlyExact(Exact):
    """`exact` on an encrypted column: only the empty value can match (a ciphertext is random every time, so
    `filter(phone="139…")` would silently find nothing). Anything else is an error that names the blind index."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            field = self.lhs.target
            raise FieldError(
                f"{field.model.__name__}.{field.name} is encrypted and cannot be compared: filter on "
                f"{field.lookup_field or 'its blind index'}=blind_index(value)"
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.TextField):
    """A short string stored encrypted. `max_length` limits the plaintext; the column is text. Only `isnull` and
    `exact=""` lookups make sense (others raise FieldError); search through the `lookup_field` companion instead.
    Models with a `lookup_field` derive from `BlindIndexedModel`, so `save(update_fields=[…])` writes the index too."""

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None  # Django then raises FieldError: "Unsupported lookup … for EncryptedCharField"

    def __init__(self, *args, lookup_field: str | None = None, **kwargs):
        self.lookup_field = lookup_field
        super().__init__(*args, **kwargs)
        if self.max_length:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.lookup_field:
            kwargs["lookup_field"] = self.lookup_field
        return name, path, args, kwargs

    @property
    def _context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, context=self._context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, context=self._context)

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if self.lookup_field:
            setattr(model_instance, self.lookup_field, blind_index(value) if value else "")
        return value

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class BlindIndexedModel(models.Model):
    """Base of a model with an `EncryptedCharField(lookup_field=…)`: a save limited by `update_fields` to the
    encrypted field also writes its blind index (the field's pre_save computes it, but Django writes only the
    columns named). Storage, not a rule."""

    class Meta:
        abstract = True

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        if update_fields is not None:
            update_fields = set(update_fields)
            for field in self._meta.concrete_fields:
                if isinstance(field, EncryptedCharField) and field.lookup_field and field.name in update_fields:
                    update_fields.add(field.lookup_field)
        super().save(*args, update_fields=update_fields, **kwargs)
