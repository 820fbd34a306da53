"""Locally, reset links and impersonation URLs point at the local server's own address and port, and an
impersonation URL opens the read-only portal view: the customer's portal in their language, under a
banner naming the CSR and the end of the session."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from infra import server_process
from tests.support.api import new_customer_body
from tests.support.server import STARTUP_LIMIT_SECONDS, LocalServer

pytestmark = pytest.mark.e2e


def test_impersonation_url_opens_a_read_only_page_on_this_server(server: LocalServer) -> None:
    # Given a customer and a CSR who starts an impersonation
    token = server.token(["csr"], sub="e2e-viewer")
    body = new_customer_body(7101, first_name="Zoë", language="es")
    created = server.call("POST", "/customers", token=token, json=body).json()
    started = server.call("POST", f"/customers/{created['customer_id']}/impersonation", token=token)
    assert started.status_code == 201, started.text
    portal_url = started.json()["portal_url"]
    # Then the URL points at this very server
    assert portal_url.startswith(f"{server.url}/portal/impersonate?session=")
    # And opening it shows whose portal, by whom, until when, read-only
    page = requests.get(portal_url, timeout=60)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    assert "<html lang='es'>" in page.text
    assert "Portal del cliente de Zoë Tremblay" in page.text
    assert "Vista de solo lectura abierta por e2e-viewer@staff.example.com" in page.text
    assert body["accounts"][0]["account_number"] in page.text
    assert "<form" not in page.text
    assert "<button" not in page.text


@pytest.mark.parametrize("query", ["?session=not-a-session", "", "?session=%3Cscript%3E"])
def test_an_unknown_session_gets_a_404_page(server: LocalServer, query: str) -> None:
    page = requests.get(f"{server.url}/portal/impersonate{query}", timeout=60)
    assert page.status_code == 404
    assert "The portal view has ended" in page.text
    assert "<script>" not in page.text
    spanish = requests.get(f"{server.url}/portal/impersonate{query}", headers={"Accept-Language": "es"}, timeout=60)
    assert "La vista del portal ha terminado" in spanish.text


def test_reset_link_points_at_this_server_in_the_customer_language(server: LocalServer) -> None:
    token = server.token(["csr"])
    created = server.call("POST", "/customers", token=token, json=new_customer_body(7102, language="es")).json()
    sent = server.call("POST", f"/customers/{created['customer_id']}/password-reset-link", token=token)
    assert sent.status_code == 202, sent.text
    newest = server.call("GET", "/_local/outbox").json()["items"][0]
    assert newest["to"] == [created["email"]]
    assert newest["subject"] == "Restablezca la contraseña de su portal"
    assert f"{server.url}/portal/reset-password?token=" in newest["text"]


def test_enroll_emails_a_set_password_link_in_the_customer_language(server: LocalServer) -> None:
    token = server.token(["csr"])
    body = new_customer_body(7104, language="fr", enroll_in_portal=False)
    created = server.call("POST", "/customers", token=token, json=body).json()
    enrolled = server.call(
        "POST", f"/customers/{created['customer_id']}/enroll", token=token, headers={"Accept-Language": "es"}
    )
    assert enrolled.status_code == 202, enrolled.text
    assert enrolled.json()["portal_status"] == "enrolled"
    newest = server.call("GET", "/_local/outbox").json()["items"][0]
    assert newest["to"] == [created["email"]]
    assert newest["subject"] == "Votre compte du portail client est prêt"
    assert f"{server.url}/portal/reset-password?token=" in newest["text"]
    again = server.call(
        "POST", f"/customers/{created['customer_id']}/enroll", token=token, headers={"Accept-Language": "es"}
    )
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "already_enrolled",
        "message": "Este cliente ya tiene una cuenta en el portal.",
        "details": {},
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_on_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A second server, its port given by PORT as `PORT=3500 make serve` does."""
    port = _free_port()
    env = {"PORT": str(port), "PASSWORD_HASH_LOG2_N": "10"}
    process, banner = server_process.start(["--customers", "2"], env, limit_seconds=STARTUP_LIMIT_SECONDS)
    csr = re.search(r"^  csr:\s+(\S+)$", "\n".join(banner), re.MULTILINE)
    assert csr, "\n".join(banner)
    try:
        yield csr.group(1), port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_links_use_the_port_that_PORT_sets(server_on_port: tuple[str, int]) -> None:
    token, port = server_on_port
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{url}/customers", json=new_customer_body(7103), headers=headers, timeout=60).json()
    started = requests.post(f"{url}/customers/{created['customer_id']}/impersonation", headers=headers, timeout=60)
    assert urlsplit(started.json()["portal_url"]).port == port
    sent = requests.post(f"{url}/customers/{created['customer_id']}/password-reset-link", headers=headers, timeout=60)
    assert sent.status_code == 202, sent.text
    newest = requests.get(f"{url}/_local/outbox", timeout=60).json()["items"][0]
    assert f"{url}/portal/reset-password?token=" in newest["text"]
    assert requests.get(started.json()["portal_url"], timeout=60).status_code == 200
