"""Password-reset links emailed to the customer's address on record, and enrolment with a set-password link."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.idempotency import IdempotencyKey, run_idempotent
from csr.models.common import CustomerId
from csr.models.customers import EnrollmentSent
from csr.models.recovery import ResetLinkSent
from csr.observability import logger, metrics, tracer
from csr.rules.portal import Transition, refusal_codes
from csr.services import reset_links

app = ConsoleResolver(roles=CSR_ROLES)


@app.post("/customers/<customer_id>/password-reset-link", status_code=202)
@errors({409: ["account_locked", "not_enrolled", "concurrent_change"], 503: ["email_unavailable"]})
def handle_send_reset_link(customer_id: CustomerId, idempotency_key: IdempotencyKey = None) -> ResetLinkSent:
    """Email a password reset link to the customer's address on record."""
    caller = app.caller()
    # The route takes no body: what a retry must repeat is the customer it targets.
    result = run_idempotent(
        caller,
        idempotency_key,
        "password_reset_link",
        {"customer_id": customer_id},
        lambda: reset_links.send_reset_link(caller, customer_id),
        app.lambda_context,
    )
    return ResetLinkSent.model_validate(result)


@app.post("/customers/<customer_id>/enroll", status_code=202)
@errors({409: [*refusal_codes(Transition.ENROLL), "concurrent_change"], 503: ["email_unavailable"]})
def handle_enroll_customer(customer_id: CustomerId) -> EnrollmentSent:
    """Give an unenrolled customer portal access and email them a set-password link."""
    return reset_links.enroll(app.caller(), customer_id)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
