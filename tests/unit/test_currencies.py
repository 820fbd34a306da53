"""The currencies a payment may be in are those CLDR (through Babel) knows as legal tender today."""

from __future__ import annotations

from babel.core import get_global
from babel.numbers import get_territory_currencies

from csr import clock
from csr.models.currencies import ACTIVE_CURRENCIES


def test_the_active_currencies_are_cldrs_tender_currencies() -> None:
    today = clock.now().date()
    tender: set[str] = set()
    for territory in get_global("territory_currencies"):
        tender |= set(get_territory_currencies(territory, today, tender=True))
    assert set(ACTIVE_CURRENCIES) == tender
