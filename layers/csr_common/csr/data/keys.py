"""Every key of the table, in one place. Every partition a request reads starts with the tenant (`T#<tenant>#`),
so no key a handler builds from a request reaches another tenant's items. Five partitions are the service's
own, across tenants, and no request names them: an SES message's owner (`EMAIL#`, found by the message id SES
events carry), relationships by end date (`RELEXP#`), deactivations in flight (`DEACTIVATING`, on gsi1),
what falls due by hour (`DUE#`, on gsi_due) and a machine caller's registration (`MACHINE_CLIENT#`, found by
the client id its verified token carries: the registration is what gives it a tenant); the items they lead
to keep their tenant-led keys."""

from __future__ import annotations

import hashlib

# DynamoDB bounds a sort key to 1,024 bytes and a partition key to 2,048. Folding can make text much longer
# than typed (`㌀`, one character, folds to `アパート`, 12 bytes of UTF-8), so folded text a user typed goes
# into a key through `key_text`, and what a `begins_with` looks for through `key_prefix`.
KEY_TEXT_BYTES = 900  # with a 33-character digest and an id of up to 64, still under 1,024


def key_text(text: str) -> str:
    """`text` as it goes into a key: unchanged up to KEY_TEXT_BYTES bytes of UTF-8; past that, cut there (at a
    character) and followed by a digest of the whole, so that keys stay unique and still sort by their start."""
    encoded = text.encode()
    if len(encoded) <= KEY_TEXT_BYTES:
        return text
    return f"{encoded[:KEY_TEXT_BYTES].decode(errors='ignore')}~{hashlib.sha256(encoded).hexdigest()[:32]}"


def key_prefix(text: str) -> str:
    """What `begins_with` looks for to find the key_text of every text that starts with `text`: `text` itself
    up to KEY_TEXT_BYTES bytes, its cut beyond (then the caller checks the whole text of what it finds)."""
    return text.encode()[:KEY_TEXT_BYTES].decode(errors="ignore")


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
    """One posting per (word, customer), carrying the customer's search card (csr.data.search_index)."""
    return f"{key_text(word)}#{customer_id}"


def district_pk(tenant_id: str) -> str:
    """The tenant's district counters, one item per folded district name (the sort key)."""
    return f"T#{tenant_id}#DISTRICTS"


# Beside a customer's profile: the districts the customer is counted in, and the search card of a customer
# too large to carry it on every posting (read by no customer Query, which stops at CUSTOMER_READ_END).
SEARCH_CUSTOMER_SK = "SEARCH#CUSTOMER"
SEARCH_MIGRATION_PK = "MIGRATION#search-index-v2"


def tenant_and_customer(pk: str) -> tuple[str, str]:
    """The inverse of `customer_pk`: tenant and customer ids contain no `#`."""
    _, tenant_id, _, customer_id = pk.split("#", 3)
    return tenant_id, customer_id


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


# --- machine callers ----------------------------------------------------------------------------------
def machine_client_pk(client_id: str) -> str:
    """An app client's registration (its tenant and role), found by the `client_id` of its access token."""
    return f"MACHINE_CLIENT#{client_id}"


# --- client groups (tenant = the service provider) -----------------------------------------------------
GROUP_SK = "#GROUP"
MEMBERSHIP_SK = "MEMBERSHIP"
ASSIGNMENT_SK_PREFIX = "E#"


def group_pk(tenant_id: str, group_id: str) -> str:
    """The group item and its employee assignments."""
    return f"T#{tenant_id}#G#{group_id}"


def assignment_sk(employee_id: str) -> str:
    return f"{ASSIGNMENT_SK_PREFIX}{employee_id}"


def groups_by_name_pk(tenant_id: str) -> str:
    """GSI partition of the provider's listed (pending or active) groups, sorted by folded name."""
    return f"T#{tenant_id}#GROUPS"


def group_name_guard_pk(tenant_id: str, folded_name: str) -> str:
    """Takes a group name for good (sk UNIQUE_SK): active and deleted groups keep their names."""
    return f"T#{tenant_id}#GNAME#{key_text(folded_name)}"


def client_pk(tenant_id: str, client_id: str) -> str:
    """A client's profile (from the feed) and its membership guard: in at most one group of the provider."""
    return f"T#{tenant_id}#CLIENT#{client_id}"


