from tests.conftest import Api, new_customer_body


def test_create_then_get(csr: Api) -> None:
    status, created, headers = csr.call("POST", "/customers", new_customer_body())
    assert status == 201, created
    status, got, _ = csr.call("GET", f"/customers/{created['customer_id']}")
    assert status == 200, got
    assert got == created
    print(created, headers)
