"""boto3's EventBridge client ("events") against stepd's connection operations:
each authorization type (OAuth against a token endpoint served here on
127.0.0.1), describe without secrets, update, deauthorize, delete, paging,
and EventBridge's errors. With access keys configured (the sigv4 suite),
CLIENT_TEST_VIEWER_KEY is set and roles are checked too."""

import base64
import http.server
import json
import os
import threading
import time
import unittest
import urllib.parse

import boto3
import botocore.config

from sfn_common import ENDPOINT, ErrorAssertions, unique

ARN_PREFIX = "arn:aws:events:us-east-1:123456789012:connection/"
KEYS = os.environ.get("CLIENT_TEST_ADMIN_KEY")


def events(access_key=None, secret_key=None):
    return boto3.session.Session().client(
        "events",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=access_key or os.environ.get("CLIENT_TEST_ADMIN_KEY", "AKIDCLIENTTESTS"),
        aws_secret_access_key=secret_key or os.environ.get("CLIENT_TEST_ADMIN_SECRET", "clients-secret"),
        config=botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"}),
    )


class TokenEndpoint(http.server.BaseHTTPRequestHandler):
    """An OAuth client-credentials token endpoint: short-lived tokens."""
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        TokenEndpoint.seen.append((self.headers.get("Authorization"), urllib.parse.parse_qs(body)))
        answer = json.dumps({"access_token": f"token-{len(TokenEndpoint.seen)}", "token_type": "Bearer",
                             "expires_in": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class ConnectionsTest(ErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.events = events()
        cls.token_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
        threading.Thread(target=cls.token_server.serve_forever, daemon=True).start()
        cls.token_url = f"http://127.0.0.1:{cls.token_server.server_address[1]}/oauth/token"

    @classmethod
    def tearDownClass(cls):
        cls.token_server.shutdown()

    def wait_for_state(self, name, state, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            d = self.events.describe_connection(Name=name)
            if d["ConnectionState"] == state:
                return d
            self.assertLess(time.monotonic(), deadline, f"{name} still {d['ConnectionState']}")
            time.sleep(0.05)

    def test_basic_lifecycle_never_answers_the_password(self):
        name = unique("py-basic")
        created = self.events.create_connection(
            Name=name, Description="billing", AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "ada", "Password": "py-secret-pw-1"},
                            "InvocationHttpParameters": {"HeaderParameters": [
                                {"Key": "X-Tenant", "Value": "acme", "IsValueSecret": False},
                                {"Key": "X-Sig", "Value": "py-secret-sig", "IsValueSecret": True}]}})
        arn = created["ConnectionArn"]
        self.assertTrue(arn.startswith(ARN_PREFIX + name + "/"), arn)
        self.assertEqual(created["ConnectionState"], "AUTHORIZED")
        self.assertIn("CreationTime", created)

        d = self.events.describe_connection(Name=name)
        self.assertEqual((d["Name"], d["Description"], d["AuthorizationType"], d["ConnectionState"]),
                         (name, "billing", "BASIC", "AUTHORIZED"))
        self.assertEqual(d["AuthParameters"]["BasicAuthParameters"], {"Username": "ada"})
        self.assertEqual(d["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"],
                         [{"Key": "X-Tenant", "Value": "acme", "IsValueSecret": False},
                          {"Key": "X-Sig", "IsValueSecret": True}])
        self.assertTrue(d["SecretArn"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:"))
        self.assertNotIn("py-secret", json.dumps(d, default=str))

        updated = self.events.update_connection(
            Name=name, AuthParameters={"BasicAuthParameters": {"Password": "py-secret-pw-2"}})
        self.assertEqual((updated["ConnectionArn"], updated["ConnectionState"]), (arn, "AUTHORIZED"))

        deauthorized = self.events.deauthorize_connection(Name=name)
        self.assertEqual(deauthorized["ConnectionState"], "DEAUTHORIZING")
        d = self.events.describe_connection(Name=name)
        self.assertEqual(d["ConnectionState"], "DEAUTHORIZED")
        self.assertNotIn("AuthParameters", d)

        deleted = self.events.delete_connection(Name=name)
        self.assertEqual((deleted["ConnectionArn"], deleted["ConnectionState"]), (arn, "DELETING"))
        self.assert_error("ResourceNotFoundException", self.events.describe_connection, Name=name)

    def test_api_key(self):
        name = unique("py-key")
        self.events.create_connection(
            Name=name, AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "py-secret-key"}})
        d = self.events.describe_connection(Name=name)
        self.assertEqual(d["AuthParameters"], {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}})
        self.events.delete_connection(Name=name)

    def test_oauth_client_credentials_are_exchanged_for_a_token(self):
        name = unique("py-oauth")
        before = len(TokenEndpoint.seen)
        created = self.events.create_connection(
            Name=name, AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
            AuthParameters={"OAuthParameters": {
                "ClientParameters": {"ClientID": "py-client", "ClientSecret": "py-secret-cs"},
                "AuthorizationEndpoint": self.token_url, "HttpMethod": "POST",
                "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "read"}]}}})
        self.assertEqual(created["ConnectionState"], "AUTHORIZING")
        d = self.wait_for_state(name, "AUTHORIZED")
        self.assertIn("LastAuthorizedTime", d)
        self.assertEqual(d["AuthParameters"]["OAuthParameters"]["ClientParameters"], {"ClientID": "py-client"})
        authorization, form = TokenEndpoint.seen[before]
        self.assertEqual(authorization, "Basic " + base64.b64encode(b"py-client:py-secret-cs").decode())
        self.assertEqual(form, {"scope": ["read"], "grant_type": ["client_credentials"]})
        self.events.delete_connection(Name=name)

    def test_list_pages_and_filters(self):
        prefix = unique("py-list")
        for i in range(3):
            self.events.create_connection(
                Name=f"{prefix}-{i}", AuthorizationType="BASIC",
                AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
        self.events.deauthorize_connection(Name=f"{prefix}-2")
        page = self.events.list_connections(NamePrefix=prefix, Limit=2)
        self.assertEqual([c["Name"] for c in page["Connections"]], [f"{prefix}-0", f"{prefix}-1"])
        rest = self.events.list_connections(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
        self.assertEqual([c["Name"] for c in rest["Connections"]], [f"{prefix}-2"])
        self.assertNotIn("NextToken", rest)
        deauthorized = self.events.list_connections(NamePrefix=prefix, ConnectionState="DEAUTHORIZED")
        self.assertEqual([c["Name"] for c in deauthorized["Connections"]], [f"{prefix}-2"])
        for i in range(3):
            self.events.delete_connection(Name=f"{prefix}-{i}")

    def test_errors_are_eventbridges(self):
        name = unique("py-err")
        basic = {"BasicAuthParameters": {"Username": "u", "Password": "p"}}
        self.events.create_connection(Name=name, AuthorizationType="BASIC", AuthParameters=basic)
        self.assert_error("ResourceAlreadyExistsException", self.events.create_connection, Name=name,
                          AuthorizationType="BASIC", AuthParameters=basic)
        self.assert_error("ResourceNotFoundException", self.events.update_connection, Name=unique("none"),
                          AuthParameters=basic)
        e = self.assert_error("ValidationException", self.events.create_connection, Name="has space",
                              AuthorizationType="BASIC", AuthParameters=basic)
        self.assertIn("at 'name' failed to satisfy constraint", e.response["Error"]["Message"])
        # botocore names the exception classes of the service model
        with self.assertRaises(self.events.exceptions.ResourceNotFoundException):
            self.events.delete_connection(Name=unique("none"))
        self.events.delete_connection(Name=name)

    @unittest.skipUnless(KEYS, "needs access keys (the sigv4 suite)")
    def test_a_viewer_reads_but_does_not_create(self):
        viewer = events(os.environ["CLIENT_TEST_VIEWER_KEY"], os.environ["CLIENT_TEST_VIEWER_SECRET"])
        viewer.list_connections()
        self.assert_error("AccessDeniedException", viewer.create_connection, Name=unique("py-denied"),
                          AuthorizationType="BASIC",
                          AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
                          status=403)


if __name__ == "__main__":
    unittest.main()
