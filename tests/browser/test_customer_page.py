"""The customer page as the guides lay it out, in each language: three buttons, two tabs (each in the
URL), Account Recovery, the warnings of what a lock voids, the multi-type filter, Add a customer and Add
an account with the API's messages at their fields, the read-only portal view, and a stored value the
console cannot show. Each screen is checked at 1280 and 400 px with axe-core; nothing in the French and
Spanish consoles is English."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.support.console import LANGUAGES, LOCALES, Console
from tests.support.server import LocalServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
MakeCustomer = Callable[..., dict[str, Any]]

# The guides' words, as CSRs trained on them look for them (issue 26's table).
GUIDE = {
    "en": {
        "buttons": ["Impersonate", "Lock Account", "Account Recovery"],
        "tabs": ["Customer Information", "Activity Log"],
        "statuses": ["Permanent Lock", "Hidden"],
        "links": ["All Customers", "Go to Payment Administration", "View All", "Paginate"],
    },
    "fr": {
        "buttons": ["Assumer l'identité", "Verrouiller le compte", "Récupération de compte"],
        "tabs": ["Informations du client", "Journal d'activité"],
        "statuses": ["Verrouillage permanent", "Masqué"],
        "links": ["Tous les clients", "Accéder à la gestion de paiement", "Tout afficher", "Paginer"],
    },
    "es": {
        "buttons": ["Suplantar", "Bloquear cuenta", "Recuperar cuenta"],
        "tabs": ["Información del cliente", "Registro de actividad"],
        "statuses": ["Bloqueo permanente", "Oculto"],
        "links": ["Todos los clientes", "Ir a Administración de pagos", "Ver todos", "Paginación"],
    },
}

# English words that have no place on a French or Spanish screen (whole words, any case).
ENGLISH = re.compile(
    r"\b(the|and|with|your|customer|account|portal|locked|unlocked|password|reset|link|code|payment|"
    r"payments|activity|email|login|failed|sent|added|created|generated|by a csr|recovery|search|yes)\b",
    re.IGNORECASE,
)


# Words English shares with the language: `code` is French too, `portal` Spanish.
SHARED = {"fr": {"code"}, "es": {"portal"}}


def visible_text(console: Console) -> str:
    return str(console.driver.execute_script("return document.body.innerText"))


def assert_no_english(console: Console, where: str, allowed: tuple[str, ...] = ()) -> None:
    """Every visible word in the console's language: English words count wherever they come from (the
    locale catalogs or the API's texts); data (names, emails, addresses) and `allowed` are left out."""
    if console.lang == "en":
        return
    text = visible_text(console)
    for kept in ("English", "Français", "Español", *allowed):
        text = text.replace(kept, " ")
    text = re.sub(r"\S+@\S+", " ", text)  # email addresses are data
    text = re.sub(r"\b\d+ Birch Road\b|\bHélène\b|\bAnaïs\b|Côté-\d+", " ", text)
    found = sorted({m.group(0) for m in ENGLISH.finditer(text) if m.group(0).lower() not in SHARED[console.lang]})
    assert not found, f"{where} ({console.lang}): English words {found}"


def check_both_widths(console: Console, label: str) -> None:
    console.check(label)
    console.check_narrow(label)


def no_mid_word_breaks(console: Console) -> None:
    """Every short value of the cards stays on one line: none is broken inside a word."""
    broken = console.driver.execute_script(
        "return [...document.querySelectorAll('.facts dd')].filter((dd) => {"
        "  const text = dd.textContent.trim();"
        "  if (!text || text.includes(' ') || text.length > 30) return false;"
        "  const line = parseFloat(getComputedStyle(dd).lineHeight) || 24;"
        "  return dd.getBoundingClientRect().height > 1.5 * line; }).map((dd) => dd.textContent);"
    )
    assert not broken, f"values broken mid-word: {broken}"


