"""The fixtures of every test: AWS emulated by moto (tables from template.yaml), a clock the test controls,
and callers (tests.support.api) that reach the handlers through API Gateway's REST proxy events."""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import botocore.loaders
import botocore.session
import pytest

from infra import server_process
from infra.local_aws import LocalAws
from tests.support.api import Api
from tests.support.server import SEED_CUSTOMERS, STARTUP_LIMIT_SECONDS, LocalServer

# Records each function's AWS calls and holds them to its IAM policy at the end of a complete run.
pytest_plugins = ["tests.iam_recording"]

# One parsed copy of botocore's service models per test process. moto's start gives boto3 a new default session,
# and each new session would parse the same JSON models again (about a third of a test's set-up).
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    local = LocalAws(password_hash_log2_n=10).start()
    from csr import clock
    from csr.settings import get_settings
    from tests.support.faults import drop_clients

    get_settings.cache_clear()
    drop_clients()
    yield local
    clock.reset()
    local.stop()
    drop_clients()


@pytest.fixture
def separate_environments(aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test whose threads stand in for separate Lambda execution environments: each thread gets its
    own DynamoDB resource, as each environment has. One shared resource is not thread-safe: its condition
    builder numbers placeholders in counters it resets per request, so two threads building expressions at
    once can swap names under each other (seen once: a Query whose key condition lost `pk`). It patches after
    `aws` is set up and is undone before `aws` clears the cached clients."""
    import boto3

    from csr.data import dynamo

    own = threading.local()

    def resource() -> Any:
        if not hasattr(own, "resource"):
            own.resource = boto3.resource("dynamodb")
        return own.resource

    monkeypatch.setattr(dynamo, "_resource", resource)


@pytest.fixture
def csr(aws: LocalAws) -> Api:
    return Api(None).as_(groups=["csr"])


@pytest.fixture
def api(aws: LocalAws) -> Api:
    return Api(None)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The local server (`make serve`) started once per test session in a subprocess on a free port, with a
    small seed: the end-to-end and browser tests talk to it over real HTTP."""
    jwt_secret = secrets.token_urlsafe(32)
    logs = tmp_path_factory.mktemp("local_server")
    stderr, handler_log = logs / "stderr.log", logs / "handlers.log"
    env = {"LOCAL_JWT_SECRET": jwt_secret, "PASSWORD_HASH_LOG2_N": "10", "LOG_FILE": str(handler_log)}
    args = ["--port", "0", "--customers", str(SEED_CUSTOMERS)]
    with stderr.open("w") as err:
        process, lines = server_process.start(args, env, stderr=err, limit_seconds=STARTUP_LIMIT_SECONDS)
    banner = "\n".join(lines)
    assert lines, stderr.read_text()
    assert lines[-1].startswith(server_process.BANNER_END), banner + "\n" + stderr.read_text()
    # Keep reading the terminal's output, so that a full pipe never blocks the server.
    threading.Thread(target=shutil.copyfileobj, args=(process.stdout, open(os.devnull, "w")), daemon=True).start()  # noqa: SIM115
    url = re.search(r"on (http://\S+)", banner)
    customer = re.search(r"^Demo customer: (\S+) (\S+)$", banner, re.MULTILINE)
    assert url, banner
    assert customer, banner
    yield LocalServer(url.group(1), banner, jwt_secret, customer.group(1), customer.group(2), stderr, handler_log)
    process.terminate()
    process.wait(timeout=30)
