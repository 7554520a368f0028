"""The AWS command line (`aws --endpoint-url ... stepfunctions ...`) against stepd:
the lifecycle, an activity worker, tags, and errors (non-zero exit, the error
code on stderr). Works with CLI v1 (exit 255 on a service error) and v2 (254)."""

import json
import os
import subprocess
import tempfile
import time
import unittest
import uuid

ENDPOINT = os.environ.get("SFN_ENDPOINT")
if not ENDPOINT:
    raise SystemExit("SFN_ENDPOINT is not set: run through tests/clients/run")
ROLE_ARN = "arn:aws:iam::123456789012:role/stepd-cli-tests"
PREFIX = "arn:aws:states:us-east-1:123456789012:"

DEFINITION = json.dumps({
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": "cli", "ResultPath": "$.by", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Decide"},
        "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                   "Default": "Refuse"},
        "Done": {"Type": "Succeed"},
        "Refuse": {"Type": "Fail", "Error": "NotOk", "Cause": "ok was not true"},
    },
})
WAIT_DEFINITION = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def aws(*args, check=True, env=None):
    """Runs `aws --endpoint-url E stepfunctions ARGS --output json`; returns the parsed output."""
    command = ["aws", "--endpoint-url", ENDPOINT, "--region", "us-east-1", "--output", "json",
               "--cli-read-timeout", "75", "stepfunctions", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90,
                          env=None if env is None else {**os.environ, **env})
    if check:
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args[:1])} exited {done.returncode}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}
    return done


