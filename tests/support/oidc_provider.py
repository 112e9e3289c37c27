"""A tiny but real OpenID Connect provider on 127.0.0.1 for the sign-in tests: a discovery document, JWKS,
an authorization endpoint that signs in whoever the test names (``person``) and redirects back with a code,
and a token endpoint that checks the client secret, the redirect URI and the PKCE verifier (S256) before
answering with an RS256-signed ID token (joserfc).

The test spoils one thing at a time with ``spoil`` (claims replaced in the next ID tokens; a value of
``None`` removes the claim) or ``sign_with`` (a key the JWKS does not publish). Everything the token
endpoint received is kept in ``token_requests``.

Readout refuses loopback addresses unless allowed: the app needs ``READOUT_OUTBOUND_ALLOW=127.0.0.1``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

__all__ = ["OidcProvider"]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    person: dict[str, Any]


@dataclass
class OidcProvider:
    """The provider; use as a context manager (serves on a free port of 127.0.0.1 meanwhile)."""

    client_id: str = "readout-test"
    client_secret: str = field(default_factory=lambda: "cs-" + secrets.token_urlsafe(24))
    person: dict[str, Any] = field(default_factory=dict)  # sub, email, email_verified, groups, ...
    spoil: dict[str, Any] = field(default_factory=dict)
    sign_with: RSAKey | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1", "use": "sig"}))
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)  # ID tokens and access tokens given out
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self._server is not None, "start the provider first (with OidcProvider() as provider)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, url: str) -> str:
        """What a browser sent to ``url`` (the authorization endpoint) is redirected to: the callback with a
        code and the state; raises AssertionError on a request a real provider would refuse."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert url.startswith(f"{self.issuer}/authorize?")
        assert query["response_type"] == "code"
        assert query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        assert "openid" in query["scope"].split()
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(
            self.client_id,
            query["redirect_uri"],
            query.get("nonce"),
            query["code_challenge"],
            dict(self.person),
        )
        self.issued.append(code)
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            **grant.person,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        for name, value in self.spoil.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid or "k1"}, claims, key)

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({"form": dict(form), "authorization": authorization})
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if challenge != grant.challenge:
            return 400, {"error": "invalid_grant"}
        id_token, access = self.id_token(grant), secrets.token_urlsafe(24)
        self.issued += [id_token, access]
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}

    def __enter__(self) -> OidcProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._answer(200, provider.discovery())
                elif self.path.startswith("/authorize?"):  # the person is signed in already: straight back
                    try:
                        target = provider.authorize(provider.issuer + self.path)
                    except (AssertionError, KeyError):
                        self._answer(400, {"error": "invalid_request"})
                        return
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/jwks":
                    self._answer(200, dict(KeySet([provider.key]).as_dict()))
                else:
                    self._answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != "/token":
                    self._answer(404, {"error": "not_found"})
                    return
                self._answer(*provider.token(form, self.headers.get("Authorization")))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
