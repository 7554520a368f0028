"""boto3 against stepd: create -> start -> describe -> history -> stop, listings, tags."""

import datetime
import json
import time
import unittest

import botocore

from sfn_common import (ACCOUNT_PREFIX, LIFECYCLE_DEFINITION, ROLE_ARN, client, unique,
                        wait_definition, wait_for_execution)

SUCCESS_TYPES = [
    "ExecutionStarted",
    "PassStateEntered", "PassStateExited",
    "WaitStateEntered", "WaitStateExited",
    "ChoiceStateEntered", "ChoiceStateExited",
    "SucceedStateEntered", "SucceedStateExited",
    "ExecutionSucceeded",
]


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def create(self, name, definition=LIFECYCLE_DEFINITION, **extra):
        out = self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, **extra)
        self.assertEqual(out["stateMachineArn"], ACCOUNT_PREFIX + "stateMachine:" + name)
        self.assertIsInstance(out["creationDate"], datetime.datetime)
        return out["stateMachineArn"]

    def test_create_start_describe_history(self):
        name = unique("py-life")
        arn = self.create(name)
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual((d["name"], d["status"], d["type"], d["roleArn"]), (name, "ACTIVE", "STANDARD", ROLE_ARN))
        self.assertEqual(d["definition"], LIFECYCLE_DEFINITION)

        good = self.sfn.start_execution(stateMachineArn=arn, name="good", input=json.dumps({"ok": True, "who": "py"}))
        self.assertEqual(good["executionArn"], f"{ACCOUNT_PREFIX}execution:{name}:good")
        bad = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"ok": False, "who": "py"}))

        done = wait_for_execution(self.sfn, good["executionArn"])
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"]), {"ok": True, "who": "py", "greeting": "hello"})
        self.assertGreaterEqual(done["stopDate"] - done["startDate"], datetime.timedelta(seconds=1))
        failed = wait_for_execution(self.sfn, bad["executionArn"])
        self.assertEqual((failed["status"], failed["error"], failed["cause"]), ("FAILED", "NotOk", "ok was not true"))
        self.assertNotIn("output", failed)

        events = self.sfn.get_execution_history(executionArn=good["executionArn"])["events"]
        self.assertEqual([e["type"] for e in events], SUCCESS_TYPES)
        self.assertEqual([e["id"] for e in events], list(range(1, 11)))
        self.assertEqual([e["previousEventId"] for e in events], list(range(0, 10)))
        self.assertEqual(json.loads(events[0]["executionStartedEventDetails"]["input"]), {"ok": True, "who": "py"})
        self.assertEqual(events[3]["stateEnteredEventDetails"]["name"], "Pause")

        reverse = self.sfn.get_execution_history(executionArn=good["executionArn"], reverseOrder=True)["events"]
        self.assertEqual([e["id"] for e in reverse], list(range(10, 0, -1)))

        bare = self.sfn.get_execution_history(executionArn=good["executionArn"], includeExecutionData=False)["events"]
        self.assertEqual([e["type"] for e in bare], SUCCESS_TYPES)
        self.assertNotIn("input", bare[0]["executionStartedEventDetails"])
        self.assertNotIn("input", bare[1]["stateEnteredEventDetails"])
        self.assertNotIn("output", bare[2]["stateExitedEventDetails"])
        self.assertNotIn("output", bare[9]["executionSucceededEventDetails"])

        # Pages of 4, through boto3's own paginator.
        pages = list(self.sfn.get_paginator("get_execution_history").paginate(
            executionArn=good["executionArn"], PaginationConfig={"PageSize": 4}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([e["id"] for p in pages for e in p["events"]], list(range(1, 11)))

        listed = self.sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [bad["executionArn"]])
        listed = self.sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [good["executionArn"]])

        for_exec = self.sfn.describe_state_machine_for_execution(executionArn=good["executionArn"])
        self.assertEqual((for_exec["stateMachineArn"], for_exec["definition"]), (arn, LIFECYCLE_DEFINITION))

    def test_update_revision(self):
        arn = self.create(unique("py-update"))
        new_definition = LIFECYCLE_DEFINITION.replace("(boto3)", "(boto3, updated)")
        first = self.sfn.update_state_machine(stateMachineArn=arn, definition=new_definition)
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["definition"], new_definition)
        output = self.sfn.meta.service_model.operation_model("UpdateStateMachine").output_shape
        if "revisionId" not in output.members:  # botocore before 1.31 (Debian 12's) drops it
            self.skipTest(f"botocore {botocore.__version__} does not know revisionId")
        self.assertTrue(first["revisionId"])
        again = self.sfn.update_state_machine(stateMachineArn=arn, definition=new_definition)
        self.assertEqual(again["revisionId"], first["revisionId"])
        described = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual((described["definition"], described["revisionId"]), (new_definition, first["revisionId"]))

    def test_stop_waiting_execution(self):
        arn = self.create(unique("py-stop"), wait_definition(30))
        started = self.sfn.start_execution(stateMachineArn=arn, input="{}")
        deadline = time.monotonic() + 10
        while not any(e["type"] == "WaitStateEntered"
                      for e in self.sfn.get_execution_history(executionArn=started["executionArn"])["events"]):
            self.assertLess(time.monotonic(), deadline, "never entered the Wait")
            time.sleep(0.05)
        stopped = self.sfn.stop_execution(executionArn=started["executionArn"], error="Py.Stop", cause="by boto3")
        self.assertIsInstance(stopped["stopDate"], datetime.datetime)
        d = wait_for_execution(self.sfn, started["executionArn"])
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Py.Stop", "by boto3"))
        last = self.sfn.get_execution_history(executionArn=started["executionArn"], reverseOrder=True,
                                              maxResults=1)["events"][0]
        self.assertEqual(last["type"], "ExecutionAborted")
        self.assertEqual(last["executionAbortedEventDetails"], {"error": "Py.Stop", "cause": "by boto3"})
        aborted = self.sfn.list_executions(stateMachineArn=arn, statusFilter="ABORTED")["executions"]
        self.assertEqual([e["executionArn"] for e in aborted], [started["executionArn"]])

    def test_list_state_machines_paginator(self):
        prefix = unique("py-page")
        arns = [self.create(f"{prefix}-{i}") for i in range(3)]
        pages = list(self.sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 1}))
        self.assertGreaterEqual(len(pages), 3)
        for page in pages:
            self.assertLessEqual(len(page["stateMachines"]), 1)
        seen = [m["stateMachineArn"] for p in pages for m in p["stateMachines"]]
        self.assertEqual(len(seen), len(set(seen)))
        for arn in arns:
            self.assertIn(arn, seen)

    def test_tags(self):
        machine = self.create(unique("py-tags"))
        activity = self.sfn.create_activity(name=unique("py-tags-act"))["activityArn"]
        for arn in (machine, activity):
            self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "a"}, {"key": "env", "value": "t"}])
            tags = self.sfn.list_tags_for_resource(resourceArn=arn)["tags"]
            self.assertEqual(sorted((t["key"], t["value"]) for t in tags), [("env", "t"), ("team", "a")])
            self.sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
            self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "env", "value": "t"}])
        self.sfn.delete_activity(activityArn=activity)


if __name__ == "__main__":
    unittest.main()
