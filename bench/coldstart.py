"""Cold start: how long each built handler takes to import, beside a bare `import boto3`, a minimal Powertools
handler (resolver + Logger, Tracer, Metrics), and that handler with `import boto3` (what any handler that
calls AWS imports), in fresh processes (`make bench-coldstart`).

The handlers come from the artifact `make package` builds (its x86_64/3.11 twin, which imports here), with
boto3 and botocore taken from outside the layer as the Lambda runtime provides them. Python runs with `-B`: in
Lambda the layer lies in read-only /opt, so a cold start uses the bytecode the layer ships and compiles the
rest, every time; two more cases import from a copy of the layer without its bytecode, as it shipped before
the layer's Makefile compiled it, and one imports a handler with the garbage collector left on throughout, as
before `csr.init_phase` turned it off for the init phase; and each handler is imported once more with the
DynamoDB resource its first request makes before its first call, beside the minimal handler making one: both
ready for a first call, which is what a customer who meets a cold start waits for before any data is read.
Each case is imported `--runs` times, the cases interleaved so that the machine's noise falls on all of them
alike; medians and ratios are printed for three settings (MODES). Outside Lambda (LAMBDA_TASK_ROOT unset, as
locally) the X-Ray SDK, which the minimal handler's disabled `Tracer` still imports, builds an X-Ray client on
import; in Lambda it does not, and a disabled `Tracer` patches nothing, so there the minimal handler imports
no botocore at all. Traced, as template.yaml deploys (`Tracing: Active`), the X-Ray SDK patches botocore.

    python -m bench.coldstart [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from infra import package, template
from infra.local_aws import function_environment

MINIMAL_POWERTOOLS = """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
app = APIGatewayRestResolver(enable_validation=True)
logger, tracer, metrics = Logger(), Tracer(), Metrics(namespace="Bench")
@app.get("/ping")
def ping() -> dict:
    return {}
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
"""
MINIMAL_TABLE = "import boto3\nboto3.resource('dynamodb').Table('bench')\n"
# The handler also imported from the layer without bytecode, and with the collector on: the one with the most
# routes.
BEFORE_CASE = "CustomersFunction"
COLLECTOR_ON = "import gc\ngc.disable = gc.freeze = lambda: None\n"
MODES = {
    "tracing off, outside Lambda (as locally)": {"POWERTOOLS_TRACE_DISABLED": "true"},
    "tracing off, in Lambda": {"POWERTOOLS_TRACE_DISABLED": "true", "LAMBDA_TASK_ROOT": "/var/task"},
    "tracing on, in Lambda (as deployed)": {"POWERTOOLS_TRACE_DISABLED": "false", "LAMBDA_TASK_ROOT": "/var/task"},
}


def import_seconds(paths: list[Path], code: str, env: dict[str, str]) -> float:
    timed = (
        f"import sys, time; sys.path[:0] = {[str(p) for p in paths]!r}; t = time.perf_counter(); "
        f"exec(compile({code!r}, 'case', 'exec')); print(time.perf_counter() - t)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", timed], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        built = package.build("x86_64", f"{sys.version_info.major}.{sys.version_info.minor}", root / "dist")
        layer, runtime = built / "layer" / "python", package.runtime_dir(root)
        bare = root / "no-bytecode"
        shutil.copytree(layer, bare, ignore=shutil.ignore_patterns("__pycache__"))
        cases: dict[str, tuple[list[Path], str]] = {
            "import boto3": ([runtime], "import boto3"),
            # What boto3 stands on, and what any handler that calls AWS must import however it does so
            "import botocore (client)": ([runtime], "import botocore.session, botocore.client"),
            "minimal Powertools handler": ([layer, runtime], MINIMAL_POWERTOOLS),
            "minimal handler + boto3": ([layer, runtime], MINIMAL_POWERTOOLS + "import boto3\n"),
            # The same, ready for its first DynamoDB call, as a handler's first request makes it ready
            "minimal handler + a table": ([layer, runtime], MINIMAL_POWERTOOLS + MINIMAL_TABLE),
        }
        before = {"minimal handler, no bytecode": ([bare, runtime], MINIMAL_POWERTOOLS)}
        handlers = [function.logical_id for function in template.functions()]
        for function in template.functions():
            folder = built / "functions" / function.code_dir.name
            cases[function.logical_id] = ([folder, layer, runtime], f"import {function.module}")
            # What its first request adds before any call goes out: the DynamoDB resource, made on first use
            cases[f"{function.logical_id} + its table"] = (
                [folder, layer, runtime],
                f"import {function.module}\nfrom csr.data.dynamo import table\ntable()",
            )
            if function.logical_id == BEFORE_CASE:
                before[f"{function.logical_id}, no bytecode"] = ([folder, bare, runtime], f"import {function.module}")
                before[f"{function.logical_id}, collector on"] = (
                    [folder, layer, runtime],
                    COLLECTOR_ON + f"import {function.module}",
                )
        cases.update(before)
        for mode, overrides in MODES.items():
            env = {"PATH": os.environ["PATH"], **function_environment(), **overrides}
            env["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, (paths, code) in cases.items():
                    times[name].append(import_seconds(paths, code, env))
            medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
            report(mode, medians, handlers, args.runs)


def report(mode: str, medians: dict[str, float], handlers: list[str], runs: int) -> None:
    boto3_ms, minimal_ms = medians["import boto3"], medians["minimal Powertools handler"]
    with_boto3_ms = medians["minimal handler + boto3"]
    print(f"\n{mode}: median import time of {runs} fresh processes")
    print(f"| {'case':<33} | {'ms':>6} | {'/ boto3':>7} | {'/ minimal':>9} | {'/ minimal + boto3':>17} |")
    print(f"|{'-' * 35}|{'-' * 7}:|{'-' * 8}:|{'-' * 10}:|{'-' * 18}:|")
    for name, ms in medians.items():
        ratios = f"{ms / boto3_ms:>7.2f} | {ms / minimal_ms:>9.2f} | {ms / with_boto3_ms:>17.2f}"
        print(f"| {name:<33} | {ms:>6.0f} | {ratios} |")
    spans = {
        "every handler / minimal handler": ([medians[h] for h in handlers], minimal_ms),
        "every handler / minimal + boto3": ([medians[h] for h in handlers], with_boto3_ms),
        # Like for like: ready for a first DynamoDB call, what a customer who meets a cold start waits for
        "every handler + its table / minimal + a table": (
            [medians[f"{h} + its table"] for h in handlers],
            medians["minimal handler + a table"],
        ),
    }
    for label, (times, baseline) in spans.items():
        print(f"{label}: {min(times) / baseline:.2f}-{max(times) / baseline:.2f}")


if __name__ == "__main__":
    main()
