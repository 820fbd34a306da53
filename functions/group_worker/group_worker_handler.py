"""The group worker: applies process requests from the SQS queue, reporting partial batch failures.

A message that fails goes back to the queue (visible again after its visibility timeout); on its last
receive before the dead-letter queue its request is ended `failed`, so nobody waits on it forever.
"""

import csr.init_phase

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.observability import logger, metrics, tracer
from csr.services import group_worker
from csr.settings import get_settings

processor = BatchProcessor(event_type=EventType.SQS)


def handle_record(record: SQSRecord, lambda_context: LambdaContext) -> str:
    message = json.loads(record.body)
    tenant_id, request_id = str(message["tenant_id"]), str(message["request_id"])
    budget = group_worker.Budget(lambda_context.get_remaining_time_in_millis)
    try:
        outcome = group_worker.apply_request(tenant_id, request_id, budget)
    except Exception:
        if int(record.attributes.approximate_receive_count) >= get_settings().group_queue_max_receives:
            logger.exception("last attempt failed; the message goes to the dead-letter queue")
            group_worker.fail_request(tenant_id, request_id, group_worker.UNEXPECTED_FAILURE)
        raise
    logger.info("process request", extra={"request_id": request_id, "outcome": outcome.value})
    return outcome.value


@csr.init_phase.end
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    return dict(response)
