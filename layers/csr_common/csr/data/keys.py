"""Every key of the table, in one place. Each partition key starts with the tenant: no key a handler can
build reaches another tenant's items."""

from __future__ import annotations


def customer_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#C#{customer_id}"


PROFILE_SK = "#PROFILE"
ACCOUNT_SK_PREFIX = "ACCT#"
PAYMENT_SK_PREFIX = "PAY#"
UNIQUE_SK = "UNIQUE"


def account_sk(account_number: str) -> str:
    return f"{ACCOUNT_SK_PREFIX}{account_number}"


def payment_sk(payment_id: str) -> str:
    return f"{PAYMENT_SK_PREFIX}{payment_id}"


def email_guard_pk(tenant_id: str, email: str) -> str:
    return f"T#{tenant_id}#EMAIL#{email.lower()}"


def person_guard_pk(tenant_id: str, person_id: str) -> str:
    return f"T#{tenant_id}#PERSON#{person_id}"


def account_guard_pk(tenant_id: str, account_number: str) -> str:
    return f"T#{tenant_id}#ACCTNO#{account_number}"


def payment_guard_pk(tenant_id: str, payment_id: str) -> str:
    return f"T#{tenant_id}#PAYID#{payment_id}"


def activity_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#C#{customer_id}#ACT"


def activity_type_pk(tenant_id: str, customer_id: str, activity_type: str) -> str:
    """GSI partition of one customer's entries of one type, so a rare type never reads the whole log."""
    return f"T#{tenant_id}#C#{customer_id}#ACT#{activity_type}"


def activity_count_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#C#{customer_id}#ACTCOUNT"


def search_pk(tenant_id: str, word: str) -> str:
    """Search index partition: the first character of the folded word."""
    return f"T#{tenant_id}#S#{word[0]}"


def search_sk(word: str, customer_id: str) -> str:
    """One item per (word, customer): a search loads the customer and checks each account itself."""
    return f"{word}#{customer_id}"


def session_pk(tenant_id: str, token_hash: str) -> str:
    return f"T#{tenant_id}#IMP#{token_hash}"


def reset_token_pk(tenant_id: str, token_hash: str) -> str:
    """A reset-link token, found at redemption by the hash of the token alone (sk UNIQUE_SK)."""
    return f"T#{tenant_id}#RESET#{token_hash}"


RECOVERY_CODE_SK = "CODE#RECOVERY"
# The customer's current reset token (its hash), so that a new link can supersede the old one.
RESET_TOKEN_SK = "CODE#RESET"
# Profile ("#PROFILE"), accounts ("ACCT#") and codes ("CODE#") sort before this; payments ("PAY#") after.
CUSTOMER_READ_END = "D"


def email_message_pk(message_id: str) -> str:
    """Which tenant and customer an SES message was sent for, so that its delivery events find them.
    SES events carry no tenant, and SES message ids are unique across tenants."""
    return f"EMAIL#{message_id}"


def email_event_sk(event_type: str) -> str:
    """Beside the message record: marks one SES event type of the message as recorded (redelivery-proof)."""
    return f"EVENT#{event_type}"


# A deactivation written in parts: a marker beside the profile (read with it) until the last part lands.
DEACTIVATION_SK = "#DEACTIVATING"
# gsi1 partition of every marker, across tenants: the cleanup job (which serves every tenant) finds
# interrupted deactivations with one Query, by start time. Sparse: only markers carry it, and a marker
# lives only while its deactivation runs, so the partition holds the deactivations in flight.
DEACTIVATIONS_GSI_PK = "DEACTIVATING"


def deactivation_gsi_sk(started_at: str, tenant_id: str, customer_id: str) -> str:
    return f"{started_at}#{tenant_id}#{customer_id}"
