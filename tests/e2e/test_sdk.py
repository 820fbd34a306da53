"""The document the local server serves (`GET /_local/openapi.json`) is valid OpenAPI, makes a client with
openapi-python-client without a warning, one module per operation under its capability's tag, and a CSR's
flow through that client works (tests/support/sdk_flow.py). Both tools live in `.venv-sdk` (`make sdk-tools`,
which `make test` runs first); the client is generated into a temporary folder, never committed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.template import ROOT, api_routes
from tests.support.api import new_customer_body
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

SDK_BIN = ROOT / ".venv-sdk" / "bin"
PACKAGE = "csr_console_api_client"
FLOW = ROOT / "tests" / "support" / "sdk_flow.py"


def run(*command: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    # The generator runs ruff on what it writes: the venv's own ruff, found on PATH.
    path = os.pathsep.join([str(SDK_BIN), os.environ.get("PATH", "")])
    environment = {**os.environ, "PATH": path, **env}
    arguments = [str(part) for part in command]
    return subprocess.run(arguments, check=False, capture_output=True, text=True, env=environment, timeout=300)


@pytest.fixture(scope="module")
def served(server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert (SDK_BIN / "openapi-python-client").exists(), "the OpenAPI tools are missing: run `make sdk-tools`"
    response = server.call("GET", "/_local/openapi.json")
    assert response.status_code == 200, response.text
    document = tmp_path_factory.mktemp("openapi") / "openapi.json"
    document.write_text(response.text)
    return document


@pytest.fixture(scope="module")
def generated(served: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The generated package's folder (on the path its parent) and what the generator printed."""
    package = tmp_path_factory.mktemp("sdk") / PACKAGE
    options: list[str | Path] = ["--path", served, "--output-path", package, "--meta", "none", "--fail-on-warning"]
    result = run(SDK_BIN / "openapi-python-client", "generate", *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return package, result.stdout + result.stderr


def test_the_served_document_is_valid_openapi(served: Path) -> None:
    result = run(SDK_BIN / "openapi-spec-validator", served)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK"), result.stdout


def test_the_client_has_one_module_per_operation_under_its_capability(generated: tuple[Path, str]) -> None:
    package, output = generated
    assert "warning" not in output.lower(), output
    modules = {(module.parent.name, module.stem) for module in (package / "api").glob("*/*.py")}
    modules = {(tag, name) for tag, name in modules if name != "__init__"}
    assert len(modules) == len(api_routes())
    assert {tag for tag, _ in modules} == {route.function.code_dir.name for route in api_routes()}
    assert {("search", "search_customers"), ("lock", "lock_customer"), ("activity", "list_activity")} <= modules
    # The error body is one model, not a copy per response.
    models = {module.stem for module in (package / "models").glob("*.py")}
    assert "error_body" in models
    assert not [name for name in models if name.startswith(("handle_", "http_validation"))]


def test_a_csr_flow_through_the_generated_client(server: LocalServer, generated: tuple[Path, str]) -> None:
    # Given a customer of its own, out of the other tests' searches
    token = server.token(["csr"], sub="sdk-csr")
    body = new_customer_body(7070, last_name="Quillfeather", email="quillfeather7070@sdk.example.net")
    created = server.call("POST", "/customers", token=token, json=body)
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer_id"]
    # When a CSR finds, reads and locks them (twice) and reads their activity through the generated client
    package, _ = generated
    result = run(SDK_BIN / "python", FLOW, server.url, token, "Quillfeather", PYTHONPATH=str(package.parent))
    assert result.returncode == 0, result.stdout + result.stderr
    answers: dict[str, Any] = json.loads(result.stdout)
    # Then each call answered as the contract says, parsed into the client's models
    assert answers["statuses"] == [200, 200, 200, 409, 200]
    assert answers["found"] == [customer_id]
    assert answers["read"] == {"customer_id": customer_id, "portal_status": "enrolled"}
    assert answers["locked"] == "locked"
    assert answers["locked_again"] == "already_locked"
    newest = answers["activity"][0]
    assert (newest["type"], newest["actor"]["kind"], newest["actor"]["id"]) == ("account_locked", "csr", "sdk-csr")
    # And the lock is the server's state, not the client's
    portal = server.call("GET", f"/customers/{customer_id}", token=token).json()["portal"]
    assert (portal["status"], portal["lock_reason"]) == ("locked", "compromised")
