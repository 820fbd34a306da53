"""Customer search: `GET /customers`, and the districts its filter offers: `GET /districts`."""

import csr.init_phase

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.auth import CSR_ROLES
from csr.contract import errors
from csr.http import ConsoleResolver
from csr.models.common import Cursor, District, Limit
from csr.models.filters import CommaList
from csr.models.search import DistrictList, SearchPage, SearchText
from csr.observability import logger, metrics, tracer
from csr.services import search

app = ConsoleResolver(roles=CSR_ROLES)


@app.get("/customers")
@errors({422: ["query_too_broad"]})
def handle_search_customers(
    q: Annotated[SearchText, Query()],
    district: Annotated[District | None, Query()] = None,
    status: Annotated[CommaList | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 20,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> SearchPage:
    """Find customers by words of their name, email, ids or addresses."""
    return search.search_customers(app.caller(), q, district=district, status=status, limit=limit, cursor=cursor)


@app.get("/districts")
def handle_list_districts() -> DistrictList:
    """List the tenant's districts, for the search filter."""
    return search.list_districts(app.caller())


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
