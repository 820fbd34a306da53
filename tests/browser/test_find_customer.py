"""Find a Customer: the multi-unit address by its street number, the URL holding the query, the empty and
too-broad states."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import LANGUAGES, Console

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_csr_finds_multi_unit_address_by_street_number(console: Console, lang: str) -> None:
    # Given a CSR signed in, in their language
    console.sign_in(lang)
    console.check("search-form")
    # When they search for the street number of the eight-unit building
    console.search("2172")
    # Then one row per unit, each with its portal status in words beside the dot, and the URL holds the query
    rows = console.all("table.results tbody tr")
    addresses = [row.find_element(By.CSS_SELECTOR, "[data-label]:nth-child(3)").text for row in rows]
    assert len(rows) >= 5
    assert all(address.startswith("2172 Main Street Apt") for address in addresses), addresses
    statuses = {row.find_element(By.CSS_SELECTOR, ".status").text for row in rows}
    assert console.text("status.enrolled") in statuses
    assert "q=2172" in console.driver.current_url
    assert console.focused().get_attribute("id") == "results-heading"
    console.check("results")
    console.check_narrow("results")
    # When they open a customer, then go back
    first_name = rows[0].find_element(By.CSS_SELECTOR, "a").text
    rows[0].find_element(By.CSS_SELECTOR, "a").click()
    console.wait_text("h1", first_name.split(", ")[1])
    console.check("customer")
    console.check_narrow("customer")
    console.driver.back()
    # Then the same results come back with the query in the box; forward reopens the customer
    console.wait(lambda d: len(console.all("table.results tbody tr")) == len(rows), "the same rows")
    assert console.find("#q").get_attribute("value") == "2172"
    console.driver.forward()
    console.wait_text("h1", first_name.split(", ")[1])
