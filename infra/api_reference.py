"""docs/api.md's route reference, written from the OpenAPI document the handlers make (`make api-reference`).

The page's conventions are prose kept in the page; everything between its two markers is generated here,
and a test fails while the page differs from what this would write."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from infra import template
from infra.local_aws import LocalAws

PAGE = template.ROOT / "docs" / "api.md"
BEGIN = "<!-- routes: written by `make api-reference` from the OpenAPI document; do not edit by hand -->"
END = "<!-- end of routes -->"
# The answers every route may give (docs/api.md, Conventions): listed there once, not per route.
SHARED = {400: {"malformed_request"}, 401: {"unauthorized"}, 403: {"forbidden"}, 404: {"not_found"}}
SHARED |= {
    413: {"payload_too_large"},
    422: {"validation_error"},
    429: {"rate_limited"},
    503: {"dependency_unavailable"},
}


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_name(part) for part in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{_schema_name(schema.get('items', {}))}]"
    return str(schema.get("type", "object"))


def _fields(document: dict[str, Any], schema: dict[str, Any]) -> str:
    """`name` for a required field, `name?` for an optional one, of the object `schema` names."""
    if "$ref" not in schema:
        return _schema_name(schema)
    target = document["components"]["schemas"][_schema_name(schema)]
    required = set(target.get("required", []))
    names = [name if name in required else f"{name}?" for name in target.get("properties", {})]
    return "{" + ", ".join(names) + "}"


def _body(document: dict[str, Any], holder: dict[str, Any]) -> str | None:
    schema = holder.get("content", {}).get("application/json", {}).get("schema")
    return _fields(document, schema) if schema else None


def _operation(document: dict[str, Any], method: str, path: str, operation: dict[str, Any]) -> Iterator[str]:
    yield f"### `{method.upper()} {path}`"
    yield ""
    yield f"{operation['summary']} (`{operation['operationId']}`)"
    yield ""
    query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
    if query:
        yield f"- query: {', '.join(f'`{name}`' for name in query)}"
    if headers:
        yield f"- headers: {', '.join(f'`{name}`' for name in headers)}"
    if "requestBody" in operation:
        yield f"- body: `{_body(document, operation['requestBody'])}`"
    for status, response in sorted(operation["responses"].items()):
        codes = [c for c in response.get("x-error-codes", []) if c not in SHARED.get(int(status), set())]
        if int(status) < 400:
            body = _body(document, response)
            yield f"- {status}" + (f": `{body}`" if body else "")
        elif codes:
            yield f"- {status}: " + ", ".join(f"`{code}`" for code in codes)
    yield ""


def _transitions() -> Iterator[str]:
    """The portal status table of csr.rules.portal: the new status, or the 409 code."""
    from csr.rules.portal import TRANSITIONS, Refusal, Transition

    yield "## Portal status transitions"
    yield ""
    yield "| from \\ route | " + " | ".join(route.value for route in Transition) + " |"
    yield "|---" * (len(Transition) + 1) + "|"
    for status, row in TRANSITIONS.items():
        cells = [f"`{c.code}`" if isinstance(c := row[route], Refusal) else f"→ `{c.value}`" for route in Transition]
        yield f"| `{status.value}` | " + " | ".join(cells) + " |"
    yield ""


def _activity_types() -> Iterator[str]:
    from csr.models.activity import ActivityType

    yield "## Activity types"
    yield ""
    yield ", ".join(f"`{member.value}`" for member in ActivityType)
    yield ""


def routes_section(document: dict[str, Any]) -> str:
    """The generated part of the page: the operations by capability (tag), in path order, then the portal
    status table and the activity types."""
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            by_tag.setdefault(operation["tags"][0], []).append((path, method, operation))
    lines = [BEGIN, ""]
    for tag, operations in sorted(by_tag.items()):
        lines += [f"## {tag.replace('_', ' ').capitalize()}", ""]
        for path, method, operation in operations:
            lines += list(_operation(document, method, path, operation))
    lines += [*_transitions(), *_activity_types()]
    return "\n".join([*lines, END])


def page(document: dict[str, Any]) -> str:
    """docs/api.md as it should read: its prose as written, its routes from `document`."""
    text = PAGE.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + routes_section(document) + tail


def main() -> int:
    with_aws = LocalAws().start()  # the handlers read their settings from the environment it sets
    try:
        from infra.openapi import merged_openapi

        PAGE.write_text(page(merged_openapi()))
    finally:
        with_aws.stop()
    print(f"wrote {PAGE.relative_to(template.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
