"""Domain errors that the resolver turns into the error body of API.md, in one place.

A message is an English message id (`csr.i18n`), with `{name}` placeholders filled from the details;
the body is written in the reader's language."""

from __future__ import annotations

from typing import Any

from csr.i18n import DEFAULT_LANGUAGE, Language, Message, translate


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message: Message = "The request could not be processed."

    def __init__(self, message: Message | None = None, *, code: str | None = None, **details: Any) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.details = details
        super().__init__(self.message)

    def body(self, language: Language = DEFAULT_LANGUAGE) -> dict[str, Any]:
        message = translate(self.message, language, self.details)
        details = dict(self.details)
        if "fields" in details:
            details["fields"] = [
                {"field": item["field"], "message": translate(item["message"], language, item.get("values"))}
                for item in details["fields"]
            ]
        return {"error": {"code": self.code, "message": message, "details": details}}


def field_error(field: str, message: Message, **values: Any) -> dict[str, Any]:
    """One entry of `details.fields`: its message is a message id too, its placeholders filled from `values`."""
    return {"field": field, "message": message, "values": values}


class MalformedRequestError(ApiError):
    status, code, message = 400, "malformed_request", "The request body is not valid JSON."


class InvalidCursorError(ApiError):
    status, code, message = 400, "invalid_cursor", "The cursor is not valid for this query."


class UnauthorizedError(ApiError):
    status, code, message = 401, "unauthorized", "A valid bearer token is required."


class ForbiddenError(ApiError):
    status, code, message = 403, "forbidden", "Your role does not allow this action."


class NotFoundError(ApiError):
    status, code, message = 404, "not_found", "Not found."


class ConflictError(ApiError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLargeError(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is larger than 64 KiB."


class ValidationFailedError(ApiError):
    status, code, message = 422, "validation_error", "Some fields are missing or invalid."


class ChangeTooLargeError(ValidationFailedError):
    code = "change_too_large"
    message = "This change touches more records than one atomic write can hold; split it into smaller changes."


class InternalError(ApiError):
    status, code, message = 500, "internal_error", "Something went wrong on our side."


class LockedError(ApiError):
    status, code, message = 423, "account_locked", "This account is locked."


class RateLimitedError(ApiError):
    """API Gateway's answer to a caller over the stage's throttling limits (template.yaml's THROTTLED
    Gateway Response, held to this class by a test); no function raises it."""

    status, code, message = 429, "rate_limited", "Too many requests; retry shortly."


class DependencyUnavailableError(ApiError):
    status, code, message = 503, "dependency_unavailable", "A service we depend on failed; retrying is safe."


class ConcurrentChangeError(ConflictError):
    code, message = "concurrent_change", "The record changed while this request ran; reload and retry."


def customer_not_found() -> NotFoundError:
    return NotFoundError("No customer with this id.")
