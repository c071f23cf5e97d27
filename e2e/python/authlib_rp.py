"""A relying party built on authlib, unmodified, against a running IntelliAuth.

Usage: python authlib_rp.py BASE_URL MANAGEMENT_TOKEN. Each check prints a line; the last
line is `N passed, M failed`, and the exit status is non-zero when anything failed.
What it proves: the code flow with PKCE and ID-token validation, refresh, RFC 7009
revocation of access tokens seen at userinfo and introspection, that an error redirect is
never taken for an authorization code, authlib's default private_key_jwt assertion, and an
API's access tokens in its own signing algorithm.
"""

import json
import secrets
import sys
import time
import traceback
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
import warnings

warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.jose import JsonWebKey, jwt  # noqa: E402

BASE, TOKEN = sys.argv[1].rstrip("/"), sys.argv[2]
TENANT = "default"
REDIRECT = "https://rp.example/callback"
PASSWORD = "correct horse battery"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def api(method, path, body=None):
    reply = requests.request(method, BASE + path, json=body, headers=ADMIN, timeout=30)
    assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json() if reply.text else None


class CsrfField(HTMLParser):
    """Finds the hosted form's csrf_token."""

    token = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token":
            self.token = attrs.get("value")


def browser_callback(authorize_url, email=None):
    """Drives the hosted pages like a browser (cookies, redirects, the login form) until
    IntelliAuth redirects to the relying party; returns that callback URL."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        reply = browser.get(url, allow_redirects=False, timeout=30)
        if reply.status_code in (302, 303):
            url = urljoin(url, reply.headers["location"])
            if url.startswith(REDIRECT):
                return url
            continue
        assert reply.status_code == 200 and email, f"unexpected page {reply.status_code} at {url}"
        form = CsrfField()
        form.feed(reply.text)
        posted = browser.post(
            url,
            data={"csrf_token": form.token, "email": email, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert posted.status_code == 303, f"sign-in answered {posted.status_code}: {posted.text[:300]}"
        url = urljoin(url, posted.headers["location"])
        if url.startswith(REDIRECT):
            return url
    raise AssertionError("no callback after 12 steps")


def discovery():
    return requests.get(f"{BASE}/t/{TENANT}/.well-known/openid-configuration", timeout=30).json()


def public_client(meta, scope):
    app = api(
        "POST",
        f"/v1/tenants/{TENANT}/applications",
        {
            "name": f"authlib {uuid.uuid4().hex[:8]}",
            "client_type": "public",
            "redirect_uris": [REDIRECT],
            "allowed_grants": ["authorization_code", "refresh_token"],
            "first_party": True,
        },
    )
    return OAuth2Session(
        app["client_id"],
        scope=scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ), app["client_id"]


def user(email):
    api("POST", f"/v1/tenants/{TENANT}/users", {"email": email, "password": PASSWORD, "email_verified": True})


def sign_in(meta, client, email):
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    callback = browser_callback(url, email)
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    return token, nonce


def check_code_flow_and_id_token(meta):
    email = f"authlib-{uuid.uuid4().hex[:8]}@example.com"
    user(email)
    client, client_id = public_client(meta, "openid email offline_access")
    token, nonce = sign_in(meta, client, email)
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": client_id}, "nonce": {"essential": True, "value": nonce}},
    )
    claims.validate()
    assert claims["email"] == email
    userinfo = client.get(meta["userinfo_endpoint"], timeout=30)
    assert userinfo.status_code == 200 and userinfo.json()["email"] == email, userinfo.text
    refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"], "rotated"


def check_access_token_revocation(meta):
    email = f"revoke-{uuid.uuid4().hex[:8]}@example.com"
    user(email)
    client, client_id = public_client(meta, "openid offline_access")
    token, _ = sign_in(meta, client, email)
    resource = api(
        "POST",
        f"/v1/tenants/{TENANT}/applications",
        {"name": f"resource {uuid.uuid4().hex[:8]}", "client_type": "confidential", "redirect_uris": ["https://api.example/cb"], "allowed_grants": ["client_credentials"]},
    )
    introspector = OAuth2Session(resource["client_id"], resource["client_secret"])
    active = introspector.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
    assert active["active"] is True, active
    revoked = client.revoke_token(meta["revocation_endpoint"], token=token["access_token"], token_type_hint="access_token")
    assert revoked.status_code == 200, revoked.text
    inactive = introspector.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
    assert inactive == {"active": False}, inactive
    after = requests.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=30)
    assert after.status_code == 401 and "WWW-Authenticate" in after.headers, after.text


def check_error_redirect_is_not_a_code(meta):
    client, _ = public_client(meta, "openid")
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, prompt="none")
    callback = browser_callback(url)
    params = {key: values[0] for key, values in parse_qs(urlparse(callback).query).items()}
    assert params["error"] == "login_required", callback
    assert params["catalogue_error"] == "silent_auth_failed", callback
    assert params["state"] == state
    # authlib's own test for an authorization response (`"code=" in url`) must not fire,
    # or fetch_token would post the catalogue code to the token endpoint as a grant.
    assert "code=" not in callback, callback
    try:
        client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    except OAuthError as error:
        assert error.error != "invalid_grant", f"the error redirect was exchanged as a code: {error}"
    # What authlib's framework integrations do with the callback: read `error` first.
    error = OAuthError(error=params["error"], description=params.get("error_description"))
    assert error.error == "login_required"


def check_private_key_jwt_defaults(meta):
    key = JsonWebKey.generate_key("EC", "P-256", is_private=True)
    public = key.as_dict(is_private=False)
    public["kid"] = "authlib-key"
    public["alg"] = "ES256"
    app = api(
        "POST",
        f"/v1/tenants/{TENANT}/applications",
        {"name": f"pkjwt {uuid.uuid4().hex[:8]}", "client_type": "confidential", "redirect_uris": ["https://api.example/cb"], "allowed_grants": ["client_credentials"], "jwks": {"keys": [public]}},
    )
    from authlib.oauth2.rfc7523 import PrivateKeyJWT
    from joserfc.jwk import ECKey

    private = ECKey.import_key(key.as_dict(is_private=True))
    # authlib's defaults otherwise: exp one hour after iat, a random jti.
    auth = PrivateKeyJWT(meta["token_endpoint"], alg="ES256", headers={"kid": "authlib-key"})
    client = OAuth2Session(app["client_id"], private, token_endpoint_auth_method=auth)
    token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer", token


def check_api_tokens_in_the_apis_own_algorithm(meta):
    """An API that signs with RS256 in an ES256 tenant: the tenant's key signs until the new
    keys are old enough (the server runs with a 1 s key cache: 6 s), then RS256; authlib
    verifies both from the published key set, with the API as the audience."""
    identifier = f"https://ledger-{uuid.uuid4().hex[:8]}.example/"
    ledger = api("POST", f"/v1/tenants/{TENANT}/apis", {"identifier": identifier, "signing_alg": "RS256", "permissions": [{"value": "read:ledger"}]})
    machine = api(
        "POST",
        f"/v1/tenants/{TENANT}/applications",
        {"name": f"ledger {uuid.uuid4().hex[:8]}", "client_type": "confidential", "redirect_uris": ["https://api.example/cb"], "allowed_grants": ["client_credentials"]},
    )
    api("POST", f"/v1/tenants/{TENANT}/client-grants", {"client_id": machine["client_id"], "api_id": ledger["id"], "scopes": ["read:ledger"]})
    client = OAuth2Session(machine["client_id"], machine["client_secret"])
    seen = []
    deadline = time.monotonic() + 30
    while not seen or seen[-1] != "RS256":
        assert time.monotonic() < deadline, f"never RS256: {seen}"
        token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials", audience=identifier)
        keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
        claims = jwt.decode(token["access_token"], keys, claims_options={"aud": {"essential": True, "value": identifier}})
        claims.validate()
        assert claims.header["typ"] == "at+jwt" and claims["permissions"] == ["read:ledger"], (claims.header, claims)
        seen.append(claims.header["alg"])
        time.sleep(0.25)
    assert set(seen[:-1]) <= {"ES256"} and seen[0] == "ES256", seen


CHECKS = [
    check_code_flow_and_id_token,
    check_access_token_revocation,
    check_error_redirect_is_not_a_code,
    check_private_key_jwt_defaults,
    check_api_tokens_in_the_apis_own_algorithm,
]


def main():
    meta = discovery()
    passed = failed = 0
    for check in CHECKS:
        started = time.monotonic()
        try:
            check(meta)
            passed += 1
            print(f"ok   {check.__name__} ({time.monotonic() - started:.2f}s)")
        except Exception:
            failed += 1
            print(f"FAIL {check.__name__}")
            traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
