//! The authorization-code flow over raw HTTP: a browser's cookies by hand, every
//! authorization-endpoint error where it must go (an error page, or back to the client),
//! the code exchange with PKCE, ID tokens, userinfo and token expiry.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://localhost:4000/callback";

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn app(server: &Server, tenant: &str, body: Value) -> String {
    let reply = server.post(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client_id"].as_str().unwrap().to_owned()
}

async fn spa(server: &Server, first_party: bool) -> String {
    let name = if first_party { "first-party spa" } else { "third-party spa" };
    app(
        server,
        "default",
        json!({ "name": name, "client_type": "public", "redirect_uris": [REDIRECT], "first_party": first_party }),
    )
    .await
}

/// A signed-in browser session cookie for the default tenant, through the hosted page.
async fn session_cookie(server: &Server, email: &str) -> String {
    let http = no_redirects();
    let started = http.get(server.url("/t/default/login")).send().await.unwrap();
    let csrf_cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let page =
        http.get(server.url(&location)).header("cookie", &csrf_cookie).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let signed_in = http
        .post(server.url(&location))
        .header("cookie", &csrf_cookie)
        .form(&[("csrf_token", csrf), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let session = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    format!("{csrf_cookie}; {session}")
}

fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
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

fn urlencode(value: &str) -> String {
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
async fn authorize(server: &Server, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let mut request = no_redirects().get(server.url(path)).header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| {
        let bytes = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    })
}

async fn exchange(server: &Server, client_id: &str, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ];
    Reply::from(server.http.post(server.url("/t/default/oauth/token")).form(&form).send().await.unwrap()).await
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn the_code_flow_signs_in_and_issues_id_token_access_token_and_userinfo() {
    let server = Server::start().await;
    server.user_with_password("default", "oidc@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;

    // Not signed in: to the login page, which returns to the stored request.
    let (status, location, _) = authorize(&server, &authorize_path(&client_id, &[]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/t/default/login?return_to="), "{location}");

    let cookie = session_cookie(&server, "oidc@example.com").await;
    let resume = query_param(&location, "return_to").unwrap();
    let (_, callback, _) = authorize(&server, &resume, Some(&cookie)).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("st-123"));
    assert!(query_param(&callback, "iss").unwrap().ends_with("/t/default"), "RFC 9207 iss");
    let code = query_param(&callback, "code").unwrap();

    let wrong_verifier = exchange(&server, &client_id, &code, "x".repeat(43).as_str()).await;
    wrong_verifier.assert_error(400, "invalid_grant");
    assert_eq!(wrong_verifier.body["error"], "invalid_grant");

    // A fresh code (the failed exchange used the first one up).
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = exchange(&server, &client_id, &code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let id = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(
        (id["aud"].as_str(), id["nonce"].as_str(), id["email"].as_str()),
        (Some(client_id.as_str()), Some("n-456"), Some("oidc@example.com"))
    );
    assert!(id["auth_time"].is_i64() && id["at_hash"].is_string() && id["amr"] == json!(["pwd"]));
    let access = tokens.body["access_token"].as_str().unwrap();
    let info =
        Reply::from(server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(access).send().await.unwrap())
            .await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!((info.body["sub"].clone(), info.body["email"].as_str()), (id["sub"].clone(), Some("oidc@example.com")));

    let replay = exchange(&server, &client_id, &code, VERIFIER).await;
    replay.assert_error(400, "invalid_grant");
    assert_eq!(replay.body["details"]["reason"], "the code was already used");
}

#[tokio::test]
async fn errors_before_the_redirect_uri_is_trusted_are_pages_and_after_it_redirects() {
    let server = Server::start().await;
    server.user_with_password("default", "e@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = session_cookie(&server, "e@example.com").await;

    let (status, location, page) = authorize(
        &server,
        &authorize_path(&client_id, &[("redirect_uri", "http://localhost:4000/evil")]),
        Some(&cookie),
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::BAD_REQUEST, ""), "never a redirect");
    assert!(
        page.contains("invalid_redirect_uri") && page.contains("Sign-in configuration error. Contact support."),
        "{page}"
    );
    let (status, location, page) = authorize(&server, &authorize_path("app_unknown", &[]), Some(&cookie)).await;
    assert_eq!((status, location.as_str()), (StatusCode::UNAUTHORIZED, ""));
    assert!(page.contains("invalid_client"), "{page}");

    let redirected = |location: &str, rfc: &str, code: &str| {
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(query_param(location, "error").as_deref(), Some(rfc), "{location}");
        assert_eq!(query_param(location, "code").as_deref(), Some(code), "{location}");
        assert_eq!(query_param(location, "state").as_deref(), Some("st-123"), "state carried through: {location}");
    };
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("code_challenge", "")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "pkce_required");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("code_challenge_method", "plain")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "pkce_required");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("scope", "openid admin")]), Some(&cookie)).await;
    redirected(&location, "invalid_scope", "invalid_scope");
    let (_, location, _) =
        authorize(&server, &authorize_path(&client_id, &[("response_type", "")]), Some(&cookie)).await;
    redirected(&location, "invalid_request", "validation_failed");
    let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), None).await;
    redirected(&location, "login_required", "silent_auth_failed");

    let machine = app(&server, "default", json!({ "name": "m2m", "client_type": "confidential", "redirect_uris": [REDIRECT], "allowed_grants": ["client_credentials"] })).await;
    let (_, location, _) = authorize(&server, &authorize_path(&machine, &[]), Some(&cookie)).await;
    redirected(&location, "unauthorized_client", "unauthorized_client");
}

