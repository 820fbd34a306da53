"""Tests of the emulator patches in infra/emulator/moto_patches.py.

The patches are process-wide, so stock moto is recorded in a subprocess: this file doubles as the
script that subprocess runs (``python test_moto_patches.py stock|patched`` prints the recorded answers).
If moto's internals change, apply_moto_patches raises RuntimeError and these tests fail with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # when run as a script by the equivalence test
    sys.path.insert(0, str(ROOT))

from infra.emulator import moto_patches  # noqa: E402
from infra.emulator.moto_patches import apply_moto_patches  # noqa: E402

REGION = "us-east-1"
TABLE = "emulator-patch-test"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}

Call = Callable[..., dict[str, Any] | None]


def S(value: str) -> dict[str, str]:
    return {"S": value}


def N(value: int) -> dict[str, str]:
    return {"N": str(value)}


def create_table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


# --- the recorded script ------------------------------------------------------------------------------


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": S(pk), "sk": S(sk)}


def put(pk: str, sk: str, **attrs: Any) -> dict[str, Any]:
    return {"TableName": TABLE, "Item": {**key(pk, sk), **attrs}}


def paginate(call: Call, operation: str, **params: Any) -> None:
    for _ in range(50):
        answer = call(operation, **params)
        if not answer or "LastEvaluatedKey" not in answer:
            return
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    raise AssertionError("pagination did not end")


def script(call: Call) -> None:
    """A fixed sequence of DynamoDB calls; every answer is recorded by ``call``."""
    customers = [f"CUST#{c:03d}" for c in range(6)]
    for c, cid in enumerate(customers):
        call(
            "put_item",
            **put(
                cid,
                "PROFILE",
                name=S(f"Customer {c}"),
                version=N(1),
                gsi1pk=S("PROFILES"),
                gsi1sk=S(f"name#{c:03d}"),
            ),
        )
        for o in range(4):
            status = "open" if (c + o) % 2 else "closed"
            item = put(
                cid,
                f"ORDER#2024-0{o + 1}-1{c}",
                amount=N(c * 10 + o),
                status=S(status),
                tags={"SS": [f"t{o}", "all"]},
                details={"M": {"lines": {"L": [N(o), S("x")]}, "paid": {"BOOL": o % 2 == 0}}},
                note={"NULL": True},
            )
            if o != 3:  # the last order of each customer is not in the GSI
                item["Item"] |= {"gsi1pk": S(f"STATUS#{status}"), "gsi1sk": S(f"2024-0{o + 1}#{cid}")}
            call("put_item", **item)
        for n in range(2):
            call("put_item", **put(cid, f"NOTE#{n}", text=S(f"note {n} of {cid}")))

    # Conditional puts and updates.
    not_exists = {"ConditionExpression": "attribute_not_exists(pk)"}
    call("put_item", **put(customers[0], "PROFILE", name=S("dup")), **not_exists)
    call(
        "put_item",
        **put(customers[1], "PROFILE", name=S("dup")),
        **not_exists,
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    call("put_item", **put("CUST#100", "PROFILE", name=S("new"), version=N(1)), **not_exists)
    call(
        "put_item",
        **put("CUST#100", "PROFILE", name=S("renamed"), version=N(2)),
        ConditionExpression="version = :v",
        ExpressionAttributeValues={":v": N(1)},
        ReturnValues="ALL_OLD",
    )
    call(
        "put_item",
        **put("CUST#100", "PROFILE", name=S("stale")),
        ConditionExpression="version = :v",
        ExpressionAttributeValues={":v": N(1)},
    )
    bump = {
        "TableName": TABLE,
        "UpdateExpression": "SET version = version + :one",
        "ConditionExpression": "version = :v",
    }
    call(
        "update_item",
        **bump,
        Key=key(customers[2], "PROFILE"),
        ExpressionAttributeValues={":one": N(1), ":v": N(1)},
        ReturnValues="ALL_NEW",
    )
    call(
        "update_item",
        **bump,
        Key=key(customers[2], "PROFILE"),
        ExpressionAttributeValues={":one": N(1), ":v": N(1)},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    call(
        "update_item",
        **bump,
        Key=key(customers[2], "PROFILE"),
        ExpressionAttributeValues={":one": N(1), ":v": N(2)},
        ReturnValues="UPDATED_OLD",
    )
    call(
        "update_item",
        TableName=TABLE,
        Key=key(customers[3], "ORDER#2024-01-13"),
        UpdateExpression="ADD amount :d, tags :t SET details.#l = list_append(details.#l, :l) REMOVE note",
        ExpressionAttributeNames={"#l": "lines"},
        ExpressionAttributeValues={":d": N(5), ":t": {"SS": ["added"]}, ":l": {"L": [S("y")]}},
        ReturnValues="UPDATED_NEW",
    )
    # Moves an order from STATUS#closed to STATUS#open in the GSI.
    call(
        "update_item",
        TableName=TABLE,
        Key=key(customers[0], "ORDER#2024-01-10"),
        UpdateExpression="SET #s = :s, gsi1pk = :g",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": S("open"), ":g": S("STATUS#open")},
        ReturnValues="ALL_OLD",
    )
    call(
        "update_item",
        TableName=TABLE,
        Key=key("CUST#200", "PROFILE"),
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": S("upserted")},
        ReturnValues="ALL_NEW",
    )
    call(
        "update_item",
        TableName=TABLE,
        Key=key("CUST#201", "PROFILE"),
        UpdateExpression="SET version = :v",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":v": N(1)},
    )
    call("get_item", TableName=TABLE, Key=key("CUST#201", "PROFILE"))  # a miss (moto adds an empty partition)
    call("get_item", TableName=TABLE, Key=key(customers[2], "PROFILE"))
    call("get_item", TableName=TABLE, Key=key(customers[3], "ORDER#2024-01-13"), ConsistentRead=True)

    # Transactions.
    def update(pk: str, sk: str, expression: str, values: dict[str, Any], **more: Any) -> dict[str, Any]:
        op = {"TableName": TABLE, "Key": key(pk, sk), "UpdateExpression": expression}
        return {"Update": op | {"ExpressionAttributeValues": values} | more}

    def check(pk: str, sk: str, condition: str, **more: Any) -> dict[str, Any]:
        op = {"TableName": TABLE, "Key": key(pk, sk), "ConditionExpression": condition}
        return {"ConditionCheck": op | more}

    def delete(pk: str, sk: str, **more: Any) -> dict[str, Any]:
        return {"Delete": {"TableName": TABLE, "Key": key(pk, sk)} | more}

    def reads(*keys: tuple[str, str]) -> None:
        for pk, sk in keys:
            call("get_item", TableName=TABLE, Key=key(pk, sk))

    call(
        "transact_write_items",
        TransactItems=[
            {
                "Put": put(
                    customers[4],
                    "ORDER#2024-05-14",
                    amount=N(99),
                    status=S("open"),
                    gsi1pk=S("STATUS#open"),
                    gsi1sk=S("2024-05#" + customers[4]),
                )
            },
            update(customers[4], "PROFILE", "SET version = version + :one", {":one": N(1)}),
            delete(customers[4], "NOTE#0"),
            check(customers[4], "NOTE#1", "attribute_exists(pk)"),
        ],
    )
    reads((customers[4], "ORDER#2024-05-14"), (customers[4], "PROFILE"), (customers[4], "NOTE#0"))
    cancelled_mid = [
        {
            "Put": put(
                "CUST#300",
                "PROFILE",
                name=S("must vanish"),
                gsi1pk=S("PROFILES"),
                gsi1sk=S("name#300"),
            )
        },
        update(
            customers[5],
            "PROFILE",
            "SET #n = :n, version = version + :one",
            {":n": S("must be restored"), ":one": N(1)},
            ExpressionAttributeNames={"#n": "name"},
        ),
        check(customers[5], "NOTE#1", "attribute_not_exists(pk)"),
        delete(customers[5], "ORDER#2024-01-15"),
    ]
    call("transact_write_items", TransactItems=cancelled_mid)
    reads(("CUST#300", "PROFILE"), (customers[5], "PROFILE"), (customers[5], "ORDER#2024-01-15"))
    call(
        "transact_write_items",
        TransactItems=[
            check(
                customers[0],
                "PROFILE",
                "version = :v",
                ExpressionAttributeValues={":v": N(7)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            {"Put": put(customers[0], "ORDER#2024-09-10", amount=N(1))},
            update(customers[1], "ORDER#2024-01-11", "SET amount = :a", {":a": N(0)}),
            update("CUST#301", "PROFILE", "SET version = :v", {":v": N(1)}),  # would create an item
            delete(customers[1], "NOTE#1"),
        ],
    )
    reads(
        (customers[0], "ORDER#2024-09-10"),
        (customers[1], "ORDER#2024-01-11"),
        ("CUST#301", "PROFILE"),
        (customers[1], "NOTE#1"),
    )
    call(
        "transact_write_items",
        TransactItems=[  # two failures
            {"Put": put(customers[2], "PROFILE", name=S("x")) | not_exists},
            update(
                customers[2],
                "NOTE#0",
                "SET t = :t",
                {":t": S("x")},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            {"Put": put("CUST#302", "X", a=N(1))},
        ],
    )
    reads((customers[2], "PROFILE"), (customers[2], "NOTE#0"), ("CUST#302", "X"))
    call(
        "transact_write_items",
        TransactItems=[  # two operations on one item: ValidationException
            {"Put": put("CUST#303", "PROFILE", name=S("first"))},
            update(customers[3], "PROFILE", "SET version = :v", {":v": N(50)}),
            update(customers[3], "PROFILE", "SET version = :v", {":v": N(51)}),
        ],
    )
    reads(("CUST#303", "PROFILE"), (customers[3], "PROFILE"))
    call(
        "transact_write_items",
        TransactItems=[  # a table that does not exist
            {"Put": put("CUST#304", "PROFILE", name=S("x"))},
            {"Delete": {"TableName": "no-such-table", "Key": key("a", "b")}},
        ],
    )
    reads(
        ("CUST#304", "PROFILE"),
    )
    call(
        "transact_write_items",
        TransactItems=[
            {
                "Put": put(
                    customers[1],
                    "PROFILE",
                    name=S("replaced"),
                    version=N(9),
                    gsi1pk=S("PROFILES"),
                    gsi1sk=S("name#001b"),
                )
            },
            update(
                customers[1],
                "ORDER#2024-02-11",
                "ADD amount :d",
                {":d": N(-3)},
                ConditionExpression="amount > :z",
                ExpressionAttributeValues={":d": N(-3), ":z": N(0)},
            ),
            delete(
                customers[1],
                "NOTE#0",
                ConditionExpression="attribute_exists(#t)",
                ExpressionAttributeNames={"#t": "text"},
            ),
        ],
    )
    reads((customers[1], "PROFILE"), (customers[1], "ORDER#2024-02-11"), (customers[1], "NOTE#0"))
    call("scan", TableName=TABLE)

    # Deletes.
    call("delete_item", TableName=TABLE, Key=key(customers[0], "NOTE#1"), ReturnValues="ALL_OLD")
    call(
        "delete_item",
        TableName=TABLE,
        Key=key(customers[0], "NOTE#0"),
        ConditionExpression="#t = :t",
        ExpressionAttributeNames={"#t": "text"},
        ExpressionAttributeValues={":t": S("wrong")},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    call("delete_item", TableName=TABLE, Key=key("CUST#999", "NOTHING"), ReturnValues="ALL_OLD")

    # Base-table queries.
    def q(**params: Any) -> dict[str, Any]:
        return {"TableName": TABLE} | params

    def on(pk: str, condition: str = "", **values: Any) -> dict[str, Any]:
        expression = "pk = :pk" + (f" AND {condition}" if condition else "")
        return {"KeyConditionExpression": expression, "ExpressionAttributeValues": {":pk": S(pk)} | values}

    for cid in [*customers, "CUST#100", "CUST#200", "CUST#201", "CUST#300", "CUST#999"]:
        call("query", **q(**on(cid)))
    call("query", **q(**on(customers[1], "begins_with(sk, :p)", **{":p": S("ORDER#")})))
    call(
        "query",
        **q(**on(customers[2], "sk BETWEEN :a AND :b", **{":a": S("NOTE#"), ":b": S("ORDER#2024-02")})),
    )
    call("query", **q(**on(customers[3], "sk > :a", **{":a": S("ORDER#2024-02")}), ScanIndexForward=False))
    call("query", **q(**on(customers[3], "sk <= :a", **{":a": S("ORDER#2024-02-13")}), ConsistentRead=True))
    call("query", **q(**on(customers[4]), ScanIndexForward=False, Limit=3))
    paginate(call, "query", **q(**on(customers[5]), Limit=2))
    paginate(
        call,
        "query",
        **q(
            **on(customers[1], "begins_with(sk, :p)", **{":p": S("ORDER#")}),
            ScanIndexForward=False,
            Limit=3,
        ),
    )
    base_filter = on(customers[2], "begins_with(sk, :p)", **{":p": S("ORDER#"), ":min": N(21)})
    call("query", **q(**base_filter, FilterExpression="amount >= :min"))
    paginate(call, "query", **q(**base_filter, FilterExpression="amount >= :min", Limit=1))
    call("query", **q(**on(customers[0]), Select="COUNT"))
    call(
        "query",
        **q(
            **on(customers[0], "begins_with(sk, :p)", **{":p": S("ORDER#"), ":s": S("open")}),
            Select="COUNT",
            FilterExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
        ),
    )
    call("query", **q(**on(customers[3]), ProjectionExpression="sk, amount, details.lines[0]"))
    call(
        "query",
        **q(
            KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S(customers[4])]},
                "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("ORDER#")]},
            }
        ),
    )
    call("query", **q(**on(customers[0]), ExclusiveStartKey=key(customers[0], "NOTE#0")))

    # GSI queries.
    def gsi(pk: str, condition: str = "", /, **values: Any) -> dict[str, Any]:
        expression = "gsi1pk = :g" + (f" AND {condition}" if condition else "")
        return {
            "TableName": TABLE,
            "IndexName": "gsi1",
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": {":g": S(pk)} | values,
        }

    for partition in ("STATUS#open", "STATUS#closed", "PROFILES", "STATUS#none"):
        call("query", **gsi(partition))
        call("query", **gsi(partition), ScanIndexForward=False)
    call("query", **gsi("STATUS#open", "begins_with(gsi1sk, :p)", **{":p": S("2024-02")}))
    call(
        "query",
        **gsi("STATUS#closed", "gsi1sk BETWEEN :a AND :b", **{":a": S("2024-02"), ":b": S("2024-04")}),
    )
    call("query", **gsi("PROFILES", "gsi1sk > :a", **{":a": S("name#002")}), ScanIndexForward=False)
    paginate(call, "query", **gsi("STATUS#open"), Limit=2)
    paginate(call, "query", **gsi("STATUS#closed"), Limit=3, ScanIndexForward=False)
    paginate(
        call,
        "query",
        **gsi("STATUS#open", **{":min": N(20)}),
        FilterExpression="amount >= :min",
        Limit=2,
    )
    call("query", **gsi("STATUS#open"), Select="COUNT")
    call("query", **gsi("STATUS#open"), ProjectionExpression="pk, gsi1sk")
    call("query", **gsi("STATUS#open"), ConsistentRead=True)  # an error
    call("query", **(gsi("STATUS#open") | {"IndexName": "no-such-index"}))  # an error

    paginate(call, "scan", TableName=TABLE, Limit=7)
    call("scan", TableName=TABLE, IndexName="gsi1")


def record(apply_patches: bool) -> list[str]:
    """Run the script in a fresh mock; one JSON line per call (answer minus ResponseMetadata)."""
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    if apply_patches:
        apply_moto_patches()
    lines: list[str] = []
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client)

        def call(operation: str, **params: Any) -> dict[str, Any] | None:
            result: dict[str, Any] | None
            try:
                result = getattr(client, operation)(**params)
                answer = {"ok": result}
            except ClientError as exc:
                result = None
                answer = {"error": exc.response}
            answer[next(iter(answer))].pop("ResponseMetadata", None)
            lines.append(json.dumps({"call": operation, "params": params, **answer}, default=repr))
            return result

        script(call)
    return lines


def is_patched() -> bool:
    from moto.core.botocore_stubber import BotocoreStubber

    return bool(getattr(BotocoreStubber.__call__, moto_patches._MARK, False))


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def patched() -> None:
    apply_moto_patches()  # a RuntimeError here (moto internals changed) fails every test using it


@pytest.fixture
def client(patched: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    import boto3
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)  # created inside the mock, or it escapes it
        create_table(ddb)
        yield ddb


# --- tests --------------------------------------------------------------------------------------------


def test_patched_moto_answers_byte_identically_to_stock_moto(patched: None) -> None:
    env = {**os.environ, **AWS_ENV, "PYTHONPATH": str(ROOT), "AWS_CONFIG_FILE": os.devnull}
    runs = {
        mode: subprocess.Popen(
            [sys.executable, __file__, mode],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for mode in ("stock", "patched")
    }
    outputs: dict[str, list[str]] = {}
    for mode, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, f"{mode} run failed:\n{err.decode()}"
        outputs[mode] = out.decode().splitlines()
    stock, patched_lines = outputs["stock"], outputs["patched"]
    assert len(stock) >= 100
    for index, (expected, actual) in enumerate(zip(stock, patched_lines, strict=True)):
        assert actual == expected, f"answer {index} differs"
    answers = [json.loads(line) for line in stock]
    # The script exercises what it claims to (so that equality means something).
    codes = [a["error"]["Error"]["Code"] for a in answers if "error" in a]
    assert codes.count("TransactionCanceledException") >= 4
    assert "ConditionalCheckFailedException" in codes
    assert "ValidationException" in codes
    index_queries = [a for a in answers if a["call"] == "query" and a["params"].get("IndexName")]
    assert any(a.get("ok", {}).get("Items") for a in index_queries)
    assert any("LastEvaluatedKey" in a.get("ok", {}) for a in answers)


def test_apply_is_idempotent(patched: None) -> None:
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    targets = [
        (BotocoreStubber, "__call__"),
        (DynamoDBBackend, "transact_write_items"),
        (Table, "query"),
        (Table, "all_items"),
    ]
    before = [owner.__dict__[name] for owner, name in targets]
    for _ in range(3):
        apply_moto_patches()
    assert [owner.__dict__[name] for owner, name in targets] == before
    for fn in before:  # wrapped exactly once
        assert getattr(fn, moto_patches._MARK, False)
        assert not getattr(fn.__wrapped__, moto_patches._MARK, False)


def test_missing_moto_internals_raise_runtime_error(patched: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    monkeypatch.delattr(Table, "all_items")
    with pytest.raises(RuntimeError, match=r"Table\.all_items"):
        apply_moto_patches()
    monkeypatch.undo()

    def transact_write_items(self: Any, transact_items: Any) -> None:  # no whole-table backup any more
        return None

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
    with pytest.raises(RuntimeError, match="transact_write_items"):
        apply_moto_patches()


def race_one_conditional_update(client: Any, threads: int, **update: Any) -> tuple[list[int], list[str]]:
    """``threads`` threads send the same conditional update at once; returns (winners, error codes)."""
    from botocore.exceptions import ClientError

    winners: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(threads)

    def race(me: int) -> None:
        values = update["ExpressionAttributeValues"] | {":me": N(me)}
        barrier.wait()
        try:
            client.update_item(TableName=TABLE, **(update | {"ExpressionAttributeValues": values}))
            winners.append(me)
        except ClientError as exc:
            errors.append(exc.response["Error"]["Code"])

    workers = [threading.Thread(target=race, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return winners, errors


def test_concurrent_conditional_updates_have_exactly_one_winner(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**key("COUNTER", "C"), "version": N(0)})
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: stock moto then loses this race in ~40% of trials
    try:
        for trial in range(20):
            # Even trials: create-if-absent; odd trials: optimistic version check.
            if trial % 2 == 0:
                item_key = key("RACE", str(trial))
                condition, values = "attribute_not_exists(pk)", {":next": N(1)}
            else:
                item_key = key("COUNTER", "C")
                condition, values = "version = :v", {":v": N(trial // 2), ":next": N(trial // 2 + 1)}
            winners, errors = race_one_conditional_update(
                client,
                20,
                Key=item_key,
                UpdateExpression="SET version = :next, winner = :me",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
            assert len(winners) == 1, f"trial {trial}: {len(winners)} winners"
            assert errors == ["ConditionalCheckFailedException"] * 19
            stored = client.get_item(TableName=TABLE, Key=item_key)["Item"]
            assert stored["winner"] == N(winners[0])
    finally:
        sys.setswitchinterval(interval)


@pytest.fixture
def big_table(client: Any) -> Any:
    """~2,000 items: 400 customers x 5 items, 2 of them in the GSI."""
    items = []
    for c in range(400):
        cid = f"CUST#{c:04d}"
        items.append({**key(cid, "PROFILE"), "version": N(1)})
        for o in range(4):
            item = {**key(cid, f"ORDER#{o}"), "amount": N(o)}
            if o < 2:
                item |= {"gsi1pk": S(f"STATUS#{c % 50}"), "gsi1sk": S(f"{o}#{cid}")}
            items.append(item)
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={TABLE: requests})
    assert client.scan(TableName=TABLE, Select="COUNT")["Count"] == 2000
    return client


def test_transaction_backs_up_only_the_items_it_touches(
    big_table: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    def table_deepcopy(self: Any, memo: Any) -> Any:
        raise AssertionError("the whole table was deep-copied")

    item_copies = 0
    item_deepcopy = Item.__deepcopy__

    def counting_item_deepcopy(self: Any, memo: Any) -> Any:
        nonlocal item_copies
        item_copies += 1
        return item_deepcopy(self, memo)

    monkeypatch.setattr(Table, "__deepcopy__", table_deepcopy, raising=False)
    monkeypatch.setattr(Item, "__deepcopy__", counting_item_deepcopy)

    ops = [
        {"Put": put("CUST#9999", "PROFILE", version=N(1))},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("CUST#0007", "PROFILE"),
                "UpdateExpression": "SET version = version + :one",
                "ExpressionAttributeValues": {":one": N(1)},
            }
        },
        {"Delete": {"TableName": TABLE, "Key": key("CUST#0008", "ORDER#3")}},
    ]
    big_table.transact_write_items(TransactItems=ops)
    assert item_copies <= 6, item_copies  # 3 backups + moto's own copy of the updated item
    assert big_table.get_item(TableName=TABLE, Key=key("CUST#0007", "PROFILE"))["Item"]["version"] == N(2)
    assert "Item" in big_table.get_item(TableName=TABLE, Key=key("CUST#9999", "PROFILE"))
    assert "Item" not in big_table.get_item(TableName=TABLE, Key=key("CUST#0008", "ORDER#3"))

    item_copies = 0
    cancelled = [
        {"Put": put("CUST#9998", "PROFILE", version=N(1))},
        ops[1],
        {"Delete": {"TableName": TABLE, "Key": key("CUST#0009", "ORDER#3")}},
        {
            "ConditionCheck": {
                "TableName": TABLE,
                "Key": key("CUST#0010", "PROFILE"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    with pytest.raises(big_table.exceptions.TransactionCanceledException) as raised:
        big_table.transact_write_items(TransactItems=cancelled)
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == [
        "None",
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert item_copies <= 6, item_copies
    assert "Item" not in big_table.get_item(TableName=TABLE, Key=key("CUST#9998", "PROFILE"))
    assert big_table.get_item(TableName=TABLE, Key=key("CUST#0007", "PROFILE"))["Item"]["version"] == N(2)
    assert "Item" in big_table.get_item(TableName=TABLE, Key=key("CUST#0009", "ORDER#3"))
    assert big_table.scan(TableName=TABLE, Select="COUNT")["Count"] == 2000


def test_queries_do_not_sort_the_whole_table(big_table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stock moto sorts all 2,000 items for every Query (~20,000 comparisons); we sort a partition."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    comparisons = 0
    less_than = DynamoType.__lt__

    def counting_less_than(self: Any, other: Any) -> bool:
        nonlocal comparisons
        comparisons += 1
        return less_than(self, other)

    monkeypatch.setattr(DynamoType, "__lt__", counting_less_than)

    base = big_table.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
        ExpressionAttributeValues={":pk": S("CUST#0123"), ":o": S("ORDER#")},
        ScanIndexForward=False,
    )
    assert [i["sk"]["S"] for i in base["Items"]] == ["ORDER#3", "ORDER#2", "ORDER#1", "ORDER#0"]
    assert comparisons < 100, comparisons

    comparisons = 0
    index = big_table.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :g",
        ExpressionAttributeValues={":g": S("STATUS#7")},
    )
    assert index["Count"] == 16  # 8 customers x 2 orders
    assert [i["gsi1sk"]["S"] for i in index["Items"]] == sorted(i["gsi1sk"]["S"] for i in index["Items"])
    assert comparisons < 300, comparisons


def test_cancelled_transaction_leaves_no_stream_records(client: Any) -> None:
    """Stock rollback restores the table's stream too; so must ours."""
    import boto3

    description = client.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    client.put_item(TableName="streamed", Item={"pk": S("a"), "n": N(1)})
    client.put_item(TableName="streamed", Item={"pk": S("d")})
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "streamed", "Item": {"pk": S("b")}}},
                {
                    "Update": {
                        "TableName": "streamed",
                        "Key": {"pk": S("a")},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": N(2)},
                    }
                },
                {
                    "Delete": {
                        "TableName": "streamed",
                        "Key": {"pk": S("d")},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    client.transact_write_items(TransactItems=[{"Put": {"TableName": "streamed", "Item": {"pk": S("c")}}}])

    streams = boto3.client("dynamodbstreams", region_name=REGION)
    arn = description["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "a"),
        ("INSERT", "d"),
        ("INSERT", "c"),
    ]
    assert client.get_item(TableName="streamed", Key={"pk": S("a")})["Item"]["n"] == N(1)


if __name__ == "__main__":
    mode = sys.argv[1]
    assert mode in ("stock", "patched"), mode
    answers = record(apply_patches=mode == "patched")
    assert is_patched() == (mode == "patched")
    print("\n".join(answers))
