"""Patches that make moto behave like DynamoDB where our tests and local server depend on it.

Applied by the test harness and the local server -- the layer that stands in for AWS -- and never by
product code, which runs on real AWS. tests/unit/test_moto_patches.py holds each patch to stock moto's answers.

1. Serial emulator. DynamoDB is atomic per item; moto is not thread-safe (20 threads racing one conditional
   update sometimes saw two winners). One process-wide re-entrant lock around the botocore stubber -- the
   entry point of every in-process mocked call -- makes each request atomic.
2. Transactions cost what they touch. Stock ``transact_write_items`` deep-copies every touched table once
   per operation so that it can roll back, so a write gets slower as the table grows. We back up only the
   touched items instead, and let the stock code do everything else (validation, responses, errors).
3. Queries walk one partition. Stock ``Table.query`` sorts and walks every item of the table. A base-table
   Query now sees only its partition; a GSI Query sees only the items matching its hash-key condition
   (found by a plain pass over the table, with no index to keep in sync).

Every patch reuses moto's own code path, so answers stay byte-identical to stock moto (checked by
tests/unit/test_moto_patches.py). If a moto upgrade removes what the patches rely on,
``apply_moto_patches`` raises RuntimeError instead of silently running stock (slow, racy) moto.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["apply_moto_patches", "emulator_lock"]

# Re-entrant: a mocked service may itself call another mocked service on the same thread.
_MOTO_LOCK = threading.RLock()
_APPLY_LOCK = threading.Lock()
# Per-thread flags handing context from our wrappers to the moto code they call; thread-local so that
# moto used without the stubber (e.g. a threaded server) still works.
_LOCAL = threading.local()
_MARK = "_csr_emulator_patch"


class _Moto:
    """The moto internals the patches rely on, resolved (and checked) once per call."""

    def __init__(self) -> None:
        try:
            from moto.core.botocore_stubber import BotocoreStubber
            from moto.dynamodb import models as ddb_models
            from moto.dynamodb.models.dynamo_type import DynamoType, Item
            from moto.dynamodb.models.table import Table
        except ImportError as exc:
            raise RuntimeError(f"moto_patches: moto internals missing: {exc}") from exc
        self.stubber: Any = BotocoreStubber
        self.models: Any = ddb_models
        self.backend: Any = getattr(ddb_models, "DynamoDBBackend", None)
        self.table: Any = Table
        self.item: Any = Item
        self.dynamo_type: Any = DynamoType
        self._check()

    def _check(self) -> None:
        missing: list[str] = []

        def need(ok: Callable[[], object], what: str) -> None:
            try:
                if not ok():
                    missing.append(what)
            except (AttributeError, KeyError, TypeError, ValueError, OSError):
                missing.append(what)

        need(lambda: callable(self.stubber.__dict__.get("__call__")), "BotocoreStubber.__call__")
        need(lambda: self.backend is not None, "moto.dynamodb.models.DynamoDBBackend")
        need(lambda: callable(self.backend.get_table), "DynamoDBBackend.get_table")
        need(
            lambda: "copy.deepcopy(" in _source(self.backend.transact_write_items),
            "DynamoDBBackend.transact_write_items (with its whole-table copy.deepcopy backup)",
        )
        need(
            lambda: callable(self.models.copy.deepcopy),
            "module global `copy` in moto.dynamodb.models",
        )
        need(
            lambda: {"hash_key", "index_name", "hash_key_conditions"} <= self._query_parameters(),
            "Table.query(hash_key, ..., index_name, ..., hash_key_conditions)",
        )
        need(lambda: "self.all_items()" in _source(self.table.query), "Table.query walking self.all_items()")
        need(lambda: callable(self.table.all_items), "Table.all_items")
        # Attributes set in __init__ can only be seen on an instance.
        need(self._probe_table, "Table attributes items/hash_key_attr/range_key_attr/stream_shard")
        need(
            lambda: all(hasattr(self._probe_item(), a) for a in ("attrs", "hash_key", "range_key")),
            "Item attributes attrs/hash_key/range_key",
        )
        if missing:
            raise RuntimeError(
                "moto_patches: moto internals missing or changed (moto upgraded?): " + "; ".join(missing)
            )

    def _query_parameters(self) -> set[str]:
        return set(inspect.signature(self.table.query).parameters)

    def _probe_table(self) -> bool:
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        attr = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")]
        probe = self.table("probe", account_id="123456789012", region="us-east-1", schema=schema, attr=attr)
        return isinstance(probe.items, dict) and all(
            hasattr(probe, a) for a in ("hash_key_attr", "range_key_attr", "stream_shard")
        )

    def _probe_item(self) -> Any:
        return self.item(self.dynamo_type({"S": "p"}), None, {})


@functools.cache
def _source(fn: Any) -> str:
    """A function's source, read once per function object: the check runs at every LocalAws start."""
    return inspect.getsource(inspect.unwrap(fn))


