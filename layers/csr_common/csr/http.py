"""The REST resolver every API function uses: authorization, error bodies and request ids in one place."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from csr.auth import Caller, Role, caller_from_event, require_role
from csr.errors import (
    ApiError,
    MalformedRequestError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from csr.observability import logger

MAX_BODY_BYTES = 64 * 1024


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(error: ApiError) -> Response[Any]:
    return Response(status_code=error.status, content_type="application/json", body=error.body())


def _validation_response(exc: RequestValidationError) -> Response[Any]:
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(MalformedRequestError())
    if any(err.get("loc", ("",))[0] == "path" for err in errors):
        # An id of the wrong shape is answered like an unknown id: never reveal what exists.
        return error_response(NotFoundError())
    fields = [
        {"field": ".".join(str(part) for part in err.get("loc", ())[1:]) or "body", "message": err.get("msg", "")}
        for err in errors
    ]
    return error_response(ValidationFailedError(fields=fields))


def _body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body, validate=False))
    return len(body.encode())


class ConsoleResolver(APIGatewayRestResolver):
    """An APIGatewayRestResolver that refuses callers without one of `roles` before any route runs."""

    def __init__(self, roles: Iterable[Role]) -> None:
        super().__init__(enable_validation=True)
        self.roles = frozenset(roles)
        self.exception_handler(ApiError)(error_response)
        self.exception_handler(RequestValidationError)(_validation_response)
        self.not_found()(lambda _exc: error_response(NotFoundError()))
        self.exception_handler(Exception)(self._unexpected)

    @staticmethod
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        body = {"error": {"code": "internal_error", "message": "Something went wrong on our side.", "details": {}}}
        return Response(status_code=500, content_type="application/json", body=body)

    def caller(self) -> Caller:
        return caller_from_event(self.current_event.raw_event)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        result: dict[str, Any]
        try:
            if _body_size(event) > MAX_BODY_BYTES:
                raise PayloadTooLargeError()
            require_role(caller_from_event(event), self.roles)
        except ApiError as error:
            result = {
                "statusCode": error.status,
                "headers": {"Content-Type": "application/json"},
                "body": self._serializer(error.body()),
                "isBase64Encoded": False,
            }
        else:
            result = super().resolve(event, context)
        request_id = str((event.get("requestContext") or {}).get("requestId", ""))
        result.setdefault("headers", {})["X-Request-Id"] = request_id
        if "multiValueHeaders" in result:
            result["multiValueHeaders"]["X-Request-Id"] = [request_id]
        return result
