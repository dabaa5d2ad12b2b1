"""Secrets kept in the database (a Facebook app secret, a Zalo OA key) are stored encrypted.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key from the setting `FIELD_ENCRYPTION_KEY`,
else derived from `SECRET_KEY`: a database dump alone does not give the secrets away. A value that cannot
be decrypted (the key changed) reads as empty, so the administrator sets it again instead of meeting a 500.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(f"sencrm-field-encryption:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    """The token to store for `plain` ("" stays "")."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a stored token; "" when it is empty or cannot be read with the current key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
