"""The portal redeems a reset link or a recovery code for a new password.

Redemption deletes the credential with a condition on its hash and expiry in the same transaction as the
new password and the activity entry, so exactly one of many concurrent redemptions wins. The costly
hashing comes before any lookup, so an unknown email or token takes as long as a known one.
"""

from __future__ import annotations

from datetime import datetime

from csr import clock, email
from csr.auth import Caller
from csr.data import activity, credentials
from csr.data import customers as customer_store
from csr.data.credentials import RecoveryCode
from csr.data.dynamo import Transaction
from csr.data.errors import DataError
from csr.errors import ApiError
from csr.ids import token_hash
from csr.models.activity import ActivityType, Actor
from csr.models.customers import Customer, PortalStatus
from csr.models.recovery import PasswordResetRequest, RecoveryRequest
from csr.observability import logger
from csr.passwords import hash_password
from csr.rules.expiry import is_live
from csr.rules.password_policy import check_password_length, check_password_not_email
from csr.rules.recovery import MAX_FAILED_CODE_ATTEMPTS, failure_revokes, hashes_match, normalize_code
from csr.services.customer_changes import entry, retry_on_conflict, save
from csr.services.recovery_codes import active_code, code_hash

# Each lost race of a wrong code means another write succeeded; at most MAX_FAILED_CODE_ATTEMPTS counts
# and one deletion can happen, so with this many attempts every wrong code is either counted or finds the
# code gone.
CODE_REDEEM_ATTEMPTS = MAX_FAILED_CODE_ATTEMPTS + 2


class InvalidTokenError(ApiError):
    status, code = 400, "invalid_or_expired_token"
    message = "This reset link is invalid, already used or expired; ask for a new one."


class InvalidCodeError(ApiError):
    status, code = 400, "invalid_or_expired_code"
    message = "This recovery code is invalid, already used or expired; ask for a new one."


def _with_new_password(customer: Customer, password_hash: str) -> Customer:
    portal = customer.portal.model_copy(update={"failed_login_count": 0})
    return customer.model_copy(update={"password_hash": password_hash, "portal": portal})


def _notify_password_changed(tenant_id: str, customer: Customer) -> None:
    """The reset is done whatever happens here: a notice that cannot be sent is logged, not raised."""
    try:
        email.send_recorded(
            customer.email,
            email.password_changed_email(customer.language),
            tenant_id=tenant_id,
            customer_id=customer.customer_id,
            kind="password_changed",
        )
    except (ApiError, DataError):
        logger.warning("password-change notice not sent", extra={"customer_id": customer.customer_id})


# --- reset links --------------------------------------------------------------------------------


def redeem_reset_token(caller: Caller, request: PasswordResetRequest) -> None:
    check_password_length(request.new_password)
    hashed = token_hash(request.token)
    password_hash = hash_password(request.new_password)

    def attempt() -> Customer:
        moment = clock.now()
        token = credentials.reset_token(caller.tenant_id, hashed)
        if token is None or not is_live(token, moment):
            raise InvalidTokenError()
        found = customer_store.load(caller.tenant_id, token.customer_id)
        if found is None or found.customer.portal.status is not PortalStatus.ENROLLED:
            raise InvalidTokenError()
        before = found.customer
        check_password_not_email(request.new_password, before.email)
        tx = Transaction()
        credentials.add_reset_token_use(tx, caller.tenant_id, before.customer_id, hashed, moment, InvalidTokenError)
        completed = entry(
            moment,
            ActivityType.PASSWORD_RESET_COMPLETED,
            Actor.customer(before.customer_id),
        )
        return save(caller, before, _with_new_password(before, password_hash), [completed], moment, tx=tx)

    customer = retry_on_conflict(attempt, exhausted=InvalidTokenError)
    _notify_password_changed(caller.tenant_id, customer)


# --- recovery codes -----------------------------------------------------------------------------


def redeem_recovery_code(caller: Caller, request: RecoveryRequest) -> None:
    check_password_length(request.new_password)
    check_password_not_email(request.new_password, request.email)
    offered = code_hash(normalize_code(request.code))
    password_hash = hash_password(request.new_password)
    customer_id = customer_store.customer_id_by_email(caller.tenant_id, request.email)
    if customer_id is None:
        raise InvalidCodeError()

    def attempt() -> Customer:
        found = customer_store.load(caller.tenant_id, customer_id)
        moment = clock.now()
        code = active_code(found, moment) if found is not None else None
        if found is None or code is None or found.customer.portal.status is not PortalStatus.ENROLLED:
            raise InvalidCodeError()
        # The stored hash and the failure count this decision was made on: a concurrent redemption,
        # failure or replacement makes the write fail, and the attempt reads again.
        if not hashes_match(code.code_hash, offered):
            _record_failed_code(caller.tenant_id, customer_id, code, moment)
            raise InvalidCodeError()
        before = found.customer
        tx = Transaction()
        credentials.add_code_use(tx, caller.tenant_id, customer_id, code, moment)
        redeemed = entry(
            moment,
            ActivityType.RECOVERY_CODE_REDEEMED,
            Actor.customer(customer_id),
        )
        return save(caller, before, _with_new_password(before, password_hash), [redeemed], moment, tx=tx)

    customer = retry_on_conflict(attempt, attempts=CODE_REDEEM_ATTEMPTS, exhausted=InvalidCodeError)
    _notify_password_changed(caller.tenant_id, customer)


def _record_failed_code(tenant_id: str, customer_id: str, code: RecoveryCode, moment: datetime) -> None:
    """Count a wrong code; the last allowed one revokes the code."""
    failed = code.failed_attempts + 1
    revoked = failure_revokes(failed)
    tx = Transaction()
    credentials.add_code_failure(tx, tenant_id, customer_id, code, revoke=revoked)
    failure = entry(
        moment,
        ActivityType.RECOVERY_CODE_FAILED,
        Actor.customer(customer_id),
        failed_attempts=failed,
        revoked=revoked,
    )
    activity.record(tx, tenant_id, customer_id, [failure], moment)
    tx.commit()
