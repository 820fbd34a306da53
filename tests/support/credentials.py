"""The reset-link and recovery-code flows as the CSR and the portal drive them, and the emails SES sent."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from csr.data import keys
from infra import template
from infra.apigw import LambdaContext, rest_event, template_route
from infra.local_aws import REGION
from tests.support.api import Api
from tests.support.customers import TENANT
from tests.support.tables import all_items, table

NEW_PASSWORD = "correct horse battery staple"


def portal(api: Api, tenant_id: str = TENANT) -> Api:
    return api.machine("portal", tenant_id=tenant_id)


def sent_messages() -> list[Any]:
    """Every email sent: moto's SES v2 keeps them in the v1 backend, with the HTML body when there is one."""
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def messages_to(address: str) -> list[Any]:
    return [message for message in sent_messages() if address in message.destinations["ToAddresses"]]


def token_from(message: Any) -> str:
    match = re.search(r"/reset-password\?token=([A-Za-z0-9_-]+)", message.body)
    assert match, message.body
    return match.group(1)


def send_link(csr: Api, customer_id: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    status, body, _ = csr.call("POST", f"/customers/{customer_id}/password-reset-link", headers=headers)
    return status, body


def reset_password(api: Api, token: str, password: str = NEW_PASSWORD, tenant_id: str = TENANT) -> tuple[int, Any]:
    status, body, _ = portal(api, tenant_id).call(
        "POST", "/portal/password-reset", {"token": token, "new_password": password}
    )
    return status, body


def log_in(api: Api, email: str, password: str) -> int:
    status, _, _ = portal(api).call("POST", "/portal/login", {"email": email, "password": password})
    return status


def reset_items() -> list[dict[str, Any]]:
    """Every stored token item and current-token pointer, whoever they belong to."""
    return [item for item in all_items() if "#RESET#" in item["pk"] or item["sk"] == keys.RESET_TOKEN_SK]


def _new_execution_environment(function: template.Function) -> Callable[..., dict[str, Any]]:
    """A fresh copy of the handler module, as a separate Lambda execution environment would load it."""
    path = function.code_dir / f"{function.module}.py"
    spec = importlib.util.spec_from_file_location(f"{function.module}_{uuid.uuid4().hex}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[..., dict[str, Any]] = getattr(module, function.attribute)
    return handler


def call_concurrently(api: Api, method: str, path: str, body: Any, n: int) -> list[int]:
    """`n` identical requests released together, each in its own execution environment; their statuses."""
    route = template_route(method, path)
    handlers = [_new_execution_environment(route.function) for _ in range(n)]
    barrier = threading.Barrier(n)

    def one(index: int) -> int:
        event = rest_event(route, path, body=json.dumps(body), claims=api.claims)
        context = LambdaContext(function_name=route.function.logical_id, aws_request_id=str(uuid.uuid4()))
        barrier.wait()
        return int(handlers[index](event, context)["statusCode"])

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def issue(csr: Api, customer_id: str) -> tuple[int, Any]:
    status, body, _ = csr.call("POST", f"/customers/{customer_id}/recovery-code")
    return status, body


def status_of(csr: Api, customer_id: str) -> dict[str, Any]:
    status, body, _ = csr.call("GET", f"/customers/{customer_id}/recovery-code")
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def revoke(csr: Api, customer_id: str) -> tuple[int, Any]:
    status, body, _ = csr.call("DELETE", f"/customers/{customer_id}/recovery-code")
    return status, body


def recover(api: Api, email: str, code: str, password: str = NEW_PASSWORD, tenant_id: str = TENANT) -> tuple[int, Any]:
    status, body, _ = portal(api, tenant_id).call(
        "POST", "/portal/recovery", {"email": email, "code": code, "new_password": password}
    )
    return status, body


def code_item(customer_id: str) -> dict[str, Any] | None:
    key = {"pk": keys.customer_pk(TENANT, customer_id), "sk": keys.RECOVERY_CODE_SK}
    item: dict[str, Any] | None = table().get_item(Key=key).get("Item")
    return item


def wrong_code(code: str) -> str:
    digits = code.replace("-", "")
    return f"{(int(digits) + 1) % 10**10:010d}"


def ses_fails() -> Any:
    """SES refuses every email until the context ends."""
    from csr import email

    error = ClientError({"Error": {"Code": "MessageRejected", "Message": "rejected"}}, "SendEmail")
    return mock.patch.object(email._client(), "send_email", side_effect=error)
