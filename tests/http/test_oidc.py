"""Signing in through an OpenID Connect provider started in the test (tests/support/oidc_provider.py), on
the real app: a full sign-in ends in the same server-side session a password gives (GET /v1/session shows
the user); a wrong audience, an expired token, a bad nonce, a foreign signature, a wrong state, a domain not
allowed, an unverified address and an unknown user are refused without a session; the role claim changes
roles only through the users chain; no secret, code or token shows in an answer or the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from readout import bootstrap
from readout.config import ConfigError, load_settings
from readout.domain.users import Role, User
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.errors import Refused
from readout.services.context import Deps
from readout.services.oidc import OIDC_ROLES
from readout.services.users import import_users, users_audit_trail, verify_users_chain
from tests.services.flows import PSM, USERS
from tests.support.db_fixtures import Store
from tests.support.oidc_provider import OidcProvider

PROBLEM = "application/problem+json"
SITE = "https://readout.example"
COOKIE = "__Host-readout_session"
ADA = User("ada", "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
PAULA = {"sub": "idp-paula", "email": "Paula@Provider.example", "email_verified": True}


@dataclass
class World:
    provider: OidcProvider
    client: TestClient
    deps: Deps


def _environ(provider: OidcProvider, **extra: str) -> dict[str, str]:
    return {
        "READOUT_OIDC_ISSUER": provider.issuer,
        "READOUT_OIDC_CLIENT_ID": provider.client_id,
        "READOUT_OIDC_CLIENT_SECRET": provider.client_secret,
        "READOUT_OUTBOUND_ALLOW": "127.0.0.1",
        **extra,
    }


def _app(deps: Deps, store: Store, environ: dict[str, str]) -> TestClient:
    assert store.url is not None
    readiness = health.store_readiness(bootstrap.settings({"READOUT_DATABASE_URL": store.url}), {})
    return TestClient(create_app(deps, readiness=readiness, environ=environ), base_url=SITE)


@pytest.fixture
def world(deps: Deps, store: Store) -> Iterator[World]:
    with OidcProvider(person=dict(PAULA)) as provider:
        environ = _environ(provider, READOUT_OIDC_ALLOWED_DOMAINS="provider.example")
        with _app(deps, store, environ) as client:
            yield World(provider, client, deps)


def _login(world: World, *, state: str | None = None) -> httpx.Response:
    """A browser's round trip: Readout's login redirect, the provider's authorize redirect, the callback."""
    start = world.client.get("/v1/session/oidc/login", follow_redirects=False)
    assert start.status_code == 302
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    target = urlsplit(back.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{SITE}/v1/session/oidc/callback"
    query = target.query
    if state is not None:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        query = f"code={params['code']}&state={state}"
    answer: httpx.Response = world.client.get(f"{target.path}?{query}", follow_redirects=False)
    return answer


def _refused(world: World, answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert words in answer.json()["detail"]
    assert COOKIE not in answer.cookies
    assert world.client.get("/v1/session").status_code == 401  # no session


def test_login_redirects_to_the_provider_with_state_nonce_and_pkce(world: World) -> None:
    answer = world.client.get("/v1/session/oidc/login", follow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(f"{world.provider.issuer}/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["client_id"] == world.provider.client_id
    assert query["redirect_uri"] == f"{SITE}/v1/session/oidc/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert "__Host-readout_oidc" in answer.cookies
    assert world.provider.client_secret not in location
    # Every start is new: another login has another state and nonce.
    again = world.client.get("/v1/session/oidc/login", follow_redirects=False).headers["location"]
    assert parse_qs(urlsplit(again).query)["state"][0] != query["state"]


def test_a_full_sign_in_ends_in_a_session_of_the_user_with_that_email(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = _login(world)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert COOKIE in answer.cookies
    me = world.client.get("/v1/session")
    assert me.status_code == 200
    assert me.json()["user"]["id"] == PSM
    assert me.json()["via"] == "session"
    # The token endpoint got the PKCE verifier and the client's credentials (Basic), not in the form.
    (request,) = world.provider.token_requests
    assert request["form"]["code_verifier"]
    assert "client_secret" not in request["form"]
    # It is the same server-side session as a password's: signing out ends it.
    assert world.client.delete("/v1/session", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 204
    assert world.client.get("/v1/session").status_code == 401
    # Nothing secret in Readout's log (the test's own browser requests, which carry the code in the
    # callback's URL as any access log would, are left out) or in the answers.
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if SITE not in r.getMessage() and "/authorize?" not in r.getMessage()
    )
    assert "/token" in logged  # Readout's own calls to the provider are in what is checked
    shown = logged + answer.text + me.text + str(answer.headers)
    for secret in (world.provider.client_secret, *world.provider.issued):
        assert secret not in shown
    assert answer.cookies[COOKIE] not in logged + me.text


def test_a_new_sign_in_ends_the_session_the_browser_had(world: World) -> None:
    first = _login(world).cookies[COOKIE]
    second = _login(world).cookies[COOKIE]
    assert first != second
    stale = TestClient(world.client.app, base_url=SITE)
    stale.cookies.set(COOKIE, first)
    assert stale.get("/v1/session").status_code == 401


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        ({"aud": "someone-else"}, "aud"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired"),
        ({"nonce": "not-the-nonce"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"iss": "https://other.example"}, "iss"),
        ({"iat": 4_000_000_000, "exp": 4_000_000_300}, "iat"),
        ({"sub": None}, "sub"),
    ],
)
def test_an_id_token_with_a_wrong_claim_is_refused(
    world: World, spoil: dict[str, object], words: str
) -> None:
    world.provider.spoil = spoil
    _refused(world, _login(world), words)


def test_an_id_token_signed_with_another_key_is_refused(world: World) -> None:
    world.provider.sign_with = RSAKey.generate_key(2048, {"kid": "k1"})
    _refused(world, _login(world), "signature")


def test_a_new_signing_key_of_the_provider_is_fetched_when_a_token_names_it(world: World) -> None:
    assert _login(world).status_code == 303  # the keys are now cached
    world.provider.key = RSAKey.generate_key(2048, {"kid": "k2", "use": "sig"})
    assert _login(world).status_code == 303
    assert world.client.get("/v1/session").json()["user"]["id"] == PSM


def test_a_wrong_state_is_refused_before_the_code_is_exchanged(world: World) -> None:
    _refused(world, _login(world, state="forged"), "state")
    assert world.provider.token_requests == []


def test_a_code_is_used_once_and_the_flow_cookie_then_forgotten(world: World) -> None:
    start = world.client.get("/v1/session/oidc/login", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    target = urlsplit(back)
    assert world.client.get(f"{target.path}?{target.query}", follow_redirects=False).status_code == 303
    again = world.client.get(f"{target.path}?{target.query}", follow_redirects=False)
    assert again.status_code == 401
    assert "not started here" in again.json()["detail"]


def test_a_wrong_client_secret_is_refused_by_the_provider(deps: Deps, store: Store) -> None:
    with OidcProvider(person=dict(PAULA)) as provider:
        environ = {**_environ(provider), "READOUT_OIDC_CLIENT_SECRET": "not-the-secret"}
        with _app(deps, store, environ) as client:
            world = World(provider, client, deps)
            _refused(world, _login(world), "invalid_client")
            assert "not-the-secret" not in str(provider.token_requests[0]["form"])


def test_a_callback_without_a_started_sign_in_is_refused(world: World) -> None:
    answer = world.client.get("/v1/session/oidc/callback?code=abc&state=xyz")
    _refused(world, answer, "not started here")


@pytest.mark.parametrize(
    ("person", "words"),
    [
        ({"sub": "x", "email": "paula@elsewhere.example", "email_verified": True}, "domain"),
        ({"sub": "x", "email": "stranger@provider.example", "email_verified": True}, "no Readout user"),
        ({"sub": "x", "email": "paula@provider.example", "email_verified": False}, "verified"),
        ({"sub": "x", "email": "paula@provider.example"}, "verified"),
        ({"sub": "x"}, "no e-mail"),
    ],
)
def test_an_identity_that_names_no_allowed_user_is_refused(
    world: World, person: dict[str, object], words: str
) -> None:
    world.provider.person = person
    _refused(world, _login(world), words)


def test_readout_itself_is_never_matched(world: World) -> None:
    # Readout's own actor has the empty e-mail address: an identity without one names nobody.
    world.provider.person = {"sub": "readout", "email": "", "email_verified": True}
    _refused(world, _login(world), "no e-mail")


def test_the_role_claim_changes_roles_through_the_users_chain(deps: Deps, store: Store) -> None:
    import_users(deps, [*USERS, ADA], None)  # the users chain, with an administrator
    person = {**PAULA, "groups": ["rca-duty", "unrelated"]}
    with OidcProvider(person=person) as provider:
        environ = _environ(
            provider,
            READOUT_OIDC_ROLE_CLAIM="groups",
            READOUT_OIDC_ROLE_MAP="rca-duty=duty_manager,rca-pm=program_manager",
        )
        with _app(deps, store, environ) as client:
            world = World(provider, client, deps)
            assert _login(world).status_code == 303
            me = client.get("/v1/session").json()["user"]
            assert me["id"] == PSM
            assert me["roles"] == [Role.DUTY_MANAGER.value]
            entry = users_audit_trail(deps)[-1]
            assert entry.kind == OIDC_ROLES
            assert entry.actor == PSM
            assert entry.payload["users"][0]["old"]["roles"] == ["program_manager"]
            assert verify_users_chain(deps) == []
            # The same roles again: no new entry.
            count = len(users_audit_trail(deps))
            assert _login(world).status_code == 303
            assert len(users_audit_trail(deps)) == count
            # Administrator is never granted nor taken by the claim.
            provider.person = {"sub": "ada", "email": ADA.email, "email_verified": True, "groups": ["rca-pm"]}
            assert _login(world).status_code == 303
            ada = client.get("/v1/session").json()["user"]
            assert ada["roles"] == sorted([Role.ADMINISTRATOR.value, Role.PROGRAM_MANAGER.value])
            assert verify_users_chain(deps) == []


def test_without_an_issuer_there_are_no_oidc_routes(deps: Deps, store: Store) -> None:
    with _app(deps, store, {}) as client:
        assert client.get("/v1/session/oidc/login", follow_redirects=False).status_code == 404
        assert "/v1/session/oidc/login" not in client.get("/openapi.json").json()["paths"]


def test_the_provider_unreachable_is_a_502_without_a_session(deps: Deps, store: Store) -> None:
    with OidcProvider() as provider:
        environ = _environ(provider)
    with _app(deps, store, environ) as client:  # the provider has stopped
        answer = client.get("/v1/session/oidc/login", follow_redirects=False)
        assert answer.status_code == 502
        assert answer.headers["content-type"] == PROBLEM
        assert provider.client_secret not in answer.text


def test_a_provider_not_allowed_by_the_outbound_policy_is_never_called(deps: Deps, store: Store) -> None:
    with OidcProvider() as provider:
        environ = {**_environ(provider), "READOUT_OUTBOUND_ALLOW": ""}
        with _app(deps, store, environ) as client:
            answer = client.get("/v1/session/oidc/login", follow_redirects=False)
            assert answer.status_code == 502
            assert "READOUT_OUTBOUND_ALLOW" in answer.json()["detail"]


def test_bad_settings_are_refused_at_start_up(deps: Deps, store: Store) -> None:
    with pytest.raises(Refused):
        _app(deps, store, {"READOUT_HTTPS": "maybe"})
    with pytest.raises(Refused):
        _app(deps, store, {"READOUT_PUBLIC_ORIGIN": "readout.example"})


def test_oidc_settings_are_checked_and_the_secret_never_echoed() -> None:
    base = {"READOUT_OIDC_ISSUER": "https://id.example", "READOUT_OIDC_CLIENT_ID": "readout"}
    with pytest.raises(ConfigError, match="client secret"):
        load_settings(base)
    secret = "s3cr3t-value-never-shown"
    settings = load_settings({**base, "READOUT_OIDC_CLIENT_SECRET": secret})
    assert settings.oidc is not None
    assert settings.oidc.client_secret == secret
    assert secret not in repr(settings)
    for bad in (
        {"READOUT_OIDC_ISSUER": "id.example"},
        {"READOUT_OIDC_ROLE_CLAIM": "groups"},
        {"READOUT_OIDC_ROLE_CLAIM": "groups", "READOUT_OIDC_ROLE_MAP": "admins=administrator"},
        {"READOUT_OIDC_ALLOWED_DOMAINS": "exa mple.com"},
    ):
        with pytest.raises(ConfigError) as raised:
            load_settings({**base, "READOUT_OIDC_CLIENT_SECRET": secret, **bad})
        assert secret not in str(raised.value)
    with pytest.raises(ConfigError, match="without READOUT_OIDC_ISSUER"):
        load_settings({"READOUT_OIDC_CLIENT_ID": "readout"})


def test_the_client_secret_may_come_from_the_secrets_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text("oidc:\n  client_secret: from-the-file\n")
    settings = load_settings(
        {
            "READOUT_OIDC_ISSUER": "https://id.example",
            "READOUT_OIDC_CLIENT_ID": "readout",
            "READOUT_OIDC_CLIENT_SECRET": "from-the-environment",
            "READOUT_SECRETS_FILE": str(path),
        }
    )
    assert settings.oidc is not None
    assert settings.oidc.client_secret == "from-the-file"


def test_the_openapi_document_describes_the_sign_in_redirects_and_failures(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    login = paths["/v1/session/oidc/login"]["get"]["responses"]
    callback = paths["/v1/session/oidc/callback"]["get"]["responses"]
    assert {"302", "502"} <= set(login)
    assert {"303", "401", "502"} <= set(callback)
    assert "200" not in login
    assert "200" not in callback
    assert "Location" in login["302"]["headers"]
    assert "application/problem+json" in callback["401"]["content"]
