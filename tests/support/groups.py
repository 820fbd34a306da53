"""Helpers for the client-group tests: a provider's feeds, its business account manager, and the queue
delivered to the worker the way the event source mapping does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from csr import clock
from infra.sqs_delivery import SqsDelivery
from tests.support.api import Api

PROVIDER = "provider-a"


def bam(api: Api, tenant_id: str = PROVIDER) -> Api:
    return api.as_(groups=["business_account_manager"], tenant_id=tenant_id, sub="bam-1")


def feed(api: Api, tenant_id: str = PROVIDER) -> Api:
    return api.machine("integration", tenant_id=tenant_id)


def client_body(name: str, *, days: float = 30, status: str = "active", number: str = "BN 000") -> dict[str, Any]:
    return {
        "name": name,
        "business_number": number,
        "program_accounts": ["RT0001"],
        "relationship": {"status": status, "expires_at": clock.iso(clock.now() + timedelta(days=days))},
    }


def put_clients(api: Api, count: int, *, prefix: str = "C", tenant_id: str = PROVIDER, **body: Any) -> list[str]:
    ids = []
    for n in range(count):
        client_id = f"{prefix}{n:05d}"
        status, answer, _ = feed(api, tenant_id).call(
            "PUT",
            f"/integration/clients/{client_id}",
            client_body(f"Client {prefix} {n:05d}", **{"number": f"BN {prefix}{n:05d}", **body}),
        )
        assert status == 200, answer
        ids.append(client_id)
    return ids


def put_employee(api: Api, employee_id: str, role: str = "editor", tenant_id: str = PROVIDER) -> None:
    body = {"name": f"Employee {employee_id}", "email": f"{employee_id.lower()}@provider.example.com", "role": role}
    status, answer, _ = feed(api, tenant_id).call("PUT", f"/integration/employees/{employee_id}", body)
    assert status == 200, answer


def deliver(delivery: SqsDelivery | None = None) -> int:
    """Deliver every queued message to the worker until the queue is empty; failed ones come back at once."""
    return (delivery or SqsDelivery(visibility_timeout=0)).drain()


def request_of(api: Api, request_id: str) -> dict[str, Any]:
    status, answer, _ = bam(api).call("GET", f"/process-requests/{request_id}")
    assert status == 200, answer
    return dict(answer)


def group_of(api: Api, group_id: str) -> tuple[int, Any]:
    status, answer, _ = bam(api).call("GET", f"/groups/{group_id}")
    return status, answer


def create_group(api: Api, name: str, client_ids: list[str]) -> tuple[str, str]:
    status, answer, _ = bam(api).call("POST", "/groups", {"name": name, "client_ids": client_ids})
    assert status == 202, answer
    return answer["group_id"], answer["request_id"]
