"""The console in real headless Chromium (Debian's chromium + chromium-driver, driven by selenium) against
the local server started once per session (tests/conftest.py's `server`). One browser per session; each
test signs in afresh, in its language. Screenshots go to test-artifacts/browser/, and every screen a test
looks at is checked with axe-core (the copy shipped in axe-selenium-python's wheel)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.api import new_customer_body
from tests.support.console import ARTIFACTS, WIDE, Console
from tests.support.server import LocalServer

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

_numbers = itertools.count(7001)


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        f"--window-size={WIDE[0]},{WIDE[1]}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def console(
    driver: WebDriver,
    server: LocalServer,
    artifacts: Path,
    request: pytest.FixtureRequest,
) -> Console:
    driver.set_script_timeout(30)
    return Console(driver, server, artifacts, request.node.name)


@pytest.fixture(scope="session")
def csr_token(server: LocalServer) -> str:
    return server.token(["csr"], sub="browser-setup")


@pytest.fixture
def make_customer(server: LocalServer, csr_token: str) -> Callable[..., dict[str, Any]]:
    """A new customer of utility-a made through the API, with a unique last name, person id and address."""

    def make(*, payments: int = 0, **overrides: Any) -> dict[str, Any]:
        n = next(_numbers)
        address = f"{n} Birch Road"
        body = new_customer_body(n, first_name="Anaïs", last_name=f"Côté-{n}", email=f"anais.cote{n}@example.org")
        body["accounts"][0].update(service_address=address, billing_address=address, district="riverside")
        body.update(overrides)
        response = server.call("POST", "/customers", token=csr_token, json=body)
        assert response.status_code == 201, response.text
        customer: dict[str, Any] = response.json()
        feed = server.token(["integration"], sub="browser-billing")
        for index in range(payments):
            payment = {
                "account_number": body["accounts"][0]["account_number"],
                "amount": 1234.5 + index,
                "currency": "CAD",
                "status": "scheduled" if index % 2 == 0 else "pending",
                "scheduled_for": "2031-01-15",
            }
            answer = server.call("PUT", f"/integration/payments/PAY-B{n}-{index}", token=feed, json=payment)
            assert answer.status_code == 200, answer.text
        return customer

    return make
