"""Demo data for the local server: customers with three years of history, payments, a service provider.

Every item is one the product writes: each customer's writes are composed by the product's own data
layer (`customers.add_customer_write` for the profile, accounts, uniqueness guards, search postings and
cards and district counters; `activity.record_history` for the log and its monthly counters;
`payments.add_payment_write`), in the transactions a writer would commit, and the histories follow the
product's portal rules (infra.seed_history). They are then loaded in bulk (infra.bulk_load: their net
effect, imported into the emulated table) rather than committed one at a time, which took most of `make
serve`'s start.
The service provider's data, small, goes through the product's services.

Deterministic: one `random.Random` with a fixed seed picks every name, address, status and payment (the
ids, `cus_...`, are random like in production). Two utilities, several districts, an eight-unit building,
accented names, every portal status, open and settled payments.

Demo-only shortcut: every demo customer with a password gets the SAME hash of `DEMO_PASSWORD`, made once
with csr.passwords.hash_password at the configured (production) cost. Hashing each one separately would
spend about a tenth of a second per customer on scrypt at start-up for nothing a developer can see.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from csr import clock
from csr.auth import Caller, Role
from csr.data import activity, payments
from csr.data import customers as customer_store
from csr.data.dynamo import Transaction
from csr.ids import new_id
from csr.models.activity import ActivityType
from csr.models.customers import (
    OPEN_PAYMENT_STATUSES,
    Account,
    CreateCustomerRequest,
    Customer,
    LockReason,
    NewAccount,
    Payment,
    PaymentStatus,
    PortalState,
    PortalStatus,
)
from csr.models.groups import ClientFeed, CreateGroupRequest, EmployeeFeed, Relationship
from csr.passwords import hash_password
from csr.services import groups, relationships
from csr.text import fold
from infra import seed_history
from infra.bulk_load import BulkLoad

DEMO_PASSWORD = "correct-horse-battery-staple"
RANDOM_SEED = 20261122
TENANTS = ("utility-a", "utility-b")
DEFAULT_CUSTOMERS = 560
MULTI_UNIT_BUILDING = "2172 Main Street"
MULTI_UNIT_APARTMENTS = 8

FIRST_NAMES = (
    "Hélène",
    "José",
    "Zoë",
    "François",
    "Björn",
    "Chloé",
    "Renée",
    "Jürgen",
    "Søren",
    "Inès",
    "Łukasz",
    "Amélie",
    "Noël",
    "Mário",
    "Siobhán",
    "Andrés",
    "Jean",
    "Marie",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "William",
    "Sophia",
    "James",
    "Isabella",
    "Lucas",
    "Mia",
    "Ethan",
    "Charlotte",
    "Mateo",
    "Aaliyah",
    "Wei",
    "Priya",
    "Kenji",
    "Fatima",
    "Omar",
    "Anaïs",
    "Gaëlle",
    "Raphaël",
    "Léa",
)
LAST_NAMES = (
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Müller",
    "García",
    "Núñez",
    "O'Brien",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Nguyen",
    "Chen",
    "Patel",
    "Kowalski",
    "Andersson",
    "Søndergaard",
    "Da Silva",
    "MacDonald",
    "St-Pierre",
)
STREETS = (
    "Main Street",
    "Maple Avenue",
    "Rue Saint-Denis",
    "Oak Drive",
    "Boulevard René-Lévesque",
    "Cedar Lane",
    "Elm Street",
    "Chemin du Lac",
    "Pine Crescent",
    "Rue de l'Église",
    "Birch Road",
    "Harbour Way",
)
DISTRICTS = ("north", "south", "east", "west", "downtown", "riverside")
# Index 0..4 of each utility cover every status; the rest are drawn with these weights.
SHOWCASE_STATUSES = (
    PortalStatus.ENROLLED,
    PortalStatus.UNENROLLED,
    PortalStatus.LOCKED,
    PortalStatus.PERMANENT_LOCK,
    PortalStatus.HIDDEN,
)
STATUS_WEIGHTS = {
    PortalStatus.ENROLLED: 64,
    PortalStatus.UNENROLLED: 16,
    PortalStatus.LOCKED: 8,
    PortalStatus.PERMANENT_LOCK: 6,
    PortalStatus.HIDDEN: 6,
}
LOCK_REASONS = (
    LockReason.COMPROMISED,
    LockReason.MISUSE,
    LockReason.OPT_OUT,
    LockReason.OTHER,
    LockReason.FAILED_LOGINS,
)
LOCKING_STATUSES = frozenset({PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN})
LANGUAGE_WEIGHTS = {"en": 55, "fr": 35, "es": 10}
YEAR = timedelta(days=365)
# Customers of each utility with a full history (the rest, and one in ten more, get a quiet one).
RICH_HISTORIES = 40


@dataclass
class DemoCustomer:
    tenant_id: str
    customer_id: str
    email: str
    portal_status: PortalStatus


@dataclass
class SeedSummary:
    customers: list[DemoCustomer] = field(default_factory=list)
    payments: int = 0
    seconds: float = 0.0

    def showcase(self, tenant_id: str = "utility-a") -> DemoCustomer:
        """The first customer of a utility: enrolled, with the demo password and open payments."""
        return next(c for c in self.customers if c.tenant_id == tenant_id)


def _caller(tenant_id: str, role: Role) -> Caller:
    return Caller(sub="seed", email="seed@staff.example.com", tenant_id=tenant_id, roles=frozenset({role}))


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


class _Seeder:
    def __init__(self, rng: random.Random, password_hash: str, summary: SeedSummary) -> None:
        self.rng = rng
        # Languages and histories draw from their own stream, so that names, statuses and payments stay
        # what they were before histories existed.
        self.story_rng = random.Random(rng.random())  # noqa: S311 - demo data, not secrets
        self.password_hash = password_hash
        self.summary = summary

    def customer_request(self, tenant_id: str, index: int) -> CreateCustomerRequest:
        rng = self.rng
        first, last = ("Hélène", "Tremblay") if index == 0 else (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        prefix = tenant_id[-1].upper()
        accounts = []
        for number in range(rng.choices((1, 2, 3), weights=(80, 15, 5))[0]):
            if index < MULTI_UNIT_APARTMENTS and number == 0:
                service = f"{MULTI_UNIT_BUILDING} Apt {index + 1}"
            else:
                service = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
            billing = service if rng.random() < 0.85 else f"PO Box {rng.randint(100, 9999)}"
            accounts.append(
                NewAccount(
                    account_number=f"{prefix}{index:06d}-{number}",
                    service_address=service,
                    billing_address=billing,
                    district="downtown" if index < MULTI_UNIT_APARTMENTS else rng.choice(DISTRICTS),
                    nickname=rng.choice((None, None, "Home", "Cottage", "Shop")),
                    autopay=rng.random() < 0.4,
                    paperless=rng.random() < 0.5,
                )
            )
        return CreateCustomerRequest(
            person_id=f"{prefix}P{index:06d}",
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}{index}@example.org",
            phone=f"+1 514 555 {rng.randint(0, 9999):04d}",
            enroll_in_portal=True,
            accounts=accounts,
        )

    def status_for(self, index: int) -> PortalStatus:
        if index < len(SHOWCASE_STATUSES):
            return SHOWCASE_STATUSES[index]
        return self.rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]

    def add_customer(self, tenant_id: str, index: int) -> list[Transaction]:
        """The customer's writes, in the transactions a writer would commit: its creation, its history in
        chunks, its payments."""
        request = self.customer_request(tenant_id, index)
        status = self.status_for(index)
        # Drawn from the main stream in the order of the seed before histories, so that payments stay.
        quiet_days = self.rng.randint(0, 90) if status is not PortalStatus.UNENROLLED else 0
        drawn_reason = self.rng.choice(LOCK_REASONS) if status in LOCKING_STATUSES else None
        numbers = [account.account_number for account in request.accounts]
        paid = self.payments(tenant_id, index, numbers) if index == 0 or self.rng.random() < 0.35 else []
        accounts = [*request.accounts, *([self.added_account(tenant_id, index, len(numbers))] if index == 0 else [])]
        customer_id = new_id("cus")
        created, enrolled, end = self.timeline(index, status, quiet_days)
        story = seed_history.Story(
            self.story_rng,
            customer_id,
            request.email,
            created,
            PortalState(status=PortalStatus.ENROLLED if enrolled == created else PortalStatus.UNENROLLED),
            account_number=accounts[0].account_number,
            added_account=accounts[-1].account_number if len(accounts) > 1 else None,
            everything=index == 0,
        )
        story.open_payments = [payment for payment in paid if payment.status in OPEN_PAYMENT_STATUSES]
        rich = index < RICH_HISTORIES or self.story_rng.random() < 0.1
        reason = drawn_reason if status is PortalStatus.LOCKED else None
        seed_history.tell(story, enrolled, status, reason, end, rich=rich)
        if story.state.status is not status:
            raise ValueError(f"demo history: {customer_id} ended {story.state.status}, not {status}")
        customer = Customer(
            customer_id=customer_id,
            created_at=clock.iso(created),
            portal=story.state,
            password_hash=self.password_hash if story.has_password else None,
            **request.model_dump(exclude={"accounts", "enroll_in_portal", "language"}),
            language=self.story_rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0],
            accounts=[Account.model_validate(account.model_dump()) for account in accounts],
        )
        self.summary.customers.append(DemoCustomer(tenant_id, customer_id, customer.email, status))
        cancelled = {payment.payment_id: payment for payment in story.cancelled}
        stored = [cancelled.pop(payment.payment_id, payment) for payment in paid] + list(cancelled.values())
        return [
            self.creation(tenant_id, customer, story),
            *self.history(tenant_id, customer_id, story),
            *(self.payment_write(tenant_id, customer_id, payment) for payment in stored),
        ]

    def timeline(self, index: int, status: PortalStatus, quiet_days: int) -> tuple[datetime, datetime | None, datetime]:
        """When the customer was created (up to three years ago), given a portal account (at creation, later
        by a CSR, or never: None), and last active (up to 90 days ago, a day at least, in the last third)."""
        now = clock.now()
        created = now - YEAR * (2.9 if index == 0 else self.story_rng.uniform(0.3, 2.95))
        span = now - timedelta(days=1) - created
        end = now - min(timedelta(days=max(quiet_days, 1)), span * 0.3)
        if status is PortalStatus.UNENROLLED:
            return created, None, end
        if index == 0 or self.story_rng.random() < 0.4:
            return created, created + span * self.story_rng.uniform(0.01, 0.3), end
        return created, created, end

    @staticmethod
    def creation(tenant_id: str, customer: Customer, story: seed_history.Story) -> Transaction:
        """The customer as it is now, with its `customer_created` entry as csr.services.customers writes it
        (by one of the demo CSRs; the accounts it was created with), in one transaction."""
        tx = Transaction()
        customer_store.add_customer_write(tx, tenant_id, None, customer)
        added = {
            entry.details["account_number"] for _, entry in story.entries if entry.type is ActivityType.ACCOUNT_ADDED
        }
        numbers = [account.account_number for account in customer.accounts if account.account_number not in added]
        status = PortalStatus.ENROLLED if story.enrolled_at_creation else PortalStatus.UNENROLLED
        created = clock.parse_iso(customer.created_at)
        kind = ActivityType.CUSTOMER_CREATED
        entry = seed_history.entry(created, kind, seed_history.CSRS[0], accounts=numbers, portal_status=status)
        activity.record(tx, tenant_id, customer.customer_id, [entry], created)
        return tx

    @staticmethod
    def history(tenant_id: str, customer_id: str, story: seed_history.Story) -> list[Transaction]:
        transactions = []
        for chunk in seed_history.chunks(story):
            tx = Transaction()
            activity.record_history(tx, tenant_id, customer_id, chunk)
            transactions.append(tx)
        return transactions

    @staticmethod
    def added_account(tenant_id: str, index: int, number: int) -> NewAccount:
        """The showcase customer's cottage, added by a CSR after its creation (its log's `account_added`)."""
        return NewAccount(
            account_number=f"{tenant_id[-1].upper()}{index:06d}-{number}",
            service_address="88 Chemin du Lac",
            billing_address="88 Chemin du Lac",
            district="riverside",
            nickname="Cottage",
        )

    def payments(self, tenant_id: str, index: int, account_numbers: list[str]) -> list[Payment]:
        statuses = (
            [PaymentStatus.SCHEDULED, PaymentStatus.PENDING]
            if index == 0
            else [self.rng.choice(list(PaymentStatus)) for _ in range(self.rng.randint(1, 3))]
        )
        today = clock.now()
        made = []
        for number, status in enumerate(statuses):
            days = {PaymentStatus.SCHEDULED: self.rng.randint(3, 40), PaymentStatus.PENDING: 0}.get(
                status, -self.rng.randint(1, 300)
            )
            made.append(
                Payment(
                    payment_id=f"PAY-{tenant_id}-{index:06d}-{number}",
                    account_number=self.rng.choice(account_numbers),
                    amount=Decimal(self.rng.randint(1500, 45000)) / 100,
                    currency="CAD",
                    status=status,
                    scheduled_for=(today + timedelta(days=days)).date().isoformat(),
                )
            )
        self.summary.payments += len(made)
        return made

    @staticmethod
    def payment_write(tenant_id: str, customer_id: str, payment: Payment) -> Transaction:
        """As billing's feed stores a payment it has not sent before (csr.services.customers.upsert_payment)."""
        tx = Transaction()
        payments.add_payment_write(tx, tenant_id, customer_id, payment, None)
        return tx


