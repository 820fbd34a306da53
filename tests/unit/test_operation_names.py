"""An operation's name, summary and tag come from its handler (csr.contract.operation_names)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from csr.contract import operation_names


def handler(name: str, doc: str | None, module: str = "lock_handler") -> Callable[[], None]:
    def func() -> None:
        pass

    func.__name__, func.__doc__, func.__module__ = name, doc, module
    return func


def test_names_come_from_the_handler_its_docstring_and_its_module() -> None:
    doc = "Lock a customer's\n    portal access.\n\n    The status becomes `locked`."
    assert operation_names(handler("handle_lock_customer", doc)) == {
        "operationId": "lock_customer",
        "summary": "Lock a customer's portal access.",
        "description": "The status becomes `locked`.",
        "tags": ["lock"],
    }
    assert "description" not in operation_names(handler("handle_lock_customer", "Lock a customer's portal access."))


@pytest.mark.parametrize(
    ("name", "doc", "module"),
    [
        ("handle_get_customer", None, "customers_handler"),
        ("lock_customer", "Lock a customer's portal access.", "lock_handler"),
        ("handle_lock_customer", "Lock a customer's portal access.", "lock_routes"),
    ],
    ids=["no docstring", "not handle_<verb>_<noun>", "module not <capability>_handler"],
)
def test_a_handler_that_cannot_name_its_operation_is_refused(name: str, doc: str | None, module: str) -> None:
    with pytest.raises(ValueError, match="handle_<verb>_<noun>"):
        operation_names(handler(name, doc, module))