def apply_moto_patches() -> None:
    """Patch moto in this process (idempotent; call before or after ``mock_aws()`` starts)."""
    moto = _Moto()  # checks internals on every call, so a moto upgrade fails loudly
    with _APPLY_LOCK:
        _wrap(moto.stubber, "__call__", _serial)
        _wrap(moto.backend, "transact_write_items", functools.partial(_item_backup_transaction, moto))
        _wrap(moto.table, "query", functools.partial(_narrowed_query, moto))
        _wrap(moto.table, "all_items", _all_items_or_narrowed)
        if not getattr(moto.models.copy, _MARK, False):
            moto.models.copy = _CopyWithoutTables(moto.table)


def _wrap(owner: Any, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    current = owner.__dict__[name]
    if getattr(current, _MARK, False):
        return
    wrapper = make(current)
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


# --- 1. serial emulator -----------------------------------------------------------------------------


def _serial(call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def serial_call(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return call(self, event_name, request, **kwargs)

    return serial_call


def emulator_lock() -> threading.RLock:
    """The lock every in-process mocked call holds, for emulator code that reaches moto's backend directly
    (infra.emulator.tables)."""
    return _MOTO_LOCK


# --- 2. transactions back up only the items they touch ------------------------------------------------


class _CopyWithoutTables:
    """Stands in for the ``copy`` module inside moto.dynamodb.models.

    Stock transact_write_items backs up with ``copy.deepcopy(table)`` and rolls back with
    ``self.tables[name] = backup``. Inside our wrapper the "backup" is the live table itself, which turns
    that rollback into a no-op; our own item backup does the real work. Everything else is real ``copy``.
    """

    def __init__(self, table_class: type) -> None:
        self._table_class = table_class
        setattr(self, _MARK, True)

    def deepcopy(self, x: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(_LOCAL, "in_transaction", False) and isinstance(x, self._table_class):
            return x
        return copy.deepcopy(x, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _item_backup_transaction(moto: _Moto, transact: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(transact)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        backup = _ItemBackup(moto, self, transact_items)
        outer = getattr(_LOCAL, "in_transaction", False)
        _LOCAL.in_transaction = True
        try:
            return transact(self, transact_items)
        except BaseException:
            # Stock moto rolls back on cancellation and on validation errors; we roll back on every
            # failure, as DynamoDB does (stock leaves earlier writes in place on a few malformed requests).
            backup.restore()
            raise
        finally:
            _LOCAL.in_transaction = outer

    return transact_write_items


class _ItemBackup:
    """Copies of the items a transaction may write, plus the length of each touched table's stream."""

    def __init__(self, moto: _Moto, backend: Any, transact_items: Iterable[dict[str, Any]]) -> None:
        # (id(table), hash, range) -> (table, hash, range, partition existed, copy of item or None)
        self._items: dict[tuple[int, Any, Any], tuple[Any, Any, Any, bool, Any]] = {}
        self._streams: dict[int, tuple[Any, list[Any], int]] = {}
        for entry in transact_items:
            for op_type, op in entry.items():
                if op_type not in ("Put", "Update", "Delete"):
                    continue  # ConditionCheck writes nothing
                try:
                    table = backend.get_table(op["TableName"])
                    key = op["Item"] if op_type == "Put" else op["Key"]
                    hash_key = moto.dynamo_type(key[table.hash_key_attr])
                    range_key = moto.dynamo_type(key[table.range_key_attr]) if table.range_key_attr else None
                except Exception:  # noqa: S112 - stock moto fails this op too, before any write
                    continue
                self._remember(table, hash_key, range_key)

    def _remember(self, table: Any, hash_key: Any, range_key: Any) -> None:
        slot = (id(table), hash_key, range_key)
        if slot in self._items:
            return  # stock moto rejects a second operation on one item before it writes
        # .get, never [], on table.items: it is a defaultdict and [] would add a partition.
        partition = table.items.get(hash_key)
        old = partition if range_key is None or partition is None else partition.get(range_key)
        # Update mutates the stored Item in place, so keep a copy rather than a reference.
        self._items[slot] = (table, hash_key, range_key, partition is not None, copy.deepcopy(old))
        shard = table.stream_shard
        if shard is not None and id(table) not in self._streams:
            self._streams[id(table)] = (shard, shard.items, len(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, partition_existed, old in self._items.values():
            if range_key is None:
                if old is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = old
            elif old is not None:
                table.items[hash_key][range_key] = old
            else:
                partition = table.items.get(hash_key)
                if partition is not None:
                    partition.pop(range_key, None)
                    if not partition and not partition_existed:
                        del table.items[hash_key]
        # Stock rollback also brings back the stream as it was: drop records of the cancelled writes.
        # (A Lambda event-source hand-off may have replaced shard.items with a new list; put the old back.)
        for shard, records, length in self._streams.values():
            del records[length:]
            shard.items = records


# --- 3. queries walk one partition --------------------------------------------------------------------


def _narrowed_query(moto: _Moto, query: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(query)

    @functools.wraps(query)
    def narrowed_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            arguments = signature.bind(self, *args, **kwargs).arguments
        except TypeError:
            return query(self, *args, **kwargs)  # let moto raise its own error
        narrow = _narrower(moto, self, arguments)
        if narrow is None:
            return query(self, *args, **kwargs)
        outer = getattr(_LOCAL, "narrow", None)
        _LOCAL.narrow = (self, narrow)
        try:
            return query(self, *args, **kwargs)
        finally:
            _LOCAL.narrow = outer

    return narrowed_query


def _narrower(moto: _Moto, table: Any, arguments: dict[str, Any]) -> Callable[[], list[Any]] | None:
    """What the query's walk over ``all_items()`` may see instead: a superset of what it keeps.

    Stock query keeps an item only if it passes the same test as ours, so pre-filtering changes nothing
    but the work done. We also keep all_items()'s order, although stock query sorts again anyway.
    """
    if not arguments.get("index_name"):
        hash_key = arguments.get("hash_key")
        if hash_key is None:
            return None  # no hash-key equality to narrow by: leave it to stock moto
        return lambda: _in_table_order(_items_of(table, table.items.get(hash_key)))

    # Index query: the same hash-key test as stock Table.query (which is why `not value` and `!=`).
    conditions = dict(arguments.get("hash_key_conditions") or [])
    if not conditions:
        return None

    def matches(item: Any) -> bool:
        for name, expected in conditions.items():
            value = item.attrs.get(name)
            if not value or value != expected:
                return False
        return True

    def gsi_items() -> list[Any]:
        return _in_table_order(
            item
            for partition in table.items.values()
            for item in _items_of(table, partition)
            if isinstance(item, moto.item) and matches(item)
        )

    return gsi_items


def _items_of(table: Any, partition: Any) -> list[Any]:
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr else [partition]


def _in_table_order(items: Iterable[Any]) -> list[Any]:
    # Same key as stock Table.all_items.
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _all_items_or_narrowed(all_items: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    @functools.wraps(all_items)
    def all_items_or_narrowed(self: Any) -> list[Any]:
        pending = getattr(_LOCAL, "narrow", None)
        if pending is not None and pending[0] is self:
            _LOCAL.narrow = None  # only the query's own walk is narrowed, once
            narrowed: list[Any] = pending[1]()
            return narrowed
        return all_items(self)

    return all_items_or_narrowed
