"""boto3 against stepd: RedriveExecution and list_executions' redriveFilter."""

import json
import unittest

from sfn_common import ROLE_ARN, ErrorAssertions, client, unique, wait_for_execution


class RedriveTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def take(self, activity_arn):
        task = self.sfn.get_activity_task(activityArn=activity_arn, workerName="py-worker")
        self.assertTrue(task.get("taskToken"), "GetActivityTask returned no task")
        return task["taskToken"], json.loads(task["input"])

    def test_failed_parallel_branch_is_redriven_to_success(self):
        activity = self.sfn.create_activity(name=unique("py-redrive"))["activityArn"]
        definition = json.dumps({
            "StartAt": "Both",
            "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Count", "States": {"Count": {"Type": "Pass", "Result": 3, "End": True}}},
                {"StartAt": "Load", "States": {"Load": {"Type": "Task", "Resource": activity, "End": True}}},
            ]}},
        })
        machine = self.sfn.create_state_machine(name=unique("py-redrive"), roleArn=ROLE_ARN,
                                                definition=definition)["stateMachineArn"]
        arn = self.sfn.start_execution(stateMachineArn=machine, input=json.dumps({"day": 1}))["executionArn"]
        token, job = self.take(activity)
        self.assertEqual(job, {"day": 1})
        self.sfn.send_task_failure(taskToken=token, error="Load.Failed", cause="timeout upstream")
        failed = wait_for_execution(self.sfn, arn)
        self.assertEqual(failed["status"], "FAILED")
        self.assertEqual(failed["redriveStatus"], "REDRIVABLE")

        redriven = self.sfn.redrive_execution(executionArn=arn)
        self.assertIn("redriveDate", redriven)
        self.assertEqual(self.sfn.describe_execution(executionArn=arn)["status"], "RUNNING")
        # Only the failed branch runs again, with the input it had.
        token, job = self.take(activity)
        self.assertEqual(job, {"day": 1})
        self.sfn.send_task_success(taskToken=token, output=json.dumps("loaded"))
        done = wait_for_execution(self.sfn, arn)
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"]), [3, "loaded"])
        self.assertEqual(done["redriveCount"], 1)
        self.assertEqual(done["redriveDate"], redriven["redriveDate"])

        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        types = [e["type"] for e in events]
        self.assertEqual(types.count("ExecutionRedriven"), 1)
        self.assertEqual(types.count("PassStateEntered"), 1)
        listed = self.sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")["executions"]
        self.assertEqual([(e["executionArn"], e["redriveCount"]) for e in listed], [(arn, 1)])
        self.assertEqual(self.sfn.list_executions(stateMachineArn=machine,
                                                  redriveFilter="NOT_REDRIVEN")["executions"], [])

    def test_running_and_unknown_executions_are_refused(self):
        machine = self.sfn.create_state_machine(
            name=unique("py-redrive-wait"), roleArn=ROLE_ARN,
            definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}),
        )["stateMachineArn"]
        arn = self.sfn.start_execution(stateMachineArn=machine)["executionArn"]
        error = self.assert_error("ExecutionNotRedrivable", self.sfn.redrive_execution, executionArn=arn)
        self.assertEqual(error.response["Error"]["Message"], "Execution is RUNNING and cannot be redriven")
        self.sfn.stop_execution(executionArn=arn)
        self.assertEqual(wait_for_execution(self.sfn, arn)["status"], "ABORTED")
        self.sfn.redrive_execution(executionArn=arn)
        self.assertEqual(self.sfn.describe_execution(executionArn=arn)["status"], "RUNNING")
        self.sfn.stop_execution(executionArn=arn)
        self.assert_error("ExecutionDoesNotExist", self.sfn.redrive_execution,
                          executionArn=arn.rsplit(":", 1)[0] + ":nope")


if __name__ == "__main__":
    unittest.main()
