"""boto3 against stepd: a DISTRIBUTED Map's Map Run listed, described, updated."""

import json
import time
import unittest

from sfn_common import ErrorAssertions, ROLE_ARN, client, unique, wait_for_execution


def until(fn, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class MapRunTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def test_map_run_described_and_updated(self):
        activity = self.sfn.create_activity(name=unique("py-maprun"))["activityArn"]
        definition = json.dumps({"StartAt": "Fan", "States": {"Fan": {
            "Type": "Map", "MaxConcurrency": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Work",
                              "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
            "End": True}}})
        machine = self.sfn.create_state_machine(name=unique("py-maprun"), definition=definition,
                                                roleArn=ROLE_ARN)["stateMachineArn"]
        execution = self.sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
        runs = until(lambda: self.sfn.list_map_runs(executionArn=execution)["mapRuns"], "the Map Run")
        arn = runs[0]["mapRunArn"]
        running = until(lambda: (lambda d: d if d["executionCounts"]["running"] == 1 else None)(
            self.sfn.describe_map_run(mapRunArn=arn)), "a running child")
        self.assertEqual((running["status"], running["maxConcurrency"]), ("RUNNING", 1))
        self.assertEqual(running["executionCounts"]["total"], 3)

        self.assert_error("ValidationException", self.sfn.update_map_run, mapRunArn=arn,
                          toleratedFailurePercentage=150.0)
        self.sfn.update_map_run(mapRunArn=arn, maxConcurrency=3, toleratedFailurePercentage=10.0)
        d = self.sfn.describe_map_run(mapRunArn=arn)
        self.assertEqual((d["maxConcurrency"], d["toleratedFailurePercentage"]), (3, 10.0))

        for _ in range(3):
            task = self.sfn.get_activity_task(activityArn=activity, workerName="py")
            self.assertIn("taskToken", task)
            self.sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
        ended = wait_for_execution(self.sfn, execution)
        self.assertEqual((ended["status"], json.loads(ended["output"])), ("SUCCEEDED", [1, 2, 3]))
        d = self.sfn.describe_map_run(mapRunArn=arn)
        self.assertEqual((d["status"], d["executionCounts"]["succeeded"]), ("SUCCEEDED", 3))
        self.assert_error("ResourceNotFound", self.sfn.describe_map_run, mapRunArn=arn[:-4] + "0000")


if __name__ == "__main__":
    unittest.main()
