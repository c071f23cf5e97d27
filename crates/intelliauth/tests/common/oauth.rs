//! The authorization-code flow by hand, for any endpoint of the deployment (a node, or the
//! load balancer in front of several): the authorization request with PKCE, the browser's
//! GET, the code exchange and a refresh.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use super::{no_redirects, Endpoint, Reply};

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const REDIRECT: &str = "http://localhost:4000/callback";

pub fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

pub fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
    let challenge = challenge();
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (key, value) in extra {
        pairs.retain(|(k, _)| k != key);
        if !value.is_empty() {
            pairs.push((key, value));
        }
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    format!("/t/default/oauth/authorize?{}", query.join("&"))
}

/// [`authorize_path`] in `tenant`.
pub fn authorize_path_in(tenant: &str, client_id: &str, extra: &[(&str, &str)]) -> String {
    authorize_path(client_id, extra).replace("/t/default/", &format!("/t/{tenant}/"))
}

pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// GET the authorization endpoint with `cookie`; returns the status and the Location.
pub async fn authorize(server: &Endpoint, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let mut request = no_redirects().get(server.url(path)).header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

pub async fn exchange(server: &Endpoint, client_id: &str, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ];
    Reply::from(server.http.post(server.url("/t/default/oauth/token")).form(&form).send().await.unwrap()).await
}

/// The code in the redirect `location`, exchanged (with [`VERIFIER`]) at `tenant`'s token
/// endpoint by `client`: `(id, Some(secret))` authenticates with HTTP Basic, `(id, None)` is
/// a public client.
pub async fn exchange_redirect(server: &Endpoint, tenant: &str, client: (&str, Option<&str>), location: &str) -> Reply {
    let code = super::tokens::query_param(location, "code").unwrap_or_else(|| panic!("no code: {location}"));
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let mut request = server.http.post(server.url(&format!("/t/{tenant}/oauth/token")));
    match client {
        (id, Some(secret)) => request = request.basic_auth(id, Some(secret)),
        (id, None) => form.push(("client_id", id)),
    }
    Reply::from(request.form(&form).send().await.unwrap()).await
}

pub async fn refresh(server: &Endpoint, client_id: &str, token: &str) -> Reply {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client_id)];
    Reply::from(server.http.post(server.url("/t/default/oauth/token")).form(&form).send().await.unwrap()).await
}

/// RFC 7009 revocation of `token` by the public client `client_id`: always 200.
pub async fn revoke(server: &Endpoint, client_id: &str, token: &str) {
    let form = [("token", token), ("client_id", client_id)];
    let revoked = server.http.post(server.url("/t/default/oauth/revoke")).form(&form).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
}

pub async fn userinfo(server: &Endpoint, token: &str) -> StatusCode {
    server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(token).send().await.unwrap().status()
}

/// A confidential client of `tenant` with these grants and scopes: its id and secret.
pub async fn machine_client(server: &Endpoint, tenant: &str, grants: &[&str], scopes: &[&str]) -> (String, String) {
    let app = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            serde_json::json!({ "name": format!("m2m-{}", grants.join("-")), "client_type": "confidential",
                                "redirect_uris": ["https://m2m.example/cb"], "allowed_grants": grants, "allowed_scopes": scopes }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    (app.body["client_id"].as_str().unwrap().to_owned(), app.body["client_secret"].as_str().unwrap().to_owned())
}

/// A `client_credentials` access token for the default tenant's client `id`.
pub async fn machine_token(server: &Endpoint, id: &str, secret: &str) -> String {
    let issued = server.oauth_post("default", "token", (id, secret), &[("grant_type", "client_credentials")]).await;
    issued.body["access_token"].as_str().unwrap_or_else(|| panic!("no token: {}", issued.text)).to_owned()
}
