"""Signing in through an OpenID Connect provider: the authorization code flow with PKCE (docs/auth.md).

``GET /v1/session/oidc/login`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
challenge (S256); the three are kept in a short-lived flow cookie signed with a key derived from the client
secret (any instance behind a load balancer can check it; nothing is stored). ``GET
/v1/session/oidc/callback`` checks ``state`` against the cookie, exchanges the code (with the PKCE verifier
and the client secret) at the token endpoint, validates the ID token (signature against the provider's
JWKS, issuer, audience, expiry, nonce) and signs the user it names in with the same server-side session a
password sign-in starts (``services.oidc``). Every call to the provider goes through the outbound guard
(``READOUT_OUTBOUND_ALLOW``). No token, code or secret is ever logged or answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from fastapi import APIRouter, Request, Response
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from readout.adapters.http.replies import failure_reason, guarded_client, limited_body
from readout.config import OidcSettings, OutboundPolicy
from readout.entrypoints.http.auth import (
    PROBLEM_JSON,
    AuthProblem,
    auth_settings,
    cookie_name,
    own_origin,
)
from readout.errors import ReadoutError

__all__ = ["CALLBACK", "LOGIN", "OidcClient", "OidcUnavailable", "oidc_router"]

LOGIN, CALLBACK = "/v1/session/oidc/login", "/v1/session/oidc/callback"
SCOPE = "openid email profile"
ALGORITHMS = ("RS256", "PS256", "ES256")  # asymmetric only: never "none", never a key shared with us
FLOW_SECONDS = 600  # the browser has ten minutes at the provider
LEEWAY = 30  # seconds of clock difference tolerated on exp and iat
METADATA_SECONDS = 3600  # the discovery document and keys are fetched again after an hour
_MAX_BODY = 1_000_000
_MAX_TOKEN = 16_384  # characters of an ID token
_log = logging.getLogger(__name__)


class OidcUnavailable(ReadoutError):
    """The provider could not be reached or answered something unusable (never quoting it)."""


class _Invalid(ReadoutError):
    """The ID token or the provider's answer is refused; the message says why, without quoting it."""


