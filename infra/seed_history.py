"""Demo history a CSR can learn from: what happened to a seeded customer over the past three years.

A story is played forward in time from the customer's creation: the first password, logins, a lockout
and its unlock, reset links delivered or bounced, recovery codes used or revoked, profile changes, an
impersonation, a deactivation..., each episode in its own slice of the time line, and last the change
that leaves the customer in the portal status the seed gave them. Every step goes through the portal
rules the product applies (`csr.rules.portal.transition` for a CSR's change, `attempt_login` for a
login), and writes the entries the product writes for it, with the same machine `details` (the summary a
reader sees is composed from type and details when read). So the log and the customer agree as the
product would leave them: a customer locked for failed logins shows ten consecutive `login_failed`
entries and then the system's lock; a login while locked is refused and not counted; the portal status
is the one the last status-changing entry made; the failed-login count is the run of failures since the
last success, password set or unlock; a reset link or code is only issued to an enrolled account, and a
lock, deactivation or hide waits until none is live (so voids none).

The showcase customer's story has every episode, so that every type filter of the activity log shows
something on one customer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from csr import clock
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.models.customers import LockReason, Payment, PaymentStatus, PortalState, PortalStatus
from csr.rules import portal
from csr.rules.portal import LoginOutcome, Refusal, Transition
from csr.text import mask_email

CHUNK = 40  # entries per transaction: with one counter per month they touch, well under 100 items
CSRS = (
    Actor.csr("demo-csr-amelie", "amelie.roy@staff.example.com"),
    Actor.csr("demo-csr-david", "david.nguyen@staff.example.com"),
    Actor.csr("demo-csr-sofia", "sofia.garcia@staff.example.com"),
)
SUPERVISOR = Actor.csr("demo-supervisor-marc", "marc.ouellet@staff.example.com")
SYSTEM = Actor.system()
LINK_LIFETIME = timedelta(hours=24)  # csr.services.reset_links and recovery_codes: 24 h
IMPERSONATION_LIFETIME = timedelta(minutes=15)
CSR_LOCK_REASONS = (LockReason.COMPROMISED, LockReason.MISUSE, LockReason.OPT_OUT, LockReason.OTHER)
# The note a CSR typed with a lock (the customer's data, not a summary).
LOCK_NOTES = {
    LockReason.COMPROMISED: "Customer reported a suspicious login",
    LockReason.OPT_OUT: "Customer asked to stop using the portal",
    LockReason.MISUSE: "Shared login seen from several cities",
    LockReason.OTHER: "Asked by phone",
}

T = ActivityType
Timed = list[tuple[datetime, ActivityEntry]]


def entry(at: datetime, kind: ActivityType, actor: Actor, /, **details: Any) -> ActivityEntry:
    """A seeded entry: machine details only, no prose (the summary a reader sees is composed when read)."""
    return ActivityEntry(at=clock.iso(at), type=kind, actor=actor, summary=kind.value, details=details)


class Story:
    """One customer's past, played step by step from `start` (the customer's creation)."""

    def __init__(
        self,
        rng: random.Random,
        customer_id: str,
        email: str,
        start: datetime,
        state: PortalState,
        *,
        account_number: str,
        added_account: str | None = None,
        everything: bool = False,
    ) -> None:
        self.rng = rng
        # Every episode, and each with every outcome (a bounce, a wrong code before the right one).
        self.everything = everything
        self.customer_id = customer_id
        self.customer = Actor.customer(customer_id)
        self.sent_to = mask_email(email)
        self.account_number = account_number
        self.added_account = added_account  # an account of the customer added after its creation
        self.at = start
        self.state = state
        self.enrolled_at_creation = state.enrolled
        self.has_password = False
        self.pace = timedelta(days=30)  # the length of an episode's slice: how long a lock may last
        self.link_live_until: datetime | None = None  # a reset link not yet used
        self.code_live_until: datetime | None = None  # a recovery code not yet used or revoked
        self.message_id = ""  # the last email sent, which SES events name
        self.entries: Timed = []
        # The customer's open payments today (a deactivation that is the present state cancels them), and
        # the payments deactivations cancelled, as the product leaves them.
        self.open_payments: list[Payment] = []
        self.cancelled: list[Payment] = []

    # --- time and entries ---------------------------------------------------------------------------

    def add(self, kind: ActivityType, actor: Actor, /, **details: Any) -> None:
        """An entry at the story's present moment."""
        self.entries.append((self.at, entry(self.at, kind, actor, **details)))

    def wait(self, low_minutes: float, high_minutes: float) -> None:
        """Let time pass; never more than a third of the episode's slice."""
        high = min(high_minutes, self.pace.total_seconds() / 60 / 3)
        self.at += timedelta(minutes=self.rng.uniform(min(low_minutes, high), high))

    def move_to(self, moment: datetime) -> None:
        self.at = max(self.at, moment)

    def csr(self) -> Actor:
        return self.rng.choice(CSRS)

    def settle(self) -> None:
        """Before a lock, deactivation or hide: wait until no reset link or recovery code is live, so that
        the change voids none (a voided one would have its own revocation entry)."""
        for live in (self.link_live_until, self.code_live_until):
            if live is not None:
                self.move_to(live + timedelta(minutes=1))
        self.link_live_until = self.code_live_until = None

    def change(self, route: Transition, reason: LockReason | None = None, note: str | None = None) -> PortalState:
        """A CSR's status change, decided by the product's rules; returns the state before it."""
        before = self.state
        after = portal.transition(before, route, clock.iso(self.at), reason, note)
        if isinstance(after, Refusal):
            raise ValueError(f"demo history: {route} refused from {before.status} ({after.code})")
        self.state = after
        return before

    def enrolled(self) -> bool:
        return self.state.status is PortalStatus.ENROLLED

    # --- steps the product records --------------------------------------------------------------------

    def login(self, password_ok: bool) -> None:
        """One portal login attempt, as csr.services.access.log_in records it."""
        ok = password_ok and self.has_password and portal.checks_password(self.state)
        result = portal.attempt_login(self.state, ok, clock.iso(self.at))
        if result.outcome is LoginOutcome.NOT_ENROLLED:
            return  # answered like an unknown email: nothing recorded
        if result.outcome is LoginOutcome.SUCCEEDED:
            self.add(T.LOGIN_SUCCEEDED, self.customer)
        elif result.outcome is LoginOutcome.ACCOUNT_LOCKED:
            self.add(T.LOGIN_FAILED, self.customer, reason="account_locked", portal_status=self.state.status)
        else:
            reason = "wrong_password" if self.has_password else "no_password_set"
            count = result.state.failed_login_count
            self.add(T.LOGIN_FAILED, self.customer, reason=reason, failed_login_count=count)
            if result.locked_now:
                self.add(T.ACCOUNT_LOCKED, SYSTEM, reason=LockReason.FAILED_LOGINS, failed_login_count=count)
        self.state = result.state

    def password_set(self, kind: ActivityType) -> None:
        """The customer redeems a reset link or recovery code: a password, and no failed logins left."""
        if not self.enrolled():
            raise ValueError("demo history: a link or code redeemed while the account is not enrolled")
        self.add(kind, self.customer)
        self.has_password = True
        self.state = self.state.model_copy(update={"failed_login_count": 0})
        # The product then emails the customer that the password changed; SES reports the delivery.
        self.email_sent()
        self.wait(0.1, 2)
        self.email_event(T.EMAIL_DELIVERED, "password_changed")

    def link_sent(self, actor: Actor) -> None:
        if not self.enrolled():
            raise ValueError("demo history: a reset link for an account that is not enrolled")
        expires = self.at + LINK_LIFETIME
        superseded = self.link_live_until is not None and self.link_live_until > self.at
        details = {"sent_to": self.sent_to, "expires_at": clock.iso(expires), "superseded_previous": superseded}
        self.add(T.PASSWORD_RESET_LINK_SENT, actor, **details)
        self.link_live_until = expires
        self.email_sent()

    def email_sent(self) -> None:
        """An email the product sent: SES's id for it, which its delivery, bounce or complaint names."""
        self.message_id = f"demo-{self.rng.getrandbits(64):016x}"

    def email_event(self, kind: ActivityType, email_kind: str, **more: Any) -> None:
        """As csr.services.email_events records SES's events: the kind of email, its id, the masked address."""
        details = {"email_kind": email_kind, "message_id": self.message_id, "sent_to": [self.sent_to], **more}
        self.add(kind, SYSTEM, **details)

    def link_outcome(self, email_kind: str, bounced: bool) -> None:
        """The link's email delivered and the password set with it, or the email bounced."""
        self.wait(0.1, 2)
        if bounced:
            bounce = {"bounce_type": "Permanent", "bounce_sub_type": "MailboxFull"}
            self.email_event(T.EMAIL_BOUNCED, email_kind, **bounce)
            return
        self.email_event(T.EMAIL_DELIVERED, email_kind)
        self.wait(3, 600)
        self.password_set(T.PASSWORD_RESET_COMPLETED)
        self.link_live_until = None

    def unlock(self) -> None:
        before = self.change(Transition.UNLOCK)
        details = {
            "previous_status": before.status,
            "previous_lock_reason": before.lock_reason,
            "cleared_failed_logins": before.failed_login_count,
        }
        self.add(T.ACCOUNT_UNLOCKED, self.csr(), **details)

    # --- episodes ------------------------------------------------------------------------------------

    def enrolment(self) -> None:
        """A CSR gives portal access: `enroll` and its set-password link, which the customer uses."""
        before = self.change(Transition.ENROLL)
        csr = self.csr()
        self.add(T.ACCOUNT_ENROLLED, csr, previous_status=before.status)
        self.link_sent(csr)
        self.link_outcome("enrollment_link", bounced=False)

    def first_password(self) -> None:
        """Enrolled at creation with no password: a CSR sends a reset link, the customer sets one."""
        self.reset_link(bounced=False)

    def reset_link(self, bounced: bool | None = None) -> None:
        bounced = (self.everything or self.rng.random() < 0.25) if bounced is None else bounced
        self.link_sent(self.csr())
        self.link_outcome("password_reset_link", bounced)

    def logins(self, until: datetime, count: int) -> None:
        """`count` logins between now and `until`, some after a mistyped password."""
        for moment in sorted(self.at + (until - self.at) * self.rng.random() for _ in range(count)):
            self.move_to(moment)
            if self.rng.random() < 0.12:
                self.login(password_ok=False)
                self.wait(0.5, 3)
            self.login(password_ok=True)

    def lockout(self, final: bool = False) -> None:
        """Ten wrong passwords in a row: the tenth locks the account (the system's entry); a last try is
        refused as locked; a CSR unlocks it days later."""
        self.settle()
        while self.enrolled():
            self.login(password_ok=False)
            self.wait(0.2, 4)
        self.login(password_ok=True)
        if not final:
            self.wait(60, 3 * 24 * 60)
            self.unlock()

    def csr_lock(self, reason: LockReason | None = None, final: bool = False) -> None:
        self.settle()
        reason = reason or self.rng.choice(CSR_LOCK_REASONS)
        note = LOCK_NOTES.get(reason) if self.everything or self.rng.random() < 0.7 else None
        self.change(Transition.LOCK, reason, note)
        self.add(T.ACCOUNT_LOCKED, self.csr(), reason=reason, note=note)
        if not final:
            self.wait(30, 10 * 24 * 60)
            self.unlock()

    def voided_link(self) -> None:
        """A CSR emails a reset link; before the customer uses it, a CSR locks the account (it was
        compromised), which voids the link: its revocation entry follows the lock's, as the product writes
        them; a CSR unlocks the account later."""
        csr, expires = self.csr(), self.at + LINK_LIFETIME
        self.link_sent(csr)
        self.wait(0.1, 2)
        self.email_event(T.EMAIL_DELIVERED, "password_reset_link")
        self.wait(5, 60)
        self.change(Transition.LOCK, LockReason.COMPROMISED, LOCK_NOTES.get(LockReason.COMPROMISED))
        self.add(T.ACCOUNT_LOCKED, csr, reason=LockReason.COMPROMISED, note=LOCK_NOTES.get(LockReason.COMPROMISED))
        self.add(T.PASSWORD_RESET_LINK_REVOKED, csr, voided_by=T.ACCOUNT_LOCKED, expires_at=clock.iso(expires))
        self.link_live_until = None
        self.wait(60, 3 * 24 * 60)
        self.unlock()

    def recovery_code(self, revoked: bool | None = None) -> None:
        if not self.enrolled():
            raise ValueError("demo history: a recovery code for an account that is not enrolled")
        csr = self.csr()
        expires = self.at + LINK_LIFETIME
        replaced = self.code_live_until is not None and self.code_live_until > self.at
        self.add(T.RECOVERY_CODE_GENERATED, csr, expires_at=clock.iso(expires), replaced_active_code=replaced)
        self.code_live_until = expires
        if (not self.everything and self.rng.random() < 0.3) if revoked is None else revoked:
            self.wait(1, 30)
            self.add(T.RECOVERY_CODE_REVOKED, csr)
            self.code_live_until = None
            return
        self.wait(1, 10)
        if self.everything or self.rng.random() < 0.5:
            self.add(T.RECOVERY_CODE_FAILED, self.customer, failed_attempts=1, revoked=False)
            self.wait(0.5, 2)
        self.password_set(T.RECOVERY_CODE_REDEEMED)
        self.code_live_until = None

    def revoked_code(self) -> None:
        self.recovery_code(revoked=True)

    def profile_change(self) -> None:
        fields = self.rng.choice((["phone"], ["last_name"], [f"accounts.{self.account_number}"]))
        self.add(T.PROFILE_UPDATED, self.csr(), fields=fields)

    def impersonation(self) -> None:
        if not self.state.enrolled:
            raise ValueError("demo history: an impersonation without a portal account")
        expires = clock.iso(self.at + IMPERSONATION_LIFETIME)
        self.add(T.IMPERSONATION_STARTED, self.csr(), expires_at=expires)

    def complaint(self) -> None:
        """A reset link the customer did not ask for, reported as spam."""
        self.link_sent(self.csr())
        self.wait(0.1, 2)
        self.email_event(T.EMAIL_DELIVERED, "password_reset_link")
        self.wait(1, 60)
        self.email_event(T.EMAIL_COMPLAINED, "password_reset_link", feedback_type="abuse")

    def account_added(self) -> None:
        if self.added_account:
            self.add(T.ACCOUNT_ADDED, self.csr(), account_number=self.added_account)

    def deactivation(self, final: bool = False) -> None:
        """Deactivated with its open payments cancelled, as the product writes it (in one change): today's
        open payments if this is the customer's present state, else one open then; then, unless it is the
        present state, reactivated months later."""
        self.settle()
        open_payments = self.open_payments if final else [self.past_payment()]
        csr = self.csr()
        before = self.change(Transition.DEACTIVATE)
        self.add(T.ACCOUNT_DEACTIVATED, csr, previous_status=before.status, payments_to_cancel=len(open_payments))
        for payment in open_payments:
            cancelled = {"payment_id": payment.payment_id, "account_number": payment.account_number}
            money = {"amount": str(payment.amount), "currency": payment.currency}
            self.add(T.PAYMENT_CANCELLED, csr, **cancelled, **money, scheduled_for=payment.scheduled_for)
            self.cancelled.append(payment.model_copy(update={"status": PaymentStatus.CANCELLED}))
        if not final:
            self.wait(30 * 24 * 60, 90 * 24 * 60)
            self.unlock()

    def past_payment(self) -> Payment:
        """A payment that was open at a past deactivation (billing's feed had sent it)."""
        return Payment(
            payment_id=f"PAY-HIST-{self.customer_id[-8:]}-{len(self.cancelled)}",
            account_number=self.account_number,
            amount=Decimal(self.rng.randint(2000, 30000)) / 100,
            currency="CAD",
            status=PaymentStatus.SCHEDULED,
            scheduled_for=(self.at + timedelta(days=self.rng.randint(2, 20))).date().isoformat(),
        )

    def hiding(self, final: bool = False) -> None:
        self.settle()
        before = self.change(Transition.HIDE)
        self.add(T.ACCOUNT_HIDDEN, SUPERVISOR, previous_status=before.status)
        if not final:
            self.wait(24 * 60, 30 * 24 * 60)
            self.unlock()

    def become(self, status: PortalStatus, reason: LockReason | None) -> None:
        """The change that leaves the customer in `status` (none for `enrolled`)."""
        if status is PortalStatus.LOCKED and reason is LockReason.FAILED_LOGINS:
            self.lockout(final=True)
        elif status is PortalStatus.LOCKED:
            self.csr_lock(reason, final=True)
        elif status is PortalStatus.PERMANENT_LOCK:
            self.deactivation(final=True)
        elif status is PortalStatus.HIDDEN:
            self.hiding(final=True)


