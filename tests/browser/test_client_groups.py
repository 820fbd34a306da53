"""Manage my client groups, as the demo business account manager does it in each language: create a group
from searched clients, edit it with the typed word of the language, assign an employee, delete it, and watch
each request reach `completed` in the process requests; the name-taken and unavailable-client messages; and
each role seeing only its own screens."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support.console import LANGUAGES, Console
from tests.support.server import LocalServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROVIDER = "provider-a"
WORDS = {"en": ("CONFIRM", "DELETE"), "fr": ("CONFIRMER", "SUPPRIMER"), "es": ("CONFIRMAR", "ELIMINAR")}
_runs = itertools.count(1)


class Provider:
    """The provider's feeds, as its CRM pushes clients and employees (through the API)."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.token = server.token(["integration"], tenant_id=PROVIDER, sub="browser-feed")

    def client(self, client_id: str, name: str, *, days: int = 365) -> None:
        ends = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = {
            "name": name,
            "business_number": f"{abs(hash(client_id)) % 10**9:09d} RT0001",
            "program_accounts": ["RT0001"],
            "relationship": {"status": "active" if days > 0 else "expired", "expires_at": ends},
        }
        answer = self.server.call("PUT", f"/integration/clients/{client_id}", token=self.token, json=body)
        assert answer.status_code == 200, answer.text

    def employee(self, employee_id: str, name: str) -> None:
        body = {"name": name, "email": f"{employee_id.lower()}@{PROVIDER}.example.com", "role": "editor"}
        answer = self.server.call("PUT", f"/integration/employees/{employee_id}", token=self.token, json=body)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def provider(server: LocalServer) -> Provider:
    return Provider(server)


def go(console: Console, screen: str) -> None:
    console.find(f".bam-nav a[href*='screen={screen}']").click()


def search_and_tick(console: Console, section: str, words: str, names: list[str]) -> None:
    box = console.find(f"#{section}-q")
    box.clear()
    box.send_keys(words)
    console.find(f"#{section}-search").click()
    for name in names:
        console.wait(partial(tick, section=section, name=name), f"{name} listed in {section} and ticked")


def tick(driver: WebDriver, section: str, name: str) -> bool:
    """Tick the row of `name` once the list shows it (a redraw in between makes the wait try again)."""
    row = next((r for r in driver.find_elements(By.CSS_SELECTOR, f"#{section}-table tbody tr") if name in r.text), None)
    if row is None:
        return False
    box = row.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    if not box.is_selected():
        box.click()
    return bool(box.is_selected())


def follow_to_completed(console: Console) -> str:
    """From the success notice, open its process request and wait until the table says completed (it polls)."""
    link = console.find("#group-notice .notice-success a, #emp-notice .notice-success a")
    link.click()
    console.wait_text("h1", console.text("req.title"))
    row = console.find("#req-table tr.highlight")
    request_id = str(row.get_attribute("data-request"))
    console.wait(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f"tr[data-request='{request_id}']").get_attribute("data-status")
            == "completed"
        ),
        f"request {request_id} completed",
    )
    assert console.text("req.status.completed") in console.find(f"tr[data-request='{request_id}']").text
    return request_id


