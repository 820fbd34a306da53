"""Logger, Tracer and Metrics shared by every function (service name and namespace come from Globals)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """Powertools' own rule: traced in Lambda (LAMBDA_TASK_ROOT) unless POWERTOOLS_TRACE_DISABLED says
    otherwise or an emulator runs it."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on")
    emulated = any(os.environ.get(name) for name in ("AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"))
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled and not emulated


class _Tracing:
    """Powertools' Tracer where tracing is on. Where it is off there is no Tracer at all: even a disabled
    one imports the X-Ray SDK (hundreds of ms of cold start) to switch it off. It patches botocore only, the
    one library through which these functions call out (by default the X-Ray SDK tries a dozen, sqlite3
    among them). A handler's response never goes into its trace: it may hold a recovery code or a session
    token, and Powertools records every response as trace metadata unless told not to."""

    def __init__(self) -> None:
        self.tracer = Tracer(patch_modules=("botocore",)) if tracing_enabled() else None

    def capture_lambda_handler(self, handler: Handler) -> Handler:
        if self.tracer is None:
            return handler
        return cast(Handler, self.tracer.capture_lambda_handler(handler, capture_response=False))


logger = Logger()
tracer = _Tracing()
# The namespace is fixed here rather than read from the environment, so that code run outside a handler
# (the local seed, tests) records metrics under the same name.
metrics = Metrics(namespace="CsrConsole")
