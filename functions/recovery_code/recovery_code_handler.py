"""Recovery codes a CSR reads to the customer over the phone."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.models.common import CustomerId
from csr.models.recovery import RecoveryCodeIssued, RecoveryCodeStatus
from csr.observability import logger, metrics, tracer
from csr.services import recovery_codes

app = ConsoleResolver(roles=CSR_ROLES)


@app.post("/customers/<customer_id>/recovery-code", status_code=201)
@errors({409: ["account_locked", "not_enrolled", "concurrent_change"]})
def handle_issue_recovery_code(customer_id: CustomerId) -> RecoveryCodeIssued:
    """Generate a recovery code to read to the customer over the phone."""
    return recovery_codes.issue_recovery_code(app.caller(), customer_id)


@app.get("/customers/<customer_id>/recovery-code")
def handle_get_recovery_code(customer_id: CustomerId) -> RecoveryCodeStatus:
    """Read whether a customer has an active recovery code (never the code itself)."""
    return recovery_codes.recovery_code_status(app.caller(), customer_id)


@app.delete("/customers/<customer_id>/recovery-code", status_code=204)
@errors({404: ["no_active_code"], 409: ["concurrent_change"]})
def handle_revoke_recovery_code(customer_id: CustomerId) -> Response[None]:
    """Revoke a customer's active recovery code."""
    recovery_codes.revoke_recovery_code(app.caller(), customer_id)
    return Response(status_code=204)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