class CliTest(unittest.TestCase):
    def assert_cli_error(self, code, *args):
        done = aws(*args, check=False)
        self.assertNotEqual(done.returncode, 0, f"{args[0]} succeeded: {done.stdout}")
        self.assertIn(done.returncode, (254, 255), done.stderr)  # a service error, not a usage error
        self.assertIn(f"An error occurred ({code}) when calling the ", done.stderr)
        self.assertEqual(done.stdout.strip(), "")

    def wait_done(self, arn, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            d = aws("describe-execution", "--execution-arn", arn)
            if d["status"] != "RUNNING":
                return d
            self.assertLess(time.monotonic(), deadline, f"{arn} still RUNNING")
            time.sleep(0.2)

    def test_lifecycle(self):
        name = unique("cli-life")
        created = aws("create-state-machine", "--name", name, "--definition", DEFINITION, "--role-arn", ROLE_ARN)
        arn = created["stateMachineArn"]
        self.assertEqual(arn, PREFIX + "stateMachine:" + name)
        self.assertIn("creationDate", created)
        d = aws("describe-state-machine", "--state-machine-arn", arn)
        self.assertEqual((d["name"], d["status"], d["type"], d["definition"]), (name, "ACTIVE", "STANDARD", DEFINITION))

        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"ok": True}, f)
            f.flush()
            good = aws("start-execution", "--state-machine-arn", arn, "--name", "good", "--input", f"file://{f.name}")
        self.assertEqual(good["executionArn"], f"{PREFIX}execution:{name}:good")
        bad = aws("start-execution", "--state-machine-arn", arn, "--input", '{"ok": false}')

        done = self.wait_done(good["executionArn"])
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"]), {"ok": True, "by": "cli"})
        failed = self.wait_done(bad["executionArn"])
        self.assertEqual((failed["status"], failed["error"], failed["cause"]), ("FAILED", "NotOk", "ok was not true"))

        history = aws("get-execution-history", "--execution-arn", good["executionArn"])
        types = [e["type"] for e in history["events"]]
        self.assertEqual(types[0], "ExecutionStarted")
        self.assertEqual(types[-1], "ExecutionSucceeded")
        self.assertEqual(len(types), 10)
        reverse = aws("get-execution-history", "--execution-arn", good["executionArn"], "--reverse-order",
                      "--no-include-execution-data")
        self.assertEqual([e["id"] for e in reverse["events"]], list(range(10, 0, -1)))
        self.assertNotIn("input", reverse["events"][-1]["executionStartedEventDetails"])
        # The CLI's own paging: pages of 3 from the server, all 10 events in the end.
        paged = aws("get-execution-history", "--execution-arn", good["executionArn"], "--page-size", "3")
        self.assertEqual([e["id"] for e in paged["events"]], list(range(1, 11)))
        # --query picks one part of the answer.
        text = aws("get-execution-history", "--execution-arn", bad["executionArn"], "--reverse-order",
                   "--max-items", "1", "--query", "events[0].executionFailedEventDetails")
        self.assertEqual(text, {"error": "NotOk", "cause": "ok was not true"})

        listed = aws("list-executions", "--state-machine-arn", arn, "--status-filter", "SUCCEEDED")
        self.assertEqual([e["executionArn"] for e in listed["executions"]], [good["executionArn"]])

        updated = aws("update-state-machine", "--state-machine-arn", arn, "--definition",
                      DEFINITION.replace('"cli"', '"cli2"'))
        self.assertTrue(updated["revisionId"])
        for_exec = aws("describe-state-machine-for-execution", "--execution-arn", good["executionArn"])
        self.assertEqual(for_exec["definition"], DEFINITION)

    def test_stop_and_list_pages(self):
        prefix = unique("cli-stop")
        arn = aws("create-state-machine", "--name", prefix, "--definition", WAIT_DEFINITION,
                  "--role-arn", ROLE_ARN)["stateMachineArn"]
        aws("create-state-machine", "--name", prefix + "-b", "--definition", WAIT_DEFINITION, "--role-arn", ROLE_ARN)
        run = aws("start-execution", "--state-machine-arn", arn)["executionArn"]
        running = aws("list-executions", "--state-machine-arn", arn, "--status-filter", "RUNNING")
        self.assertEqual([e["executionArn"] for e in running["executions"]], [run])
        stopped = aws("stop-execution", "--execution-arn", run, "--error", "Cli.Stop", "--cause", "from the CLI")
        self.assertIn("stopDate", stopped)
        d = self.wait_done(run)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Cli.Stop", "from the CLI"))
        aborted = aws("list-executions", "--state-machine-arn", arn, "--status-filter", "ABORTED")
        self.assertEqual([e["executionArn"] for e in aborted["executions"]], [run])

        # One machine per server page and per CLI page; follow NextToken.
        first = aws("list-state-machines", "--page-size", "1", "--max-items", "1")
        self.assertEqual(len(first["stateMachines"]), 1)
        self.assertIn("NextToken", first)
        seen = [m["stateMachineArn"] for m in first["stateMachines"]]
        token = first["NextToken"]
        while token:
            page = aws("list-state-machines", "--page-size", "1", "--max-items", "1", "--starting-token", token)
            self.assertLessEqual(len(page["stateMachines"]), 1)
            seen += [m["stateMachineArn"] for m in page["stateMachines"]]
            token = page.get("NextToken")
            self.assertLess(len(seen), 500)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(arn, seen)
        self.assertIn(arn + "-b", seen)

    def test_tags(self):
        arn = aws("create-state-machine", "--name", unique("cli-tags"), "--definition", DEFINITION,
                  "--role-arn", ROLE_ARN)["stateMachineArn"]
        aws("tag-resource", "--resource-arn", arn, "--tags", "key=team,value=a", "key=env,value=t")
        tags = aws("list-tags-for-resource", "--resource-arn", arn)["tags"]
        self.assertEqual(sorted((t["key"], t["value"]) for t in tags), [("env", "t"), ("team", "a")])
        aws("untag-resource", "--resource-arn", arn, "--tag-keys", "team")
        self.assertEqual(aws("list-tags-for-resource", "--resource-arn", arn)["tags"], [{"key": "env", "value": "t"}])

    def test_activity_worker(self):
        name = unique("cli-act")
        activity = aws("create-activity", "--name", name)["activityArn"]
        self.assertEqual(aws("create-activity", "--name", name)["activityArn"], activity)
        self.assertEqual(aws("describe-activity", "--activity-arn", activity)["name"], name)
        definition = json.dumps({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 5, "End": True}}})
        machine = aws("create-state-machine", "--name", unique("cli-act"), "--definition", definition,
                      "--role-arn", ROLE_ARN)["stateMachineArn"]
        ok = aws("start-execution", "--state-machine-arn", machine, "--input", '{"job":1}')["executionArn"]
        task = aws("get-activity-task", "--activity-arn", activity, "--worker-name", "cli-worker")
        self.assertEqual(json.loads(task["input"]), {"job": 1})
        self.assertEqual(aws("send-task-heartbeat", "--task-token", task["taskToken"]), {})
        self.assertEqual(aws("send-task-success", "--task-token", task["taskToken"], "--task-output", '{"done":1}'), {})
        d = self.wait_done(ok)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"done": 1}))
        self.assert_cli_error("TaskTimedOut", "send-task-success", "--task-token", task["taskToken"],
                              "--task-output", "{}")

        bad = aws("start-execution", "--state-machine-arn", machine, "--input", '{"job":2}')["executionArn"]
        task = aws("get-activity-task", "--activity-arn", activity)
        aws("send-task-failure", "--task-token", task["taskToken"], "--error", "Cli.Fail", "--cause", "no luck")
        d = self.wait_done(bad)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("FAILED", "Cli.Fail", "no luck"))
        self.assert_cli_error("InvalidToken", "send-task-heartbeat", "--task-token", "made-up")

        aws("delete-activity", "--activity-arn", activity)
        aws("delete-activity", "--activity-arn", activity)
        self.assert_cli_error("ActivityDoesNotExist", "get-activity-task", "--activity-arn", activity)

    def test_errors(self):
        missing = PREFIX + "stateMachine:no-such-machine"
        self.assert_cli_error("StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", missing)
        self.assert_cli_error("ExecutionDoesNotExist", "describe-execution", "--execution-arn",
                              PREFIX + "execution:no-such-machine:nope")
        self.assert_cli_error("InvalidArn", "describe-state-machine", "--state-machine-arn", "not-an-arn")
        self.assert_cli_error("InvalidDefinition", "create-state-machine", "--name", unique("cli-bad"),
                              "--definition", '{"StartAt":"Missing","States":{}}', "--role-arn", ROLE_ARN)
        self.assert_cli_error("InvalidName", "create-state-machine", "--name", "a b", "--definition", DEFINITION,
                              "--role-arn", ROLE_ARN)
        self.assert_cli_error("ValidationException", "create-state-machine", "--name", "n" * 81,
                              "--definition", DEFINITION, "--role-arn", ROLE_ARN)
        self.assert_cli_error("ResourceNotFound", "list-tags-for-resource", "--resource-arn", missing)

        name = unique("cli-dup")
        arn = aws("create-state-machine", "--name", name, "--definition", WAIT_DEFINITION,
                  "--role-arn", ROLE_ARN)["stateMachineArn"]
        self.assertEqual(aws("create-state-machine", "--name", name, "--definition", WAIT_DEFINITION,
                             "--role-arn", ROLE_ARN)["stateMachineArn"], arn)
        self.assert_cli_error("StateMachineAlreadyExists", "create-state-machine", "--name", name,
                              "--definition", DEFINITION, "--role-arn", ROLE_ARN)
        self.assert_cli_error("MissingRequiredParameter", "update-state-machine", "--state-machine-arn", arn)
        run = aws("start-execution", "--state-machine-arn", arn, "--name", "once", "--input", '{"a":1}')
        self.assert_cli_error("ExecutionAlreadyExists", "start-execution", "--state-machine-arn", arn,
                              "--name", "once", "--input", '{"a":2}')
        self.assert_cli_error("InvalidExecutionInput", "start-execution", "--state-machine-arn", arn,
                              "--input", "not json")
        aws("stop-execution", "--execution-arn", run["executionArn"])


    def test_versions_aliases_and_a_synchronous_express_run(self):
        machine = aws("create-state-machine", "--name", unique("cli-ver"), "--role-arn", ROLE_ARN,
                      "--type", "EXPRESS", "--definition", DEFINITION, "--publish")
        arn = machine["stateMachineArn"]
        self.assertEqual(machine["stateMachineVersionArn"], arn + ":1")
        alias = aws("create-state-machine-alias", "--name", "live", "--routing-configuration",
                    json.dumps([{"stateMachineVersionArn": arn + ":1", "weight": 100}]))
        self.assertEqual(alias["stateMachineAliasArn"], arn + ":live")
        # The CLI sends StartSyncExecution to "sync-<host>" unless told not to.
        run = aws("start-sync-execution", "--state-machine-arn", alias["stateMachineAliasArn"],
                  "--input", '{"ok": true}', env={"AWS_DISABLE_HOST_PREFIX_INJECTION": "true"})
        self.assertEqual(run["status"], "SUCCEEDED")
        self.assertEqual(json.loads(run["output"]), {"ok": True, "by": "cli"})
        described = aws("describe-execution", "--execution-arn", run["executionArn"])
        self.assertEqual(described["stateMachineAliasArn"], arn + ":live")
        self.assertEqual(described["stateMachineVersionArn"], arn + ":1")
        versions = aws("list-state-machine-versions", "--state-machine-arn", arn)["stateMachineVersions"]
        self.assertEqual([v["stateMachineVersionArn"] for v in versions], [arn + ":1"])
        self.assert_cli_error("ConflictException", "delete-state-machine-version",
                              "--state-machine-version-arn", arn + ":1")


if __name__ == "__main__":
    unittest.main()
