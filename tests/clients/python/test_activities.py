"""boto3 against stepd: activities and a worker loop (success, failure, heartbeat, timeout)."""

import json
import time
import unittest

from sfn_common import (ACCOUNT_PREFIX, ROLE_ARN, ErrorAssertions, client, task_definition, unique,
                        wait_for_execution)


class ActivitiesTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def activity(self, prefix):
        name = unique(prefix)
        arn = self.sfn.create_activity(name=name)["activityArn"]
        self.assertEqual(arn, ACCOUNT_PREFIX + "activity:" + name)
        return arn

    def machine(self, prefix, activity_arn, task=None, states=None):
        return self.sfn.create_state_machine(name=unique(prefix), roleArn=ROLE_ARN,
                                             definition=task_definition(activity_arn, task, states))["stateMachineArn"]

    def take(self, activity_arn):
        """GetActivityTask, called only when a task is scheduled (it answers at once)."""
        task = self.sfn.get_activity_task(activityArn=activity_arn, workerName="py-worker")
        self.assertTrue(task.get("taskToken"), "GetActivityTask returned no task")
        return task["taskToken"], json.loads(task["input"])

    def test_create_describe_list_idempotent(self):
        name = unique("py-act")
        first = self.sfn.create_activity(name=name)
        again = self.sfn.create_activity(name=name)
        self.assertEqual(again["activityArn"], first["activityArn"])
        self.assertEqual(again["creationDate"], first["creationDate"])
        d = self.sfn.describe_activity(activityArn=first["activityArn"])
        self.assertEqual((d["name"], d["creationDate"]), (name, first["creationDate"]))
        listed = [a for p in self.sfn.get_paginator("list_activities").paginate() for a in p["activities"]]
        self.assertEqual([a["name"] for a in listed if a["activityArn"] == first["activityArn"]], [name])

    def test_worker_loop_success_and_failure(self):
        activity = self.activity("py-loop")
        machine = self.machine("py-loop", activity, {"ResultPath": "$.result"})
        runs = {n: self.sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": n}))["executionArn"]
                for n in range(1, 5)}
        # The worker: odd n succeed, even n fail.
        for _ in runs:
            token, job = self.take(activity)
            if job["n"] % 2:
                self.sfn.send_task_success(taskToken=token, output=json.dumps({"square": job["n"] ** 2}))
            else:
                self.sfn.send_task_failure(taskToken=token, error="Py.Even", cause=f"{job['n']} is even")
        for n, arn in runs.items():
            d = wait_for_execution(self.sfn, arn)
            if n % 2:
                self.assertEqual(d["status"], "SUCCEEDED")
                self.assertEqual(json.loads(d["output"]), {"n": n, "result": {"square": n * n}})
            else:
                self.assertEqual((d["status"], d["error"], d["cause"]), ("FAILED", "Py.Even", f"{n} is even"))

    def test_failure_caught(self):
        activity = self.activity("py-catch")
        machine = self.machine("py-catch", activity,
                               {"Catch": [{"ErrorEquals": ["Py.Broken"], "ResultPath": "$.err", "Next": "Fallback"}]},
                               {"Fallback": {"Type": "Pass", "End": True}})
        arn = self.sfn.start_execution(stateMachineArn=machine, input='{"k":1}')["executionArn"]
        token, _ = self.take(activity)
        self.sfn.send_task_failure(taskToken=token, error="Py.Broken", cause="caught")
        d = wait_for_execution(self.sfn, arn)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"k": 1, "err": {"Error": "Py.Broken", "Cause": "caught"}})

    def test_heartbeat_keeps_task_alive(self):
        activity = self.activity("py-beat")
        machine = self.machine("py-beat", activity, {"HeartbeatSeconds": 2})
        arn = self.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        token, _ = self.take(activity)
        start = time.monotonic()
        while time.monotonic() - start < 4.5:
            time.sleep(1)
            self.sfn.send_task_heartbeat(taskToken=token)
            self.assertEqual(self.sfn.describe_execution(executionArn=arn)["status"], "RUNNING")
        self.sfn.send_task_success(taskToken=token, output='{"beat":true}')
        d = wait_for_execution(self.sfn, arn)
        self.assertEqual(d["status"], "SUCCEEDED", d.get("error"))
        self.assertEqual(json.loads(d["output"]), {"beat": True})

    def test_silent_worker_times_out_and_tokens(self):
        activity = self.activity("py-silent")
        machine = self.machine("py-silent", activity, {"HeartbeatSeconds": 1})
        arn = self.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        token, _ = self.take(activity)
        d = wait_for_execution(self.sfn, arn, timeout=10)
        self.assertEqual(d["status"], "FAILED")
        self.assert_error("TaskTimedOut", self.sfn.send_task_success, taskToken=token, output="{}")
        self.assert_error("TaskTimedOut", self.sfn.send_task_heartbeat, taskToken=token)
        self.assert_error("InvalidToken", self.sfn.send_task_success, taskToken="made-up", output="{}")
        self.assert_error("InvalidToken", self.sfn.send_task_failure, taskToken="made-up")
        # AWS records a missed heartbeat as States.Timeout.
        self.assertEqual(d["error"], "States.Timeout")

    def test_deleted_activity(self):
        activity = self.activity("py-del")
        self.sfn.delete_activity(activityArn=activity)
        self.sfn.delete_activity(activityArn=activity)
        self.assert_error("ActivityDoesNotExist", self.sfn.get_activity_task, activityArn=activity)
        self.assert_error("ActivityDoesNotExist", self.sfn.describe_activity, activityArn=activity)


if __name__ == "__main__":
    unittest.main()
