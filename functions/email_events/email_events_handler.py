"""SES delivery, bounce and complaint events (EventBridge) -> the customer's activity log."""

import csr.init_phase

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.observability import logger, metrics, tracer
from csr.services.email_events import record_ses_event
from csr.settings import require_settings

require_settings()


@csr.init_phase.end
@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    outcome = record_ses_event(event)
    metrics.add_metric(name=f"SesEvent_{outcome.value}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome.value}
