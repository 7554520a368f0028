"""boto3 and plain urllib against a stepd with access keys configured (see ../run sigv4):
SigV4 is verified, roles are enforced, health endpoints stay open."""

import json
import os
import unittest
import urllib.error
import urllib.request

import botocore.exceptions

from sfn_common import ENDPOINT, LIFECYCLE_DEFINITION, ROLE_ARN, ErrorAssertions, client, unique, wait_for_execution

ADMIN = (os.environ["CLIENT_TEST_ADMIN_KEY"], os.environ["CLIENT_TEST_ADMIN_SECRET"])
VIEWER = (os.environ["CLIENT_TEST_VIEWER_KEY"], os.environ["CLIENT_TEST_VIEWER_SECRET"])


def raw_post(target, body=b"{}", headers=None):
    """POST / without any signature; returns (status, headers, parsed body)."""
    request = urllib.request.Request(ENDPOINT + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + target,
        **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"{}")


class SigV4Test(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = client(*ADMIN)
        cls.machine = cls.admin.create_state_machine(name=unique("sig-py"), definition=LIFECYCLE_DEFINITION,
                                                     roleArn=ROLE_ARN)["stateMachineArn"]

    def test_admin_key_works(self):
        run = self.admin.start_execution(stateMachineArn=self.machine, input='{"ok":true,"who":"admin"}')
        d = wait_for_execution(self.admin, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"])["who"], "admin")
        names = [m["stateMachineArn"] for m in self.admin.list_state_machines()["stateMachines"]]
        self.assertIn(self.machine, names)

    def test_wrong_secret(self):
        bad = client(ADMIN[0], "not-the-secret")
        e = self.assert_error("InvalidSignatureException", bad.list_state_machines, status=401)
        self.assertEqual(e.response["ResponseMetadata"]["HTTPHeaders"].get("www-authenticate"), "Bearer")
        self.assert_error("InvalidSignatureException", bad.start_execution, stateMachineArn=self.machine,
                          status=401)

    def test_unknown_key_id(self):
        stranger = client("AKIDNOBODYKNOWS", "whatever")
        self.assert_error("UnrecognizedClientException", stranger.list_state_machines, status=401)

    def test_body_changed_after_signing(self):
        tampered = client(*ADMIN)

        def change_body(request, **_):
            request.body = json.dumps({"maxResults": 2}).encode()
            request.headers["Content-Length"] = str(len(request.body))

        tampered.meta.events.register("before-send.states.ListStateMachines", change_body)
        self.assert_error("InvalidSignatureException", tampered.list_state_machines, maxResults=1, status=401)

    def test_viewer_reads_but_cannot_start(self):
        viewer = client(*VIEWER)
        listed = [m["stateMachineArn"] for m in viewer.list_state_machines()["stateMachines"]]
        self.assertIn(self.machine, listed)
        self.assertEqual(viewer.describe_state_machine(stateMachineArn=self.machine)["stateMachineArn"],
                         self.machine)
        e = self.assert_error("AccessDeniedException", viewer.start_execution, stateMachineArn=self.machine,
                              status=403)
        self.assertIn("StartExecution", e.response["Error"]["Message"])
        self.assert_error("AccessDeniedException", viewer.create_state_machine, name=unique("sig-viewer"),
                          definition=LIFECYCLE_DEFINITION, roleArn=ROLE_ARN, status=403)

    def test_no_authorization_header(self):
        status, headers, body = raw_post("ListStateMachines")
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
        self.assertEqual(body.get("__type"), "UnrecognizedClientException")
        self.assertTrue(body.get("message"))
        status, _, body = raw_post("StartExecution", json.dumps({"stateMachineArn": self.machine}).encode())
        self.assertEqual((status, body.get("__type")), (401, "UnrecognizedClientException"))

    def test_health_endpoints_need_no_credentials(self):
        for path in ("/healthz", "/readyz"):
            with urllib.request.urlopen(ENDPOINT + path, timeout=10) as response:
                self.assertEqual(response.status, 200, path)


if __name__ == "__main__":
    unittest.main()
