"""Feeds from upstream systems: payments from billing; a provider's clients and employees."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import Role
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.models.common import UpstreamId
from csr.models.customers import Payment, PaymentFeed
from csr.models.groups import Client, ClientFeed, Employee, EmployeeFeed
from csr.observability import logger, metrics, tracer
from csr.services import customers, relationships

app = ConsoleResolver(roles={Role.INTEGRATION})


@app.put("/integration/payments/<payment_id>")
@errors({404: ["account_not_found"], 409: ["concurrent_change"]})
def handle_upsert_payment(payment_id: UpstreamId, body: PaymentFeed) -> Payment:
    """Create or replace a payment pushed by billing."""
    return customers.upsert_payment(app.caller(), payment_id, body)


@app.put("/integration/clients/<client_id>")
@errors({409: ["concurrent_change"]})
def handle_upsert_client(client_id: UpstreamId, body: ClientFeed) -> Client:
    """Create or replace a provider's client pushed by the feed."""
    return relationships.upsert_client(app.caller(), client_id, body)


@app.put("/integration/employees/<employee_id>")
@errors({409: ["concurrent_change"]})
def handle_upsert_employee(employee_id: UpstreamId, body: EmployeeFeed) -> Employee:
    """Create or replace a provider's employee pushed by the feed."""
    return relationships.upsert_employee(app.caller(), employee_id, body)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
