"""infra.iam: calls turned into what IAM authorizes, and template.yaml's policies read as grants."""

from __future__ import annotations

import pytest

from infra import iam, template
from infra.iam import Need, arn

TABLE = arn("dynamodb", "table/DataTable")


def function(logical_id: str) -> template.Function:
    return next(f for f in template.functions() if f.logical_id == logical_id)


def test_a_transaction_needs_one_action_per_item() -> None:
    items = [
        {"Put": {"TableName": "DataTable", "Item": {}}},
        {"Update": {"TableName": "DataTable", "Key": {}}},
        {"Delete": {"TableName": "DataTable", "Key": {}}},
        {"ConditionCheck": {"TableName": "IdempotencyTable", "Key": {}}},
    ]
    assert iam.needs("dynamodb", "TransactWriteItems", {"TransactItems": items}) == [
        Need("dynamodb:PutItem", (TABLE,)),
        Need("dynamodb:UpdateItem", (TABLE,)),
        Need("dynamodb:DeleteItem", (TABLE,)),
        Need("dynamodb:ConditionCheckItem", (arn("dynamodb", "table/IdempotencyTable"),)),
    ]
    gets = {"TransactItems": [{"Get": {"TableName": "DataTable", "Key": {}}}]}
    assert iam.needs("dynamodb", "TransactGetItems", gets) == [Need("dynamodb:GetItem", (TABLE,))]


def test_an_index_query_needs_the_index_arn() -> None:
    assert iam.needs("dynamodb", "Query", {"TableName": "DataTable", "IndexName": "gsi1"}) == [
        Need("dynamodb:Query", (TABLE + "/index/gsi1",))
    ]


def test_ssm_needs_the_parameter_arn_without_its_leading_slash() -> None:
    assert iam.needs("ssm", "GetParameter", {"Name": "/csr-console/secret-key"}) == [
        Need("ssm:GetParameter", (arn("ssm", "parameter/csr-console/secret-key"),))
    ]


def test_an_ses_send_needs_the_identity_and_the_configuration_set() -> None:
    params = {"FromEmailAddress": "no-reply@example.com", "ConfigurationSetName": "EmailConfigurationSet"}
    assert iam.needs("ses", "SendEmail", params) == [
        Need("ses:SendEmail", (arn("ses", "identity/no-reply@example.com"), arn("ses", "identity/example.com"))),
        Need("ses:SendEmail", (arn("ses", "configuration-set/EmailConfigurationSet"),)),
    ]


def test_sqs_batches_need_the_single_action() -> None:
    params = {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/GroupQueue", "Entries": []}
    assert iam.needs("sqs", "SendMessageBatch", params) == [Need("sqs:SendMessage", (arn("sqs", "GroupQueue"),))]


def test_s3_needs_the_bucket_for_listings_and_each_object_for_its_calls() -> None:
    bucket = "arn:aws:s3:::ConsoleBucket"
    assert iam.needs("s3", "ListObjectVersions", {"Bucket": "ConsoleBucket", "Prefix": "console/"}) == [
        Need("s3:ListBucketVersions", (bucket,))
    ]
    assert iam.needs("s3", "PutObject", {"Bucket": "ConsoleBucket", "Key": "console/a.js"}) == [
        Need("s3:PutObject", (bucket + "/console/a.js",))
    ]
    objects = [{"Key": "console/a.js"}, {"Key": "console/b.js", "VersionId": "v1"}]
    assert iam.needs("s3", "DeleteObjects", {"Bucket": "ConsoleBucket", "Delete": {"Objects": objects}}) == [
        Need("s3:DeleteObject", (bucket + "/console/a.js",)),
        Need("s3:DeleteObjectVersion", (bucket + "/console/b.js",)),
    ]


def test_a_cloudfront_invalidation_needs_the_distribution_arn_without_a_region() -> None:
    assert iam.needs("cloudfront", "CreateInvalidation", {"DistributionId": "E1", "InvalidationBatch": {}}) == [
        Need("cloudfront:CreateInvalidation", ("arn:aws:cloudfront::000000000000:distribution/E1",))
    ]
    site = iam.grants(function("ConsoleSiteFunction"))
    assert iam.Grant(("s3:ListBucket", "s3:ListBucketVersions"), ("arn:aws:s3:::ConsoleBucket",)) in site


def test_template_policies_resolve_to_local_arns() -> None:
    activity = iam.grants(function("ActivityFunction"))
    assert iam.Grant(("dynamodb:Query",), (TABLE, TABLE + "/index/gsi1")) in activity
    reset = iam.grants(function("ResetLinkFunction"))
    ses = next(grant for grant in reset if grant.actions == ("ses:SendEmail",))
    assert arn("ses", "identity/example.com") in ses.resources
    assert arn("ses", "configuration-set/EmailConfigurationSet") in ses.resources


def test_the_lock_function_may_delete_what_its_transactions_delete() -> None:
    # The bug this check was built for: lock/deactivate/hide delete the live reset pointer and code.
    need = Need("dynamodb:DeleteItem", (TABLE,))
    assert any(grant.allows(need) for grant in iam.grants(function("LockFunction")))


def test_check_reports_a_missing_and_an_unused_action() -> None:
    lock = function("LockFunction")
    recorded = {"LockFunction": [Need("dynamodb:Query", (TABLE,)), Need("dynamodb:BatchWriteItem", (TABLE,))]}
    problems = {finding.problem for finding in iam.check(recorded, [lock])}
    assert f"not allowed: dynamodb:BatchWriteItem on {TABLE}" in problems
    assert f"allowed but never used: dynamodb:PutItem on {TABLE}" in problems
    assert not any("dynamodb:Query" in problem for problem in problems)


@pytest.mark.parametrize(
    ("pattern", "value", "allowed"),
    [("dynamodb:*", "dynamodb:PutItem", True), ("dynamodb:Get*", "dynamodb:PutItem", False)],
)
def test_action_wildcards(pattern: str, value: str, allowed: bool) -> None:
    assert iam.Grant((pattern,), ("*",)).allows(Need(value, (TABLE,))) is allowed


def test_a_policy_it_cannot_read_is_refused_not_passed() -> None:
    odd = template.Function("X", template.ROOT, "m", "h", {"Policies": [{"DynamoDBCrudPolicy": {"TableName": "T"}}]})
    with pytest.raises(ValueError, match="Statement"):
        iam.grants(odd)
