"""Configuration, read once from the environment that template.yaml sets.

What a deployment must say has no default: a missing variable stops the cold start (`require_settings`)
with a message naming it, rather than sending links to a placeholder portal or mail from a placeholder
sender."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, Json, ValidationError, field_validator

from csr.models.base import Model

# A Payment Administration link: an https URL with the account number's place marked.
_URL_TEMPLATE = re.compile(r"^https?://[^\s{}]+(?:\{account_number\}[^\s{}]*)+$")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


class TenantOverrides(Model):
    """What one tenant sets for itself (TENANT_SETTINGS): its time zone, and where its Payment
    Administration shows an account (a URL with `{account_number}`, shown only where set)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    time_zone: str | None = None
    payment_admin_url: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return _zone(value) if value is not None else None

    @field_validator("payment_admin_url")
    @classmethod
    def _url_template(cls, value: str | None) -> str | None:
        if value is not None and not _URL_TEMPLATE.match(value):
            raise ValueError("must be an http(s) URL holding {account_number}")
        return value


class Settings(Model):
    table_name: str = Field(min_length=1)
    portal_base_url: str = Field(min_length=1)
    email_sender: str = Field(min_length=1)
    # SSM SecureString holding the service key from which cursor and recovery-code keys are derived.
    secret_key_parameter: str = Field(min_length=1)
    idempotency_table_name: str = ""
    ses_configuration_set: str = ""
    # scrypt cost as log2(N); OWASP's current floor for scrypt is N=2^17, r=8, p=1.
    password_hash_log2_n: int = Field(default=17, ge=10, le=20)
    # The process-request queue of client groups, and its redrive policy's maxReceiveCount.
    group_queue_url: str = ""
    group_queue_max_receives: int = Field(default=5, ge=1)
    # The utility's time zone where its tenant sets none: every email's dates and times are written in it.
    default_time_zone: str = "UTC"
    # Each tenant's own settings, a JSON object by tenant id (template.yaml's TenantSettings).
    tenant_settings: Json[dict[str, TenantOverrides]] = Field(default_factory=dict)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)


_ENV = {
    "table_name": "TABLE_NAME",
    "idempotency_table_name": "IDEMPOTENCY_TABLE_NAME",
    "portal_base_url": "PORTAL_BASE_URL",
    "email_sender": "EMAIL_SENDER",
    "ses_configuration_set": "SES_CONFIGURATION_SET",
    "secret_key_parameter": "SECRET_KEY_PARAMETER",
    "password_hash_log2_n": "PASSWORD_HASH_LOG2_N",
    "group_queue_url": "GROUP_QUEUE_URL",
    "group_queue_max_receives": "GROUP_QUEUE_MAX_RECEIVES",
    "default_time_zone": "DEFAULT_TIME_ZONE",
    "tenant_settings": "TENANT_SETTINGS",
}


class SettingsError(RuntimeError):
    """The environment lacks a variable the deployment must set, or holds an invalid one."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings.model_validate({field: os.environ[var] for field, var in _ENV.items() if var in os.environ})
    except ValidationError as exc:
        problems = [f"{_ENV[str(error['loc'][0])]}: {error['msg']}" for error in exc.errors()]
        raise SettingsError(f"Invalid configuration, set these environment variables: {'; '.join(problems)}") from exc


def require_settings() -> None:
    """Read the settings now, at cold start, so that a missing variable fails every invocation loudly."""
    get_settings()
