"""The console in real headless Chromium (Debian's chromium + chromium-driver, driven by selenium) against
the local server started once per session (tests.e2e.conftest's `server`). One browser per session; each
test signs in afresh, in its language. Screenshots go to test-artifacts/browser/, and every screen a test
looks at is checked with axe-core (the copy shipped in axe-selenium-python's wheel)."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import axe_selenium_python
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from infra.template import ROOT
from tests.conftest import new_customer_body
from tests.e2e.conftest import LocalServer, server  # noqa: F401 - the session's local server, shared

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE_SCRIPT = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "fr", "es")
LOCALES: dict[str, dict[str, str]] = {
    lang: json.loads((ROOT / "console" / "locales" / f"{lang}.json").read_text()) for lang in LANGUAGES
}
WIDE = (1280, 800)
NARROW = (400, 800)
WAIT_SECONDS = 20  # a ceiling for the page to settle, not a timed assertion
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


class Console:
    """The console as a person uses it, in one language, plus the checks every screen gets."""

    def __init__(self, driver: WebDriver, local_server: LocalServer, artifacts: Path, name: str) -> None:
        self.driver = driver
        self.server = local_server
        self.artifacts = artifacts
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.lang = "en"
        self.shots = 0

    # --- texts ------------------------------------------------------------------------------------

    def text(self, key: str, **params: Any) -> str:
        found = LOCALES[self.lang][key]
        return re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), m.group(0))), found)

    # --- waiting and finding -------------------------------------------------------------------------

    def wait(self, condition: Callable[[WebDriver], Any], what: str) -> Any:
        waiter = WebDriverWait(
            self.driver, WAIT_SECONDS, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        )
        return waiter.until(condition, message=what)

    def find(self, css: str) -> WebElement:
        element: WebElement = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), css)
        return element

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_text(self, css: str, expected: str) -> WebElement:
        element: WebElement = self.wait(
            lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css) if expected in e.text), None),
            f"{expected!r} in {css}",
        )
        return element

    def heading(self) -> str:
        return str(self.find("h1").text)

    def focused(self) -> WebElement:
        return self.driver.switch_to.active_element

    # --- moving around -----------------------------------------------------------------------------

    def open(self, query: str = "") -> None:
        self.driver.get(f"{self.server.url}/console/{query}")
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"), "console ready")

    def sign_in(self, lang: str, staff: str = "csr") -> None:
        """A fresh session: storage cleared, the language chosen with the switcher, a demo staff member."""
        self.lang = lang
        self.driver.set_window_size(*WIDE)
        self.open()
        self.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        self.open()
        Select(self.find("#language")).select_by_value(lang)
        self.wait(lambda d: d.execute_script("return document.documentElement.lang") == lang, "language switched")
        self.wait_text("h1", self.text("signin.title"))
        self.find(f"button[data-staff='{staff}']").click()
        self.wait_text("h1", self.text("search.title"))

    def search(self, words: str, statuses: list[str] | None = None) -> None:
        box = self.find("#q")
        box.clear()
        box.send_keys(words)
        if statuses is not None:
            for checkbox in self.all("input[name=status]"):
                if checkbox.is_selected() != (checkbox.get_attribute("value") in statuses):
                    checkbox.click()
        self.find(".search-form button[type=submit]").click()
        self.wait(lambda d: d.find_element(By.ID, "results-heading").text, "search answered")

    def open_customer(self, customer: dict[str, Any]) -> None:
        """Find the customer by person id and open it from its row, as a CSR does."""
        self.search(customer["person_id"])
        self.find("table.results tbody a").click()
        self.wait_text("h1", customer["first_name"])

    def act(self, action: str) -> None:
        self.find(f"button[data-action='{action}']").click()
        self.find("dialog[open]")

    def answer_yes(self) -> None:
        self.find("dialog[open] button[value=yes]").click()

    def notice(self, expected: str) -> WebElement:
        """The notice that ends an action, holding `expected` (an error notice ends the wait at once)."""
        found: WebElement = self.wait(
            lambda d: next(
                (
                    e
                    for e in d.find_elements(By.CSS_SELECTOR, "#customer-notice .notice")
                    if expected in e.text or "notice-error" in str(e.get_attribute("class"))
                ),
                None,
            ),
            f"a notice with {expected!r}",
        )
        assert expected in found.text, found.text
        assert self.focused() == found, "focus moves to the notice after an action"
        return found

    def portal_status(self) -> str:
        return str(self.find(".portal .status").text)

    # --- evidence ---------------------------------------------------------------------------------

    def screenshot(self, label: str) -> Path:
        self.shots += 1
        path = self.artifacts / f"{self.name}-{self.shots:02d}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def check(self, label: str) -> None:
        """A screenshot, then axe-core on the screen as it is now: no serious or critical violation. (axe
        scrolls the page while it checks contrast, hence the screenshot first.)"""
        self.screenshot(label)
        if not self.driver.execute_script("return typeof window.axe === 'object'"):
            self.driver.execute_script(AXE_SCRIPT.read_text())
        violations = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations),"
            " (e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} {[n.get('target') for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"axe on {label}: " + "; ".join(bad)

    def check_narrow(self, label: str) -> None:
        self.driver.set_window_size(*NARROW)
        try:
            width = self.driver.execute_script("return document.documentElement.scrollWidth")
            viewport = self.driver.execute_script("return window.innerWidth")
            assert width <= viewport, f"{label}: the page scrolls sideways at {NARROW[0]}px ({width} > {viewport})"
            self.check(f"{label}-narrow")
        finally:
            self.driver.set_window_size(*WIDE)


@pytest.fixture
def console(
    driver: WebDriver,
    server: LocalServer,  # noqa: F811
    artifacts: Path,
    request: pytest.FixtureRequest,
) -> Console:
    driver.set_script_timeout(30)
    return Console(driver, server, artifacts, request.node.name)


@pytest.fixture(scope="session")
def csr_token(server: LocalServer) -> str:  # noqa: F811
    return server.token(["csr"], sub="browser-setup")


@pytest.fixture
def make_customer(server: LocalServer, csr_token: str) -> Callable[..., dict[str, Any]]:  # noqa: F811
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
