"""What the OpenAPI document says of an operation beyond what Powertools derives from its signature: its
name, summary and tag, and every status and error `code` it can answer (API.md: "every operation lists
every status and error code this page gives it").

The name, summary and tag come from the handler itself: `handle_lock_customer` in `lock_handler.py`, whose
docstring opens with one sentence (its summary), is the operation `lock_customer` of the tag `lock`. What every
route shares is derived here from the route itself (its path, method and parameters); what is a route's own
is declared beside it with `@errors({409: [...]})` under the route decorator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_OWN = "__route_errors__"
HANDLER_PREFIX = "handle_"
MODULE_SUFFIX = "_handler"
# The one error body of API.md, a component every error response refers to; the codes a response can carry
# are listed in its description and, for programs, in this extension.
ERROR_SCHEMA = "ErrorBody"
CODES_EXTENSION = "x-error-codes"

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
    # A list's `cursor`, and the cursor of a list inside a record (`clients_cursor` of a group's view).
    if any(place == "query" and (name == "cursor" or name.endswith("_cursor")) for place, name in names):
        add(400, "invalid_cursor")
    if ("header", "idempotency-key") in names:
        add(422, "idempotency_key_reused")
        add(409, "idempotency_in_progress")
    for status, codes in getattr(func, _OWN, {}).items():
        add(status, *codes)
    return dict(sorted(found.items()))


def response(status: int, codes: list[str]) -> dict[str, Any]:
    """The OpenAPI response of one error status: API.md's error body, its `code` one of `codes`."""
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{DESCRIPTIONS.get(status, 'Error')}; `error.code`: {listed}",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
        CODES_EXTENSION: codes,
    }


def operation_names(func: Callable[..., Any]) -> dict[str, Any]:
    """The operation's id, summary (and description) and tag, from the handler's name, docstring and module."""
    name, module = func.__name__, func.__module__.rsplit(".", 1)[-1]
    doc = inspect.getdoc(func)
    if not name.startswith(HANDLER_PREFIX) or not module.endswith(MODULE_SUFFIX) or not doc:
        raise ValueError(
            f"{module}.{name}: a route's handler is named handle_<verb>_<noun> in a module <capability>_handler, "
            "and its docstring opens with a one-sentence summary (a paragraph of its own)"
        )
    summary, _, description = doc.partition("\n\n")
    names = {
        "operationId": name.removeprefix(HANDLER_PREFIX),
        "summary": " ".join(summary.split()),
        "tags": [module.removesuffix(MODULE_SUFFIX)],
    }
    return names | ({"description": description} if description else {})