def toolbar_words(console: Console) -> list[str]:
    return [str(b.text) for b in console.all(".toolbar button")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_has_the_guides_buttons_tabs_and_words(
    console: Console, make_customer: MakeCustomer, lang: str
) -> None:
    customer = make_customer(payments=1)
    console.sign_in(lang)
    console.open_customer(customer)
    words = GUIDE[lang]
    assert toolbar_words(console) == [words["buttons"][0], words["buttons"][1], words["buttons"][2]]
    assert [str(tab.text) for tab in console.all("[role=tab]")] == words["tabs"]
    assert console.find(".back a").text == words["links"][0]
    assert console.find(".payment-admin a").text == words["links"][1]
    assert str(console.find(".payment-admin a").get_attribute("href")).endswith(
        customer["accounts"][0]["account_number"]
    )
    assert LOCALES[lang]["status.permanent_lock"] == words["statuses"][0]
    assert LOCALES[lang]["status.hidden"] == words["statuses"][1]
    no_mid_word_breaks(console)
    check_both_widths(console, "information")
    assert_no_english(console, "Customer Information")
    # The Activity Log tab: its own URL, View All and Paginate
    console.find("#tab-activity").click()
    console.wait(lambda d: "tab=activity" in d.current_url, "the tab is in the URL")
    assert console.find("#panel-activity").is_displayed()
    assert not console.find("#panel-info").is_displayed()
    assert console.find(".view-all").text == words["links"][2]
    check_both_widths(console, "activity")
    assert_no_english(console, "Activity Log")
    console.find(".view-all").click()
    console.wait_text(".pager button", words["links"][3])
    # The URL opens the tab it names
    console.driver.refresh()
    console.wait(lambda d: d.find_element(By.ID, "panel-activity").is_displayed(), "the activity tab from the URL")
    assert console.find("#tab-activity").get_attribute("aria-selected") == "true"
    # All Customers returns to the last search
    console.find(".back a").click()
    console.wait(lambda d: d.find_element(By.ID, "q").get_attribute("value") == customer["person_id"], "last search")
    assert console.find("table.results tbody a").text  # the results come back too


@pytest.mark.parametrize("lang", LANGUAGES)
def test_locking_warns_what_it_voids_and_the_log_keeps_the_note(
    console: Console, make_customer: MakeCustomer, lang: str
) -> None:
    customer = make_customer()
    console.sign_in(lang)
    console.open_customer(customer)
    # Account Recovery opens the reset link and the recovery code
    console.find("button[data-action=recovery]").click()
    assert console.find("#recovery-panel").is_displayed()
    console.find("button[data-action=generate_code]").click()
    code = console.find("#recovery-code").text
    assert re.fullmatch(r"\d{4}-\d{4}-\d{2,}", code.replace(" ", "")), code
    assert "-" in code
    console.check("recovery-code")
    # Lock Account says what will be voided
    console.act("lock")
    dialog = console.find("dialog[open]")
    assert console.text("lock.voids") in dialog.text
    assert console.text("lock.voids_code", time="").split("(")[0].strip() in dialog.text
    console.check("lock-dialog")
    dialog.find_element(By.CSS_SELECTOR, "select[name=reason]").send_keys(LOCALES[lang]["lock_reason.other"])
    dialog.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("Note 2231")
    console.answer_yes()
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "button[data-action=unlock]"), "locked")
    # While locked, Account Recovery says to unlock first
    panel = console.find("#recovery-panel")
    assert console.text("recovery.unlock_first") in panel.text
    assert_no_english(console, "locked customer", allowed=("Note 2231",))
    # Unlocked, the lock's note stays in its entry of the log
    console.find("button[data-action=unlock]").click()
    console.answer_yes()
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "button[data-action=lock]"), "unlocked")
    console.find("#tab-activity").click()
    log = console.find("#panel-activity").text
    assert "Note 2231" in log
    assert len(console.all(".activity-table tbody tr")) >= 5  # created, code, lock, two voidings... unlock
    check_both_widths(console, "log-after-lock")
    assert_no_english(console, "log after a lock", allowed=("Note 2231",))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_activity_filter_takes_several_types(console: Console, make_customer: MakeCustomer, lang: str) -> None:
    customer = make_customer()
    console.sign_in(lang)
    console.open_customer(customer)
    console.find("button[data-action=recovery]").click()
    console.find("button[data-action=generate_code]").click()
    console.find("#recovery-code")
    console.find("#tab-activity").click()
    console.find(".type-filter-box summary").click()
    boxes = {box.get_attribute("value"): box for box in console.all(".type-boxes input")}
    assert len(boxes) > 20
    boxes["customer_created"].click()
    boxes["recovery_code_generated"].click()
    console.find(".type-filter button[type=submit]").click()
    console.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".activity-table tbody tr")) == 2, "two entries")
    labels = {str(box.find_element(By.XPATH, "..").text) for value, box in boxes.items() if box.is_selected()}
    shown = {str(cell.text) for cell in console.all(".activity-table tbody td:nth-child(2)")}
    assert shown == labels
    check_both_widths(console, "filter")
    assert_no_english(console, "filter")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_add_a_customer_with_messages_at_the_fields(console: Console, lang: str) -> None:
    console.sign_in(lang)
    console.find(".add-customer a").click()
    console.wait_text("h1", console.text("new.title"))
    number = {"en": "91", "fr": "92", "es": "93"}[lang]
    values = {
        "person_id": f"P-NEW-{number}",
        "first_name": "Noémie",
        "last_name": f"Gagnon-{number}",
        "email": "not an email",
        "accounts.0.account_number": f"ACC-NEW-{number}",
        "accounts.0.service_address": f"{number} Birch Road",
        "accounts.0.billing_address": f"{number} Birch Road",
        "accounts.0.district": "riverside",
    }
    for name, value in values.items():
        console.find(f"form.new-customer [name='{name}']").send_keys(value)
    console.find("form.new-customer button[type=submit]").click()
    error = console.find("form.new-customer .field-error")
    email = console.find("form.new-customer [name=email]")
    assert email.get_attribute("aria-invalid") == "true"
    assert str(error.get_attribute("id")) in str(email.get_attribute("aria-describedby"))
    assert console.focused() == email
    check_both_widths(console, "new-customer-error")
    assert_no_english(console, "Add a customer")
    email.clear()
    email.send_keys(f"noemie.gagnon{number}@example.org")
    console.find("form.new-customer button[type=submit]").click()
    console.wait_text("h1", "Noémie")
    assert console.find(".customer-head").text.startswith("Noémie")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_add_an_account_with_messages_at_the_fields(console: Console, make_customer: MakeCustomer, lang: str) -> None:
    customer = make_customer()
    other = make_customer()
    console.sign_in(lang)
    console.open_customer(customer)
    console.find(".accounts > .editable button.edit").click()
    form = console.find("form.add-account")
    taken = other["accounts"][0]["account_number"]
    for name, value in {
        "account_number": taken,
        "service_address": "5 Elm Street",
        "billing_address": "5 Elm Street",
        "district": "riverside",
    }.items():
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = console.find("form.add-account .field-error")
    assert error.text == console.text("error.account_taken")
    assert console.find("form.add-account [name=account_number]").get_attribute("aria-invalid") == "true"
    check_both_widths(console, "add-account-error")
    field = console.find("form.add-account [name=account_number]")
    field.clear()
    field.send_keys(f"{taken}-B")
    console.find("form.add-account button[type=submit]").click()
    console.notice(console.text("accounts.added", account=f"{taken}-B"))
    assert len(console.all(".accounts-list > li")) == 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_portal_view_is_read_only_in_the_customers_language(
    console: Console, make_customer: MakeCustomer, server: LocalServer, lang: str
) -> None:
    customer = make_customer(payments=1, language=lang)
    console.sign_in("en")
    console.open_customer(customer)
    console.find("button[data-action=impersonate]").click()
    link = console.find("a.portal-link").get_attribute("href")
    assert link
    console.lang = lang
    console.driver.get(link)
    console.wait(lambda d: d.execute_script("return document.documentElement.lang") == lang, "customer's language")
    banner = console.find(".banner").text
    assert "demo-csr@staff.example.com" in banner  # the CSR who opened it
    # Nothing that changes anything, nothing that runs
    for tag in ("form", "button", "input", "select", "textarea", "iframe", "a"):
        assert not console.all(tag), tag
    assert [s.get_attribute("src") for s in console.all("script")] == [f"{server.url}/console/js/portal_view.js"]
    assert customer["accounts"][0]["account_number"] in console.find("main").text
    check_both_widths(console, "portal-view")
    assert_no_english(console, "portal view", allowed=("CAD",))
    # Served with the console's security headers
    headers = server.call("GET", link.removeprefix(server.url)).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    # It ends when the session ends (the page's own clock: moved on here by its end time, made past)
    console.driver.execute_script(
        "const main = document.getElementById('main');"
        "main.dataset.endsAt = new Date(Date.now() - 1000).toISOString();"
        "const again = document.createElement('script'); again.type = 'module';"
        "again.src = '/console/js/portal_view.js?again'; document.head.append(again);"
    )
    console.wait_text("h1", LOCALES[lang]["portal_view.ended_title"])
    assert customer["accounts"][0]["account_number"] not in console.find("main").text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_stored_value_the_console_cannot_show_reads_as_unknown(
    console: Console, make_customer: MakeCustomer, lang: str
) -> None:
    customer = make_customer(payments=1)
    console.sign_in(lang)
    # A payment stored before times were bounded (billing's feed once took year 1), as the API serves it
    console.driver.execute_script(
        "const real = window.fetch;"
        "window.fetch = async (...args) => {"
        "  const answer = await real(...args);"
        "  if (!String(args[0]).endsWith('/payments')) return answer;"
        "  const body = await answer.json();"
        "  body.items.push({payment_id: 'PAY-Y1', account_number: 'ACC-1', amount: 5, currency: 'CAD',"
        "                   status: 'scheduled', scheduled_for: '1-01-01T00:00:00.000Z'});"
        "  return new Response(JSON.stringify(body), {status: 200, headers: answer.headers});"
        "};"
    )
    console.open_customer(customer)
    row = console.wait_text(".payments-table tbody tr", "PAY-Y1")
    assert console.text("common.unknown") in row.text
    check_both_widths(console, "poisoned-value")


# Words the languages share with English (a cognate, a code): a French or Spanish text may equal its English.
COGNATES = {"District", "Date", "Page", "No", "Portal", "Actions", "Client", "Clients", "client", "clients", "Editor"}


def _words_of(text: str) -> str:
    """A text without its placeholders and punctuation: what a reader reads as words."""
    return " ".join(re.findall(r"[^\W\d_]+", re.sub(r"\{\w+\}", " ", text)))


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_french_or_spanish_text_of_the_console_is_left_in_english(lang: str) -> None:
    english = LOCALES["en"]
    same = {
        key
        for key, text in LOCALES[lang].items()
        if text == english[key] and _words_of(text) and not set(_words_of(text).split()) <= COGNATES
    }
    assert not same, f"{lang}: still English: {sorted(same)}"
    texts = {key: re.sub(r"\{\w+\}", " ", text) for key, text in LOCALES[lang].items() if text not in COGNATES}
    words = {key: text for key, text in texts.items() if ENGLISH.search(text)}
    shared = {
        key for key, text in words.items() if all(m.group(0).lower() in SHARED[lang] for m in ENGLISH.finditer(text))
    }
    assert set(words) == shared, f"{lang}: English words in {sorted(set(words) - shared)}"
