"""Every status and error `code` an operation can answer, for its OpenAPI document (API.md: "every operation
lists every status and error code this page gives it").

What every route shares is derived here from the route itself (its path, method and parameters); what is
a route's own is declared beside it with `@errors({409: [...]})` under the route decorator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_OWN = "__route_errors__"

# Every route: the resolver refuses hostile or oversized bodies and bad claims, API Gateway throttles,
# and any dependency can fail.
SHARED: dict[int, tuple[str, ...]] = {
    400: ("malformed_request",),
    401: ("unauthorized",),
    403: ("forbidden",),
    413: ("payload_too_large",),
    422: ("validation_error",),
    429: ("rate_limited",),
    503: ("dependency_unavailable",),
}
DESCRIPTIONS = {
    400: "Malformed request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Body over 64 KiB",
    422: "Invalid input",
    423: "Locked",
    429: "Rate limited",
    503: "Retry later",
}


def errors(own: Mapping[int, Iterable[str]]) -> Callable[[F], F]:
    """The route's own error codes by status, beside those every route shares."""

    def declare(func: F) -> F:
        setattr(func, _OWN, {status: tuple(codes) for status, codes in own.items()})
        return func

    return declare


def route_errors(func: Callable[..., Any], path: str, parameters: Iterable[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Every error code by status that the route of `func` at `path` can answer."""
    found: dict[int, list[str]] = {status: list(codes) for status, codes in SHARED.items()}

    def add(status: int, *codes: str) -> None:
        found.setdefault(status, [])
        found[status] += [code for code in codes if code not in found[status]]

    names = {(parameter.get("in"), str(parameter.get("name", "")).lower()) for parameter in parameters}
    if "{" in path:
        add(404, "not_found")  # unknown, another tenant's, or wrongly shaped id: never reveal which
    if ("query", "cursor") in names:
        add(400, "invalid_cursor")
    if ("header", "idempotency-key") in names:
        add(422, "idempotency_key_reused")
        add(409, "idempotency_in_progress")
    for status, codes in getattr(func, _OWN, {}).items():
        add(status, *codes)
    return dict(sorted(found.items()))


def response(status: int, codes: list[str]) -> dict[str, Any]:
    """The OpenAPI response of one error status: API.md's error body, its `code` one of `codes`."""
    code = {"type": "object", "properties": {"code": {"enum": codes}}}
    code_schema = {"type": "object", "properties": {"error": code}}
    schema = {"allOf": [{"$ref": "#/components/schemas/ErrorBody"}, code_schema]}
    return {"description": DESCRIPTIONS.get(status, "Error"), "content": {"application/json": {"schema": schema}}}