def demo_transactions(total_customers: int, summary: SeedSummary) -> Iterator[Transaction]:
    """Every demo customer's writes (three quarters in utility-a, the rest in utility-b), in order."""
    seeder = _Seeder(
        random.Random(RANDOM_SEED),  # noqa: S311 - demo data, not secrets
        hash_password(DEMO_PASSWORD),
        summary,
    )
    first_tenant = max(total_customers * 3 // 4, 1)
    for tenant_id, count in zip(TENANTS, (first_tenant, total_customers - first_tenant), strict=True):
        for index in range(count):
            yield from seeder.add_customer(tenant_id, index)


def seed(total_customers: int = DEFAULT_CUSTOMERS) -> SeedSummary:
    """Write the demo data. Needs LocalAws started."""
    started = time.perf_counter()
    summary = SeedSummary()
    load = BulkLoad()
    load.add_all(demo_transactions(total_customers, summary))
    load.write()
    seed_provider()
    summary.seconds = time.perf_counter() - started
    return summary


# --- a service provider's clients, employees and a group ------------------------------------------------
PROVIDER = "provider-a"
PROVIDER_CLIENTS = 40
# Index -> (relationship status, days until it ends): a few end within days (advance the clock past them),
# some are pending approval or already expired; the rest run for a year or more.
SPECIAL_RELATIONSHIPS = {
    0: ("active", 2),
    1: ("active", 3),
    2: ("active", 5),
    3: ("pending", 365),
    4: ("pending", 365),
    5: ("expired", -10),
}
PROVIDER_EMPLOYEES = (
    ("EMP-1", "Nadia Roy", "business_account_manager"),
    ("EMP-2", "Marc Gagnon", "program_account_manager"),
    ("EMP-3", "Julie Côté", "program_account_manager"),
    ("EMP-4", "Omar Haddad", "editor"),
    ("EMP-5", "Ana Silva", "read_only"),
)
CLIENT_WORDS = ("Northern", "Maple", "Harbour", "Laurentian", "Atlantic", "Prairie", "Boréal", "Saint-Laurent")
CLIENT_KINDS = ("Importers", "Traders", "Logistics", "Foods", "Textiles")


def seed_provider() -> None:
    """A service provider with clients (relationships ending soon, pending, expired), employees, and one
    group of clients whose relationships end within days, queued for the worker like any request."""
    feed = _caller(PROVIDER, Role.INTEGRATION)
    now = clock.now()
    for index in range(PROVIDER_CLIENTS):
        status, days = SPECIAL_RELATIONSHIPS.get(index, ("active", 365 + index * 7))
        word, kind = CLIENT_WORDS[index % len(CLIENT_WORDS)], CLIENT_KINDS[index // len(CLIENT_WORDS) % 5]
        relationships.upsert_client(
            feed,
            f"CL-{1000 + index}",
            ClientFeed(
                name=f"{word} {kind} {index + 1}",
                business_number=f"{800000000 + index * 1237} RT0001",
                program_accounts=["RT0001"],
                relationship=Relationship(status=status, expires_at=clock.iso(now + timedelta(days=days))),
            ),
        )
    for employee_id, name, role in PROVIDER_EMPLOYEES:
        email = f"{_ascii(name.split()[0])}@{PROVIDER}.example.com"
        relationships.upsert_employee(feed, employee_id, EmployeeFeed(name=name, email=email, role=role))
    bam = Caller(
        sub="seed",
        email=f"seed@{PROVIDER}.example.com",
        tenant_id=PROVIDER,
        roles=frozenset({Role.BUSINESS_ACCOUNT_MANAGER}),
    )
    groups.create_group(bam, CreateGroupRequest(name="Ending soon", client_ids=["CL-1000", "CL-1001", "CL-1006"]))
