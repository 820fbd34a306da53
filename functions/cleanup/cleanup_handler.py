"""The scheduled cleanup (an EventBridge schedule): one run of `csr.services.cleanup`, bounded by the
invocation's remaining time. Returns what it did and records it as metrics."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.observability import logger, metrics, tracer
from csr.services import cleanup


@csr.init_phase.end
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = cleanup.run(context.get_remaining_time_in_millis, cleanup.LockDeactivations())
    for name, count in report.counts().items():
        metrics.add_metric(name=f"cleanup_{name}", unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="cleanup_unfinished", unit=MetricUnit.Count, value=0 if report.finished else 1)
    logger.info("cleanup run", extra={"report": report.counts(), "finished": report.finished})
    return report.answer()