class OidcClient:
    """The relying party: discovery, keys, code exchange and ID token validation for one provider."""

    def __init__(
        self,
        settings: OidcSettings,
        outbound: OutboundPolicy,
        *,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self._outbound = outbound
        self._timeout = timeout
        self._tls = tls or ssl.create_default_context()
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # -- talking to the provider ------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        try:
            with (
                guarded_client(self._outbound, self._tls, self._timeout) as client,
                client.stream(method, url, headers={"Accept": "application/json"}, **kwargs) as response,
            ):
                body = limited_body(
                    response,
                    shown="the sign-in provider",
                    limit=_MAX_BODY,
                    deadline=deadline,
                    timeout=self._timeout,
                    what="answer",
                )
                status = response.status_code
        except httpx.HTTPError as error:
            raise OidcUnavailable(f"the sign-in provider: {failure_reason(error, self._timeout)}") from None
        except ReadoutError:
            raise OidcUnavailable("the sign-in provider's answer was too large or too slow") from None
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if status >= 400 and isinstance(data, dict) and isinstance(data.get("error"), str):
            raise _Invalid(f"the provider refused: {data['error'][:40]!r}")
        if status != 200 or not isinstance(data, dict):
            raise OidcUnavailable(f"the sign-in provider answered {status} without a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached an hour), checked: its issuer is ours exactly, and the
        endpoints are absolute URLs (https, or http only when the issuer itself is)."""
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata[0] < METADATA_SECONDS:
                return self._metadata[1]
        issuer = self.settings.issuer
        data = self._call("GET", issuer.rstrip("/") + "/.well-known/openid-configuration")
        if data.get("issuer") != issuer:
            raise OidcUnavailable("the provider's discovery document names another issuer")
        allowed = {"https", urlsplit(issuer).scheme}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = data.get(name)
            if (
                not isinstance(value, str)
                or urlsplit(value).scheme not in allowed
                or not urlsplit(value).netloc
            ):
                raise OidcUnavailable(f"the provider's discovery document has no usable {name}")
        with self._lock:
            self._metadata = (time.monotonic(), data)
        return data

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS), cached; ``refresh`` fetches them again (a new key id)."""
        with self._lock:
            if not refresh and self._keys is not None and time.monotonic() - self._keys[0] < METADATA_SECONDS:
                return self._keys[1]
        data = self._call("GET", self.metadata()["jwks_uri"])
        try:
            found = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError):
            raise OidcUnavailable("the provider's keys (JWKS) cannot be read") from None
        with self._lock:
            self._keys = (time.monotonic(), found)
        return found

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        """Where to send the browser: the provider's authorization endpoint with our request."""
        return str(
            add_params_to_uri(
                self.metadata()["authorization_endpoint"],
                [
                    ("response_type", "code"),
                    ("client_id", self.settings.client_id),
                    ("redirect_uri", redirect_uri),
                    ("scope", SCOPE),
                    ("state", state),
                    ("nonce", nonce),
                    ("code_challenge", create_s256_code_challenge(verifier)),
                    ("code_challenge_method", "S256"),
                ],
            )
        )

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        """The ID token for an authorization code (client_secret_basic, or client_secret_post when the
        provider offers only that)."""
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.settings.client_id,
        }
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        kwargs: dict[str, Any] = {}
        if "client_secret_basic" not in methods and "client_secret_post" in methods:
            form["client_secret"] = self.settings.client_secret
        else:
            kwargs["auth"] = httpx.BasicAuth(self.settings.client_id, self.settings.client_secret)
        data = self._call("POST", metadata["token_endpoint"], data=form, **kwargs)
        token = data.get("id_token")
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            raise _Invalid("the provider's token answer has no ID token")
        return token

    def validate(self, id_token: str, nonce: str, now: float | None = None) -> dict[str, Any]:
        """The ID token's claims, once its signature (the provider's keys), issuer, audience, expiry, issue
        time and nonce are right; _Invalid otherwise."""
        try:
            header = json.loads(_b64(id_token.split(".")[0]))
        except (ValueError, IndexError):
            raise _Invalid("the ID token is malformed") from None
        if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
            raise _Invalid("the ID token is not signed with an accepted algorithm")
        kid = header.get("kid")
        keys = self.keys()
        if isinstance(kid, str) and kid not in {key.kid for key in keys}:
            keys = self.keys(refresh=True)  # the provider may have rolled its keys over
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        except (JoseError, ValueError, TypeError):
            raise _Invalid("the ID token's signature is not the provider's") from None
        moment = int(time.time() if now is None else now)
        registry = jwt.JWTClaimsRegistry(
            now=moment,
            leeway=LEEWAY,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        claims = token.claims
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise _Invalid("the ID token has expired") from None
        except JoseError as error:
            claim = getattr(error, "claim", None)
            raise _Invalid(f"the ID token's {claim or 'claims'} claim is not right") from None
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.settings.client_id:
            raise _Invalid("the ID token's aud claim is not right")
        if not isinstance(claims.get("iat"), int | float) or claims["iat"] > moment + LEEWAY:
            raise _Invalid("the ID token's iat claim is not right")
        return claims


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- the flow cookie ------------------------------------------------------------------------------------


def _flow_key(settings: OidcSettings) -> bytes:
    return hmac.new(settings.client_secret.encode(), b"readout oidc flow cookie", hashlib.sha256).digest()


def _flow_cookie_name(request: Request) -> str:
    return cookie_name(request).replace("_session", "_oidc")  # __Host-readout_oidc over HTTPS


def _seal(settings: OidcSettings, flow: Mapping[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(flow, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(_flow_key(settings), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def _unseal(settings: OidcSettings, value: str | None, now: float) -> dict[str, Any] | None:
    if not value or len(value) > 2000 or "." not in value:
        return None
    payload, _, mac = value.rpartition(".")
    wanted = hmac.new(_flow_key(settings), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, wanted):
        return None
    try:
        flow = json.loads(_b64(payload))
    except ValueError:
        return None
    if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in ("state", "nonce", "v")):
        return None
    if not isinstance(flow.get("until"), int | float) or flow["until"] < now:
        return None
    return flow


# -- the routes -----------------------------------------------------------------------------------------

oidc_router = APIRouter(tags=["session"])


def _client(request: Request) -> OidcClient:
    found = getattr(request.app.state, "oidc", None)
    if not isinstance(found, OidcClient):
        raise AuthProblem(404, "Not found", "OpenID Connect sign-in is not configured")
    return found


def _redirect_uri(request: Request) -> str:
    return own_origin(request) + CALLBACK


def _unavailable(error: OidcUnavailable) -> AuthProblem:
    _log.warning("OpenID Connect sign-in failed: %s", error)
    return AuthProblem(502, "Sign-in provider unavailable", str(error))


def _refused(reason: str) -> AuthProblem:
    _log.info("OpenID Connect sign-in refused: %s", reason)
    return AuthProblem(401, "Not signed in", reason, {"WWW-Authenticate": 'Bearer realm="readout"'})


def _forget_flow(response: Response, request: Request) -> None:
    response.delete_cookie(_flow_cookie_name(request), path="/", secure=True, httponly=True, samesite="lax")


def _answers(**codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI's description of a browser route's answers: redirects, and problems for the rest."""
    described: dict[int | str, dict[str, Any]] = {}
    for code, what in codes.items():
        status = int(code.removeprefix("s"))
        kind = {"content": {PROBLEM_JSON: {}}} if status >= 400 else {"headers": {"Location": _LOCATION}}
        described[status] = {"description": what, **kind}
    return described


_LOCATION = {"description": "where the browser goes next", "schema": {"type": "string"}}


@oidc_router.get(
    LOGIN,
    status_code=302,
    summary="Sign in through the OpenID Connect provider (a redirect)",
    response_class=Response,
    responses=_answers(
        s302="to the provider's authorization endpoint", s502="the provider cannot be reached"
    ),
)
def oidc_login(request: Request) -> Response:
    """Send the browser to the provider, with a new state, nonce and PKCE challenge kept in a flow cookie."""
    client = _client(request)
    state, nonce, verifier = (secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))
    try:
        target = client.authorization_url(_redirect_uri(request), state, nonce, verifier)
    except OidcUnavailable as error:
        raise _unavailable(error) from None
    flow = {"state": state, "nonce": nonce, "v": verifier, "until": int(time.time()) + FLOW_SECONDS}
    response = Response(status_code=302, headers={"Location": target, "Cache-Control": "no-store"})
    response.set_cookie(
        _flow_cookie_name(request),
        _seal(client.settings, flow),
        max_age=FLOW_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",  # sent along on the provider's top-level redirect back to the callback
    )
    return response


@oidc_router.get(
    CALLBACK,
    status_code=303,
    summary="Where the OpenID Connect provider sends the browser back",
    response_class=Response,
    responses=_answers(
        s303="signed in: to the site's home page, with the session cookie",
        s401="the sign-in is refused (state, code, ID token, unknown or disallowed user)",
        s502="the provider cannot be reached",
    ),
)
def oidc_callback(request: Request) -> Response:
    """Check the state, exchange the code, validate the ID token and start a session; then go to ``/``."""
    from readout.entrypoints.http.auth import request_deps
    from readout.services import oidc

    client = _client(request)
    params = request.query_params
    flow = _unseal(client.settings, request.cookies.get(_flow_cookie_name(request)), time.time())
    try:
        if flow is None:
            raise _refused("the sign-in was not started here or took too long: start again")
        if not hmac.compare_digest(str(params.get("state", "")).encode(), flow["state"].encode()):
            raise _refused("the provider's answer does not belong to this sign-in (state)")
        if "error" in params:
            raise _refused(f"the provider refused the sign-in: {str(params['error'])[:40]!r}")
        code = params.get("code", "")
        if not code or len(code) > 2048:
            raise _refused("the provider sent no authorization code")
        try:
            id_token = client.exchange(code, _redirect_uri(request), flow["v"])
            claims = client.validate(id_token, flow["nonce"])
        except OidcUnavailable as error:
            raise _unavailable(error) from None
        except _Invalid as error:
            raise _refused(str(error)) from None
        identity = oidc.Identity(
            issuer=str(claims.get("iss")),
            subject=str(claims.get("sub")),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            email_verified=claims.get("email_verified") is True,
            claims=claims,
        )
        settings = auth_settings(request)
        try:
            done = oidc.sign_in(
                request_deps(request),
                identity,
                client.settings,
                replacing=request.cookies.get(cookie_name(request)),
                policy=settings.policy(),
            )
        except oidc.OidcRefused as error:
            raise _refused(str(error)) from None
    except AuthProblem as problem:
        from readout.entrypoints.http.auth import problem_response

        answer = problem_response(problem.status_code, problem.title, str(problem.detail), problem.headers)
        _forget_flow(answer, request)
        return answer
    response = Response(status_code=303, headers={"Location": "/", "Cache-Control": "no-store"})
    response.set_cookie(
        cookie_name(request),
        done.token,
        max_age=settings.session_absolute_seconds,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    _forget_flow(response, request)
    _log.info("OpenID Connect sign-in: user %s", done.user.id)
    return response
