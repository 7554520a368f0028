"""boto3 against stepd: test_state. botocore sends TestState to the host
"sync-<endpoint host>"; inject_host_prefix=False turns that off for a local
endpoint."""

import json
import unittest

from sfn_common import ErrorAssertions, ROLE_ARN, sync_client


PASS = json.dumps({
    "Type": "Pass",
    "InputPath": "$.order",
    "Parameters": {"item.$": "$.item", "count.$": "States.MathAdd($.count, 1)"},
    "ResultPath": "$.next",
    "OutputPath": "$.next",
    "Next": "Ship",
})
PASS_INPUT = json.dumps({"order": {"item": "tea", "count": 1}, "customer": "ada"})

TASK = json.dumps({
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "quote", "Payload.$": "$"},
    "ResultSelector": {"price.$": "$.Payload.price"},
    "ResultPath": "$.quote",
    "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 3,
               "MaxAttempts": 2}],
    "Catch": [{"ErrorEquals": ["PriceUnknown"], "ResultPath": "$.problem", "Next": "AskHuman"}],
    "Next": "Charge",
})


class TestStateTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = sync_client()

    def run_state(self, **kwargs):
        out = self.sfn.test_state(roleArn=ROLE_ARN, **kwargs)
        out.pop("ResponseMetadata")
        return out

    def test_info_answers_status_output_and_next_state_only(self):
        out = self.run_state(definition=PASS, input=PASS_INPUT)
        self.assertEqual(out, {"status": "SUCCEEDED", "nextState": "Ship",
                               "output": json.dumps({"item": "tea", "count": 2},
                                                    separators=(",", ":"))})

    def test_debug_shows_every_step_of_a_pass_state_with_every_path_field(self):
        out = self.run_state(definition=PASS, input=PASS_INPUT, inspectionLevel="DEBUG")
        data = {k: json.loads(v) for k, v in out["inspectionData"].items()}
        self.assertEqual(data, {
            "input": json.loads(PASS_INPUT),
            "afterInputPath": {"item": "tea", "count": 1},
            "afterParameters": {"item": "tea", "count": 2},
            "afterResultSelector": {"item": "tea", "count": 2},
            "afterResultPath": {"order": {"item": "tea", "count": 1}, "customer": "ada",
                                "next": {"item": "tea", "count": 2}},
        })

    def test_trace_shows_what_debug_shows(self):
        debug = self.run_state(definition=PASS, input=PASS_INPUT, inspectionLevel="DEBUG")
        trace = self.run_state(definition=PASS, input=PASS_INPUT, inspectionLevel="TRACE")
        self.assertIn("inspectionData", trace)
        self.assertEqual(trace, debug)

    def test_choice_names_the_next_state_of_the_matching_rule(self):
        choice = {"Type": "Choice",
                  "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Review"}],
                  "Default": "Approve"}
        self.assertEqual(self.run_state(definition=json.dumps(choice),
                                         input='{"total":500}')["nextState"], "Review")
        self.assertEqual(self.run_state(definition=json.dumps(choice),
                                         input='{"total":5}')["nextState"], "Approve")
        del choice["Default"]
        out = self.run_state(definition=json.dumps(choice), input='{"total":5}')
        self.assertEqual((out["status"], out["error"]), ("FAILED", "States.NoChoiceMatched"))

    def test_fail_state_answers_its_error_and_cause(self):
        out = self.run_state(definition=json.dumps({"Type": "Fail", "Error": "OutOfStock",
                                                     "Cause": "no tea left"}))
        self.assertEqual(out, {"status": "FAILED", "error": "OutOfStock", "cause": "no tea left"})

    def test_task_with_a_mocked_result(self):
        out = self.run_state(definition=TASK, input='{"item":"tea"}', inspectionLevel="DEBUG",
                              mock={"result": json.dumps({"Payload": {"price": 4}})})
        self.assertEqual(out["status"], "SUCCEEDED")
        self.assertEqual(out["nextState"], "Charge")
        self.assertEqual(json.loads(out["output"]), {"item": "tea", "quote": {"price": 4}})
        self.assertEqual(json.loads(out["inspectionData"]["result"]), {"Payload": {"price": 4}})

    def test_mocked_error_a_retrier_matches_is_retriable(self):
        out = self.run_state(definition=TASK, inspectionLevel="DEBUG",
                              mock={"errorOutput": {"error": "Lambda.TooManyRequestsException",
                                                    "cause": "slow down"}})
        self.assertEqual(out["status"], "RETRIABLE")
        self.assertEqual(out["error"], "Lambda.TooManyRequestsException")
        self.assertNotIn("nextState", out)
        self.assertEqual(out["inspectionData"]["errorDetails"],
                         {"retryIndex": 0, "retryBackoffIntervalSeconds": 3})

    def test_mocked_error_a_catcher_takes_is_caught(self):
        out = self.run_state(definition=TASK, input='{"item":"tea"}',
                              mock={"errorOutput": {"error": "PriceUnknown", "cause": "none"}})
        self.assertEqual((out["status"], out["nextState"], out["error"]),
                         ("CAUGHT_ERROR", "AskHuman", "PriceUnknown"))
        self.assertEqual(json.loads(out["output"]),
                         {"item": "tea", "problem": {"Error": "PriceUnknown", "Cause": "none"}})

    def test_mocked_error_past_its_retries_and_uncaught_fails(self):
        out = self.run_state(definition=TASK,
                              mock={"errorOutput": {"error": "Lambda.TooManyRequestsException",
                                                    "cause": "still slow"}},
                              stateConfiguration={"retrierRetryCount": 2})
        self.assertEqual(out, {"status": "FAILED", "error": "Lambda.TooManyRequestsException",
                               "cause": "still slow"})

    def test_refusals_are_aws_errors(self):
        self.assert_error("ValidationException", self.sfn.test_state, definition=TASK)
        self.assert_error("InvalidDefinition", self.sfn.test_state, definition='{"Type":"Pass"}')


if __name__ == "__main__":
    unittest.main()
