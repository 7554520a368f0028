"""A tiny OpenID Connect identity provider for the oidc client suite (see
../run oidc): it publishes a discovery document and a JWKS of EC P-256 keys
on 127.0.0.1, and keeps each key's private half in a file of its directory
so that the tests can sign tokens with it.

  GET  /.well-known/openid-configuration  {"issuer", "jwks_uri"}
  GET  /jwks                              {"keys": [...]}  (counted)
  GET  /stats                             {"jwks_requests": N}
  POST /rotate[?retire=1]                 a new key (kid "k2", "k3"...),
                                          the old ones dropped with retire

Usage: python3 idp.py DIR   (writes DIR/port once listening, DIR/<kid>.pem)
"""

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.public = {}  # kid -> JWK
        self.counter = 0
        self.jwks_requests = 0

    def add(self, retire=False):
        with self.lock:
            self.counter += 1
            kid = f"k{self.counter}"
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            with open(f"{self.directory}/{kid}.pem", "wb") as f:
                f.write(pem)
            numbers = key.public_key().public_numbers()
            jwk = {"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                   "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}
            if retire:
                self.public.clear()
            self.public[kid] = jwk
            return kid


def main():
    directory = sys.argv[1]
    keys = Keys(directory)
    keys.add()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, body, status=200):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/.well-known/openid-configuration":
                self.answer({"issuer": base, "jwks_uri": base + "/jwks"})
            elif self.path == "/jwks":
                with keys.lock:
                    keys.jwks_requests += 1
                    body = {"keys": list(keys.public.values())}
                self.answer(body)
            elif self.path == "/stats":
                with keys.lock:
                    self.answer({"jwks_requests": keys.jwks_requests})
            else:
                self.answer({"error": "not found"}, 404)

        def do_POST(self):
            if self.path.startswith("/rotate"):
                self.answer({"kid": keys.add(retire="retire=1" in self.path)})
            else:
                self.answer({"error": "not found"}, 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(f"{directory}/port.tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(f"{directory}/port.tmp", f"{directory}/port")
    server.serve_forever()


if __name__ == "__main__":
    main()