#[tokio::test]
async fn third_party_clients_need_consent_once() {
    let server = Server::start().await;
    server.user_with_password("default", "c@example.com", PASSWORD, true).await;
    let client_id = spa(&server, false).await;
    let cookie = session_cookie(&server, "c@example.com").await;

    let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("consent_required"));
    assert_eq!(query_param(&location, "code").as_deref(), Some("consent_required"));

    let (_, consent, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    assert!(consent.starts_with("/t/default/oauth/consent?request_id="), "{consent}");
    let page =
        no_redirects().get(server.url(&consent)).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("third-party spa") && page.contains("<code>email</code>"), "{page}");
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let approved = no_redirects()
        .post(server.url(&consent))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    let (_, silent, _) = authorize(&server, &authorize_path(&client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert!(query_param(&silent, "code").is_some(), "consent is remembered: {silent}");
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let server = Server::start().await;
    server.user_with_password("default", "p@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = session_cookie(&server, "p@example.com").await;
    for extra in [("prompt", "login"), ("max_age", "0")] {
        if extra.0 == "max_age" {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let (_, location, _) = authorize(&server, &authorize_path(&client_id, &[extra]), Some(&cookie)).await;
        assert!(location.starts_with("/t/default/login"), "{extra:?} forces sign-in: {location}");
    }
}

#[tokio::test]
async fn an_expired_access_token_is_token_expired_at_userinfo() {
    let server = Server::start().await;
    server
        .call(
            Method::PATCH,
            "/v1/tenants/default",
            Some(json!({ "settings": { "oauth": { "access_token_lifetime_s": 1 } } })),
        )
        .await;
    server.user_with_password("default", "x@example.com", PASSWORD, true).await;
    let client_id = spa(&server, true).await;
    let cookie = session_cookie(&server, "x@example.com").await;
    let (_, callback, _) = authorize(&server, &authorize_path(&client_id, &[]), Some(&cookie)).await;
    let tokens = exchange(&server, &client_id, &query_param(&callback, "code").unwrap(), VERIFIER).await;
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = Reply::from(
        server.http.get(server.url("/t/default/oauth/userinfo")).bearer_auth(&access).send().await.unwrap(),
    )
    .await;
    expired.assert_error(401, "token_expired");
    let challenge = expired.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{challenge}");
    let missing = Reply::from(server.http.get(server.url("/t/default/oauth/userinfo")).send().await.unwrap()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
}
