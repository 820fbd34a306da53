"""Find a Customer: the multi-unit address by its street number, the URL holding the query, the empty and
too-broad states."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.console import LANGUAGES, Console

MakeCustomer = Callable[..., dict[str, Any]]

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


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_screen_follows_browser_language(console: Console, lang: str) -> None:
    # Given a browser whose first language is `lang` (Canadian French, Mexican Spanish, ...) and no choice stored
    console.driver.execute_cdp_cmd(
        "Network.setUserAgentOverride",
        {"userAgent": console.driver.execute_script("return navigator.userAgent"), "acceptLanguage": f"{lang}-CA"},
    )
    try:
        console.open()
        console.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        console.open()
        # Then the console starts in that language, and the switcher says so
        console.lang = lang
        console.wait_text("h1", console.text("signin.title"))
        assert console.driver.execute_script("return document.documentElement.lang") == lang
        assert console.find("#language").get_attribute("value") == lang
        console.check("sign-in")
        console.check_narrow("sign-in")
    finally:
        console.driver.execute_cdp_cmd(
            "Network.setUserAgentOverride",
            {"userAgent": console.driver.execute_script("return navigator.userAgent"), "acceptLanguage": "en-US"},
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_pages_with_next_cursor_and_back(console: Console, make_customer: MakeCustomer, lang: str) -> None:
    # Given 21 customers sharing a last name: one page of 20 and one of 1
    word = f"Pagerlang{lang}"
    for _ in range(21):
        make_customer(last_name=word)
    console.sign_in(lang)
    console.search(word.lower())
    assert len(console.all("table.results tbody tr")) == 20
    # When Next page
    next(a for a in console.all(".pager a") if a.text == console.text("search.next_page")).click()
    console.wait(lambda d: len(console.all("table.results tbody tr")) == 1, "the second page")
    assert "cursor=" in console.driver.current_url
    # Then back shows the first page again
    console.driver.back()
    console.wait(lambda d: len(console.all("table.results tbody tr")) == 20, "the first page again")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_states_no_result_add_a_word_and_error(console: Console, lang: str) -> None:
    console.sign_in(lang)
    console.search("zzqxj")
    assert console.find("#results-heading").text == console.text("search.no_result_title")
    # The API's 422 query_too_broad and a 503, answered by a stand-in for fetch on /customers
    for status, code, title in (
        (422, "query_too_broad", "search.too_broad_title"),
        (503, "dependency_unavailable", "search.error_title"),
    ):
        console.driver.execute_script(
            """const [status, code] = arguments; const real = window.__realFetch ?? window.fetch;
            window.__realFetch = real;
            window.fetch = (url, init) => String(url).includes('/customers?') ? Promise.resolve(new Response(
              JSON.stringify({error: {code, message: 'x', details: {}}}),
              {status, headers: {'Content-Type': 'application/json', 'X-Request-Id': 'req-1'}})) : real(url, init);""",
            status,
            code,
        )
        console.search("jean")
        console.wait_text("#results-heading", console.text(title))
        alert = console.find(".results-section[role=alert]")
        assert console.focused().get_attribute("id") == "results-heading"
        if code == "query_too_broad":
            assert console.text("search.too_broad") in alert.text
            console.check("too-broad")
        else:
            assert console.text("error.dependency_unavailable") in alert.text
            assert "req-1" in alert.text


def test_district_is_a_drop_down_when_the_api_lists_districts(console: Console) -> None:
    # Given an API that answers GET /districts (a stand-in for fetch, installed before the page loads)
    script = console.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": """const real = window.fetch;
            window.fetch = (url, init) => String(url).endsWith('/districts') ? Promise.resolve(new Response(
              JSON.stringify({items: [{district: 'downtown', customers: 8}, {district: 'north', customers: 3}]}),
              {status: 200, headers: {'Content-Type': 'application/json'}})) : real(url, init);"""
        },
    )
    try:
        console.sign_in("en")
        # When the CSR picks a district from the list and searches
        Select(console.find("select#district")).select_by_value("downtown")
        console.search("2172")
        # Then the filter is in the URL and kept in the form
        assert "district=downtown" in console.driver.current_url
        assert console.find("select#district").get_attribute("value") == "downtown"
        assert {row.text for row in console.all("table.results td:nth-child(4)")} == {"downtown"}
    finally:
        console.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_rejected_token_returns_to_sign_in_and_unknown_customer_says_so(console: Console) -> None:
    # Given a signed-in CSR on an unknown customer's address
    console.sign_in("fr")
    console.open("?customer=cus_doesnotexist")
    console.wait_text("h1", console.text("customer.not_found_title"))
    assert console.text("error.not_found") in console.find("[role=alert]").text
    # When the API stops accepting the session's token (signed with another key, not yet expired)
    forged = jwt.encode(
        {"sub": "x", "email": "x@staff.example.com", "cognito:groups": ["csr"], "exp": int(time.time()) + 600},
        "another-key-entirely-32-bytes-long!!",
        algorithm="HS256",
    )
    console.driver.execute_script("sessionStorage.setItem('csr-console.token', arguments[0])", forged)
    console.open("?q=2172")
    # Then the console asks to sign in again, and says why
    console.wait_text("h1", console.text("signin.title"))
    assert console.text("signin.expired") in console.find("[role=alert]").text
