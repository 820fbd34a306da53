"""A request that fails under an Idempotency-Key leaves no record of the key: its retry runs again rather
than being told the first attempt is still in progress (Powertools deletes the in-progress record). When
that delete fails, the failure is still the answer, and the key is free once the claim's time is up."""

from __future__ import annotations

from csr.settings import get_settings
from tests.support.api import Api, new_customer_body
from tests.support.faults import Fault, aws_error, injected
from tests.support.groups import bam
from tests.support.tables import all_items, idempotency_records, idempotency_table


def end_claims() -> None:
    """Move every in-progress claim's end (the invocation's remaining time) into the past."""
    for record in idempotency_records():
        idempotency_table().update_item(
            Key={"id": record["id"]},
            UpdateExpression="SET in_progress_expiration = :past",
            ExpressionAttributeValues={":past": 0},
        )


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


def test_a_refusal_whose_key_cannot_be_released_is_still_the_answer(csr: Api) -> None:
    # Given a customer who holds the email
    assert csr.call("POST", "/customers", new_customer_body(1))[0] == 201
    taken = new_customer_body(2, email="helene.tremblay1@example.org")
    headers = {"Idempotency-Key": "create-3"}
    items = all_items()
    release = Fault(
        "dynamodb",
        "DeleteItem",
        lambda op: aws_error("ThrottlingException", op),
        times=1,
        table=get_settings().idempotency_table_name,
    )
    # When another create with a key is refused, and the store fails to release the key
    with injected(release):
        status, error, _ = csr.call("POST", "/customers", taken, headers=headers)
    # Then the refusal is the answer (not a 503 inviting a retry), and nothing is written
    assert release.raised == 1
    assert (status, error["error"]["code"]) == (409, "email_taken")
    assert all_items() == items
    # And the key stays claimed until the invocation's time is up: a retry meanwhile is told so
    status, error, _ = csr.call("POST", "/customers", taken, headers=headers)
    assert (status, error["error"]["code"]) == (409, "idempotency_in_progress")
    # After it, the retry runs again and gets the same refusal, and the key is released
    end_claims()
    status, error, _ = csr.call("POST", "/customers", taken, headers=headers)
    assert (status, error["error"]["code"]) == (409, "email_taken")
    assert idempotency_records() == []
    assert all_items() == items
