"""Configuration, read once from the environment that template.yaml sets."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    idempotency_table_name: str = ""
    portal_base_url: str = "https://portal.example.com"
    email_sender: str = "no-reply@example.com"
    ses_configuration_set: str = ""
    # SSM SecureString holding the service key from which cursor and recovery-code keys are derived.
    secret_key_parameter: str = ""
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate({field: os.environ[var] for field, var in _ENV.items() if var in os.environ})
