"""Signing in over HTTP, on a tiny app that has only the session routes and a few protected routes (the real
app is tested with sign-in replaced): the session cookie's attributes and name, wrong passwords answered
401 and then 429 with Retry-After, API tokens with scopes, expiry and revocation, CSRF refusals for
cookie-authenticated changes only, sign-out, revocation, rotation, and nobody signed in as Readout itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from readout.adapters.casefile.loader import CaseFileBuilder
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.domain.users import SYSTEM, Role, User
from readout.entrypoints.http.auth import (
    AuthSettings,
    Principal,
    auth_router,
    install_auth,
    principal,
    require_scope,
)
from readout.errors import Refused
from readout.services import auth
from readout.services.context import Deps
from readout.services.users import import_users
from tests.services.flows import EM, PSM, USERS, Clock, u
from tests.support.db_fixtures import Store

PROBLEM = "application/problem+json"
ADA = User("ada", "Ada Admin", "ada@provider.example", frozenset({Role.ADMINISTRATOR}))
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
HTTPS, HTTP = "https://readout.example", "http://localhost:8000"


def tiny_app(deps: Deps, settings: AuthSettings) -> FastAPI:
    """The session routes and three protected routes, as the real app includes them."""
    app = FastAPI()
    app.state.deps = deps
    app.state.auth_settings = settings
    install_auth(app)
    app.include_router(auth_router)

    @app.get("/v1/things")
    def look(who: Principal = Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: B008
        return {"user": who.user.id, "via": who.via}

    @app.post("/v1/things")
    def change(who: Principal = Depends(require_scope("write"))) -> dict[str, Any]:  # noqa: B008
        return {"changed_by": who.user.id}

    @app.get("/v1/anyone")
    def anyone(who: Principal = Depends(principal)) -> dict[str, Any]:  # noqa: B008
        return {"user": who.user.id}

    return app


@pytest.fixture
def deps(uow_factory: Store) -> Deps:
    clock = Clock(u(2026, 11, 12, 15))
    made = Deps(
        uow=uow_factory,
        reader=IcsFileReader(),
        holds=MemoryHoldCalendar(),
        clock=clock,
        cases=CaseFileBuilder(),
        wall=clock,  # sign-in runs on the real clock; here the test moves it
    )
    import_users(made, [ADA, *USERS], None)
    auth.set_password(made, PSM, PASSWORD, ADA.id, auth.SessionPolicy(hasher=FAST))
    return made


@pytest.fixture
def clock(deps: Deps) -> Clock:
    assert isinstance(deps.clock, Clock)
    return deps.clock


def _client(deps: Deps, base_url: str, **settings: Any) -> Iterator[TestClient]:
    app = tiny_app(deps, AuthSettings(password_hasher=FAST, **settings))
    with TestClient(app, base_url=base_url) as client:
        yield client


@pytest.fixture
def web(deps: Deps) -> Iterator[TestClient]:
    """A browser on the HTTPS site."""
    yield from _client(deps, HTTPS)


def sign_in(client: TestClient, user: str = PSM, password: str = PASSWORD, **headers: str) -> Any:
    body = json.dumps({"user": user, "password": password})  # ASCII: lone surrogates escaped as JSON allows
    return client.post("/v1/session", content=body, headers={"Content-Type": "application/json", **headers})


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["status"] == status
    return body


def test_signing_in_over_https_sets_a_host_prefixed_httponly_secure_lax_cookie(web: TestClient) -> None:
    signed = sign_in(web)
    assert signed.status_code == 200
    assert signed.json()["user"]["id"] == PSM
    assert signed.json()["scopes"] == ["read", "write"]
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-readout_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "domain" not in attributes
    assert signed.headers["cache-control"] == "no-store"

    assert web.get("/v1/things").json() == {"user": PSM, "via": "session"}
    me = web.get("/v1/session").json()
    assert (me["user"]["id"], me["via"]) == (PSM, "session")


def test_on_plain_http_the_cookie_has_no_host_prefix_but_stays_secure(deps: Deps) -> None:
    for client in _client(deps, HTTP):
        cookie = sign_in(client).headers["set-cookie"]
        assert cookie.startswith("readout_session=")
        assert "secure" in cookie.lower()
        token = cookie.split(";")[0].split("=", 1)[1]
        # httpx, like Python's cookie jar, keeps Secure cookies off http://; browsers send them to localhost.
        client.cookies.clear()
        client.cookies.set("readout_session", token)
        assert client.get("/v1/things").status_code == 200
    for client in _client(deps, HTTP, https=True):  # behind a TLS-terminating proxy
        assert sign_in(client).headers["set-cookie"].startswith("__Host-readout_session=")


def test_a_wrong_password_is_401_and_repeated_failures_make_the_user_wait(
    web: TestClient, clock: Clock
) -> None:
    wrong = assert_problem(sign_in(web, password="not it at all"), 401)
    unknown = assert_problem(sign_in(web, user="mallory"), 401)
    assert wrong == unknown  # nothing tells whether the user exists
    for _ in range(2):
        assert_problem(sign_in(web, password="not it at all"), 401)
    assert_problem(sign_in(web, password="not it at all"), 401)  # the 4th: now the user waits 1 s
    waiting = sign_in(web)
    body = assert_problem(waiting, 429)
    assert waiting.headers["retry-after"] == "1"
    assert "too many failed sign-ins" in body["detail"]
    clock.advance(seconds=1)
    assert sign_in(web).status_code == 200


def test_without_a_credential_a_protected_route_is_401(web: TestClient) -> None:
    response = web.get("/v1/things")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(web.get("/v1/session"), 401)


def test_nobody_signs_in_as_readout_itself(web: TestClient) -> None:
    assert_problem(sign_in(web, user=SYSTEM.id), 401)


def test_a_token_acts_with_its_scopes_until_it_expires(web: TestClient, deps: Deps, clock: Clock) -> None:
    reader = auth.create_token(deps, EM, "dashboard", frozenset({"read"}), 1, ADA.id).text
    writer = auth.create_token(deps, EM, "webhook", frozenset({"read", "write"}), 2, ADA.id).text
    bearer = {"Authorization": f"Bearer {reader}"}

    assert web.get("/v1/things", headers=bearer).json() == {"user": EM, "via": "token"}
    missing = assert_problem(web.post("/v1/things", headers=bearer), 403)
    assert "'write'" in missing["detail"]
    assert web.post("/v1/things", headers={"Authorization": f"Bearer {writer}"}).status_code == 200

    clock.advance(days=1)
    assert_problem(web.get("/v1/things", headers=bearer), 401)
    assert web.get("/v1/things", headers={"Authorization": f"Bearer {writer}"}).status_code == 200


def test_a_revoked_or_malformed_token_is_401_even_with_a_good_cookie(web: TestClient, deps: Deps) -> None:
    made = auth.create_token(deps, EM, "script", frozenset({"read"}), 1, ADA.id)
    auth.revoke_token(deps, made.token.id, ADA.id)
    sign_in(web)  # the browser also has a session: a bad token never falls back to it
    for header in (f"Bearer {made.text}", "Bearer rdt_not-a-token", f"Basic {made.text}", "Bearer "):
        assert_problem(web.get("/v1/things", headers={"Authorization": header}), 401)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": HTTPS},  # Fetch-Metadata decides when present
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://readout.example"},  # another scheme is another origin
    ],
)
def test_a_cookie_authenticated_change_from_another_site_is_refused(
    web: TestClient, headers: dict[str, str]
) -> None:
    sign_in(web)
    body = assert_problem(web.post("/v1/things", headers=headers), 403)
    assert body["title"] == "Cross-site request refused"
    assert web.get("/v1/things", headers=headers).status_code == 200  # looking changes nothing: allowed


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {"Origin": HTTPS}, {}],
)
def test_a_cookie_authenticated_change_from_the_site_itself_is_allowed(
    web: TestClient, headers: dict[str, str]
) -> None:
    sign_in(web)
    assert web.post("/v1/things", headers=headers).json() == {"changed_by": PSM}


def test_token_requests_are_not_subject_to_the_csrf_check(web: TestClient, deps: Deps) -> None:
    writer = auth.create_token(deps, EM, "webhook", frozenset({"write"}), 1, ADA.id).text
    headers = {
        "Authorization": f"Bearer {writer}",
        "Sec-Fetch-Site": "cross-site",
        "Origin": "https://x.example",
    }
    assert web.post("/v1/things", headers=headers).json() == {"changed_by": EM}


def test_no_other_site_may_sign_a_browser_in(web: TestClient) -> None:
    assert_problem(sign_in(web, **{"Sec-Fetch-Site": "cross-site"}), 403)
    assert_problem(sign_in(web, Origin="https://evil.example"), 403)


def test_signing_out_ends_the_session_even_for_a_copied_cookie(web: TestClient) -> None:
    sign_in(web)
    token = web.cookies["__Host-readout_session"]
    out = web.delete("/v1/session")
    assert out.status_code == 204
    assert "__Host-readout_session=" in out.headers["set-cookie"]  # cleared in the browser
    web.cookies.clear()
    web.cookies.set("__Host-readout_session", token)
    assert_problem(web.get("/v1/things"), 401)


def test_signing_out_with_a_token_is_refused(web: TestClient, deps: Deps) -> None:
    made = auth.create_token(deps, EM, "script", frozenset({"write"}), 1, ADA.id)
    assert_problem(web.delete("/v1/session", headers={"Authorization": f"Bearer {made.text}"}), 400)


def test_an_administrator_revoking_the_users_sessions_signs_them_out(web: TestClient, deps: Deps) -> None:
    sign_in(web)
    assert web.get("/v1/things").status_code == 200
    assert auth.revoke_sessions(deps, PSM, ADA.id) == 1
    assert_problem(web.get("/v1/things"), 401)


def test_signing_in_again_rotates_the_session(web: TestClient) -> None:
    sign_in(web)
    first = web.cookies["__Host-readout_session"]
    sign_in(web)  # sends the first cookie along: it is ended
    second = web.cookies["__Host-readout_session"]
    assert second != first
    assert web.get("/v1/things").status_code == 200
    web.cookies.clear()
    web.cookies.set("__Host-readout_session", first)
    assert_problem(web.get("/v1/things"), 401)


def test_an_idle_session_ends(web: TestClient, clock: Clock) -> None:
    sign_in(web)
    clock.advance(hours=2)
    assert_problem(web.get("/v1/things"), 401)


def test_behind_a_tls_proxy_the_public_origin_is_the_sites_own(deps: Deps) -> None:
    for client in _client(deps, "http://10.0.0.5:8000", https=True, public_origin=HTTPS):
        signed = sign_in(client, Origin=HTTPS)
        assert signed.status_code == 200
        client.cookies.set("__Host-readout_session", signed.cookies["__Host-readout_session"])
        assert client.post("/v1/things", headers={"Origin": HTTPS}).status_code == 200
        assert_problem(client.post("/v1/things", headers={"Origin": "http://10.0.0.5:8000"}), 403)


def test_the_environment_names_https_and_the_public_origin_or_is_refused() -> None:
    assert AuthSettings.from_environ({}) == AuthSettings()
    chosen = AuthSettings.from_environ(
        {"READOUT_HTTPS": "1", "READOUT_PUBLIC_ORIGIN": "https://Readout.example/"}
    )
    assert (chosen.https, chosen.public_origin) == (True, "https://readout.example")
    assert AuthSettings.from_environ({"READOUT_HTTPS": "no"}).https is False
    for bad in ({"READOUT_HTTPS": "maybe"}, {"READOUT_PUBLIC_ORIGIN": "readout.example"}):
        with pytest.raises(Refused):
            AuthSettings.from_environ(bad)
    with pytest.raises(Refused):
        AuthSettings.from_environ({"READOUT_PUBLIC_ORIGIN": "https://readout.example/app"})


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("pa\x00ula", PASSWORD),
        ("x" * 100_000, PASSWORD),
        ("\ud800", PASSWORD),
        (PSM, "p" * 100_000),
        ("", ""),
    ],
)
def test_nonsense_sign_ins_are_401_never_a_crash(web: TestClient, user: str, password: str) -> None:
    assert_problem(sign_in(web, user=user, password=password), 401)


def test_a_sign_in_body_that_is_not_user_and_password_is_not_a_crash(web: TestClient) -> None:
    for body in ({"user": PSM}, {"user": 1, "password": []}, [], None):
        assert web.post("/v1/session", json=body).status_code == 422
