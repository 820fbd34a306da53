"""What a traced handler sends to X-Ray: its subsegment, never its response (which may hold a secret)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "K7QX-2M9D-PW4R"

# Runs in a process of its own: tracing on patches botocore for the whole process.
TRACED_CALL = f"""
import json
from aws_xray_sdk.core import xray_recorder
from csr.observability import tracer

sent = []

class Collect:
    def send_entity(self, entity):
        sent.append(entity.serialize())

    def set_daemon_address(self, address):
        pass

xray_recorder.configure(emitter=Collect())

@tracer.capture_lambda_handler
def handler(event, context):
    return {{"statusCode": 201, "body": json.dumps({{"code": {SECRET!r}}})}}

assert handler({{}}, None)["statusCode"] == 201
print(json.dumps(sent))
"""


def test_a_traced_handler_sends_its_subsegment_but_not_its_response() -> None:
    env = {
        **os.environ,
        "LAMBDA_TASK_ROOT": "/var/task",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "_X_AMZN_TRACE_ID": "Root=1-6740a3c1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
        "PYTHONPATH": f"{ROOT / 'layers' / 'csr_common'}",
    }
    result = subprocess.run([sys.executable, "-c", TRACED_CALL], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    sent = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(json.loads(entity)["name"] == "## handler" for entity in sent), sent
    assert not any(SECRET in entity for entity in sent)
