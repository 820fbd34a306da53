"""Demo history a CSR can learn from: what happened to a seeded customer over the past three years.

A story is a few episodes (enrolment, logins, a lockout and its unlock, reset links delivered or
bounced, recovery codes used or revoked, profile changes, an impersonation...) placed at random moments
between the customer's creation and today, written as the product writes them (`csr.data.activity`), in
transactions of at most `CHUNK` entries. The showcase customer's story has every episode, so that every
type filter of the activity log shows something on one customer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from csr import clock
from csr.data import activity
from csr.data.dynamo import Transaction
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.models.customers import LockReason
from csr.text import mask_email

CHUNK = 40  # entries per transaction: with one counter per month they touch, well under 100 items
CSRS = (
    Actor.csr("demo-csr-amelie", "amelie.roy@staff.example.com"),
    Actor.csr("demo-csr-david", "david.nguyen@staff.example.com"),
    Actor.csr("demo-csr-sofia", "sofia.garcia@staff.example.com"),
)
SYSTEM = Actor.system()

T = ActivityType
Timed = list[tuple[datetime, ActivityEntry]]


class Story:
    """The entries of one customer's past, built episode by episode."""

    def __init__(
        self, rng: random.Random, customer_id: str, email: str, account_number: str, everything: bool = False
    ) -> None:
        self.rng = rng
        # Every episode, and each with every outcome (a bounce, a wrong code before the right one).
        self.everything = everything
        self.customer = Actor.customer(customer_id)
        self.sent_to = mask_email(email)
        self.account_number = account_number
        self.entries: Timed = []

    def add(self, at: datetime, kind: ActivityType, actor: Actor, summary: str, /, **details: Any) -> datetime:
        self.entries.append(
            (at, ActivityEntry(at=clock.iso(at), type=kind, actor=actor, summary=summary, details=details))
        )
        return at

    def later(self, at: datetime, low_minutes: float, high_minutes: float) -> datetime:
        return at + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))

    def csr(self) -> Actor:
        return self.rng.choice(CSRS)

    # --- episodes ----------------------------------------------------------------------------------

    def enrolment(self, at: datetime) -> None:
        self.add(at, T.ACCOUNT_ENROLLED, self.csr(), "Portal access given; set-password link emailed")
        self.reset_link(self.later(at, 0, 0.01), bounced=False)

    def reset_link(self, at: datetime, bounced: bool | None = None) -> None:
        bounced = (self.everything or self.rng.random() < 0.25) if bounced is None else bounced
        expires = clock.iso(at + timedelta(hours=24))
        details = {"sent_to": self.sent_to, "expires_at": expires, "superseded_previous": False}
        self.add(
            at, T.PASSWORD_RESET_LINK_SENT, self.csr(), f"Password reset link emailed to {self.sent_to}", **details
        )
        delivered = self.later(at, 0.1, 2)
        if bounced:
            bounce = {"bounce_type": "Permanent", "bounce_sub_type": "MailboxFull"}
            self.add(delivered, T.EMAIL_BOUNCED, SYSTEM, "Email bounced", **self.email_details(), **bounce)
            return
        self.add(delivered, T.EMAIL_DELIVERED, SYSTEM, "Email delivered", **self.email_details())
        completed = self.later(delivered, 3, 600)
        self.add(completed, T.PASSWORD_RESET_COMPLETED, self.customer, "Password set through a reset link")

    def email_details(self) -> dict[str, Any]:
        """As the email_events function records them: the kind of email, SES's id, the masked address."""
        message_id = f"demo-{self.rng.getrandbits(64):016x}"
        return {"email_kind": "password_reset_link", "message_id": message_id, "sent_to": [self.sent_to]}

    def logins(self, start: datetime, end: datetime, count: int) -> None:
        for _ in range(count):
            at = start + (end - start) * self.rng.random()
            if self.rng.random() < 0.12:
                self.add(at, T.LOGIN_FAILED, self.customer, "Portal login failed", reason="wrong_password")
                at = self.later(at, 0.5, 3)
            self.add(at, T.LOGIN_SUCCEEDED, self.customer, "Portal login")

    def lockout(self, at: datetime) -> None:
        for count in range(1, 11):
            at = self.later(at, 0.2, 4)
            self.add(
                at,
                T.LOGIN_FAILED,
                self.customer,
                "Portal login failed",
                reason="wrong_password",
                failed_login_count=count,
            )
        self.add(
            at,
            T.ACCOUNT_LOCKED,
            SYSTEM,
            "Portal access locked after 10 failed logins",
            reason=LockReason.FAILED_LOGINS,
            failed_login_count=10,
        )
        self.unlock(self.later(at, 60, 3 * 24 * 60), "locked", LockReason.FAILED_LOGINS, 10)

    def unlock(self, at: datetime, previous: str, reason: LockReason, failed: int = 0) -> None:
        details = {"previous_status": previous, "previous_lock_reason": reason, "cleared_failed_logins": failed}
        self.add(at, T.ACCOUNT_UNLOCKED, self.csr(), "Portal access unlocked", **details)

    def csr_lock(self, at: datetime) -> None:
        reason = self.rng.choice((LockReason.COMPROMISED, LockReason.MISUSE, LockReason.OTHER))
        note = {LockReason.COMPROMISED: "Customer reported a suspicious login"}.get(reason, "Asked by phone")
        self.add(at, T.ACCOUNT_LOCKED, self.csr(), "Portal access locked by a CSR", reason=reason, note=note)
        self.unlock(self.later(at, 30, 10 * 24 * 60), "locked", reason)

    def recovery_code(self, at: datetime, revoked: bool | None = None) -> None:
        csr = self.csr()
        expires = clock.iso(at + timedelta(hours=24))
        self.add(at, T.RECOVERY_CODE_GENERATED, csr, "Recovery code generated", expires_at=expires)
        if (not self.everything and self.rng.random() < 0.3) if revoked is None else revoked:
            self.add(self.later(at, 1, 30), T.RECOVERY_CODE_REVOKED, csr, "Recovery code revoked")
            return
        at = self.later(at, 1, 10)
        if self.everything or self.rng.random() < 0.5:
            details = {"failed_attempts": 1, "revoked": False}
            self.add(at, T.RECOVERY_CODE_FAILED, self.customer, "Wrong recovery code", **details)
            at = self.later(at, 0.5, 2)
        self.add(at, T.RECOVERY_CODE_REDEEMED, self.customer, "Password set with a recovery code")

    def revoked_code(self, at: datetime) -> None:
        self.recovery_code(at, revoked=True)

    def profile_change(self, at: datetime) -> None:
        fields = self.rng.choice((["phone"], ["last_name"], [f"accounts.{self.account_number}"]))
        self.add(at, T.PROFILE_UPDATED, self.csr(), "Profile updated", fields=fields)

    def impersonation(self, at: datetime) -> None:
        expires = clock.iso(at + timedelta(minutes=15))
        self.add(at, T.IMPERSONATION_STARTED, self.csr(), "Read-only impersonation started", expires_at=expires)

    def complaint(self, at: datetime) -> None:
        details = {**self.email_details(), "feedback_type": "abuse"}
        self.add(at, T.EMAIL_COMPLAINED, SYSTEM, "Recipient reported the email as spam", **details)

    def account_added(self, at: datetime) -> None:
        self.add(at, T.ACCOUNT_ADDED, self.csr(), "Service account added", account_number=self.account_number)

    def deactivation(self, at: datetime) -> None:
        """Deactivated with an open payment cancelled, then reactivated months later."""
        payment = f"PAY-HIST-{self.rng.randint(100000, 999999)}"
        csr = self.csr()
        details = {"previous_status": "enrolled", "cancelled_payments": [payment]}
        self.add(at, T.ACCOUNT_DEACTIVATED, csr, "Portal account deactivated", **details)
        amount = f"{self.rng.randint(2000, 30000) / 100:.2f}"
        cancelled = {"payment_id": payment, "account_number": self.account_number, "amount": amount, "currency": "CAD"}
        self.add(at, T.PAYMENT_CANCELLED, csr, "Payment cancelled on deactivation", **cancelled)
        self.unlock(self.later(at, 30 * 24 * 60, 90 * 24 * 60), "permanent_lock", LockReason.DEACTIVATED)

    def hiding(self, at: datetime) -> None:
        self.add(at, T.ACCOUNT_HIDDEN, self.csr(), "Portal account hidden from search", previous_status="enrolled")
        self.unlock(self.later(at, 24 * 60, 30 * 24 * 60), "hidden", LockReason.HIDDEN)


