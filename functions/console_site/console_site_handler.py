"""The ConsoleSite custom resource (template.yaml): on every deploy, the console layer's files to the
console bucket with config.json from the resource's properties (csr.services.console_site)."""

import csr.init_phase

import os
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from csr.observability import logger
from csr.services import console_site


@csr.init_phase.end
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = console_site.handle(event, Path(os.environ.get("CONSOLE_ROOT", "/opt")))
    logger.info("console site", extra={"request": event.get("RequestType"), "status": answer["Status"]})
    if answer["Status"] != "SUCCESS":
        logger.error("console site failed", extra={"reason": answer.get("Reason")})
    return answer
