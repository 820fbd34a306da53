"""A request that fails under an Idempotency-Key leaves no record of the key: its retry runs again rather
than being told the first attempt is still in progress (Powertools deletes the in-progress record)."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import Api, new_customer_body
from tests.integration.group_helpers import bam


def idempotency_records() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.resource("dynamodb").Table("IdempotencyTable").scan()["Items"]
    return items


def test_a_refused_create_leaves_its_key_free_for_the_retry(csr: Api) -> None:
    # Given a customer who holds the email
    assert csr.call("POST", "/customers", new_customer_body(1))[0] == 201
    taken = new_customer_body(2, email="helene.tremblay1@example.org")
    headers = {"Idempotency-Key": "create-2"}
    # When another create with a key is refused
    status, error, _ = csr.call("POST", "/customers", taken, headers=headers)
    assert (status, error["error"]["code"]) == (409, "email_taken")
    # Then the key is not held, and the retry gets the same refusal, not `idempotency_in_progress`
    assert idempotency_records() == []
    status, error, _ = csr.call("POST", "/customers", taken, headers=headers)
    assert (status, error["error"]["code"]) == (409, "email_taken")


def test_a_refused_group_change_leaves_its_key_free_for_the_retry(api: Api) -> None:
    # Given a BAM creating a group with a client the provider has no relationship with
    body = {"name": "Nobody's", "client_ids": ["CL-UNKNOWN"]}
    headers = {"Idempotency-Key": "group-1"}
    # When the create is refused under a key
    status, error, _ = bam(api).call("POST", "/groups", body, headers=headers)
    assert (status, error["error"]["code"]) == (422, "clients_unavailable")
    # Then the key is not held, and the retry is refused the same way
    assert idempotency_records() == []
    status, error, _ = bam(api).call("POST", "/groups", body, headers=headers)
    assert (status, error["error"]["code"]) == (422, "clients_unavailable")
