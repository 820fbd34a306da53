"""A tenant's settings as the code uses them: configuration (template.yaml's DefaultTimeZone and
TenantSettings), not data. No route writes them, tenants are registered at deploy time like their app
clients, and reading them costs no call: a change is an operator's, reviewed and deployed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from csr.settings import get_settings


@dataclass(frozen=True)
class TenantSettings:
    time_zone: ZoneInfo
    payment_admin_url: str | None

    def payment_admin_link(self, account_number: str) -> str | None:
        """The tenant's Payment Administration page of an account, if the tenant has one."""
        if self.payment_admin_url is None:
            return None
        return self.payment_admin_url.replace("{account_number}", quote(account_number, safe=""))


def tenant_settings(tenant_id: str) -> TenantSettings:
    settings = get_settings()
    own = settings.tenant_settings.get(tenant_id)
    zone = (own.time_zone if own else None) or settings.default_time_zone
    return TenantSettings(ZoneInfo(zone), own.payment_admin_url if own else None)
