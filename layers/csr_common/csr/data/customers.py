"""The customer partition: the profile item, account items and uniqueness guards of a customer, read
with the recovery credentials that sit beside them (`data.credentials`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from csr.data import credentials, deactivations, keys, search_index
from csr.data.credentials import RecoveryCode, ResetPointer
from csr.data.deactivations import DeactivationMarker
from csr.data.dynamo import Transaction, get, query_all
from csr.data.errors import UniqueTaken
from csr.models.customers import Account, Customer
from csr.rules.portal import voids_credentials


@dataclass(frozen=True)
class CustomerPartition:
    """A customer as read in one Query, with the credentials that sit beside it (live or not: the reader
    checks their expiry)."""

    customer: Customer
    recovery_code: RecoveryCode | None = None
    reset_pointer: ResetPointer | None = None
    deactivation: DeactivationMarker | None = None  # a deactivation written in parts, not yet finished


def _profile_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.PROFILE_SK}


def load(tenant_id: str, customer_id: str) -> CustomerPartition | None:
    items = list(
        query_all(
            KeyConditionExpression=Key("pk").eq(keys.customer_pk(tenant_id, customer_id))
            & Key("sk").lt(keys.CUSTOMER_READ_END),
            ConsistentRead=True,
        )
    )
    profile = next((item for item in items if item["sk"] == keys.PROFILE_SK), None)
    if profile is None:
        return None
    accounts = [Account.model_validate(item) for item in items if item["sk"].startswith(keys.ACCOUNT_SK_PREFIX)]
    customer = Customer.model_validate({**profile, "accounts": accounts})
    code, pointer = credentials.from_partition(
        {item["sk"]: item for item in items if credentials.is_credential(item["sk"])}
    )
    return CustomerPartition(
        customer, code, pointer, deactivations.from_partition({item["sk"]: item for item in items})
    )


def customer_id_by_email(tenant_id: str, email: str) -> str | None:
    return _guarded_customer_id(keys.email_guard_pk(tenant_id, email))


def customer_id_by_account(tenant_id: str, account_number: str) -> str | None:
    return _guarded_customer_id(keys.account_guard_pk(tenant_id, account_number))


def _guarded_customer_id(pk: str) -> str | None:
    item = get({"pk": pk, "sk": keys.UNIQUE_SK})
    return str(item["customer_id"]) if item else None


def _profile_item(tenant_id: str, customer: Customer) -> dict[str, Any]:
    return {
        **_profile_key(tenant_id, customer.customer_id),
        **customer.model_dump(mode="json", exclude={"accounts"}, exclude_none=True),
    }


def _guard(tx: Transaction, pk: str, customer_id: str, field: str, value: str) -> None:
    """Claim `value` of `field` for the customer; the commit raises `UniqueTaken` if another holds it."""
    tx.put(
        {"pk": pk, "sk": keys.UNIQUE_SK, "customer_id": customer_id},
        condition="attribute_not_exists(pk)",
        error=lambda: UniqueTaken(field, value),
    )


def _unchanged(customer: Customer) -> dict[str, Any]:
    """The condition that the stored customer is still the version a decision was made on."""
    return {"condition": "#v = :v", "names": {"#v": "version"}, "values": {":v": customer.version}}


def add_unchanged_check(tx: Transaction, tenant_id: str, customer: Customer) -> None:
    """Make `tx` fail if `customer` changed since it was read (its portal status above all), without
    writing it: for changes that decide on the customer but store elsewhere."""
    tx.check(_profile_key(tenant_id, customer.customer_id), **_unchanged(customer))


def add_customer_write(
    tx: Transaction,
    tenant_id: str,
    before: Customer | None,
    after: Customer,
) -> Customer:
    """Add to `tx` what turns `before` into `after`: the profile (with optimistic concurrency on its
    version), new accounts and their guards, changed accounts, and the search index. Returns the customer
    as it will be stored. The commit raises `UniqueTaken` if an email, person id or account number is
    another customer's."""
    stored = after.model_copy(update={"version": (before.version + 1) if before else 1})
    if before is None:
        tx.put(_profile_item(tenant_id, stored), condition="attribute_not_exists(pk)")
        _guard(tx, keys.email_guard_pk(tenant_id, after.email), after.customer_id, "email", after.email)
        _guard(tx, keys.person_guard_pk(tenant_id, after.person_id), after.customer_id, "person", after.person_id)
    else:
        tx.put(_profile_item(tenant_id, stored), **_unchanged(before))
    _add_account_writes(tx, tenant_id, before, after)
    if before is not None and voids_credentials(before.portal.status, after.portal.status):
        credentials.add_revoke_all(tx, tenant_id, after.customer_id)
    search_index.add_index_changes(tx, tenant_id, before, stored)
    return stored


def _add_account_writes(tx: Transaction, tenant_id: str, before: Customer | None, after: Customer) -> None:
    """New accounts with their guards, and changed accounts."""
    old_accounts = {account.account_number: account for account in (before.accounts if before else [])}
    for account in after.accounts:
        previous = old_accounts.get(account.account_number)
        if previous == account:
            continue
        if previous is None:
            number = account.account_number
            _guard(tx, keys.account_guard_pk(tenant_id, number), after.customer_id, "account", number)
        tx.put(
            {
                "pk": keys.customer_pk(tenant_id, after.customer_id),
                "sk": keys.account_sk(account.account_number),
                **account.model_dump(mode="json", exclude_none=True),
            }
        )
