"""`Idempotency-Key` through Powertools' idempotency utility, scoped to the caller's tenant and route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from csr.auth import Caller
from csr.errors import ConflictError, DependencyUnavailableError, ValidationFailedError
from csr.observability import logger
from csr.settings import get_settings

if TYPE_CHECKING:  # Powertools' idempotency (and boto3 under it) is imported by the first keyed request only
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="A retry with the same key and body within 24 h returns the first response.",
    ),
]


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table_name)


@lru_cache(maxsize=1)
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="payload",
        expires_after_seconds=24 * 3600,
        raise_on_no_idempotency_key=True,
    )


@dataclass
class _Attempt:
    """What the action did, kept in case the store fails after it: `answer` once it completed, `failure`
    once it raised."""

    answer: dict[str, Any] | None = None
    failure: Exception | None = None


def run_idempotent(
    caller: Caller,
    key: str | None,
    operation: str,
    payload: Any,
    action: Callable[[], BaseModel],
    context: LambdaContext | None = None,
) -> dict[str, Any]:
    """Run `action` once per (tenant, operation, key); a retry gets the first answer back.

    `payload` is what a retry must repeat; the same key with a different payload is refused.
    The stored answer is `action`'s JSON form, which must never hold a secret.
    """
    if key is None:
        return action().model_dump(mode="json")
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    attempt = _Attempt()

    def once(request: dict[str, Any]) -> dict[str, Any]:
        try:
            attempt.answer = action().model_dump(mode="json")
        except Exception as exc:
            attempt.failure = exc
            raise
        return attempt.answer

    guarded = idempotent_function(data_keyword_argument="request", persistence_store=_persistence(), config=_config())(
        once
    )
    if context is not None:
        # Lets an in-progress record expire with the invocation, so a timed-out attempt can be retried.
        _config().register_lambda_context(context)
    request = {"scope": [caller.tenant_id, operation, key], "payload": payload}
    try:
        result: dict[str, Any] = guarded(request=request)
    except IdempotencyValidationError as exc:
        raise ValidationFailedError(
            "This Idempotency-Key was already used with a different request.", code="idempotency_key_reused"
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise ConflictError(
            "A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress"
        ) from exc
    except IdempotencyPersistenceLayerError as exc:
        # Each warning carries which call to the idempotency store failed, and why: the operator's only lead.
        if attempt.answer is not None:
            # The change is committed, only its answer went unrecorded: answer it. A retry with the key is
            # told `idempotency_in_progress` while the claim lives, rather than being applied again.
            logger.warning("idempotency store could not record the answer; answering it unrecorded", exc_info=exc)
            return attempt.answer
        if attempt.failure is not None:
            # Nothing was applied, and the claim stays until the invocation's time is up: the client gets
            # the action's own answer (its refusal or its 503), as it would without a key.
            logger.warning("idempotency store could not release the key of a failed request", exc_info=exc)
            raise attempt.failure from attempt.failure.__cause__
        logger.warning("idempotency store unavailable", exc_info=exc)
        raise DependencyUnavailableError() from exc
    return result
