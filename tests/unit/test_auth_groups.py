"""`cognito:groups` read as API Gateway's Cognito authorizer renders it, exact names only."""

from __future__ import annotations

import pytest

from csr.auth import Role, caller_from_event, parse_groups, require_role
from csr.errors import ForbiddenError


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("csr", {"csr"}),
        ("csr,csr_supervisor", {"csr", "csr_supervisor"}),
        ("[csr csr_supervisor]", {"csr", "csr_supervisor"}),
        ("[csr]", {"csr"}),
        ("[]", set()),
        ("", set()),
        # The bracketed form separates with spaces only: a comma there belongs to a name.
        ("[x,csr]", {"x,csr"}),
        ("[x,csr portal]", {"x,csr", "portal"}),
        # The plain form separates with commas only: brackets and spaces belong to names.
        ("[csr", {"[csr"}),
        ("csr]", {"csr]"}),
        ("x csr", {"x csr"}),
        ("csr ,portal", {"csr ", "portal"}),
        ("CSR", {"CSR"}),
    ],
)
def test_groups_are_split_the_way_their_form_says(raw: str, groups: set[str]) -> None:
    assert parse_groups(raw) == groups


@pytest.mark.parametrize("raw", ["[x,csr]", "[x,csr_supervisor]", "[csr]x", "x csr", " csr", "Csr", "[ csr]x"])
def test_a_group_that_only_contains_a_role_name_grants_nothing(raw: str) -> None:
    event = {"requestContext": {"authorizer": {"claims": {"sub": "s", "custom:tenant_id": "t", "cognito:groups": raw}}}}
    caller = caller_from_event(event)
    assert not caller.has_any(frozenset(Role)), caller.roles
    with pytest.raises(ForbiddenError):
        require_role(caller, frozenset({Role.CSR}))
