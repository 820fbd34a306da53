"""EventBridge schedules for the local server and the tests: the template's `Schedule`/`ScheduleV2` events,
and what EventBridge does with them (moto runs none).

`run_once` invokes a scheduled function as EventBridge would: a "Scheduled Event" and a context whose
remaining time counts down from the function's Timeout. `ScheduleRunner` does that in a background
thread, on a local period much shorter than the deployed rate (so that a moved clock shows its effect
within a minute), until `stop()`.
"""

from __future__ import annotations

import importlib
import threading
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

from csr import clock
from infra import template
from infra.apigw import invoking
from infra.sqs_delivery import ACCOUNT, REGION, CountdownContext
from infra.template import Function

LOCAL_PERIOD_SECONDS = 60.0


@dataclass(frozen=True)
class Schedule:
    function: Function
    name: str  # the event's logical name in template.yaml
    expression: str


def schedules() -> list[Schedule]:
    found = []
    for function in template.functions():
        for name, event in function.properties.get("Events", {}).items():
            if event["Type"] in ("Schedule", "ScheduleV2"):
                found.append(Schedule(function, name, str(event["Properties"]["ScheduleExpression"])))
    return found


def scheduled_event(schedule: Schedule) -> dict[str, Any]:
    """EventBridge's "Scheduled Event" (`sam local generate-event cloudwatch scheduled-event` shape)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{schedule.function.logical_id}-{schedule.name}"],
        "detail": {},
    }


def handler_of(schedule: Schedule) -> Any:
    function = schedule.function
    return getattr(importlib.import_module(function.module), function.attribute)


def run_once(schedule: Schedule, context: Any = None, handler: Any = None) -> Any:
    """Invoke the schedule's function once (as `invoked_function`, for the IAM recording); returns what it
    returned."""
    function = schedule.function
    context = context or CountdownContext(function.logical_id, template.function_timeout(function))
    with invoking(function):
        return (handler or handler_of(schedule))(scheduled_event(schedule), context)


def schedule_of(code_dir_name: str) -> Schedule:
    """The schedule of the function in functions/<code_dir_name>/."""
    return next(s for s in schedules() if s.function.code_dir.name == code_dir_name)


class ScheduleRunner:
    """Runs every schedule of the template every `period` seconds in a background thread."""

    def __init__(self, period: float = LOCAL_PERIOD_SECONDS) -> None:
        # Imported here, on the caller's thread (as SqsDelivery does): an import on this thread racing one
        # on the HTTP thread can find a Powertools module half-initialized.
        self.handlers = [(schedule, handler_of(schedule)) for schedule in schedules()]
        self.period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ScheduleRunner:
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            for schedule, handler in self.handlers:
                try:
                    run_once(schedule, handler=handler)
                except Exception:
                    traceback.print_exc()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
