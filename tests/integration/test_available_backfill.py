"""The backfill of the available-clients index: a table written before it (no available entries, the old
index of every client) ends as the client feed and the worker would have written it."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from csr.data import available_backfill, keys
from infra.migrate_available_clients import main
from tests.support.api import Api
from tests.support.groups import PROVIDER, bam, create_group, deliver, put_clients
from tests.support.tables import all_items, table


def available_index() -> list[dict[str, object]]:
    found = table().query(KeyConditionExpression=Key("pk").eq(keys.available_index_pk(PROVIDER)))["Items"]
    return sorted(found, key=lambda item: str(item["sk"]))


def as_before_the_index() -> None:
    """Drop the available entries and put back entries of the old index, as a table written before had them."""
    with table().batch_writer() as batch:
        for item in available_index():
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        batch.put_item(Item={"pk": f"T#{PROVIDER}#CLIENTIDX", "sk": "N#client#K1", "client_id": "K1"})


def test_the_backfill_writes_the_entries_of_available_clients_only_and_drops_the_old_index(api: Api) -> None:
    ids = put_clients(api, 4)
    put_clients(api, 1, prefix="P", status="pending")
    create_group(api, "Grouped", ids[:2])
    deliver()
    expected = available_index()
    assert {str(item["client_id"]) for item in expected} == set(ids[2:])
    as_before_the_index()
    assert available_index() == []
    # When the backfill runs, a page of a few items at a time, and runs again
    progress = available_backfill.run(page_size=7)
    assert (progress.clients, progress.old_entries_deleted, progress.finished) == (5, 1, True)
    assert available_index() == expected
    assert not [item for item in all_items() if str(item["pk"]).endswith("#CLIENTIDX")]
    assert main(["--page-size", "50"]) == 0
    assert available_index() == expected
    # Then the picker lists them
    status, page, _ = bam(api).call("GET", "/groups/available-clients")
    assert status == 200
    assert [row["client_id"] for row in page["items"]] == ids[2:]


def test_a_run_cut_short_says_so_and_the_next_one_finishes(api: Api) -> None:
    put_clients(api, 3)
    as_before_the_index()
    assert available_backfill.run(page_size=2, max_pages=1).finished is False
    assert available_backfill.run(page_size=2).finished is True
    assert len(available_index()) == 6
