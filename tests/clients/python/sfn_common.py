"""What the boto3 suites share: a client for the stepd under test (SFN_ENDPOINT),
unique names, polling until an execution ends, and error assertions."""

import json
import os
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = os.environ.get("SFN_ENDPOINT")
if not ENDPOINT:
    raise SystemExit("SFN_ENDPOINT is not set: run through tests/clients/run")

ROLE_ARN = "arn:aws:iam::123456789012:role/stepd-client-tests"
ACCOUNT_PREFIX = "arn:aws:states:us-east-1:123456789012:"


def client(access_key="AKIDCLIENTTESTS", secret_key="clients-secret", inject_host_prefix=True):
    return boto3.session.Session().client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        # No retries: the first answer is what is being tested. GetActivityTask
        # long-polls for up to 60 s on the server.
        config=botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"},
                                      read_timeout=75, connect_timeout=5,
                                      inject_host_prefix=inject_host_prefix),
    )


def sync_client():
    """A client for StartSyncExecution and TestState: botocore sends those to
    the host "sync-<endpoint host>", which does not resolve for a local
    endpoint; without the prefix it keeps the endpoint's own host."""
    return client(inject_host_prefix=False)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


LIFECYCLE_DEFINITION = json.dumps({
    "Comment": "stepd client test: the lifecycle machine (boto3)",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"ok.$": "$.ok", "who.$": "$.who", "greeting": "hello"},
                    "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Decide"},
        "Decide": {"Type": "Choice",
                   "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                   "Default": "Refuse"},
        "Done": {"Type": "Succeed"},
        "Refuse": {"Type": "Fail", "Error": "NotOk", "Cause": "ok was not true"},
    },
})


def wait_definition(seconds):
    return json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": seconds, "End": True}}})


def task_definition(activity_arn, task=None, states=None):
    work = {"Type": "Task", "Resource": activity_arn, "End": True}
    work.update(task or {})
    all_states = {"Work": work}
    all_states.update(states or {})
    return json.dumps({"StartAt": "Work", "States": all_states})


def wait_for_execution(sfn, execution_arn, timeout=20.0, until=lambda d: d["status"] != "RUNNING"):
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=execution_arn)
        if until(d):
            return d
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still {d['status']} after {timeout} s")
        time.sleep(0.1)


class ErrorAssertions:
    """Mixin for unittest.TestCase: assert_error(code, fn, **kwargs)."""

    def assert_error(self, code, fn, *args, status=400, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            fn(*args, **kwargs)
        response = caught.exception.response
        self.assertEqual(response["Error"]["Code"], code, response["Error"].get("Message"))
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(response["Error"].get("Message"), "an error without a message")
        return caught.exception
