"""The AWS command line's EventBridge connection commands (`aws --endpoint-url ...
events create-connection` and friends) against stepd."""

import json
import os
import subprocess
import unittest
import uuid

ENDPOINT = os.environ.get("SFN_ENDPOINT")
if not ENDPOINT:
    raise SystemExit("SFN_ENDPOINT is not set: run through tests/clients/run")
ARN_PREFIX = "arn:aws:events:us-east-1:123456789012:connection/"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def events(*args, check=True):
    """Runs `aws --endpoint-url E events ARGS --output json`; returns the parsed output."""
    command = ["aws", "--endpoint-url", ENDPOINT, "--region", "us-east-1", "--output", "json",
               "events", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if check:
        if done.returncode != 0:
            raise AssertionError(f"{args[0]} exited {done.returncode}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}
    return done


class ConnectionsCliTest(unittest.TestCase):
    def test_create_describe_list_delete(self):
        name = unique("cli-conn")
        created = events("create-connection", "--name", name, "--authorization-type", "API_KEY",
                         "--auth-parameters",
                         json.dumps({"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                              "ApiKeyValue": "cli-secret-value"}}))
        self.assertTrue(created["ConnectionArn"].startswith(ARN_PREFIX + name + "/"), created)
        self.assertEqual(created["ConnectionState"], "AUTHORIZED")

        described = events("describe-connection", "--name", name)
        self.assertEqual(described["ConnectionArn"], created["ConnectionArn"])
        self.assertEqual(described["AuthParameters"], {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}})
        self.assertNotIn("cli-secret-value", json.dumps(described))

        listed = events("list-connections", "--name-prefix", name)
        self.assertEqual([c["Name"] for c in listed["Connections"]], [name])

        updated = events("update-connection", "--name", name, "--description", "from the cli")
        self.assertEqual(updated["ConnectionState"], "AUTHORIZED")
        self.assertEqual(events("describe-connection", "--name", name)["Description"], "from the cli")

        deleted = events("delete-connection", "--name", name)
        self.assertEqual(deleted["ConnectionState"], "DELETING")
        missing = events("describe-connection", "--name", name, check=False)
        self.assertIn(missing.returncode, (254, 255), missing.stderr)
        self.assertIn("An error occurred (ResourceNotFoundException) when calling the DescribeConnection "
                      "operation: Failed to describe the connection(s). Connection '" + name +
                      "' does not exist.", missing.stderr)


if __name__ == "__main__":
    unittest.main()
