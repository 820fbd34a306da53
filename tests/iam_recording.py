"""IAM derived from the code: every AWS call a function makes while the suites run, held to its policy.

How it works (loaded by tests/conftest.py, nothing to do in a test):
- Every botocore client created in the test process gets a `before-parameter-build` hook (botocore's
  event for each call, with the caller's parameters). The hook turns the call into the IAM actions AWS
  authorizes (infra.iam.needs) and files them under the function whose handler is running
  (infra.apigw.invoked_function, set by `invoke`, which the tests, the local server and the benches use).
  Calls made outside a handler (the harness building tables, a test reading items) are not filed.
- Under `pytest -n 2` each xdist worker hands its needs to the controller through xdist's
  `workeroutput`; without xdist the one process keeps them.
- At the end of a complete run (the whole `tests` tree, no -k/-m/--ignore/--deselect, every test passed)
  the controller checks every function of template.yaml (infra.iam.check): a need its policy does not
  allow, or an action its policy allows that no test needed, fails the run (exit status 1) with the
  findings in the summary. A partial run is not checked: it cannot know which actions are unused.
New functions are covered as soon as template.yaml deploys them and a test invokes them through `invoke`.
The local server's e2e tests run it in another process: its calls are not recorded here.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from infra import iam, template
from infra.apigw import invoked_function

_RECORDED: defaultdict[str, set[iam.Need]] = defaultdict(set)
_KEY = "iam_needs"


def _record(model: Any, params: dict[str, Any], **_: Any) -> None:
    function = invoked_function.get()
    if function is not None:
        service = model.service_model.signing_name
        _RECORDED[function].update(iam.needs(service, model.name, params))


_create_client = botocore.session.Session.create_client


def _create_recorded_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-parameter-build", _record, unique_id="iam-recording")
    return client


def pytest_configure(config: pytest.Config) -> None:
    botocore.session.Session.create_client = _create_recorded_client


def pytest_unconfigure(config: pytest.Config) -> None:
    botocore.session.Session.create_client = _create_client


def _as_rows() -> list[list[Any]]:
    return [[function, need.action, list(need.resources)] for function, needs in _RECORDED.items() for need in needs]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for function, action, resources in getattr(node, "workeroutput", {}).get(_KEY, []):
        _RECORDED[function].add(iam.Need(action, tuple(resources)))


def _complete(session: pytest.Session) -> bool:
    config = session.config
    tests_root = Path(str(config.rootpath)) / "tests"
    ran = {Path(str(config.invocation_params.dir), arg).resolve() for arg in config.args}
    narrowed = config.option.keyword or config.option.markexpr or config.option.ignore or config.option.deselect
    return ran == {tests_root} and not narrowed


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        config.workeroutput[_KEY] = _as_rows()  # type: ignore[attr-defined]
        return
    if exitstatus != 0 or not _complete(session):
        return
    findings = iam.check(_RECORDED, template.functions())
    config.stash[_FINDINGS] = findings
    if findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_FINDINGS = pytest.StashKey[list[iam.Finding]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or _FINDINGS not in config.stash:
        return
    findings = config.stash[_FINDINGS]
    counts = iam.actions_checked(_RECORDED)
    terminalreporter.section("IAM policies held to the recorded AWS calls")
    terminalreporter.write_line(
        f"{sum(counts.values())} actions checked over {len(counts)} functions: "
        + ", ".join(f"{name} {count}" for name, count in counts.items())
    )
    for finding in findings:
        terminalreporter.write_line(f"FAILED {finding.function}: {finding.problem}", red=True)