def tenant_and_client(pk: str) -> tuple[str, str]:
    """The inverse of `client_pk`: tenant and client ids contain no `#`."""
    _, tenant_id, _, client_id = pk.split("#", 3)
    return tenant_id, client_id


def group_members_pk(tenant_id: str, group_id: str) -> str:
    """GSI partition of a group's membership guards, sorted by folded client name."""
    return f"T#{tenant_id}#G#{group_id}#CLIENTS"


CLIENT_NAME_PREFIX = "N#"
CLIENT_WORD_PREFIX = "W#"


def available_index_pk(tenant_id: str) -> str:
    """The provider's available clients (an active relationship, in no group) by folded name (`N#...`) and by
    each word of the name and business number (`W#<word>#<id>`), each entry carrying what the picker shows.
    A client has its entries only while it is available: they are written and deleted in the transactions
    that change its relationship or its membership, so the picker never reads a grouped client."""
    return f"T#{tenant_id}{AVAILABLE_INDEX}"


AVAILABLE_INDEX = "#AVAILABLE"


def client_index_sk(prefix: str, folded: str, client_id: str) -> str:
    return f"{prefix}{key_text(folded)}#{client_id}"


def name_order_sk(folded_name: str, item_id: str) -> str:
    """A GSI sort key that lists groups, or a group's clients, by folded name."""
    return f"{key_text(folded_name)}#{item_id}"


def employee_pk(tenant_id: str, employee_id: str) -> str:
    return f"T#{tenant_id}#EMP#{employee_id}"


def employee_index_pk(tenant_id: str) -> str:
    """The provider's employees by folded name (`N#name#id`, the list's order) and by each word of their name
    and email (`W#word#id`, what `q` looks for)."""
    return f"T#{tenant_id}#EMPIDX"


EMPLOYEE_NAME_PREFIX = "N#"
EMPLOYEE_WORD_PREFIX = "W#"


def employee_groups_pk(tenant_id: str, employee_id: str) -> str:
    """GSI partition of an employee's assignments, one per group (sort key: the group id)."""
    return f"T#{tenant_id}#EMP#{employee_id}#GROUPS"


def requests_pk(tenant_id: str) -> str:
    """Every process request of the provider, newest first by its (time-ordered) id."""
    return f"T#{tenant_id}#REQS"


def request_sk(request_id: str) -> str:
    return f"R#{request_id}"


def requests_by_status_pk(tenant_id: str, status: str) -> str:
    """GSI partition of the provider's requests of one status."""
    return f"T#{tenant_id}#REQS#{status}"


def relationship_expiry_pk(day: str) -> str:
    """Relationships ending on `day` (YYYY-MM-DD), across providers: what the cleanup job expires."""
    return f"RELEXP#{day}"


def relationship_expiry_sk(expires_at: str, tenant_id: str, client_id: str) -> str:
    return f"{expires_at}#{tenant_id}#{client_id}"


# A deactivation written in parts: a marker beside the profile (read with it) until the last part lands.
DEACTIVATION_SK = "#DEACTIVATING"
# gsi1 partition of every marker, across tenants: the cleanup job (which serves every tenant) finds
# interrupted deactivations with one Query, by start time. Sparse: only markers carry it, and a marker
# lives only while its deactivation runs, so the partition holds the deactivations in flight.
DEACTIVATIONS_GSI_PK = "DEACTIVATING"


# How far the scheduled cleanup got (csr.data.cleanup_mark): one item for every tenant, as the job serves them all.
CLEANUP_MARK_PK = "JOB#cleanup"


def deactivation_gsi_sk(started_at: str, tenant_id: str, customer_id: str) -> str:
    return f"{started_at}#{tenant_id}#{customer_id}"


# --- the due index (scheduled cleanup) -------------------------------------------------------------------
# A sparse GSI over every item that falls due at a time: expiring credentials and sessions, and pending
# process requests to look at again. Its partitions are hours, across tenants (the job runs for all of
# them); the items themselves keep their tenant-led keys.


def due_pk(hour: str) -> str:
    """The due index partition of one hour (`YYYY-MM-DDTHH`, UTC)."""
    return f"DUE#{hour}"


def due_sk(due_at: str, kind: str, *ident: str) -> str:
    """Due time first (the job reads what is due up to now), then what the entry is and, when the item's
    own key does not say it in reach of the job, whose it is."""
    return "#".join((due_at, kind, *ident))
