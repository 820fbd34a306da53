"""How template.yaml is operated (DESIGN.md, Operating it): alarms that page someone, logs that expire, access
logs, and no asynchronous event dropped silently. What the scanners cannot tell: each of these as a fact."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import template

RESOURCES: dict[str, dict[str, Any]] = template.template()["Resources"]
FUNCTIONS = [function.logical_id for function in template.functions()]
ALARMS = template.resources("AWS::CloudWatch::Alarm")
TOPIC = {"Ref": "AlarmTopic"}
# Functions only CloudFormation calls, at deploy time (a custom resource's ServiceToken): they serve no traffic
# to alarm on, and their failure is the deploy's.
DEPLOY_TIME = {
    resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
    for resource in RESOURCES.values()
    if resource["Type"].startswith("Custom::")
}
SERVING = [function for function in FUNCTIONS if function not in DEPLOY_TIME]


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric the alarm reads (a plain alarm's one, or a metric-math alarm's inputs)."""
    props = alarm["Properties"]
    if "Metrics" not in props:
        return [{"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": props["Dimensions"]}]
    return [query["MetricStat"]["Metric"] for query in props["Metrics"] if "MetricStat" in query]


def _watching(namespace: str, metric: str, dimension: str) -> list[Any]:
    """The values of `dimension` of every alarm on `namespace`/`metric`."""
    return [
        dim["Value"]
        for alarm in ALARMS.values()
        for watched in _metrics(alarm)
        if (watched["Namespace"], watched["MetricName"]) == (namespace, metric)
        for dim in watched["Dimensions"]
        if dim["Name"] == dimension
    ]


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_notifies_the_topic_and_says_what_it_means(name: str) -> None:
    props = ALARMS[name]["Properties"]
    assert props["AlarmActions"] == [TOPIC]
    assert props["OKActions"] == [TOPIC]
    assert len(props["AlarmDescription"]) > 30


def test_the_alarm_email_parameter_subscribes_to_the_topic() -> None:
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}


def test_every_function_has_its_log_group_and_every_log_group_a_retention() -> None:
    groups = template.resources("AWS::Logs::LogGroup")
    names = [group["Properties"]["LogGroupName"] for group in groups.values()]
    for function in FUNCTIONS:
        assert {"Fn::Sub": f"/aws/lambda/${{{function}}}"} in names, function
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_every_function_has_a_p99_latency_alarm_and_throttles_are_watched() -> None:
    latency = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in ALARMS.values()
        if alarm["Properties"].get("MetricName") == "Duration" and alarm["Properties"].get("ExtendedStatistic") == "p99"
    }
    assert latency == set(SERVING)
    throttled = {value["Ref"] for value in _watching("AWS/Lambda", "Throttles", "FunctionName")}
    assert throttled == set(SERVING)
    assert sorted(DEPLOY_TIME) == ["ConsoleSiteFunction"]


def test_the_api_5xx_rate_the_cleanup_and_the_ses_events_are_alarmed() -> None:
    assert _watching("AWS/ApiGateway", "5XXError", "ApiName")
    assert _watching("AWS/ApiGateway", "Count", "ApiName"), "a rate: 5xx over all requests"
    assert _watching("CsrConsole", "cleanup_unfinished", "service") == ["csr-console"]
    assert _watching("AWS/Events", "FailedInvocations", "RuleName") == [{"Ref": "EmailEventsFunctionSesEvents"}]
    assert _watching("AWS/Lambda", "Errors", "FunctionName") == [{"Ref": "EmailEventsFunction"}]


def test_every_queue_is_encrypted_and_every_dead_letter_queue_alarmed() -> None:
    queues = template.resources("AWS::SQS::Queue")
    for name, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, name
    text = json.dumps(RESOURCES)
    dead_letter = {name for name in queues if f'"deadLetterTargetArn": {{"Fn::GetAtt": ["{name}", "Arn"]}}' in text}
    dead_letter |= {name for name in queues if f'"Destination": {{"Fn::GetAtt": ["{name}", "Arn"]}}' in text}
    assert dead_letter == {"GroupDeadLetterQueue", "EventsDeadLetterQueue"}
    watched = _watching("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
    assert sorted(value["Fn::GetAtt"][0] for value in watched) == sorted(dead_letter)


def test_every_asynchronous_source_retries_then_keeps_what_failed() -> None:
    """EventBridge (the SES events rule, the cleanup's schedule) invokes asynchronously: the source retries
    delivery and keeps what it could not deliver; the function's own failures go to an on-failure destination."""
    dead_letters = {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    asynchronous = 0
    for function in template.functions():
        for event in function.properties.get("Events", {}).values():
            if event["Type"] in ("EventBridgeRule", "ScheduleV2"):
                asynchronous += 1
                assert "MaximumRetryAttempts" in event["Properties"]["RetryPolicy"]
                assert event["Properties"]["DeadLetterConfig"] == {"Arn": dead_letters}
                on_failure = function.properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
                assert on_failure == {"Type": "SQS", "Destination": dead_letters}
    assert asynchronous == 2


def test_the_access_log_is_one_json_object_with_who_what_and_how_long() -> None:
    setting = RESOURCES["Api"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert {"request_id", "sub", "client_id", "tenant", "route", "status", "latency_ms"} <= set(line)
    assert line["client_id"] == "$context.authorizer.claims.client_id"
    assert line["tenant"] == "$context.authorizer.claims['custom:tenant_id']"


def test_every_suppressed_finding_names_its_reason() -> None:
    skips = [
        skip
        for resource in RESOURCES.values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for skip in skips:
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"])
        assert len(skip["comment"]) > 30, skip
    ignores = [line for line in template.TEMPLATE.read_text().splitlines() if "ignore_checks:" in line]
    assert ignores
    for line in ignores:
        assert re.search(r"ignore_checks: \[\w+\]  # \S.{20,}", line), line
