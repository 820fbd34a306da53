"""The table stays consistent under any sequence of operations, faults and retries (issue 27).

A hypothesis state machine drives the handlers as callers do (CSRs, the portal, billing's and the
provider's feeds, business account managers, the worker, the cleanup, a moved clock) across two utilities
and two providers, with faults injected at random AWS calls (DynamoDB, SES, SQS: throttling, internal
errors, and a Lambda stopped between two calls) and the retry a caller makes. After every step:

- every invariant of `csr.data.invariants` holds over the whole table;
- every answer is one the OpenAPI document lists for its operation (status, and error code);
- a 2xx is visible to the next read; a refusal (4xx) wrote nothing; a 503 wrote nothing either;
- a request retried after a fault converges: its answer is one it could have had without the fault.

`make test` runs a few hundred steps (deterministic: derandomized, no example database); `make soak` runs
`SOAK_STEPS` (5,000 by default) and prints the counts. A failing run prints the shortest sequence of steps
hypothesis finds, each step a readable call.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from csr import clock
from csr.data import cleanup_mark
from csr.data.invariants import INVARIANTS, Snapshot, violations
from infra.apigw import route_pattern
from infra.local_aws import REGION, LocalAws
from infra.schedules import run_once, schedule_of
from infra.sqs_delivery import SqsDelivery
from tests.support.api import Api, new_customer_body
from tests.support.faults import Fault, Killed, aws_error, drop_clients, injected
from tests.support.tables import all_items

UTILITIES = ("utility-a", "utility-b")
PROVIDERS = ("provider-a", "provider-b")
PASSWORD = "Correct horse battery 1"
NEW_PASSWORD = "Another correct horse 2"
STEPS = int(os.environ.get("SOAK_STEPS", "0"))
SOAK = STEPS > 0
STEPS_PER_RUN = 50
COUNTS: Counter[str] = Counter()

# Faults a caller may meet: (service, operation, error) — the error a botocore call raises, or the Lambda
# runtime stopping the invocation there (Killed: a timeout between two writes of a change made in parts).
FAULTS: dict[str, tuple[str, str, Callable[[str], BaseException]]] = {
    "dynamodb throttled": ("dynamodb", "*", lambda op: aws_error("ThrottlingException", op, 400)),
    "dynamodb throughput": ("dynamodb", "*", lambda op: aws_error("ProvisionedThroughputExceededException", op)),
    "dynamodb internal": ("dynamodb", "*", lambda op: aws_error("InternalServerError", op, 500)),
    "dynamodb timeout": (
        "dynamodb",
        "TransactWriteItems|BatchWriteItem|PutItem|UpdateItem|DeleteItem",
        lambda _: Killed(),
    ),
    "ses throttled": ("sesv2", "*", lambda op: aws_error("TooManyRequestsException", op, 429)),
    "ses rejected": ("sesv2", "*", lambda op: aws_error("MessageRejected", op)),
    "sqs throttled": ("sqs", "*", lambda op: aws_error("ThrottlingException", op, 400)),
    "sqs internal": ("sqs", "*", lambda op: aws_error("InternalError", op, 500)),
}
fault_choices = st.one_of(st.none(), st.tuples(st.sampled_from(sorted(FAULTS)), st.integers(min_value=0, max_value=2)))

# A refusal writes nothing, but for these: a wrong password or code is counted (API.md).
COUNTED_REFUSALS = {("POST", "/portal/login"), ("POST", "/portal/recovery")}


@cache
def openapi() -> dict[str, Any]:
    from infra.openapi import merged_openapi

    document: dict[str, Any] = merged_openapi()
    return document


def documented(method: str, path: str, status: int, body: Any) -> str | None:
    """None if the OpenAPI document lists this answer for the operation, else what is wrong with it."""
    template = next((t for t in openapi()["paths"] if route_pattern(t).match(path)), None)
    if template is None:
        return f"no operation for {method} {path}"
    responses = openapi()["paths"][template][method.lower()]["responses"]
    if str(status) not in responses:
        return f"{status} not documented for {method} {template}"
    if status < 400:
        return None
    code = (body or {}).get("error", {}).get("code")
    answer = responses[str(status)]
    # One code: an enum in the schema; several: listed beside it (`x-error-codes`).
    allowed = list(answer.get("x-error-codes", []))
    for part in answer["content"]["application/json"]["schema"].get("allOf", []):
        allowed += part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum", [])
    if code not in allowed:
        return f"{status} {code} not documented for {method} {template} (documented: {allowed})"
    return None


def csr(tenant: str) -> Api:
    return Api(None).as_(groups=["csr", "csr_supervisor"], tenant_id=tenant, sub="csr-1")


@cache
def _machine(role: str, tenant: str, run: int) -> Api:
    """A machine caller, its app client registered once per run (each run has a table of its own)."""
    return Api(None).machine(role, tenant_id=tenant)


def portal(tenant: str) -> Api:
    return _machine("portal", tenant, COUNTS["runs"])


def feed(tenant: str) -> Api:
    return _machine("integration", tenant, COUNTS["runs"])


def bam(tenant: str) -> Api:
    return Api(None).as_(groups=["business_account_manager"], tenant_id=tenant, sub="bam-1")


def sent_messages() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


class ConsistencyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from csr.settings import get_settings

        get_settings.cache_clear()
        drop_clients()
        self.local = LocalAws(password_hash_log2_n=10).start()
        self.customers: dict[tuple[str, int], str] = {}  # (tenant, n) -> customer id
        self.codes: dict[tuple[str, int], str] = {}  # the last recovery code read out
        self.groups: dict[str, list[str]] = {p: [] for p in PROVIDERS}
        self.clients: dict[str, set[str]] = {p: set() for p in PROVIDERS}
        self.steps = -1  # the invariant is checked once before the first step
        self.furthest = clock.now()  # the latest time the clock has shown
        # The schedule runs from the deploy on: its first run (on an empty table here) sets the cleanup's mark.
        run_once(schedule_of("cleanup"))
        COUNTS["runs"] += 1

    def teardown(self) -> None:
        clock.reset()
        self.local.stop()
        drop_clients()

    # --- calling as a caller does ------------------------------------------------------------------------

    def call(
        self, api: Api, method: str, path: str, body: Any = None, *, fault: Any = None, query: Any = None
    ) -> tuple[int, Any]:
        """One request, with `fault` injected in it; after a 503 or a stopped invocation, the retry a
        caller makes. Checks every answer is documented, and that a refusal or a 503 wrote nothing."""
        COUNTS["requests"] += 1
        if fault is not None:
            name, after = fault
            service, operation, error = FAULTS[name]
            COUNTS["faults tried"] += 1
            before = all_items()
            try:
                with injected(Fault(service, operation, error, after=after, times=1)) as injected_fault:
                    status, answer, _ = api.call(method, path, body, query=query)
            except Killed:
                COUNTS["faults injected"] += 1
                status, answer = 0, None
            else:
                COUNTS["faults injected"] += injected_fault.raised
                self.check_answer(method, path, status, answer)
                if status == 503:
                    assert all_items() == before, f"a 503 of {method} {path} wrote something ({name})"
            if status not in (0, 503):
                return status, answer
            COUNTS["retries"] += 1
        before = all_items()
        status, answer, _ = api.call(method, path, body, query=query)
        self.check_answer(method, path, status, answer)
        if 400 <= status < 500 and (method, route_template(path)) not in COUNTED_REFUSALS:
            assert all_items() == before, f"a refusal ({status}) of {method} {path} wrote something"
        return status, answer

    def check_answer(self, method: str, path: str, status: int, answer: Any) -> None:
        wrong = documented(method, path, status, answer)
        assert wrong is None, f"{wrong}: {json.dumps(answer)[:300]}"
        assert status != 500, answer

    def customer(self, tenant: str, n: int) -> str | None:
        return self.customers.get((tenant, n))

    # --- customers -------------------------------------------------------------------------------------

    @rule(tenant=st.sampled_from(UTILITIES), n=st.integers(1, 6), enrolled=st.booleans(), fault=fault_choices)
    def create_customer(self, tenant: str, n: int, enrolled: bool, fault: Any) -> None:
        body = new_customer_body(n, enroll_in_portal=enrolled)
        status, answer = self.call(csr(tenant), "POST", "/customers", body, fault=fault)
        assert status in (201, 409), answer
        if status == 201:
            self.customers[(tenant, n)] = answer["customer_id"]
            self.visible(tenant, answer["customer_id"], lambda c: c["email"] == body["email"])
        else:
            assert (tenant, n) in self.customers or answer["error"]["code"] in (
                "email_taken",
                "person_taken",
                "account_taken",
            )
            self.recover_lost_create(tenant, n)

    def recover_lost_create(self, tenant: str, n: int) -> None:
        """A create whose answer was lost (a stopped invocation after its commit): find it by its email."""
        if (tenant, n) in self.customers:
            return
        status, found = csr(tenant).call("GET", "/customers", query={"q": f"helene.tremblay{n}@example.org"})[:2]
        assert status == 200, found
        for row in found["items"]:
            self.customers[(tenant, n)] = row["customer_id"]

    def visible(self, tenant: str, customer_id: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        status, customer, _ = csr(tenant).call("GET", f"/customers/{customer_id}")
        assert status == 200, customer
        assert check(customer), customer
        return dict(customer)

    def pick(self, data: st.DataObject) -> tuple[str, int, str] | None:
        if not self.customers:
            return None
        tenant, n = data.draw(st.sampled_from(sorted(self.customers)), label="customer")
        return tenant, n, self.customers[(tenant, n)]

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), name=st.sampled_from(["Émile", "Zoë", "Jean-Luc", "Hélène"]), fault=fault_choices)
    def update_customer(self, data: st.DataObject, name: str, fault: Any) -> None:
        tenant, _n, cid = self.pick(data) or ("", 0, "")
        status, answer = self.call(csr(tenant), "PATCH", f"/customers/{cid}", {"first_name": name}, fault=fault)
        assert status in (200, 409), answer
        if status == 200:
            self.visible(tenant, cid, lambda c: c["first_name"] == name)

    @precondition(lambda self: self.customers)
    @rule(
        data=st.data(), k=st.integers(1, 3), district=st.sampled_from(["north", "Sud-Est", "Île"]), fault=fault_choices
    )
    def add_account(self, data: st.DataObject, k: int, district: str, fault: Any) -> None:
        tenant, n, cid = self.pick(data) or ("", 0, "")
        number = f"ACC-{n:03d}-{k}"
        body = {
            "account_number": number,
            "service_address": f"{k} rue Principale",
            "billing_address": f"{k} rue Principale",
            "district": district,
        }
        status, answer = self.call(csr(tenant), "POST", f"/customers/{cid}/accounts", body, fault=fault)
        assert status in (200, 201, 409), answer
        if status < 300:
            self.visible(tenant, cid, lambda c: number in [a["account_number"] for a in c["accounts"]])

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), action=st.sampled_from(["lock", "unlock", "hide", "deactivate"]), fault=fault_choices)
    def change_portal(self, data: st.DataObject, action: str, fault: Any) -> None:
        tenant, _n, cid = self.pick(data) or ("", 0, "")
        body = {"lock": {"reason": "compromised"}, "deactivate": {"acknowledge_pending_payments": True}}.get(action)
        status, answer = self.call(csr(tenant), "POST", f"/customers/{cid}/{action}", body, fault=fault)
        assert status in (200, 409), answer
        if status == 200:
            self.visible(tenant, cid, lambda c: c["portal"]["status"] == answer["portal_status"])

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), fault=fault_choices)
    def send_reset_link(self, data: st.DataObject, fault: Any) -> None:
        tenant, _n, cid = self.pick(data) or ("", 0, "")
        status, answer = self.call(csr(tenant), "POST", f"/customers/{cid}/password-reset-link", fault=fault)
        assert status in (202, 409, 422), answer

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), fault=fault_choices)
    def redeem_reset_link(self, data: st.DataObject, fault: Any) -> None:
        tenant, n, _cid = self.pick(data) or ("", 0, "")
        address = f"helene.tremblay{n}@example.org"
        links = [m for m in sent_messages() if address in m.destinations["ToAddresses"] and "token=" in m.body]
        if not links:
            return
        token = re.search(r"token=([A-Za-z0-9_-]+)", links[-1].body)
        assert token is not None
        body = {"token": token.group(1), "new_password": PASSWORD}
        status, answer = self.call(portal(tenant), "POST", "/portal/password-reset", body, fault=fault)
        assert status in (204, 400, 409, 422), answer

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), fault=fault_choices)
    def issue_recovery_code(self, data: st.DataObject, fault: Any) -> None:
        tenant, n, cid = self.pick(data) or ("", 0, "")
        status, answer = self.call(csr(tenant), "POST", f"/customers/{cid}/recovery-code", fault=fault)
        assert status in (201, 409), answer
        if status == 201:
            self.codes[(tenant, n)] = answer["code"]
            status, shown, _ = csr(tenant).call("GET", f"/customers/{cid}/recovery-code")
            assert (status, shown["active"]) == (200, True), shown

    @precondition(lambda self: self.codes)
    @rule(data=st.data(), right=st.booleans(), fault=fault_choices)
    def redeem_recovery_code(self, data: st.DataObject, right: bool, fault: Any) -> None:
        tenant, n = data.draw(st.sampled_from(sorted(self.codes)), label="code of")
        code = self.codes[(tenant, n)] if right else "000000"
        body = {"email": f"helene.tremblay{n}@example.org", "code": code, "new_password": PASSWORD}
        status, answer = self.call(portal(tenant), "POST", "/portal/recovery", body, fault=fault)
        assert status in (204, 400, 409, 422, 423), answer

    @precondition(lambda self: self.customers)
    @rule(data=st.data(), right=st.booleans(), fault=fault_choices)
    def login(self, data: st.DataObject, right: bool, fault: Any) -> None:
        tenant, n, _cid = self.pick(data) or ("", 0, "")
        body = {"email": f"helene.tremblay{n}@example.org", "password": PASSWORD if right else "wrong password 1"}
        status, answer = self.call(portal(tenant), "POST", "/portal/login", body, fault=fault)
        assert status in (200, 401, 403, 423), answer

    @precondition(lambda self: self.customers)
    @rule(
        data=st.data(),
        k=st.integers(1, 4),
        state=st.sampled_from(["scheduled", "pending", "completed"]),
        fault=fault_choices,
    )
    def feed_payment(self, data: st.DataObject, k: int, state: str, fault: Any) -> None:
        tenant, n, cid = self.pick(data) or ("", 0, "")
        body = {
            "account_number": f"ACC-{n:06d}",
            "amount": 12.5,
            "currency": "CAD",
            "status": state,
            "scheduled_for": clock.iso(clock.now() + timedelta(days=k)),
        }
        status, answer = self.call(feed(tenant), "PUT", f"/integration/payments/PAY-{k}", body, fault=fault)
        assert status in (200, 404), answer
        if status == 200:
            payments = csr(tenant).call("GET", f"/customers/{cid}/payments")[1]["items"]
            assert any(p["payment_id"] == f"PAY-{k}" and p["status"] == state for p in payments), payments

    # --- a provider's clients and groups ---------------------------------------------------------------

    @rule(
        provider=st.sampled_from(PROVIDERS),
        k=st.integers(0, 7),
        days=st.sampled_from([-1, 1, 3, 12, 40]),
        state=st.sampled_from(["active", "active", "expired", "pending"]),
        fault=fault_choices,
    )
    def feed_client(self, provider: str, k: int, days: int, state: str, fault: Any) -> None:
        body = {
            "name": f"Client Ém {k}",
            "business_number": f"BN {k:03d}",
            "program_accounts": ["RT0001"],
            "relationship": {"status": state, "expires_at": clock.iso(clock.now() + timedelta(days=days))},
        }
        status, answer = self.call(feed(provider), "PUT", f"/integration/clients/CL{k}", body, fault=fault)
        assert status in (200, 409), answer
        if status == 200:
            self.clients[provider].add(f"CL{k}")

    @rule(provider=st.sampled_from(PROVIDERS), k=st.integers(0, 3), fault=fault_choices)
    def feed_employee(self, provider: str, k: int, fault: Any) -> None:
        body = {"name": f"Employee {k}", "email": f"e{k}@provider.example.com", "role": "editor"}
        status, answer = self.call(feed(provider), "PUT", f"/integration/employees/E{k}", body, fault=fault)
        assert status == 200, answer

    @rule(
        provider=st.sampled_from(PROVIDERS),
        name=st.sampled_from(["North", "Nörth", "South", "East"]),
        members=st.lists(st.integers(0, 7), min_size=1, max_size=3, unique=True),
        fault=fault_choices,
    )
    def create_group(self, provider: str, name: str, members: list[int], fault: Any) -> None:
        body = {"name": name, "client_ids": [f"CL{k}" for k in members]}
        status, answer = self.call(bam(provider), "POST", "/groups", body, fault=fault)
        assert status in (202, 409, 422), answer
        if status == 202:
            self.groups[provider].append(answer["group_id"])
            shown = bam(provider).call("GET", f"/groups/{answer['group_id']}")
            assert shown[0] == 200, shown[1]

    def pick_group(self, data: st.DataObject) -> tuple[str, str] | None:
        choices = [(p, g) for p, groups in self.groups.items() for g in groups]
        return data.draw(st.sampled_from(choices), label="group") if choices else None

    @precondition(lambda self: any(self.groups.values()))
    @rule(
        data=st.data(),
        add=st.lists(st.integers(0, 7), max_size=2, unique=True),
        remove=st.lists(st.integers(0, 7), max_size=2, unique=True),
        name=st.none() | st.sampled_from(["West", "North", "Ouest"]),
        fault=fault_choices,
    )
    def edit_group(self, data: st.DataObject, add: list[int], remove: list[int], name: str | None, fault: Any) -> None:
        provider, group_id = self.pick_group(data) or ("", "")
        body: dict[str, Any] = {"confirmation": "CONFIRM"}
        if add:
            body["add_client_ids"] = [f"CL{k}" for k in add]
        if remove:
            body["remove_client_ids"] = [f"CL{k}" for k in remove if k not in add]
        if name:
            body["name"] = name
        status, answer = self.call(bam(provider), "PATCH", f"/groups/{group_id}", body, fault=fault)
        assert status in (202, 404, 409, 422), answer

    @precondition(lambda self: any(self.groups.values()))
    @rule(data=st.data(), fault=fault_choices)
    def delete_group(self, data: st.DataObject, fault: Any) -> None:
        provider, group_id = self.pick_group(data) or ("", "")
        status, answer = self.call(
            bam(provider), "DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"}, fault=fault
        )
        assert status in (202, 404, 409), answer

    @precondition(lambda self: any(self.groups.values()))
    @rule(data=st.data(), employees=st.lists(st.integers(0, 3), max_size=2, unique=True), fault=fault_choices)
    def assign_employees(self, data: st.DataObject, employees: list[int], fault: Any) -> None:
        provider, group_id = self.pick_group(data) or ("", "")
        body = {
            "confirmation": "CONFIRM",
            "assignments": [{"employee_id": f"E{k}", "role": "editor"} for k in employees],
        }
        status, answer = self.call(bam(provider), "PUT", f"/groups/{group_id}/employees", body, fault=fault)
        assert status in (202, 404, 409, 422), answer

    # --- what runs on its own: the worker, the cleanup, time ---------------------------------------------

    def failing_once(self, fault: Any, action: Callable[[], object]) -> None:
        """Run `action` with `fault` injected: an invocation that fails or dies is run again by what
        triggers it (SQS redelivers its messages, the schedule runs the cleanup again)."""
        if fault is None:
            return
        service, operation, error = FAULTS[fault[0]]
        COUNTS["faults tried"] += 1
        with (
            injected(Fault(service, operation, error, after=fault[1], times=1)) as injected_fault,
            suppress(Killed, Exception),
        ):
            action()
        COUNTS["faults injected"] += injected_fault.raised

    @rule(fault=fault_choices)
    def run_worker(self, fault: Any) -> None:
        self.failing_once(fault, SqsDelivery(visibility_timeout=0).drain)
        SqsDelivery(visibility_timeout=0).drain()

    @rule(fault=fault_choices)
    def run_cleanup(self, fault: Any) -> None:
        self.failing_once(fault, lambda: run_once(schedule_of("cleanup")))
        answer = run_once(schedule_of("cleanup"))
        assert answer["finished"] is True, answer

    @rule(seconds=st.sampled_from([60, 16 * 60, 3600, 86400, 3 * 86400, 10 * 86400, -3600, -86400]))
    def move_clock(self, seconds: int) -> None:
        clock.advance(seconds)
        cleanup_mark.follow_back(clock.now())  # as `POST /_local/clock` does
        self.furthest = max(self.furthest, clock.now())

    # --- after every step ------------------------------------------------------------------------------

    @invariant()
    def table_is_consistent(self) -> None:
        self.steps += 1
        COUNTS["steps"] += min(self.steps, 1)
        # What the cleanup handled before the clock went back stays handled (an ended relationship's entry,
        # a credential deleted): the invariants read "now" as the latest time the clock has shown.
        self.furthest = max(self.furthest, clock.now())
        found = violations(Snapshot.of(all_items(), now=self.furthest))
        COUNTS["invariants checked"] += len(INVARIANTS)
        assert found == [], "\n".join(str(v) for v in found)


def route_template(path: str) -> str:
    return next((t for t in openapi()["paths"] if route_pattern(t).match(path)), path)


def machine_settings(**overrides: Any) -> settings:
    return settings(
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        **overrides,
    )


def test_the_table_stays_consistent_under_random_operations_faults_and_retries() -> None:
    """A few hundred steps, the same every run (derandomized); with SOAK_STEPS, random runs until that many
    steps are done."""
    COUNTS.clear()
    run: Callable[..., None] = run_state_machine_as_test  # hypothesis leaves it unannotated
    if not SOAK:
        run(ConsistencyMachine, settings=machine_settings(max_examples=4, derandomize=True))
    while COUNTS["steps"] < STEPS:
        run(ConsistencyMachine, settings=machine_settings(max_examples=10))
    print(f"\nconsistency machine: {dict(COUNTS)}")
    assert COUNTS["faults injected"] > 0
    assert COUNTS["steps"] >= STEPS


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_an_answer_the_document_does_not_list_is_caught(aws: LocalAws) -> None:
    locked = {"portal_status": "locked"}
    assert documented("POST", "/customers/c_1/lock", 200, locked) is None
    assert (
        documented("POST", "/customers/c_1/lock", 418, locked)
        == "418 not documented for POST /customers/{customer_id}/lock"
    )
    wrong_code = documented("POST", "/customers/c_1/lock", 409, {"error": {"code": "email_taken"}})
    assert wrong_code is not None
    assert wrong_code.startswith("409 email_taken not documented")