# Episodes after enrolment, and how often a customer has had each.
EPISODES: dict[Callable[[Story, datetime], None], float] = {
    Story.lockout: 0.25,
    Story.reset_link: 0.35,
    Story.recovery_code: 0.2,
    Story.revoked_code: 0.0,  # a revoked code is among recovery_code's outcomes; here for `everything`
    Story.profile_change: 0.3,
    Story.csr_lock: 0.1,
    Story.impersonation: 0.1,
    Story.complaint: 0.03,
    Story.account_added: 0.05,
    Story.deactivation: 0.02,
    Story.hiding: 0.02,
}


def tell(story: Story, created: datetime, enrolled: datetime | None, *, rich: bool) -> None:
    """The story from `created` (the customer_created entry is the product's own) to a day ago: enrolment
    at `enrolled` (None: never a portal account), then logins and episodes at random moments after it. A
    quiet story (not `rich`) has a few logins and no episode: it keeps the seed quick."""
    end = clock.now() - timedelta(days=1)
    if enrolled is None:
        if story.rng.random() < 0.3:
            story.profile_change(created + (end - created) * story.rng.random())
        return
    if enrolled > created:
        story.enrolment(enrolled)
    start = enrolled + timedelta(days=2)
    story.logins(start, end, story.rng.randint(4, 24) if rich else story.rng.randint(0, 3))
    if not rich:
        return
    chosen = [episode for episode, odds in EPISODES.items() if story.everything or story.rng.random() < odds]
    # The episodes in order, each in its own slice of the time line, so that none overlaps the next.
    width = (end - start) / max(len(chosen), 1)
    for slot, episode in enumerate(chosen):
        episode(story, start + width * (slot + story.rng.uniform(0.05, 0.6)))


def write(tenant_id: str, customer_id: str, story: Story) -> None:
    timed = sorted(story.entries, key=lambda pair: pair[0])
    for first in range(0, len(timed), CHUNK):
        tx = Transaction()
        activity.record_history(tx, tenant_id, customer_id, timed[first : first + CHUNK])
        tx.commit()
