"""Client groups of a service provider and the process requests that apply their changes."""

import csr.init_phase

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, StringConstraints

from csr.auth import Role
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.idempotency import IdempotencyKey, run_idempotent
from csr.models.common import Cursor, CustomerId, Limit
from csr.models.groups import (
    AssignEmployeesRequest,
    AvailableClientList,
    CreateGroupRequest,
    EmployeeList,
    GroupAccepted,
    GroupList,
    GroupView,
    ProcessRequestList,
    ProcessRequestView,
    RequestAccepted,
    RequestStatus,
    UpdateGroupRequest,
)
from csr.observability import logger, metrics, tracer
from csr.services import groups

app = ConsoleResolver(roles={Role.BUSINESS_ACCOUNT_MANAGER})

# Group and request ids are opaque ids this service makes, of the same shape as a customer id.
GroupId = CustomerId
RequestId = CustomerId


def accepted(model: type[BaseModel]) -> OpenAPIResponse:
    return {"description": "Accepted: a pending process request", "content": {"application/json": {"model": model}}}


ConfirmationWord = Annotated[str, StringConstraints(max_length=32)]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


@app.get("/groups")
def handle_list_groups(
    limit: Annotated[Limit, Query()] = 20, cursor: Annotated[Cursor | None, Query()] = None
) -> GroupList:
    """List the provider's active groups by name."""
    return groups.list_groups(app.caller(), limit, cursor)


@app.post("/groups", status_code=202, responses={202: accepted(GroupAccepted)})
@errors({409: ["name_taken", "concurrent_change"], 422: ["clients_unavailable"]})
def handle_create_group(body: CreateGroupRequest, idempotency_key: IdempotencyKey = None) -> GroupAccepted:
    """Create a group of clients (done by a process request)."""
    caller = app.caller()
    result = run_idempotent(
        caller,
        idempotency_key,
        "create_group",
        body.model_dump(mode="json"),
        lambda: groups.create_group(caller, body),
        app.lambda_context,
    )
    return GroupAccepted.model_validate(result)


@app.get("/groups/available-clients")
def handle_list_available_clients(
    q: Annotated[SearchText | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 20,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> AvailableClientList:
    """List the clients that can be put in a group now, by name."""
    return groups.available_clients(app.caller(), q, limit, cursor)


@app.get("/groups/<group_id>")
def handle_get_group(
    group_id: GroupId,
    clients_q: Annotated[SearchText | None, Query()] = None,
    clients_limit: Annotated[Limit | None, Query()] = None,
    clients_cursor: Annotated[Cursor | None, Query()] = None,
) -> GroupView:
    """Read a group with its clients (all, or with `clients_limit` a page of them) and assigned employees."""
    page = groups.ClientsPage(q=clients_q or "", limit=clients_limit, cursor=clients_cursor)
    return groups.get_group(app.caller(), group_id, page)


@app.patch("/groups/<group_id>", status_code=202, responses={202: accepted(RequestAccepted)})
@errors({409: ["name_taken", "concurrent_change"], 422: ["confirmation_required", "clients_unavailable"]})
def handle_update_group(
    group_id: GroupId, body: UpdateGroupRequest, idempotency_key: IdempotencyKey = None
) -> RequestAccepted:
    """Rename a group or add and remove its clients (done by a process request)."""
    caller = app.caller()
    result = run_idempotent(
        caller,
        idempotency_key,
        "update_group",
        {"group_id": group_id, **body.model_dump(mode="json")},
        lambda: groups.update_group(caller, group_id, body),
        app.lambda_context,
    )
    return RequestAccepted.model_validate(result)


@app.delete("/groups/<group_id>", status_code=202)
@errors({422: ["confirmation_required"]})
def handle_delete_group(
    group_id: GroupId,
    confirmation: Annotated[list[ConfirmationWord] | None, Query()] = None,
    idempotency_key: IdempotencyKey = None,
) -> RequestAccepted:
    """Delete a group, its clients becoming available again (done by a process request)."""
    caller = app.caller()
    # Read as a list so that a repeated `confirmation` is seen: it is a wrong word (API.md), whatever its values.
    given = confirmation[0] if confirmation and len(confirmation) == 1 else confirmation
    result = run_idempotent(
        caller,
        idempotency_key,
        "delete_group",
        {"group_id": group_id, "confirmation": given},
        lambda: groups.delete_group(caller, group_id, given),
        app.lambda_context,
    )
    return RequestAccepted.model_validate(result)


@app.put("/groups/<group_id>/employees", status_code=202)
@errors({422: ["confirmation_required", "employees_unavailable"]})
def handle_assign_employees(
    group_id: GroupId, body: AssignEmployeesRequest, idempotency_key: IdempotencyKey = None
) -> RequestAccepted:
    """Replace a group's employee assignments (done by a process request)."""
    caller = app.caller()
    result = run_idempotent(
        caller,
        idempotency_key,
        "assign_employees",
        {"group_id": group_id, **body.model_dump(mode="json")},
        lambda: groups.assign_employees(caller, group_id, body),
        app.lambda_context,
    )
    return RequestAccepted.model_validate(result)


@app.get("/employees")
def handle_list_employees(
    q: Annotated[SearchText | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 20,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> EmployeeList:
    """List the provider's employees with their roles and groups, for the assignment screen."""
    return groups.list_employees(app.caller(), q, limit, cursor)


@app.get("/process-requests")
def handle_list_process_requests(
    status: Annotated[RequestStatus | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 20,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> ProcessRequestList:
    """List the provider's process requests, newest first."""
    return groups.list_requests(app.caller(), status, limit, cursor)


@app.get("/process-requests/<request_id>")
def handle_get_process_request(request_id: RequestId) -> ProcessRequestView:
    """Read one process request."""
    return groups.get_request(app.caller(), request_id)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
