"""`Authorization: Bearer <token>` for the API (personal tokens; see users.services.api_token_create)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from sencrm.users.models import ApiToken
from sencrm.users.services import hash_token


def _touch(token: ApiToken, now: dt.datetime) -> None:
    """Note when the token was last used, without waiting for the disk: a reading request that
    commits this once a minute must not queue behind a checkpoint's fsync (1.7 s seen right after a
    bulk load). A crash may lose the timestamp, nothing else (only this statement is in the transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _in_outer_transaction():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def _in_outer_transaction() -> bool:
    """True inside a transaction opened before _touch's own (SET LOCAL would then cover its writes)."""
    return len(connection.atomic_blocks) > 1


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2 or len(header[1]) > 200:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None or not token.is_active or not token.user.is_active:
            # One message for unknown, revoked and expired tokens: nothing to learn by probing.
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            _touch(token, now)
        # The events this request writes name the token as the door ("API token ‘Tổng đài’ of An").
        token.user.acting_token_id = token.pk  # type: ignore[attr-defined]
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's __init_subclass__ is unannotated
    """The OpenAPI security scheme of personal API tokens (registered by being defined)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (My settings → API tokens, or "
            "`manage.py create_api_token`): `Authorization: Bearer sen_…`. It acts as its user, with that "
            "user's role and scope.",
        }
