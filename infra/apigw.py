"""What API Gateway does in front of a Lambda proxy integration, for the local server and the tests:
the REST proxy event, the Lambda context, and the call into the very handler template.yaml deploys."""

from __future__ import annotations

import base64
import importlib
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from infra.template import ApiRoute, Function, api_routes

# The logical id of the function whose handler is running: the tests attribute each AWS call to it
# (tests/iam_recording.py), whoever invokes the handler (a test, the local server, a bench).
invoked_function: ContextVar[str | None] = ContextVar("invoked_function", default=None)


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def claims_for(sub: str, email: str, groups: list[str], tenant_id: str) -> dict[str, str]:
    """The claims as API Gateway's Cognito authorizer passes them: every value a string."""
    return {
        "sub": sub,
        "email": email,
        "cognito:groups": ",".join(groups),
        "custom:tenant_id": tenant_id,
        "token_use": "id",
    }


def machine_claims(client_id: str, scopes: list[str]) -> dict[str, str]:
    """The claims of a client-credentials access token as the authorizer passes them: no groups, no tenant
    (the client's registration gives both); a machine's `sub` is its client id."""
    return {"sub": client_id, "client_id": client_id, "scope": " ".join(scopes), "token_use": "access"}


def route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")


def resolve_route(routes: Iterable[ApiRoute], method: str, path: str) -> ApiRoute | None:
    """API Gateway's choice, for the local server and the tests alike: the most specific resource matching
    the path (literal segments before `{param}`s, left to right), then the method on that resource; None
    is its 404, even where another resource matching the path has the method."""
    candidates = [route for route in routes if route_pattern(route.path).match(path)]
    if not candidates:
        return None
    best = min(candidates, key=lambda route: [segment.startswith("{") for segment in route.path.split("/")]).path
    return next((route for route in candidates if route.path == best and route.method == method), None)


def template_route(method: str, path: str) -> ApiRoute:
    """The route of template.yaml that API Gateway invokes for `method path`; LookupError where it answers 404."""
    route = resolve_route(api_routes(), method, path)
    if route is None:
        raise LookupError(f"no route {method} {path} in template.yaml")
    return route


def rest_event(
    route: ApiRoute,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | bytes | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "local",
    multi_query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`multi_query` is a query string with repeated names; `queryStringParameters` keeps the last value
    of each, as API Gateway does. A body is handed over base64-encoded with `isBase64Encoded`, its bytes as
    they were sent, as the API does for every body: template.yaml declares every media type binary
    (`BinaryMediaTypes`), so that a body that is not UTF-8 reaches the function as it is, to be refused,
    rather than converted to text."""
    is_base64 = body is not None
    if body is not None:
        body = base64.b64encode(body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")).decode()
    if multi_query is not None:
        query = {key: values[-1] for key, values in multi_query.items()}
    match = route_pattern(route.path).match(path)
    path_parameters = match.groupdict() if match else None
    request_id = str(uuid.uuid4())
    headers = dict(headers or {})
    now = time.time()
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": headers or None,
        "multiValueHeaders": {key: [value] for key, value in headers.items()} or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query
        or {key: [value] for key, value in (query or {}).items()}
        or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": route.method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": "000000000000",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                **dict.fromkeys(
                    (
                        "cognitoIdentityPoolId",
                        "accountId",
                        "cognitoIdentityId",
                        "caller",
                        "accessKey",
                        "cognitoAuthenticationType",
                        "cognitoAuthenticationProvider",
                        "userArn",
                        "user",
                    )
                ),
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "domainName": "localhost",
            "apiId": "local",
            "authorizer": {"claims": claims} if claims is not None else None,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


# In AWS every function runs in a process of its own, so module state (Powertools' metrics set, a
# resolver's current event) is never shared between two invocations; here the HTTP server, the SQS
# delivery and the schedules run in threads of one process, so they take turns.
_ONE_AT_A_TIME = threading.RLock()


@contextmanager
def invoking(function: Function) -> Iterator[None]:
    """While `function`'s handler runs, alone: the AWS calls made meanwhile are its own (IAM recording)."""
    with _ONE_AT_A_TIME:
        token = invoked_function.set(function.logical_id)
        try:
            yield
        finally:
            invoked_function.reset(token)


def invoke(function: Function, event: dict[str, Any]) -> dict[str, Any]:
    handler = getattr(importlib.import_module(function.module), function.attribute)
    context = LambdaContext(function_name=function.logical_id, aws_request_id=str(uuid.uuid4()))
    with invoking(function):
        result: dict[str, Any] = handler(event, context)
    return result
