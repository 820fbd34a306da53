"""email_events: SES delivery, bounce and complaint events -> entries on the customer the email was for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra import template
from infra.apigw import invoke
from infra.ses_events import ses_event
from tests.support.api import Api, new_customer_body

EVENTS = Path(__file__).resolve().parents[2] / "events" / "email_events"
ADDRESS = "helene.tremblay1@example.org"


def handle(event: dict[str, Any]) -> dict[str, Any]:
    function = next(f for f in template.functions() if f.logical_id == "EmailEventsFunction")
    return invoke(function, event)


def sent(csr: Api, tenant_id: str = "utility-a") -> tuple[str, str]:
    """A customer and an email sent to them, recorded the way the email sender records it."""
    from csr import clock
    from csr.data.dynamo import table
    from csr.data.emails import message_record

    api = csr.as_(groups=["csr"], tenant_id=tenant_id)
    status, created, _ = api.call("POST", "/customers", new_customer_body())
    assert status == 201, created
    message_id = f"0100019a-{created['customer_id']}-000000"
    record = message_record(
        message_id,
        tenant_id=tenant_id,
        customer_id=created["customer_id"],
        kind="password_reset_link",
        moment=clock.now(),
    )
    table().put_item(Item=record)
    return created["customer_id"], message_id


def email_entries(api: Api, customer_id: str) -> list[dict[str, Any]]:
    status, body, _ = api.call(
        "GET", f"/customers/{customer_id}/activity", query={"types": "email_delivered,email_bounced,email_complained"}
    )
    assert status == 200, body
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def raw_log_items() -> list[dict[str, Any]]:
    from csr.data.dynamo import table

    return [item for item in table().scan()["Items"] if str(item["pk"]).endswith("#ACT")]


@pytest.mark.parametrize(
    ("event_type", "kind", "extra"),
    [
        ("Delivery", "email_delivered", {}),
        ("Bounce", "email_bounced", {"bounce_type": "Permanent", "bounce_sub_type": "General"}),
        ("Complaint", "email_complained", {"feedback_type": "abuse"}),
    ],
)
def test_an_ses_event_becomes_an_entry_of_the_customer(
    csr: Api, event_type: Any, kind: str, extra: dict[str, str]
) -> None:
    from csr import clock

    # Given an email sent to a customer
    customer_id, message_id = sent(csr)
    when = clock.now() + timedelta(seconds=5)

    # When SES reports what became of it
    result = handle(ses_event(message_id, event_type, [ADDRESS], when))

    # Then
    assert result == {"outcome": "recorded"}
    [entry] = email_entries(csr, customer_id)
    assert entry["type"] == kind
    assert entry["at"] == clock.iso(when)
    assert entry["actor"] == {"kind": "system", "id": "system", "name": None}
    assert entry["details"] == {
        "email_kind": "password_reset_link",
        "message_id": message_id,
        "sent_to": ["h***@example.org"],
        **extra,
    }
    assert ADDRESS not in json.dumps(raw_log_items(), default=str)


def test_a_redelivered_event_records_one_entry(csr: Api) -> None:
    from csr import clock

    customer_id, message_id = sent(csr)
    event = ses_event(message_id, "Delivery", [ADDRESS], clock.now())

    outcomes = [handle(event)["outcome"], handle(event)["outcome"]]
    bounce = handle(ses_event(message_id, "Bounce", [ADDRESS], clock.now()))

    assert outcomes == ["recorded", "duplicate"]
    assert bounce == {"outcome": "recorded"}
    assert sorted(entry["type"] for entry in email_entries(csr, customer_id)) == ["email_bounced", "email_delivered"]


def test_the_entry_lands_in_the_tenant_of_the_message_only(csr: Api) -> None:
    from csr import clock

    customer_id, message_id = sent(csr, tenant_id="utility-b")
    other_tenant = csr.as_(groups=["csr"], tenant_id="utility-b")

    handle(ses_event(message_id, "Bounce", [ADDRESS], clock.now()))

    assert [entry["type"] for entry in email_entries(other_tenant, customer_id)] == ["email_bounced"]
    assert csr.call("GET", f"/customers/{customer_id}/activity")[0] == 404


def test_an_unknown_message_is_ignored(csr: Api) -> None:
    from csr import clock

    sent(csr)
    before = raw_log_items()

    result = handle(ses_event("0100019a-unknown-000000", "Delivery", [ADDRESS], clock.now()))

    assert result == {"outcome": "unknown_message"}
    assert raw_log_items() == before


def test_an_event_of_another_shape_is_ignored(csr: Api) -> None:
    result = handle({"source": "aws.ses", "detail-type": "Email Opened", "detail": {"eventType": "Open"}})

    assert result == {"outcome": "not_an_email_event"}
    assert raw_log_items() == []


@pytest.mark.parametrize("name", ["delivery", "bounce", "complaint"])
def test_samples_match_the_builder_and_the_rule(aws: Any, name: str) -> None:
    from csr.models.activity import SesEvent

    sample = json.loads((EVENTS / f"{name}.json").read_text())
    built = ses_event("m-1", sample["detail"]["eventType"], ["a@example.org"], datetime.now(UTC))
    function = next(f for f in template.functions() if f.logical_id == "EmailEventsFunction")
    pattern = function.properties["Events"]["SesEvents"]["Properties"]["Pattern"]

    assert _shape(sample) == _shape(built)
    assert sample["source"] in pattern["source"]
    assert sample["detail-type"] in pattern["detail-type"]
    assert SesEvent.model_validate(sample).detail.mail.message_id == sample["detail"]["mail"]["messageId"]


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_shape(inner) for inner in value[:1]]
    return type(value).__name__
