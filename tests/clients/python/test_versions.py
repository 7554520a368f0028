"""boto3 against stepd: versions and aliases, and executions started through them."""

import json
import unittest

from sfn_common import ErrorAssertions, ROLE_ARN, client, unique, wait_for_execution


def returning(v):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": v}, "End": True}}})


class VersionsTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()

    def run_through(self, arn):
        started = self.sfn.start_execution(stateMachineArn=arn)
        return wait_for_execution(self.sfn, started["executionArn"])

    def test_publish_route_and_shift_an_alias(self):
        machine = self.sfn.create_state_machine(name=unique("py-ver"), definition=returning(1),
                                                roleArn=ROLE_ARN)["stateMachineArn"]
        v1 = self.sfn.publish_state_machine_version(stateMachineArn=machine, description="one")
        self.assertEqual(v1["stateMachineVersionArn"], machine + ":1")
        updated = self.sfn.update_state_machine(stateMachineArn=machine, definition=returning(2),
                                                publish=True, versionDescription="two")
        self.assertEqual(updated["stateMachineVersionArn"], machine + ":2")
        stale = self.assert_error("ConflictException", self.sfn.publish_state_machine_version,
                                  stateMachineArn=machine, revisionId="not-the-current-one")
        self.assertIn("The current State Machine revision is " + updated["revisionId"], str(stale))

        alias = self.sfn.create_state_machine_alias(
            name="prod", routingConfiguration=[{"stateMachineVersionArn": machine + ":2", "weight": 100}])
        alias_arn = alias["stateMachineAliasArn"]
        self.assertEqual(alias_arn, machine + ":prod")
        run = self.run_through(alias_arn)
        self.assertEqual((run["status"], run["output"]), ("SUCCEEDED", '{"v":2}'))
        self.assertEqual(run["stateMachineVersionArn"], machine + ":2")
        self.assertEqual(run["stateMachineAliasArn"], alias_arn)

        self.sfn.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=[
            {"stateMachineVersionArn": machine + ":1", "weight": 50},
            {"stateMachineVersionArn": machine + ":2", "weight": 50}])
        outputs = set()
        for _ in range(40):  # both sides but with probability 2^-39
            outputs.add(self.run_through(alias_arn)["output"])
            if len(outputs) == 2:
                break
        self.assertEqual(outputs, {'{"v":1}', '{"v":2}'})

        d = self.sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)
        self.assertEqual([r["weight"] for r in d["routingConfiguration"]], [50, 50])
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=machine + ":1")["definition"], returning(1))
        listed = self.sfn.list_executions(stateMachineArn=alias_arn)["executions"]
        self.assertGreaterEqual(len(listed), 2)
        self.assertTrue(all(e["stateMachineAliasArn"] == alias_arn for e in listed))
        versions = self.sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
        self.assertEqual([v["stateMachineVersionArn"] for v in versions], [machine + ":2", machine + ":1"])
        aliases = self.sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
        self.assertEqual([a["stateMachineAliasArn"] for a in aliases], [alias_arn])

        self.assert_error("ConflictException", self.sfn.delete_state_machine_version,
                          stateMachineVersionArn=machine + ":1")
        self.sfn.delete_state_machine_alias(stateMachineAliasArn=alias_arn)
        self.sfn.delete_state_machine_version(stateMachineVersionArn=machine + ":1")
        self.assert_error("StateMachineDoesNotExist", self.sfn.start_execution,
                          stateMachineArn=machine + ":1")
        self.assert_error("ResourceNotFound", self.sfn.describe_state_machine_alias,
                          stateMachineAliasArn=alias_arn)

    def test_alias_validation(self):
        machine = self.sfn.create_state_machine(name=unique("py-ver-bad"), definition=returning(1),
                                                roleArn=ROLE_ARN, publish=True)["stateMachineArn"]
        self.assert_error("ValidationException", self.sfn.create_state_machine_alias, name="a",
                          routingConfiguration=[{"stateMachineVersionArn": machine + ":1", "weight": 60}])
        self.assert_error("ResourceNotFound", self.sfn.create_state_machine_alias, name="a",
                          routingConfiguration=[{"stateMachineVersionArn": machine + ":7", "weight": 100}])
        self.assertEqual(self.sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"], [])


if __name__ == "__main__":
    unittest.main()
