"""boto3 against stepd: AWS's error codes, with HTTP status 400."""

import json
import unittest

from sfn_common import (ACCOUNT_PREFIX, LIFECYCLE_DEFINITION, ROLE_ARN, ErrorAssertions, client, unique,
                        wait_definition, wait_for_execution)

MISSING_MACHINE = ACCOUNT_PREFIX + "stateMachine:no-such-machine"
MISSING_EXECUTION = ACCOUNT_PREFIX + "execution:no-such-machine:no-such-execution"


class ErrorsTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client()
        cls.machine = cls.sfn.create_state_machine(name=unique("py-err"), definition=LIFECYCLE_DEFINITION,
                                                   roleArn=ROLE_ARN)["stateMachineArn"]
        cls.waiting = cls.sfn.create_state_machine(name=unique("py-err-wait"), definition=wait_definition(20),
                                                   roleArn=ROLE_ARN)["stateMachineArn"]

    def test_does_not_exist(self):
        self.assert_error("StateMachineDoesNotExist", self.sfn.describe_state_machine, stateMachineArn=MISSING_MACHINE)
        self.assert_error("StateMachineDoesNotExist", self.sfn.start_execution, stateMachineArn=MISSING_MACHINE)
        self.assert_error("ExecutionDoesNotExist", self.sfn.describe_execution, executionArn=MISSING_EXECUTION)
        self.assert_error("ExecutionDoesNotExist", self.sfn.get_execution_history, executionArn=MISSING_EXECUTION)

    def test_invalid_arn(self):
        self.assert_error("InvalidArn", self.sfn.describe_state_machine, stateMachineArn="not-an-arn")
        run = self.sfn.start_execution(stateMachineArn=self.machine, input='{"ok":true,"who":"e"}')
        self.assert_error("InvalidArn", self.sfn.describe_state_machine, stateMachineArn=run["executionArn"])
        wait_for_execution(self.sfn, run["executionArn"])

    def test_already_exists(self):
        first = self.sfn.start_execution(stateMachineArn=self.waiting, name="twice", input='{"a":1}')
        again = self.sfn.start_execution(stateMachineArn=self.waiting, name="twice", input='{"a":1}')
        self.assertEqual(again["executionArn"], first["executionArn"])
        self.assert_error("ExecutionAlreadyExists", self.sfn.start_execution, stateMachineArn=self.waiting,
                          name="twice", input='{"a":2}')
        self.sfn.stop_execution(executionArn=first["executionArn"])

        name = unique("py-err-dup")
        a = self.sfn.create_state_machine(name=name, definition=LIFECYCLE_DEFINITION, roleArn=ROLE_ARN)
        b = self.sfn.create_state_machine(name=name, definition=LIFECYCLE_DEFINITION, roleArn=ROLE_ARN)
        self.assertEqual((a["stateMachineArn"], a["creationDate"]), (b["stateMachineArn"], b["creationDate"]))
        self.assert_error("StateMachineAlreadyExists", self.sfn.create_state_machine, name=name,
                          definition=wait_definition(2), roleArn=ROLE_ARN)

    def test_invalid_input(self):
        self.assert_error("InvalidDefinition", self.sfn.create_state_machine, name=unique("py-bad"),
                          definition='{"StartAt":"X","States":{}}', roleArn=ROLE_ARN)
        self.assert_error("InvalidName", self.sfn.create_state_machine, name="no spaces please",
                          definition=LIFECYCLE_DEFINITION, roleArn=ROLE_ARN)
        self.assert_error("InvalidExecutionInput", self.sfn.start_execution, stateMachineArn=self.machine,
                          input="{not json")
        self.assert_error("ValidationException", self.sfn.create_state_machine, name="x" * 81,
                          definition=LIFECYCLE_DEFINITION, roleArn=ROLE_ARN)
        self.assert_error("ValidationException", self.sfn.list_state_machines, maxResults=1001)
        self.assert_error("MissingRequiredParameter", self.sfn.update_state_machine, stateMachineArn=self.machine)

    def test_tags_on_unknown_resource(self):
        self.assert_error("ResourceNotFound", self.sfn.list_tags_for_resource, resourceArn=MISSING_MACHINE)
        self.assert_error("ResourceNotFound", self.sfn.tag_resource, resourceArn=MISSING_MACHINE,
                          tags=[{"key": "a", "value": "b"}])

    def test_modeled_exception_classes(self):
        # boto3 maps the codes to its modeled exception classes.
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.describe_state_machine(stateMachineArn=MISSING_MACHINE)
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.describe_execution(executionArn="arn:nope")
        with self.assertRaises(self.sfn.exceptions.InvalidExecutionInput):
            self.sfn.start_execution(stateMachineArn=self.machine, input=json.dumps("x")[:-1])


if __name__ == "__main__":
    unittest.main()
