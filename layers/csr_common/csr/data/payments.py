"""Payments: one item per payment in its customer's partition, and a guard item per payment id that
names the customer holding it (billing may move a payment to another customer's account)."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from csr.data import keys
from csr.data.dynamo import Transaction, get, query_all
from csr.models.customers import Payment, PaymentStatus


def _key(tenant_id: str, customer_id: str, payment_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.payment_sk(payment_id)}


def _guard_key(tenant_id: str, payment_id: str) -> dict[str, str]:
    return {"pk": keys.payment_guard_pk(tenant_id, payment_id), "sk": keys.UNIQUE_SK}


def payments(tenant_id: str, customer_id: str, statuses: frozenset[PaymentStatus] | None = None) -> list[Payment]:
    """The customer's payments of `statuses` (all if None), by date."""
    items = query_all(
        KeyConditionExpression=Key("pk").eq(keys.customer_pk(tenant_id, customer_id))
        & Key("sk").begins_with(keys.PAYMENT_SK_PREFIX),
        ConsistentRead=True,
    )
    stored = [Payment.model_validate(item) for item in items]
    chosen = [payment for payment in stored if statuses is None or payment.status in statuses]
    return sorted(chosen, key=lambda payment: (payment.scheduled_for, payment.payment_id))


def holder(tenant_id: str, payment_id: str) -> str | None:
    """The customer who holds the payment, if billing sent it before."""
    item = get(_guard_key(tenant_id, payment_id))
    return str(item["customer_id"]) if item else None


def add_payment_write(
    tx: Transaction, tenant_id: str, customer_id: str, payment: Payment, previous_holder: str | None
) -> None:
    """Store `payment` with `customer_id`, moving it from `previous_holder` if that is another customer.
    Fails if the holder changed since it was read."""
    if previous_holder and previous_holder != customer_id:
        tx.delete(_key(tenant_id, previous_holder, payment.payment_id))
    tx.put(
        {**_guard_key(tenant_id, payment.payment_id), "customer_id": customer_id},
        condition="attribute_not_exists(pk) OR customer_id = :old",
        values={":old": previous_holder or customer_id},
    )
    tx.put({**_key(tenant_id, customer_id, payment.payment_id), **payment.model_dump(mode="python")})


def add_cancellation(tx: Transaction, tenant_id: str, customer_id: str, payment: Payment) -> None:
    """Cancel a payment only if it is still open: billing may have moved it on since it was read."""
    tx.update(
        _key(tenant_id, customer_id, payment.payment_id),
        "SET #s = :cancelled",
        condition="#s IN (:scheduled, :pending)",
        names={"#s": "status"},
        values={
            ":cancelled": PaymentStatus.CANCELLED.value,
            ":scheduled": PaymentStatus.SCHEDULED.value,
            ":pending": PaymentStatus.PENDING.value,
        },
    )
