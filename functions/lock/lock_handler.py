"""Portal access from the CSR console: lock, unlock, deactivate, hide."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.models.access import DeactivateRequest, DeactivateResponse, LockRequest, PortalStatusResponse
from csr.models.common import CustomerId
from csr.observability import logger, metrics, tracer
from csr.rules.portal import Transition, refusal_codes
from csr.services import deactivation, portal_status

app = ConsoleResolver(roles=CSR_ROLES)


@app.post("/customers/<customer_id>/lock")
@errors({409: [*refusal_codes(Transition.LOCK), "concurrent_change"]})
def handle_lock_customer(customer_id: CustomerId, body: LockRequest) -> PortalStatusResponse:
    """Lock a customer's portal access."""
    return portal_status.lock(app.caller(), customer_id, body)


@app.post("/customers/<customer_id>/unlock")
@errors({409: [*refusal_codes(Transition.UNLOCK), "concurrent_change"]})
def handle_unlock_customer(customer_id: CustomerId) -> PortalStatusResponse:
    """Unlock or reactivate a customer's portal access."""
    return portal_status.unlock(app.caller(), customer_id)


@app.post("/customers/<customer_id>/deactivate")
# Never 422 `change_too_large`: a part is at most 88 items (services.deactivation).
@errors({409: [*refusal_codes(Transition.DEACTIVATE), "payments_pending", "concurrent_change"]})
def handle_deactivate_customer(customer_id: CustomerId, body: DeactivateRequest) -> DeactivateResponse:
    """Deactivate a customer's portal account."""
    # Parts are written while the invocation has time for another; then 503, and a retry goes on.
    return deactivation.deactivate(app.caller(), customer_id, body, app.lambda_context.get_remaining_time_in_millis)


@app.post("/customers/<customer_id>/hide")
@errors({409: [*refusal_codes(Transition.HIDE), "concurrent_change"]})
def handle_hide_customer(customer_id: CustomerId) -> PortalStatusResponse:
    """Hide a customer's portal account from default search (supervisors only)."""
    return portal_status.hide(app.caller(), customer_id)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
