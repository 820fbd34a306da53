"""The activity log: numbered pages, Next, View All / Paginate and the type filter, in each language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.console import LANGUAGES, Console

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
PAGE_SIZE = 10  # console/js/activity.js
CYCLES = 12  # lock + unlock each: 24 entries, plus customer_created


def rows(console: Console) -> list[str]:
    return [row.text for row in console.all(".activity tbody td:nth-child(2)")]


def labels(console: Console, csr_token: str, customer_id: str) -> dict[str, str]:
    """The types' names in the console's language, as the activity route gives them to the console."""
    answer = console.server.call(
        "GET", f"/customers/{customer_id}/activity", token=csr_token, headers={"Accept-Language": console.lang}
    )
    return {item["type"]: item["label"] for item in answer.json()["types"]}


def summary(console: Console, **params: Any) -> str:
    return console.text("activity.range", **{key: str(value) for key, value in params.items()})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_csr_pages_and_filters_activity_log(
    console: Console, make_customer: Callable[..., dict[str, Any]], csr_token: str, lang: str
) -> None:
    # Given a customer locked and unlocked 12 times: 25 entries, 3 pages
    customer = make_customer()
    base = f"/customers/{customer['customer_id']}"
    for _ in range(CYCLES):
        assert console.server.call("POST", f"{base}/lock", token=csr_token, json={"reason": "other"}).ok
        assert console.server.call("POST", f"{base}/unlock", token=csr_token).ok
    total = 2 * CYCLES + 1
    console.sign_in(lang)
    console.open_customer(customer)
    console.find("#tab-activity").click()
    names = labels(console, csr_token, customer["customer_id"])
    # Then page 1 of 3, newest first
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 1, "to": 10, "total": total, "page": 1, "pages": 3})
    )
    assert rows(console)[0] == names["account_unlocked"]
    assert len(rows(console)) == PAGE_SIZE
    console.driver.execute_script("document.querySelector('.activity').scrollIntoView()")
    console.check("activity-page-1")
    # When the CSR picks page 2, then Next
    console.find(".activity button.page:nth-child(1)")
    next(b for b in console.all(".activity button.page") if b.text == "2").click()
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 11, "to": 20, "total": total, "page": 2, "pages": 3})
    )
    assert console.focused().get_attribute("id") == "activity-summary"
    console.find(".activity button.next").click()
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 21, "to": total, "total": total, "page": 3, "pages": 3})
    )
    assert rows(console)[-1] == names["customer_created"]
    assert not console.all(".activity button.next")
    # When View All, then Paginate
    console.find(".activity button.view-all").click()
    console.wait_text(".activity-summary", console.text("activity.all_shown", total=total))
    assert len(rows(console)) == total
    console.find(".activity .pager button").click()
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 1, "to": 10, "total": total, "page": 1, "pages": 3})
    )
    # When they keep only the locks
    console.find(".type-filter-box summary").click()
    console.find(".type-boxes input[value=account_locked]").click()
    console.find(".type-filter button[type=submit]").click()
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 1, "to": 10, "total": CYCLES, "page": 1, "pages": 2})
    )
    assert set(rows(console)) == {names["account_locked"]}
    console.find(".activity button.next").click()
    console.wait_text(
        ".activity-summary", summary(console, **{"from": 11, "to": 12, "total": CYCLES, "page": 2, "pages": 2})
    )
    assert set(rows(console)) == {names["account_locked"]}
    console.check_narrow("activity-filtered")
