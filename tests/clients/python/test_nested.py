"""boto3 against stepd: Task states that start other executions
(arn:aws:states:::states:startExecution, request-response, .sync, .sync:2)."""

import json
import unittest

from sfn_common import ROLE_ARN, client, unique, wait_for_execution, wait_definition

START = "arn:aws:states:::states:startExecution"


class NestedExecutionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def machine(self, prefix, definition):
        return self.sfn.create_state_machine(name=unique(prefix), roleArn=ROLE_ARN,
                                             definition=definition)["stateMachineArn"]

    def parent(self, resource, child_arn, extra=None):
        task = {"Type": "Task", "Resource": resource,
                "Parameters": {"StateMachineArn": child_arn,
                               "Input": {"order.$": "$.order",
                                         "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                "End": True}
        task.update(extra or {})
        return self.machine("py-parent", json.dumps({"StartAt": "Nest", "States": {
            "Nest": task, "Caught": {"Type": "Pass", "End": True}}}))

    def children(self, child_machine):
        return self.sfn.list_executions(stateMachineArn=child_machine)["executions"]

    def test_sync2_waits_for_the_child_and_the_child_knows_its_parent(self):
        child = self.machine("py-child", json.dumps({"StartAt": "Ship", "States": {
            "Ship": {"Type": "Pass", "Parameters": {"shipped.$": "$.order"}, "End": True}}}))
        parent = self.parent(START + ".sync:2", child)
        arn = self.sfn.start_execution(stateMachineArn=parent, input=json.dumps({"order": 42}))["executionArn"]
        done = wait_for_execution(self.sfn, arn)
        self.assertEqual(done["status"], "SUCCEEDED", done.get("cause"))
        output = json.loads(done["output"])
        self.assertEqual(output["Status"], "SUCCEEDED")
        self.assertEqual(output["Output"], {"shipped": 42})
        self.assertEqual(output["Input"]["order"], 42)
        self.assertEqual(sorted(output), list(output))  # keys sorted, as AWS's

        # The child is an execution of its own; its input names the parent.
        [listed] = self.children(child)
        self.assertEqual(listed["executionArn"], output["ExecutionArn"])
        described = self.sfn.describe_execution(executionArn=output["ExecutionArn"])
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"], arn)
        self.assertEqual(int(described["startDate"].timestamp() * 1000) // 1000,
                         output["StartDate"] // 1000)

        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        scheduled = [e for e in events if e["type"] == "TaskScheduled"][0]["taskScheduledEventDetails"]
        self.assertEqual((scheduled["resourceType"], scheduled["resource"]), ("states", "startExecution.sync:2"))
        self.assertIn("TaskSucceeded", [e["type"] for e in events])

    def test_request_response_answers_with_the_start(self):
        child = self.machine("py-child", wait_definition(30))
        parent = self.parent(START, child)
        arn = self.sfn.start_execution(stateMachineArn=parent, input=json.dumps({"order": 1}))["executionArn"]
        done = wait_for_execution(self.sfn, arn)
        self.assertEqual(done["status"], "SUCCEEDED", done.get("cause"))
        output = json.loads(done["output"])
        self.assertEqual(sorted(output), ["ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"])
        self.assertIsInstance(output["StartDate"], int)
        child_run = self.sfn.describe_execution(executionArn=output["ExecutionArn"])
        self.assertEqual(child_run["status"], "RUNNING")  # not waited for
        self.sfn.stop_execution(executionArn=output["ExecutionArn"])

    def test_a_failed_child_is_caught_as_task_failed_with_its_description(self):
        child = self.machine("py-child", json.dumps({"StartAt": "No", "States": {
            "No": {"Type": "Fail", "Error": "OutOfStock", "Cause": "none left"}}}))
        parent = self.parent(START + ".sync", child)
        arn = self.sfn.start_execution(stateMachineArn=parent, input=json.dumps({"order": 7}))["executionArn"]
        done = wait_for_execution(self.sfn, arn)
        self.assertEqual(done["status"], "SUCCEEDED")
        caught = json.loads(done["output"])
        self.assertEqual(caught["Error"], "States.TaskFailed")
        cause = json.loads(caught["Cause"])
        self.assertEqual((cause["Status"], cause["Error"], cause["Cause"]), ("FAILED", "OutOfStock", "none left"))
        self.assertIsInstance(cause["Input"], str)  # .sync: payloads as JSON text

    def test_stopping_the_parent_stops_the_child_it_waits_for(self):
        child = self.machine("py-child", wait_definition(60))
        parent = self.parent(START + ".sync", child)
        arn = self.sfn.start_execution(stateMachineArn=parent, input=json.dumps({"order": 3}))["executionArn"]
        wait_for_execution(self.sfn, arn, until=lambda d: len(self.children(child)) == 1)
        child_arn = self.children(child)[0]["executionArn"]
        self.assertEqual(self.sfn.describe_execution(executionArn=child_arn)["status"], "RUNNING")
        self.sfn.stop_execution(executionArn=arn, error="Cancelled", cause="by the test")
        stopped = wait_for_execution(self.sfn, child_arn)
        self.assertEqual(stopped["status"], "ABORTED")
        self.assertIn(arn, stopped.get("cause", ""))

    def test_a_taken_name_is_execution_already_exists(self):
        child = self.machine("py-child", wait_definition(0))
        name = unique("taken")
        wait_for_execution(self.sfn, self.sfn.start_execution(stateMachineArn=child, name=name)["executionArn"])
        parent = self.parent(START + ".sync", child, {"Parameters": {"StateMachineArn": child, "Name": name}})
        done = wait_for_execution(self.sfn, self.sfn.start_execution(stateMachineArn=parent)["executionArn"])
        self.assertEqual(json.loads(done["output"])["Error"], "StepFunctions.ExecutionAlreadyExistsException")

    def test_the_validator_takes_the_integration_patterns_aws_takes(self):
        child = self.machine("py-child", wait_definition(0))
        for suffix in ("", ".sync", ".sync:2", ".waitForTaskToken"):
            definition = json.dumps({"StartAt": "N", "States": {"N": {
                "Type": "Task", "Resource": START + suffix,
                "Parameters": {"StateMachineArn": child}, "End": True}}})
            result = self.sfn.validate_state_machine_definition(definition=definition)
            self.assertEqual(result["result"], "OK", (suffix, result.get("diagnostics")))
        bad = json.dumps({"StartAt": "N", "States": {"N": {
            "Type": "Task", "Resource": START + ".sync:3", "Parameters": {"StateMachineArn": child}, "End": True}}})
        self.assertEqual(self.sfn.validate_state_machine_definition(definition=bad)["result"], "FAIL")


if __name__ == "__main__":
    unittest.main()
