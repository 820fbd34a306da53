"""No token, code or password in clear in any log line or stored item of the recovery flows."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import boto3
import pytest

from csr.data import keys
from csr.observability import logger
from tests.support.api import Api
from tests.support.credentials import (
    NEW_PASSWORD,
    issue,
    log_in,
    messages_to,
    recover,
    reset_password,
    send_link,
    ses_fails,
    token_from,
    wrong_code,
)
from tests.support.customers import TENANT, create_customer
from tests.support.tables import activity_of, all_items

WRONG_PASSWORD = "not the right password at all"
CODE_PASSWORD = "a second long passphrase for the code"


def _every_item() -> list[dict[str, Any]]:
    idempotency = boto3.resource("dynamodb").Table("IdempotencyTable").scan()["Items"]
    assert idempotency, "the idempotent request should have stored its answer"
    return [*all_items(), *idempotency]


def _run_every_flow(csr: Api, api: Api) -> list[str]:
    """Every recovery flow, including the failing ones; returns the secrets they handled."""
    linked = create_customer(csr, 1)
    with ses_fails():
        assert send_link(csr, linked["customer_id"])[0] == 503
    assert send_link(csr, linked["customer_id"], {"Idempotency-Key": "k-1"})[0] == 202
    assert send_link(csr, linked["customer_id"], {"Idempotency-Key": "k-1"})[0] == 202
    token = token_from(messages_to(linked["email"])[0])
    assert reset_password(api, token, "short")[0] == 422
    with ses_fails():
        assert reset_password(api, token)[0] == 204
    assert reset_password(api, token)[0] == 400
    assert log_in(api, linked["email"], WRONG_PASSWORD) == 401
    assert log_in(api, linked["email"], NEW_PASSWORD) == 200

    coded = create_customer(csr, 2)
    _, issued = issue(csr, coded["customer_id"])
    code = issued["code"]
    assert recover(api, coded["email"], wrong_code(code), CODE_PASSWORD)[0] == 400
    assert recover(api, coded["email"], code, CODE_PASSWORD)[0] == 204
    return [token, code, code.replace("-", ""), wrong_code(code), NEW_PASSWORD, WRONG_PASSWORD, CODE_PASSWORD]


def test_no_secret_in_logs_or_stored_items(
    csr: Api,
    api: Api,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the product's JSON log lines (what CloudWatch receives) written to a buffer, every invocation
    # sampled for DEBUG (POWERTOOLS_LOGGER_SAMPLE_RATE=1, which a deployment may set while investigating),
    # and the standard loggers of the libraries captured too
    json_lines = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", json_lines)
    monkeypatch.setattr(logger, "sampling_rate", 1.0)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    # When
    secrets = _run_every_flow(csr, api)
    # Then
    log_text = "\n".join([json_lines.getvalue(), *(record.getMessage() for record in caplog.records)])
    assert "SES refused an email" in log_text, "the SES failures should have been logged"
    assert "password-change notice not sent" in log_text
    stored = json.dumps(_every_item(), default=str)
    for secret in secrets:
        assert secret not in log_text
        assert secret not in stored


def test_activity_entries_hold_no_full_email_address(csr: Api, api: Api) -> None:
    _run_every_flow(csr, api)
    profiles = [item for item in all_items() if item["sk"] == keys.PROFILE_SK]
    assert len(profiles) == 2
    for profile in profiles:
        entries = activity_of(TENANT, profile["customer_id"])
        assert len(entries) >= 4
        assert profile["email"] not in json.dumps(entries, default=str)
