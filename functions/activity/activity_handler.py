"""Activity log: a customer's entries, newest first, filtered by type, paged or all at once (View All)."""

import csr.init_phase

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.http import ConsoleResolver
from csr.models.activity import ActivityPage
from csr.models.common import Cursor, CustomerId, Limit
from csr.models.filters import CommaList
from csr.observability import logger, metrics, tracer
from csr.services.activity_log import list_activity

app = ConsoleResolver(roles=CSR_ROLES)


@app.get("/customers/<customer_id>/activity")
def handle_list_activity(
    customer_id: CustomerId,
    types: Annotated[CommaList | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 20,
    cursor: Annotated[Cursor | None, Query()] = None,
    view_all: Annotated[bool, Query(alias="all")] = False,
) -> ActivityPage:
    """Page through a customer's activity log, newest first."""
    return list_activity(app.caller(), customer_id, types, limit, cursor, view_all)


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