def choose(console: Console, chosen_section: str, count: int) -> None:
    console.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#{chosen_section} li")) == count, f"{count} chosen")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_bam_runs_a_group_from_creation_to_deletion(
    console: Console, provider: Provider, server: LocalServer, lang: str
) -> None:
    run = next(_runs)
    tag = f"Quay{lang}{run}"
    names = {key: f"{tag} {key}" for key in ("Alpha", "Bravo", "Charlie", "Delta")}
    for key, name in names.items():
        provider.client(f"Q-{lang}-{run}-{key}", name)
    provider.employee(f"EMPB-{lang}-{run}", f"Emp{lang}{run} Tester")
    group = f"Harbour {lang} {run}"
    console.sign_in(lang, staff="bam")
    console.check("groups-list")
    console.check_narrow("groups-list")

    # Create: a taken name is shown at the field; an unavailable client is named with its reason
    console.find("#create-link").click()
    console.wait_text("h1", console.text("groups.create"))
    console.find("#group-name").send_keys("Ending soon")
    search_and_tick(console, "available", tag.lower(), [names["Alpha"], names["Bravo"], names["Charlie"]])
    console.find("#available-action").click()
    choose(console, "chosen-add", 3)
    console.check("create")
    console.find("#create-submit").click()
    console.wait_text("#group-name-error", console.text("error.name_taken"))
    assert console.focused().get_attribute("id") == "group-name"
    console.find("#group-name").clear()
    console.find("#group-name").send_keys(group)
    provider.client(f"Q-{lang}-{run}-Charlie", names["Charlie"], days=-1)  # its relationship ends meanwhile
    console.find("#create-submit").click()
    refused = console.wait_text("#group-notice .notice-error", names["Charlie"])
    assert console.text("groups.reason.no_active_relationship") in refused.text
    console.check_narrow("create-refused")
    console.find(f"#chosen-add button[aria-label*='{names['Charlie']}']").click()
    choose(console, "chosen-add", 2)
    console.find("#create-submit").click()
    console.wait_text("#group-notice .notice-success", group)
    follow_to_completed(console)
    console.check("requests")
    console.check_narrow("requests")

    # Edit: add one, remove one, rename; the typed word of the language enables Save
    go(console, "groups")
    console.wait_text("#groups-table", group)
    console.driver.find_element(By.LINK_TEXT, console.text("groups.edit_named", name=group)).click()
    console.wait_text("h1", group)
    search_and_tick(console, "available", tag.lower(), [names["Delta"]])
    console.find("#available-action").click()
    choose(console, "chosen-add", 1)
    search_and_tick(console, "members", tag.lower(), [names["Alpha"]])
    console.find("#members-action").click()
    choose(console, "chosen-remove", 1)
    renamed = f"{group} renamed"
    console.find("#group-name").clear()
    console.find("#group-name").send_keys(renamed)
    console.check("edit")
    console.check_narrow("edit")
    console.find("#edit-next").click()
    console.wait_text("#summary-title", console.text("groups.summary"))
    save = console.find("#edit-save")
    assert not save.is_enabled()
    confirm, delete = WORDS[lang]
    typed = console.find("#typed-word")
    if lang != "en":
        typed.send_keys("CONFIRM")  # the API's token is not the word of this language
        assert not save.is_enabled()
        typed.clear()
    typed.send_keys(confirm)
    assert save.is_enabled()
    console.check("edit-summary")
    save.click()
    console.wait_text("#group-notice .notice-success", renamed)
    request_id = follow_to_completed(console)
    request_row = console.find(f"tr[data-request='{request_id}']").text
    assert group in request_row, request_row
    assert renamed in request_row, request_row

    # Employees: give the new employee a role in the group
    go(console, "employees")
    console.wait_text("h1", console.text("emp.title"))
    console.find("#emp-q").send_keys(f"emp{lang}{run}")
    console.find("#emp-q").submit()
    row = console.wait_text("#emp-table tbody tr", f"Emp{lang}{run}")
    console.check("employees")
    console.check_narrow("employees")
    row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    console.find("#emp-edit").click()
    Select(console.find("select[id^='assign-group-']")).select_by_visible_text(renamed)
    Select(console.find("select[id^='assign-role-']")).select_by_value("read_only")
    console.find("#assign-next").click()
    summary = console.wait_text(".summary", renamed)
    assert console.text("role.read_only") in summary.text
    console.check("employees-summary")
    console.find("#assign-save").click()
    console.wait_text("#emp-notice .notice-success", console.text("emp.saved"))
    follow_to_completed(console)

    # Delete, with the delete word of the language
    go(console, "groups")
    console.wait_text("#groups-table", renamed)
    console.driver.find_element(By.LINK_TEXT, console.text("groups.delete_named", name=renamed)).click()
    console.wait_text("h1", renamed)
    remove = console.find("#delete-submit")
    assert not remove.is_enabled()
    console.find("#typed-word").send_keys(delete)
    assert remove.is_enabled()
    console.check("delete")
    console.check_narrow("delete")
    remove.click()
    console.wait_text("#group-notice .notice-success", renamed)
    follow_to_completed(console)
    go(console, "groups")
    console.wait(lambda d: renamed not in d.find_element(By.TAG_NAME, "main").text, "the group is gone")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_role_sees_only_its_own_screens(console: Console, server: LocalServer, lang: str) -> None:
    # A CSR asking for a group screen gets Find a Customer, and no group menu
    console.sign_in(lang)
    console.open("?screen=groups")
    console.wait_text("h1", console.text("search.title"))
    assert not console.all(".bam-nav")
    assert (console.find("#brand").text, console.driver.title) == (console.text("app.title"),) * 2
    # A business account manager asking for a customer gets the groups, and no customer search
    console.sign_in(lang, staff="bam")
    console.open(f"?customer={server.customer_id}")
    console.wait_text("h1", console.text("groups.title"))
    assert not console.all(".search-form")
    # The header says whose console it is: not the customer service's
    assert (console.find("#brand").text, console.driver.title) == (console.text("app.title_bam"),) * 2
    nav = [link.text for link in console.all(".bam-nav a")]
    assert nav == [console.text("groups.title"), console.text("emp.title"), console.text("req.title")]
