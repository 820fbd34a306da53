"""Many of the product's transactions loaded at once into an empty table, for the demo seed: their net
effect on each item, worked out in memory, then imported (infra.emulator.tables).

The transactions are composed by the product's own data layer (`customers.add_customer_write`,
`activity.record_history`, `payments.add_payment_write`...), so the items are the ones the product
writes; only the way they reach the table differs. Committing thousands of transactions one at a time,
each re-read and re-validated by the emulator, is what made `make serve` slow to start.

What the fold understands is what those writers send for new customers: puts, deletes, and updates made
of `SET a = :v`, `SET a = if_not_exists(a, :v)` and `ADD a :v` (numbers and sets). Anything else raises
ValueError rather than writing something the product would not. Conditions are not evaluated, with one
exception: a conditional write to an item that an earlier transaction of the load already wrote raises
(the seed claims each email, person id, account number and payment id once; a second claim is a bug in
the seed, which a commit would have refused). tests/integration/test_seed_data.py holds the load to
committing the same transactions one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from csr.data.dynamo import Transaction
from csr.settings import get_settings
from infra.emulator.tables import import_items

Key = tuple[str, str]

_CLAUSE = re.compile(r"\b(SET|ADD|REMOVE|DELETE)\b")
_IF_NOT_EXISTS = re.compile(r"if_not_exists\(\s*(\S+?)\s*,\s*(:\w+)\s*\)")


class BulkLoad:
    """The items that a sequence of transactions leaves behind, written in batches by `write`."""

    def __init__(self) -> None:
        self.items: dict[Key, dict[str, Any]] = {}

    def add(self, tx: Transaction) -> None:
        for operation in tx.operations:
            ((kind, body),) = operation.items()
            self._apply(kind, body)

    def add_all(self, transactions: Iterable[Transaction]) -> None:
        for tx in transactions:
            self.add(tx)

    def write(self) -> int:
        """Put every item into the (empty) table; returns how many."""
        return import_items(get_settings().table_name, self.items.values())

    def _apply(self, kind: str, body: Mapping[str, Any]) -> None:
        item = body.get("Item") or body.get("Key") or {}
        key: Key = (str(item["pk"]), str(item["sk"]))
        if "ConditionExpression" in body and key in self.items:
            raise ValueError(f"bulk load: a second conditional {kind} of {key}")
        if kind == "Put":
            self.items[key] = dict(body["Item"])
        elif kind == "Delete":
            self.items.pop(key, None)
        elif kind == "Update":
            current = self.items.setdefault(key, {"pk": key[0], "sk": key[1]})
            _update(current, body["UpdateExpression"], body.get("ExpressionAttributeNames", {}), body)
        else:
            raise ValueError(f"bulk load: {kind} is not a write it folds")


def _update(item: dict[str, Any], expression: str, names: Mapping[str, str], body: Mapping[str, Any]) -> None:
    values: Mapping[str, Any] = body.get("ExpressionAttributeValues", {})
    pieces = _CLAUSE.split(expression)
    if pieces[0].strip():
        raise ValueError(f"bulk load: cannot read update {expression!r}")
    for keyword, actions in zip(pieces[1::2], pieces[2::2], strict=True):
        for action in _top_level(actions):
            if keyword == "SET":
                target, value = (part.strip() for part in action.split("=", 1))
                _set(item, names.get(target, target), value, names, values)
            elif keyword == "ADD":
                target, value = action.split()
                _add(item, names.get(target, target), values[value])
            else:
                raise ValueError(f"bulk load: {keyword} is not an update it folds")


def _top_level(actions: str) -> list[str]:
    """`a = :a, b = if_not_exists(b, :b)` as its actions: split on the commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(actions):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(actions[start:index].strip())
            start = index + 1
    parts.append(actions[start:].strip())
    return [part for part in parts if part]


def _set(item: dict[str, Any], name: str, value: str, names: Mapping[str, str], values: Mapping[str, Any]) -> None:
    fallback = _IF_NOT_EXISTS.fullmatch(value)
    if fallback:
        if names.get(fallback.group(1), fallback.group(1)) != name:
            raise ValueError(f"bulk load: cannot read {value!r}")
        item.setdefault(name, values[fallback.group(2)])
    elif value.startswith(":") and value in values:
        item[name] = values[value]
    else:
        raise ValueError(f"bulk load: cannot read {value!r}")


def _add(item: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        item[name] = item.get(name, 0) + value
    elif isinstance(value, set):
        item[name] = set(item.get(name, set())) | value
    else:
        raise ValueError(f"bulk load: cannot ADD {value!r}")
