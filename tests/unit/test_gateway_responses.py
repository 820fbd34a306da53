"""template.yaml's Gateway Responses (what API Gateway answers itself: no token, no route, too large,
throttled, a 5xx) say what csr/errors.py says: each is the body of the csr.errors error with its code, in
the catalog's English, with that error's status. The local server answers with the same bodies
(infra.local_server.gateway_answer, tested over HTTP in tests/e2e)."""

from __future__ import annotations

import json

import pytest

from csr import errors
from csr.i18n import translate
from infra.template import gateway_responses

ERRORS_BY_CODE = {
    cls.code: cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.ApiError) and cls is not errors.ApiError
}


@pytest.mark.parametrize("kind", sorted(gateway_responses()))
def test_a_gateway_response_is_the_body_and_status_of_its_csr_error(kind: str) -> None:
    response = gateway_responses()[kind]
    body = json.loads(response.body)
    error = ERRORS_BY_CODE[body["error"]["code"]]()
    # The code, the English message (the catalog's message id) and no details, exactly as a function writes it
    assert body == error.body()
    # The catalogs translate it, for the functions that answer it themselves
    assert translate(error.message, "fr") != error.message
    # DEFAULT_5XX keeps API Gateway's own status (500, 502, 504); every other one is the error's
    if response.status is not None or kind != "DEFAULT_5XX":
        assert response.status == error.status


def test_a_static_header_is_read_without_its_template_quotes() -> None:
    # The local server sends the headers of a Gateway Response as API Gateway does: the value, unquoted
    assert gateway_responses()["THROTTLED"].headers == {"Retry-After": "1"}
