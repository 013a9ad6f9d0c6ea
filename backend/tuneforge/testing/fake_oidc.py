"""A loopback stand-in for an OpenID Connect provider (Keycloak, Google, Entra ID...), for tests and demos.

It speaks what TuneForge's single sign-on uses — the discovery document
(`/.well-known/openid-configuration`), `/authorize` (the authorization-code flow), `/token`, `/jwks` and
`/userinfo` — and checks what it receives the way a strict provider does: the client id, the registered
redirect URI, `response_type=code`, the `openid` scope, a PKCE S256 challenge; at `/token` the client's
authentication (client_secret_basic or client_secret_post, as `auth_method` says), the grant type, a code
that is used once and within a minute, the same redirect URI and the PKCE verifier that matches the
challenge. Its ID tokens are RS256-signed with an RSA key generated at start.

`/authorize` approves at once as `user` (sub, email, email_verified, name: change it between sign-ins),
so a browser goes straight back to the client. Everything it received is in `requests`; what it refused,
and why, in `refusals`. To test a client's checks, `tamper` changes the next ID token: {"nonce": "x"},
{"exp_offset": -3600}, {"sign_with_other_key": True}, {"aud": "someone-else"}, {"omit_email": True}...
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CODE_SECONDS = 60


def _jwk(private_key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    numbers = private_key.public_key().public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(numbers.n), "e": b64(numbers.e)}


class FakeOidcProvider:
    def __init__(
        self, *, client_id: str = "tuneforge", client_secret: str = "fake-oidc-client-secret",
        redirect_uris: list[str] | None = None, auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic",
        user: dict[str, Any] | None = None, id_token_has_email: bool = True,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        # None: any redirect URI is accepted (and remembered per code: /token must see the same one).
        self.redirect_uris = redirect_uris
        self.auth_method = auth_method
        self.user: dict[str, Any] = dict(user or {"sub": "fake-user-1", "email": "ada@example.com",
                                                 "email_verified": True, "name": "Ada Lovelace"})
        self.id_token_has_email = id_token_has_email  # False: the email comes from /userinfo only
        self.deny_next = False  # /authorize answers error=access_denied once
        self.tamper: dict[str, Any] = {}
        self.requests: list[dict[str, Any]] = []
        self.refusals: list[str] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- server -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeOidcProvider is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": [self.auth_method],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }

    def start(self, port: int = 0) -> str:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _refuse(self, status: int, error: str, why: str) -> None:
                provider.refusals.append(why)
                self._send(status, {"error": error, "error_description": why})

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _record(self, body: dict[str, list[str]] | None = None) -> dict[str, Any]:
                parts = urlsplit(self.path)
                entry = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                         "headers": {k.lower(): v for k, v in self.headers.items()}, "form": body or {}}
                with provider._lock:
                    provider.requests.append(entry)
                return entry

            def do_GET(self) -> None:  # noqa: N802
                entry = self._record()
                path = entry["path"]
                if path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif path == "/jwks":
                    self._send(200, {"keys": [_jwk(provider._key, provider._kid)]})
                elif path == "/authorize":
                    self._authorize({k: v[-1] for k, v in entry["query"].items()})
                elif path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    token = auth[7:] if auth.lower().startswith("bearer ") else ""
                    claims = provider._access_tokens.get(token)
                    if claims is None:
                        self._refuse(401, "invalid_token", "userinfo: unknown access token")
                        return
                    self._send(200, claims)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                    self._record()
                    self._refuse(400, "invalid_request", "token: the body must be application/x-www-form-urlencoded")
                    return
                form = parse_qs(raw, keep_blank_values=True)
                entry = self._record(form)
                if entry["path"] != "/token":
                    self._send(404, {"error": "not_found"})
                    return
                self._token({k: v[-1] for k, v in form.items()})

            def _authorize(self, query: dict[str, str]) -> None:
                if query.get("client_id") != provider.client_id:
                    self._refuse(400, "unauthorized_client", "authorize: unknown client_id")
                    return
                redirect_uri = query.get("redirect_uri") or ""
                if provider.redirect_uris is not None and redirect_uri not in provider.redirect_uris:
                    self._refuse(400, "invalid_request", "authorize: redirect_uri is not registered")
                    return
                if not redirect_uri.startswith(("http://", "https://")):
                    self._refuse(400, "invalid_request", "authorize: redirect_uri must be absolute")
                    return
                back = {"state": query["state"]} if "state" in query else {}
                joiner = "&" if "?" in redirect_uri else "?"
                if query.get("response_type") != "code":
                    provider.refusals.append("authorize: response_type must be code")
                    self._redirect(f"{redirect_uri}{joiner}{urlencode({'error': 'unsupported_response_type', **back})}")
                    return
                if "openid" not in (query.get("scope") or "").split():
                    provider.refusals.append("authorize: the openid scope is missing")
                    self._redirect(f"{redirect_uri}{joiner}{urlencode({'error': 'invalid_scope', **back})}")
                    return
                if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                    provider.refusals.append("authorize: a PKCE S256 code_challenge is required")
                    self._redirect(f"{redirect_uri}{joiner}{urlencode({'error': 'invalid_request', **back})}")
                    return
                if provider.deny_next:
                    provider.deny_next = False
                    self._redirect(f"{redirect_uri}{joiner}{urlencode({'error': 'access_denied', **back})}")
                    return
                code = secrets.token_urlsafe(24)
                with provider._lock:
                    provider._codes[code] = {
                        "redirect_uri": redirect_uri, "challenge": query["code_challenge"], "nonce": query.get("nonce"),
                        "user": dict(provider.user), "expires": time.time() + CODE_SECONDS, "used": False,
                    }
                self._redirect(f"{redirect_uri}{joiner}{urlencode({'code': code, **back})}")

            def _client_authenticated(self, form: dict[str, str]) -> bool:
                if provider.auth_method == "client_secret_basic":
                    auth = self.headers.get("Authorization") or ""
                    if not auth.startswith("Basic "):
                        return False
                    try:
                        user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                    except ValueError:
                        return False
                    return unquote_plus(user) == provider.client_id and unquote_plus(secret) == provider.client_secret
                return form.get("client_id") == provider.client_id and form.get("client_secret") == provider.client_secret

            def _token(self, form: dict[str, str]) -> None:
                if not self._client_authenticated(form):
                    self._refuse(401, "invalid_client", f"token: client authentication failed ({provider.auth_method})")
                    return
                if form.get("grant_type") != "authorization_code":
                    self._refuse(400, "unsupported_grant_type", "token: grant_type must be authorization_code")
                    return
                with provider._lock:
                    grant = provider._codes.get(form.get("code") or "")
                    if grant is None:
                        self._refuse(400, "invalid_grant", "token: unknown code")
                        return
                    if grant["used"]:
                        self._refuse(400, "invalid_grant", "token: the code was already used")
                        return
                    grant["used"] = True
                if grant["expires"] < time.time():
                    self._refuse(400, "invalid_grant", "token: the code expired")
                    return
                if form.get("redirect_uri") != grant["redirect_uri"]:
                    self._refuse(400, "invalid_grant", "token: redirect_uri differs from the authorization request's")
                    return
                verifier = form.get("code_verifier") or ""
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not verifier or challenge != grant["challenge"]:
                    self._refuse(400, "invalid_grant", "token: the PKCE code_verifier does not match the challenge")
                    return
                access_token = secrets.token_urlsafe(24)
                user = grant["user"]
                provider._access_tokens[access_token] = dict(user)
                self._send(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                                 "id_token": provider.id_token(user, nonce=grant["nonce"])})

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.url

    def id_token(self, user: dict[str, Any], *, nonce: str | None) -> str:
        tamper, self.tamper = self.tamper, {}
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": user["sub"], "aud": tamper.get("aud", self.client_id),
                                  "iat": now, "exp": now + 300 + int(tamper.get("exp_offset", 0)), "auth_time": now}
        if nonce is not None:
            claims["nonce"] = tamper.get("nonce", nonce)
        if self.id_token_has_email and not tamper.get("omit_email"):
            claims.update({k: user[k] for k in ("email", "email_verified", "name") if k in user})
        key = self._other_key if tamper.get("sign_with_other_key") else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self._kid})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def main() -> None:
    """`python -m tuneforge.testing.fake_oidc [port]`: a provider for trying SSO by hand (any redirect URI)."""
    import sys

    provider = FakeOidcProvider()
    url = provider.start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"discovery: {provider.discovery_url}\nclient id: {provider.client_id}\nclient secret: {provider.client_secret}")
    print(f"signs in as {provider.user['email']} — Ctrl-C to stop ({url})")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        provider.stop()


if __name__ == "__main__":
    main()
