"""Logger, Tracer and Metrics shared by every function (service name and namespace come from Globals)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
# The namespace is fixed here rather than read from the environment, so that code run outside a handler
# (the local seed, tests) records metrics under the same name.
metrics = Metrics(namespace="CsrConsole")