# Episodes after the first password, and how often a customer has had each.
EPISODES: dict[Callable[[Story], None], float] = {
    Story.lockout: 0.25,
    Story.reset_link: 0.35,
    Story.recovery_code: 0.2,
    Story.revoked_code: 0.0,  # a revoked code is among recovery_code's outcomes; here for `everything`
    Story.profile_change: 0.3,
    Story.csr_lock: 0.1,
    Story.voided_link: 0.03,
    Story.impersonation: 0.1,
    Story.complaint: 0.03,
    Story.account_added: 0.05,
    Story.deactivation: 0.02,
    Story.hiding: 0.02,
}


def tell(
    story: Story,
    enrolled: datetime | None,
    status: PortalStatus,
    reason: LockReason | None,
    end: datetime,
    *,
    rich: bool,
) -> None:
    """The story from the customer's creation (the customer_created entry is the seed's own) to `end`: the
    portal account given at `enrolled` (at creation, later, or never: None), the first password, logins
    and episodes in turn, then the change to `status` (locked for `reason`). A quiet story (not `rich`)
    has a few logins and no episode."""
    if enrolled is None:
        if story.rng.random() < 0.3:
            story.move_to(story.at + (end - story.at) * story.rng.random())
            story.profile_change()
        return
    if story.state.enrolled:
        story.wait(5, 3 * 24 * 60)
        story.first_password()
    else:
        story.move_to(enrolled)
        story.enrolment()
    chosen = [e for e, odds in EPISODES.items() if rich and (story.everything or story.rng.random() < odds)]
    if story.added_account is None:
        chosen = [episode for episode in chosen if episode is not Story.account_added]
    logins = story.rng.randint(4, 24) if rich else story.rng.randint(0, 3)
    # Each episode in its own slice of the time line, after a share of the logins; the final change last.
    start = story.at + timedelta(days=2)
    story.pace = max((end - start) / (len(chosen) + 1), timedelta(hours=1))
    for slot, episode in enumerate(chosen):
        at = start + story.pace * (slot + story.rng.uniform(0.3, 0.6))
        story.logins(at, logins // (len(chosen) + 1))
        story.move_to(at)
        episode(story)
    story.logins(end, logins - len(chosen) * (logins // (len(chosen) + 1)))
    if status is not PortalStatus.ENROLLED:
        story.move_to(end)
        story.wait(0, 12 * 60)
        story.become(status, reason)
    if story.at > clock.now():
        raise ValueError("demo history: the story ran past today")


def chunks(story: Story) -> Iterator[list[tuple[datetime, ActivityEntry]]]:
    """The story's entries by time, CHUNK at a time (one transaction each, as a writer commits them); never
    splitting entries of one moment, whose order within their transaction is the order of the log."""
    timed = sorted(story.entries, key=lambda pair: pair[0])
    chunk: Timed = []
    for moment, entry in timed:
        if len(chunk) >= CHUNK and chunk[-1][0] != moment:
            yield chunk
            chunk = []
        chunk.append((moment, entry))
    if chunk:
        yield chunk
