"""The integration feeds of a provider's clients and employees. A client whose relationship is, or becomes,
expired (by its status, or an end date already passed) is taken out of its group by a `system` request."""

from __future__ import annotations

from csr import clock
from csr.auth import Caller
from csr.data import clients as client_store
from csr.data.dynamo import Transaction
from csr.models.groups import Client, ClientFeed, Employee, EmployeeFeed
from csr.rules.groups import relationship_active
from csr.services.groups import remove_expired_clients


def upsert_client(caller: Caller, client_id: str, body: ClientFeed) -> Client:
    before = client_store.load_client(caller.tenant_id, client_id)
    after = Client(client_id=client_id, **body.model_dump(), group_id=before.group_id if before else None)
    tx = Transaction()
    client_store.add_client_write(tx, caller.tenant_id, before, after)
    tx.commit()
    if after.group_id is not None and not relationship_active(after, clock.now()):
        # If queueing fails the feed gets a 503 and its retry (the same PUT) starts the request again.
        remove_expired_clients(caller.tenant_id, after.group_id, [client_id])
    return after


def upsert_employee(caller: Caller, employee_id: str, body: EmployeeFeed) -> Employee:
    employee = Employee(employee_id=employee_id, **body.model_dump())
    tx = Transaction()
    client_store.add_employee_write(tx, caller.tenant_id, employee)
    tx.commit()
    return employee
