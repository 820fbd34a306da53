"""Customers: add, read, update, add accounts, payments, start impersonation."""

import csr.init_phase

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.idempotency import IdempotencyKey, run_idempotent
from csr.models.common import CustomerId
from csr.models.customers import (
    CreateCustomerRequest,
    CustomerView,
    ImpersonationStarted,
    NewAccount,
    PaymentList,
    UpdateCustomerRequest,
)
from csr.models.filters import PaymentStatusFilter, parse_payment_statuses
from csr.observability import logger, metrics, tracer
from csr.services import customers

app = ConsoleResolver(roles=CSR_ROLES)


@app.post("/customers", status_code=201)
@errors({409: ["email_taken", "person_taken", "account_taken", "concurrent_change"], 422: ["change_too_large"]})
def handle_create_customer(body: CreateCustomerRequest, idempotency_key: IdempotencyKey = None) -> CustomerView:
    """Add a customer with their service accounts."""
    caller = app.caller()
    result = run_idempotent(
        caller,
        idempotency_key,
        "create_customer",
        body.model_dump(mode="json"),
        lambda: customers.create_customer(caller, body),
        app.lambda_context,
    )
    return CustomerView.model_validate(result)


@app.get("/customers/<customer_id>")
def handle_get_customer(customer_id: CustomerId) -> CustomerView:
    """Read a customer: profile, portal access, service accounts and recovery code status."""
    return customers.get_customer(app.caller(), customer_id)


@app.patch("/customers/<customer_id>")
@errors({404: ["account_not_found"], 409: ["concurrent_change"], 422: ["login_id_immutable", "change_too_large"]})
def handle_update_customer(customer_id: CustomerId, body: UpdateCustomerRequest) -> CustomerView:
    """Update a customer's profile and account settings (only the fields sent change)."""
    return customers.update_customer(app.caller(), customer_id, body)


@app.post("/customers/<customer_id>/accounts", status_code=201)
@errors({409: ["account_taken", "concurrent_change"], 422: ["change_too_large"]})
def handle_add_account(customer_id: CustomerId, body: NewAccount) -> CustomerView:
    """Add a service account to an existing customer."""
    return customers.add_account(app.caller(), customer_id, body)


@app.get("/customers/<customer_id>/payments")
def handle_list_payments(
    customer_id: CustomerId, status: Annotated[PaymentStatusFilter | None, Query()] = None
) -> PaymentList:
    """List the payments of a customer's accounts, soonest first."""
    return customers.list_payments(app.caller(), customer_id, parse_payment_statuses(status))


@app.post("/customers/<customer_id>/impersonation", status_code=201)
@errors({409: ["not_enrolled", "concurrent_change"]})
def handle_start_impersonation(customer_id: CustomerId) -> ImpersonationStarted:
    """Start a read-only, audited impersonation session of a customer's portal."""
    return customers.start_impersonation(app.caller(), customer_id)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
