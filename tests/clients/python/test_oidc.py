"""boto3 against a stepd that takes OIDC bearer tokens (see ../run oidc): the
issuer is idp.py, found through its discovery document; boto3 sends no SigV4
signature but the token, as a deployment behind an IdP would configure it.
Roles come from the token's subject and groups; keys rotate without a
restart; a flood of unknown kids does not hammer the IdP."""

import base64
import json
import os
import time
import unittest
import urllib.request

import boto3
import botocore
import botocore.config
import botocore.exceptions

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from sfn_common import ENDPOINT, LIFECYCLE_DEFINITION, ROLE_ARN, ErrorAssertions, unique, wait_for_execution

IDP_DIR = os.environ["IDP_DIR"]
IDP_URL = os.environ["IDP_URL"]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub, kid="k1", groups=None, lifetime=600, **claims):
    with open(f"{IDP_DIR}/{kid}.pem", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    payload = {"iss": IDP_URL, "aud": "stepd", "sub": sub, "iat": now, "exp": now + lifetime, **claims}
    if groups is not None:
        payload["groups"] = groups
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def client(bearer):
    """A Step Functions client that sends `bearer` instead of a signature."""
    c = boto3.session.Session().client(
        "stepfunctions", endpoint_url=ENDPOINT, region_name="us-east-1",
        config=botocore.config.Config(signature_version=botocore.UNSIGNED,
                                      retries={"max_attempts": 0, "mode": "standard"}))

    def add_token(request, **_):
        request.headers["Authorization"] = "Bearer " + bearer

    c.meta.events.register("before-send", add_token)
    return c


def idp(path, method="GET"):
    request = urllib.request.Request(IDP_URL + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class OidcTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = client(token("admin-user"))
        cls.machine = cls.admin.create_state_machine(name=unique("oidc-py"), definition=LIFECYCLE_DEFINITION,
                                                     roleArn=ROLE_ARN)["stateMachineArn"]

    def test_an_operator_by_group_runs_an_execution(self):
        ops = client(token("olivia", groups=["staff", "ops"]))
        run = ops.start_execution(stateMachineArn=self.machine, input='{"ok":true,"who":"olivia"}')
        d = wait_for_execution(ops, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED")

    def test_a_viewer_reads_but_is_refused_a_start_with_403(self):
        viewer = client(token("victor"))
        self.assertIn(self.machine,
                      [m["stateMachineArn"] for m in viewer.list_state_machines()["stateMachines"]])
        e = self.assert_error("AccessDeniedException", viewer.start_execution, stateMachineArn=self.machine,
                              status=403)
        self.assertIn("'start' permission", e.response["Error"]["Message"])
        self.assertIn("oidc:" + IDP_URL + "#victor", e.response["Error"]["Message"])

    def test_missing_expired_and_foreign_tokens_are_401(self):
        unsigned = boto3.session.Session().client(
            "stepfunctions", endpoint_url=ENDPOINT, region_name="us-east-1",
            config=botocore.config.Config(signature_version=botocore.UNSIGNED,
                                          retries={"max_attempts": 0, "mode": "standard"}))
        e = self.assert_error("UnrecognizedClientException", unsigned.list_state_machines, status=401)
        self.assertEqual(e.response["ResponseMetadata"]["HTTPHeaders"].get("www-authenticate"), "Bearer")
        expired = client(token("admin-user", lifetime=-300))
        e = self.assert_error("UnrecognizedClientException", expired.list_state_machines, status=401)
        self.assertIn("expired", e.response["Error"]["Message"])
        other = client(token("admin-user", aud="another-service"))
        self.assert_error("UnrecognizedClientException", other.list_state_machines, status=401)

    def test_a_rotated_key_is_accepted_without_a_restart_and_unknown_kids_are_rate_limited(self):
        kid = idp("/rotate", "POST")["kid"]
        rotated = client(token("admin-user", kid=kid))
        # A refresh for an unknown kid runs at most every 2 s here (../run).
        deadline = time.monotonic() + 10
        while True:
            try:
                self.assertIn("stateMachines", rotated.list_state_machines())
                break
            except botocore.exceptions.ClientError as e:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 401)
                self.assertLess(time.monotonic(), deadline, "the rotated key was never accepted")
                time.sleep(0.5)
        before = idp("/stats")["jwks_requests"]
        started = time.monotonic()
        # Tokens naming keys nobody published: refused, and the IdP is asked
        # at most once more within the rate limit.
        for i in range(50):
            forged = token("admin-user", kid=kid)
            header, payload, signature = forged.split(".")
            header = b64url(json.dumps({"alg": "ES256", "kid": f"made-up-{i}"}).encode())
            stranger = client(".".join([header, payload, signature]))
            self.assert_error("UnrecognizedClientException", stranger.list_state_machines, status=401)
        allowed = int((time.monotonic() - started) / 2) + 1
        self.assertLessEqual(idp("/stats")["jwks_requests"] - before, allowed)


if __name__ == "__main__":
    unittest.main()
