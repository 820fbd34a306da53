"""The REST resolver every API function uses: authorization, error bodies and request ids in one place."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import Caller, Role, authorize, caller_from_event
from csr.contract import ERROR_SCHEMA, operation_names, route_errors
from csr.contract import response as error_response_schema
from csr.data.errors import ConditionFailed, DataError, TooManyItems
from csr.errors import (
    ApiError,
    ChangeTooLargeError,
    ConcurrentChangeError,
    DependencyUnavailableError,
    InternalError,
    InvalidCursorError,
    MalformedRequestError,
    NotFoundError,
    ValidationFailedError,
    field_error,
)
from csr.i18n import DEFAULT_LANGUAGE, Language, request_language
from csr.models.base import Model
from csr.models.common import FIELD_MESSAGES
from csr.observability import logger
from csr.request_body import checked_text
from csr.settings import require_settings


class ErrorDetail(Model):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(Model):
    """Every error answer; its `error.code` is one of those its response lists (`x-error-codes`)."""

    error: ErrorDetail


def error_body_schema() -> dict[str, Any]:
    """The JSON schema of the error body, whole: the one component every error response refers to."""
    schema = ErrorBody.model_json_schema()
    detail = schema.pop("$defs")[ErrorDetail.__name__]
    return {**schema, "properties": {"error": detail}}


def error_response(error: ApiError, language: Language = DEFAULT_LANGUAGE) -> Response[Any]:
    return Response(status_code=error.status, content_type="application/json", body=error.body(language))


def data_error(exc: DataError) -> ApiError:
    """What a data-layer error means to a client, when no service turned it into a domain error first:
    too many writes for one transaction is 422, a failed condition a concurrent change (409), the rest a
    dependency that failed (503, retrying is safe)."""
    if isinstance(exc, TooManyItems):
        return ChangeTooLargeError(items=exc.items, limit=exc.limit)
    if isinstance(exc, ConditionFailed):
        return ConcurrentChangeError()
    # The one answer that needs an operator: which call failed, and why (AWS's error code, never item data).
    logger.warning("dependency unavailable", exc_info=exc)
    return DependencyUnavailableError()


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return MalformedRequestError()
    if any(tuple(err.get("loc", ())) == ("query", "cursor") for err in errors):
        return InvalidCursorError()
    if any(err.get("loc", ("",))[0] == "path" for err in errors):
        # An id of the wrong shape is answered like an unknown id: never reveal what exists.
        return NotFoundError()
    return ValidationFailedError(fields=[_field_error(err) for err in errors])


def _field_error(err: Mapping[str, Any]) -> dict[str, Any]:
    """pydantic's error as an entry of `details.fields`, in words the reader's language has."""
    location = ".".join(str(part) for part in err.get("loc", ())[1:]) or "body"
    context = err.get("ctx") or {}
    if err.get("type") == "value_error" and "error" in context:
        return field_error(location, str(context["error"]))
    template = FIELD_MESSAGES.get(str(err.get("type")))
    if template is None:
        return field_error(location, str(err.get("msg", "")))
    return field_error(location, template, **{name: str(value) for name, value in context.items()})


def _refuse_body_where_none_is_taken(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A route that names no body takes none: an empty body or `{}` (API.md). Anything else is an error
    rather than silently ignored: 400 if it is not JSON, 422 if it is."""
    route = app.context.get("_route")
    text = (app.current_event.body or "").strip()
    if route is not None and not route.dependant.body_params and text not in ("", "{}"):
        try:
            json.loads(text)
        except ValueError as exc:
            raise MalformedRequestError() from exc
        raise ValidationFailedError(fields=[field_error("body", "This request takes no body.")])
    return next_middleware(app)


def _as_json(event: Mapping[str, Any], body: str) -> dict[str, Any]:
    """Every body is read as JSON text, whatever Content-Type the client sent (curl -d sends a form type;
    otherwise Powertools would parse it as a form and echo its raw text back in the 422), and however
    API Gateway encoded it (`body` is the checked text of a base64-encoded one)."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "body": body if event.get("body") is not None else None,
        "isBase64Encoded": False,
        "headers": {**headers, "Content-Type": "application/json"},
        "multiValueHeaders": {**multi, "Content-Type": ["application/json"]},
    }


class ConsoleResolver(APIGatewayRestResolver):
    """An APIGatewayRestResolver that refuses callers without one of `roles` before any route runs."""

    def __init__(self, roles: Iterable[Role]) -> None:
        require_settings()
        # A JSON number with a fraction is read as the decimal it spells: as a float, 1.000000000000000000001
        # would pass for 1.0 and "at most 2 decimals" (API.md, Money) could not be checked.
        super().__init__(enable_validation=True, json_body_deserializer=partial(json.loads, parse_float=Decimal))
        self.roles = frozenset(roles)
        self.exception_handler(ApiError)(self._error_response)
        self.exception_handler(DataError)(lambda exc: self._error_response(data_error(exc)))
        self.exception_handler(RequestValidationError)(lambda exc: self._error_response(_validation_error(exc)))
        self.not_found()(lambda _exc: self._error_response(NotFoundError()))
        self.exception_handler(Exception)(self._unexpected)
        self.use([_refuse_body_where_none_is_taken])

    def _error_response(self, error: ApiError) -> Response[Any]:
        """The error body in the language the request's `Accept-Language` asks for."""
        return error_response(error, request_language(self.current_event.raw_event))

    def _unexpected(self, exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return self._error_response(InternalError())

    def openapi_document(self) -> dict[str, Any]:
        """Powertools' document, each operation named after its handler, with API.md's error body (one
        component) where Powertools would put its own 422 shape, and every error status and `code` each
        operation can answer (csr.contract)."""
        document: dict[str, Any] = json.loads(self.get_openapi_json_schema())
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
            schemas.pop(name, None)
        schemas[ERROR_SCHEMA] = error_body_schema()
        for route in self._static_routes + self._dynamic_routes:
            path = re.sub(r"<(\w+)>", r"{\1}", route.openapi_path)
            operation = document["paths"][path][route.method.lower()]
            operation.update(operation_names(route.func))
            found = route_errors(route.func, path, operation.get("parameters", []))
            for status, codes in found.items():
                operation["responses"][str(status)] = error_response_schema(status, codes)
        return document

    def caller(self) -> Caller:
        return caller_from_event(self.current_event.raw_event)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        result: dict[str, Any]
        try:
            # Size, UTF-8, depth and digits are checked on the raw body before anything parses it.
            body = checked_text(event)
            try:
                authorize(event, self.roles)
            except DataError as exc:  # a machine's registration could not be read
                raise data_error(exc) from exc
        except ApiError as error:
            result = {
                "statusCode": error.status,
                "headers": {"Content-Type": "application/json"},
                "body": self._serializer(error.body(request_language(event))),
                "isBase64Encoded": False,
            }
        else:
            result = super().resolve(_as_json(event, body), context)
        request_id = str((event.get("requestContext") or {}).get("requestId", ""))
        result.setdefault("headers", {})["X-Request-Id"] = request_id
        if "multiValueHeaders" in result:
            result["multiValueHeaders"]["X-Request-Id"] = [request_id]
        return result
