"""boto3 against stepd: EXPRESS machines and start_sync_execution. botocore puts
"sync-" before the endpoint's host for StartSyncExecution; inject_host_prefix=False
turns that off for a local endpoint."""

import json
import unittest

from sfn_common import ErrorAssertions, ROLE_ARN, client, sync_client, unique


DEFINITION = json.dumps({
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Echo"},
        "Echo": {"Type": "Pass", "Parameters": {"echo.$": "$.say"}, "End": True},
    },
})


class ExpressTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()
        cls.sync = sync_client()

    def test_start_sync_execution_waits_for_the_end(self):
        arn = self.sfn.create_state_machine(name=unique("py-express"), definition=DEFINITION,
                                            roleArn=ROLE_ARN, type="EXPRESS")["stateMachineArn"]
        out = self.sync.start_sync_execution(stateMachineArn=arn, input='{"say":"hi"}')
        self.assertEqual(out["status"], "SUCCEEDED")
        self.assertEqual(json.loads(out["output"]), {"echo": "hi"})
        self.assertGreaterEqual((out["stopDate"] - out["startDate"]).total_seconds(), 0.99)
        self.assertIn(":express:", out["executionArn"])
        self.assertEqual(self.sfn.describe_execution(executionArn=out["executionArn"])["status"], "SUCCEEDED")

    def test_start_sync_execution_of_a_standard_machine_is_refused(self):
        arn = self.sfn.create_state_machine(name=unique("py-standard"), definition=DEFINITION,
                                            roleArn=ROLE_ARN)["stateMachineArn"]
        self.assert_error("StateMachineTypeNotSupported", self.sync.start_sync_execution, stateMachineArn=arn)


if __name__ == "__main__":
    unittest.main()
