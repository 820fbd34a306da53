"""The customer portal's back end: impersonation check (login and redemption build on it)."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import Role
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.models.access import LoginRequest, LoginResponse
from csr.models.common import SessionToken
from csr.models.customers import ImpersonationSession
from csr.models.recovery import PasswordResetRequest, RecoveryRequest
from csr.observability import logger, metrics, tracer
from csr.services import customers, portal_login, redemption

app = ConsoleResolver(roles={Role.PORTAL})


@app.post("/portal/login")
@errors({401: ["invalid_credentials"], 409: ["concurrent_change"], 423: ["account_locked"]})
def handle_log_in(body: LoginRequest) -> LoginResponse:
    """Log a customer in to the portal with email and password."""
    return portal_login.log_in(app.caller(), body)


@app.post("/portal/password-reset", status_code=204)
@errors({400: ["invalid_or_expired_token"], 422: ["weak_password"]})
def handle_redeem_reset_token(body: PasswordResetRequest) -> Response[None]:
    """Set a new password with the token of a reset link."""
    redemption.redeem_reset_token(app.caller(), body)
    return Response(status_code=204)


@app.post("/portal/recovery", status_code=204)
@errors({400: ["invalid_or_expired_code"], 422: ["weak_password"]})
def handle_redeem_recovery_code(body: RecoveryRequest) -> Response[None]:
    """Set a new password with a recovery code read over the phone."""
    redemption.redeem_recovery_code(app.caller(), body)
    return Response(status_code=204)


@app.get("/portal/impersonation/<session_token>")
def handle_check_impersonation(session_token: SessionToken) -> ImpersonationSession:
    """Check an impersonation session and read what the portal shows in it."""
    return customers.check_impersonation(app.caller(), session_token)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
