"""The console as a person uses it in headless Chromium, in one language, with the checks every screen
gets (a screenshot, axe-core, no sideways scrolling at 400 px)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import axe_selenium_python
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from infra.template import ROOT
from tests.support.server import LocalServer

ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE_SCRIPT = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "fr", "es")
LOCALES: dict[str, dict[str, str]] = {
    lang: json.loads((ROOT / "console" / "locales" / f"{lang}.json").read_text()) for lang in LANGUAGES
}
WIDE = (1280, 800)
NARROW = (400, 800)
# The screen each demo staff member of the sign-in page (console/js/auth.js) lands on.
LANDING = {"csr": "search.title", "supervisor": "search.title", "bam": "groups.title"}
WAIT_SECONDS = 20  # a ceiling for the page to settle, not a timed assertion
POLL_SECONDS = 0.05  # how often a wait looks again (selenium waits 0.5 s between looks unless told)


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
            self.driver,
            WAIT_SECONDS,
            poll_frequency=POLL_SECONDS,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
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
        assert self.find("#brand").text == self.text("app.title_signed_out")
        self.find(f"button[data-staff='{staff}']").click()
        self.wait_text("h1", self.text(LANDING[staff]))

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
