"""POST /_local/jobs/cleanup on the running local server: the scheduled cleanup, run once, answers what
it did; a run right after has nothing left to do."""

from __future__ import annotations

import pytest

from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e


def test_the_cleanup_runs_on_demand_and_deletes_an_expired_session(server: LocalServer) -> None:
    token = server.token(["csr"])
    started = server.call("POST", f"/customers/{server.customer_id}/impersonation", token=token)
    assert started.status_code == 201, started.text
    session = started.json()["session_token"]
    portal = server.token(["portal"], sub="portal-app")
    try:
        assert server.call("POST", "/_local/clock", json={"advance_seconds": 16 * 60}).status_code == 200
        first = server.call("POST", "/_local/jobs/cleanup")
        assert first.status_code == 200, first.text
        answer = first.json()
        assert set(answer) == {
            "deleted",
            "relationships_expired",
            "deactivations_finished",
            "requests_requeued",
            "requests_failed",
            "finished",
        }
        assert set(answer["deleted"]) == {"reset_tokens", "recovery_codes", "impersonation_sessions"}
        assert answer["finished"] is True
        # The expired session is gone, by this run or by the server's own schedule just before
        assert server.call("GET", f"/portal/impersonation/{session}", token=portal).status_code == 404
        second = server.call("POST", "/_local/jobs/cleanup").json()
        assert second["finished"] is True
        assert second["deleted"] == {"reset_tokens": 0, "recovery_codes": 0, "impersonation_sessions": 0}
    finally:
        server.call("DELETE", "/_local/clock")
