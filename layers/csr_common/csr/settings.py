"""Configuration, read once from the environment that template.yaml sets.

What a deployment must say has no default: a missing variable stops the cold start (`require_settings`)
with a message naming it, rather than sending links to a placeholder portal or mail from a placeholder
sender."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, ValidationError

from csr.models.base import Model


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
