//! The device authorization grant (RFC 8628) over HTTP: the device's codes, polling answered
//! `authorization_pending` then `slow_down` when too fast, a person approving on the hosted
//! page (signed in first), the tokens handed out exactly once however many polls race for
//! them, a declined device (`access_denied`), an expired code, clients not allowed it, and
//! a device asking for tokens for an API.

mod common;

use common::browser::{field, Browser};
use common::tokens::claims;
use common::{unique, Options, Reply, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device_app(server: &Server, tenant: &str, name: &str, grants: Value) -> String {
    let reply = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": name, "client_type": "public", "allowed_grants": grants }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client_id"].as_str().unwrap().to_owned()
}

async fn form_post(server: &Server, path: &str, form: &[(&str, &str)]) -> Reply {
    Reply::from(reqwest::Client::new().post(server.url(path)).form(form).send().await.unwrap()).await
}

async fn start(server: &Server, tenant: &str, client_id: &str, scope: &str) -> Reply {
    form_post(server, &format!("/t/{tenant}/oauth/device_authorization"), &[("client_id", client_id), ("scope", scope)])
        .await
}

async fn poll(server: &Server, tenant: &str, client_id: &str, device_code: &str) -> Reply {
    let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code), ("client_id", client_id)];
    form_post(server, &format!("/t/{tenant}/oauth/token"), &form).await
}

/// Signs `email` in at the hosted pages and answers the device's code with `decision`.
async fn decide(tenant: &str, email: &str, complete_uri: &str, decision: &str) -> String {
    let public = complete_uri.split("/t/").next().unwrap();
    let mut browser = Browser::new(public);
    // Not signed in: the page sends the person to sign in, then back to this code.
    let first = browser.get(complete_uri).await;
    let login = first.location().to_owned();
    assert!(login.contains("/login?return_to="), "{login}");
    let started = browser.get(&login).await;
    let page = browser.get(started.location()).await;
    let csrf = field(&page.body, "csrf_token");
    let signed_in =
        browser.post(started.location(), &[("csrf_token", &csrf), ("email", email), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    let confirm = browser.get(signed_in.location()).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("tv on your device asks to sign in"), "{}", confirm.body);
    let shown = field(&confirm.body, "user_code");
    assert!(complete_uri.ends_with(&shown), "the page shows the device's code");
    let csrf = field(&confirm.body, "csrf_token");
    let done = browser
        .post(&format!("/t/{tenant}/device"), &[("csrf_token", &csrf), ("user_code", &shown), ("decision", decision)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done.body
}

#[tokio::test]
async fn a_device_polls_until_approved_and_gets_its_tokens_once() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("dev-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "tv@example.com", PASSWORD, true).await;
    let client_id = device_app(&server, &tenant, "tv", json!([DEVICE_GRANT, "refresh_token"])).await;

    let discovery = server.public_json(&format!("/t/{tenant}/.well-known/openid-configuration")).await;
    assert!(discovery["device_authorization_endpoint"].as_str().unwrap().ends_with("/oauth/device_authorization"));
    assert!(discovery["grant_types_supported"].as_array().unwrap().contains(&json!(DEVICE_GRANT)));

    let started = start(&server, &tenant, &client_id, "openid email offline_access").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let body = &started.body;
    let user_code = body["user_code"].as_str().unwrap();
    assert!(user_code.len() == 9 && user_code.as_bytes()[4] == b'-', "{user_code}");
    assert_eq!(body["interval"], 5);
    assert_eq!(body["expires_in"], 600);
    assert_eq!(started.header("cache-control"), Some("no-store"));
    let device_code = body["device_code"].as_str().unwrap().to_owned();

    let pending = poll(&server, &tenant, &client_id, &device_code).await;
    assert_eq!(pending.status, StatusCode::BAD_REQUEST, "{}", pending.text);
    assert_eq!(pending.body["error"], "authorization_pending");
    assert_eq!(pending.body["code"], "authorization_pending");
    let too_fast = poll(&server, &tenant, &client_id, &device_code).await;
    assert_eq!(too_fast.body["error"], "slow_down", "{}", too_fast.text);
    assert_eq!(too_fast.body["details"]["interval"], 10);

    let done = decide(&tenant, "tv@example.com", body["verification_uri_complete"].as_str().unwrap(), "allow").await;
    assert!(done.contains("Your device is signed in"), "{done}");

    // Twenty polls at once, as if the device (or a thief of its code) raced itself: one gets
    // the tokens, the others nothing.
    server.execute_sql("UPDATE device_codes SET polled_at = 0").await;
    let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code.as_str()), ("client_id", client_id.as_str())];
    let token_url = server.url(&format!("/t/{tenant}/oauth/token"));
    let polls: Vec<_> = (0..20).map(|_| tokio::spawn(server.http.post(token_url.clone()).form(&form).send())).collect();
    let mut answers = Vec::new();
    for polled in polls {
        answers.push(Reply::from(polled.await.unwrap().unwrap()).await);
    }
    let issued: Vec<&Reply> = answers.iter().filter(|reply| reply.status == StatusCode::OK).collect();
    assert_eq!(issued.len(), 1, "{:?}", answers.iter().map(|r| r.text.clone()).collect::<Vec<_>>());
    for refused in answers.iter().filter(|reply| reply.status != StatusCode::OK) {
        assert_eq!(refused.body["error"], "invalid_grant", "{}", refused.text);
    }
    let tokens = &issued[0].body;
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "tv@example.com");
    assert_eq!(id_token["aud"], client_id.as_str());
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert!(tokens["refresh_token"].is_string(), "offline_access gives the device a refresh token");
    let refreshed = form_post(
        &server,
        &format!("/t/{tenant}/oauth/token"),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let after = poll(&server, &tenant, &client_id, &device_code).await;
    assert_eq!(after.body["error"], "invalid_grant", "{}", after.text);
}

#[tokio::test]
async fn a_declined_an_expired_and_an_unallowed_device_get_nothing() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("dev-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "tv@example.com", PASSWORD, true).await;
    let client_id = device_app(&server, &tenant, "tv", json!([DEVICE_GRANT])).await;

    let started = start(&server, &tenant, &client_id, "openid").await;
    let device_code = started.body["device_code"].as_str().unwrap().to_owned();
    let done =
        decide(&tenant, "tv@example.com", started.body["verification_uri_complete"].as_str().unwrap(), "deny").await;
    assert!(done.contains("You declined"), "{done}");
    let denied = poll(&server, &tenant, &client_id, &device_code).await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST, "{}", denied.text);
    assert_eq!(denied.body["error"], "access_denied");
    assert_eq!(denied.body["code"], "access_denied");

    // Past its lifetime: expired_token at the token endpoint, and the page says so.
    let started = start(&server, &tenant, &client_id, "openid").await;
    let device_code = started.body["device_code"].as_str().unwrap().to_owned();
    server.execute_sql("UPDATE device_codes SET expires_at = 1 WHERE status = 'pending'").await;
    let expired = poll(&server, &tenant, &client_id, &device_code).await;
    assert_eq!(expired.body["error"], "expired_token", "{}", expired.text);
    let mut browser = Browser::new(started.body["verification_uri"].as_str().unwrap().split("/t/").next().unwrap());
    browser.sign_in(&tenant, "tv@example.com", PASSWORD).await;
    let page = browser.get(started.body["verification_uri_complete"].as_str().unwrap()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("data-code=\"expired_token\""), "{}", page.body);
    let made_up = browser.get(&format!("/t/{tenant}/device?user_code=BCDF-GHJK")).await;
    assert!(made_up.body.contains("data-code=\"expired_token\""), "{}", made_up.body);

    // Unknown device codes, other clients' codes, clients without the grant, foreign scopes.
    let unknown = poll(&server, &tenant, &client_id, "iad_unknown").await;
    assert_eq!(unknown.body["error"], "invalid_grant", "{}", unknown.text);
    let web = device_app(&server, &tenant, "web", json!(["refresh_token"])).await;
    let refused = start(&server, &tenant, &web, "openid").await;
    assert_eq!(refused.body["error"], "unauthorized_client", "{}", refused.text);
    let other = device_app(&server, &tenant, "console", json!([DEVICE_GRANT])).await;
    let started = start(&server, &tenant, &client_id, "openid").await;
    let stolen = poll(&server, &tenant, &other, started.body["device_code"].as_str().unwrap()).await;
    assert_eq!(stolen.body["error"], "invalid_grant", "{}", stolen.text);
    let scope = start(&server, &tenant, &client_id, "openid admin:everything").await;
    assert_eq!(scope.body["error"], "invalid_scope", "{}", scope.text);
    assert_eq!(scope.body["details"]["scopes"], json!(["admin:everything"]));
}

/// A device asks for tokens for an API as an authorization request does (`audience`, or
/// RFC 8707's `resource`): its permissions are checked when it starts (`invalid_target` for
/// an unknown API, the offending scopes named), the person approves them, and the tokens
/// carry the API's `aud` and permissions, through a refresh too.
#[tokio::test]
async fn a_device_gets_tokens_for_an_api() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("dev-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "tv@example.com", PASSWORD, true).await;
    let client_id = device_app(&server, &tenant, "tv", json!([DEVICE_GRANT, "refresh_token"])).await;
    let films = "https://films.example/";
    server
        .created(
            &format!("/v1/tenants/{tenant}/apis"),
            json!({ "identifier": films, "permissions": [{ "value": "watch:films" }, { "value": "rent:films" }] }),
        )
        .await;
    let path = format!("/t/{tenant}/oauth/device_authorization");

    let unknown =
        form_post(&server, &path, &[("client_id", &client_id), ("audience", "https://nowhere.example/")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    assert_eq!(unknown.body["error"], "invalid_target");
    let undefined =
        form_post(&server, &path, &[("client_id", &client_id), ("resource", films), ("scope", "openid buy:films")])
            .await;
    assert_eq!(undefined.body["error"], "invalid_scope", "{}", undefined.text);
    assert_eq!(undefined.body["details"]["scopes"], json!(["buy:films"]));
    let two = form_post(
        &server,
        &path,
        &[("client_id", &client_id), ("audience", films), ("resource", "https://nowhere.example/")],
    )
    .await;
    assert_eq!(two.body["code"], "validation_failed", "{}", two.text);

    let started = form_post(
        &server,
        &path,
        &[("client_id", &client_id), ("audience", films), ("scope", "openid offline_access watch:films")],
    )
    .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let device_code = started.body["device_code"].as_str().unwrap().to_owned();
    decide(&tenant, "tv@example.com", started.body["verification_uri_complete"].as_str().unwrap(), "allow").await;
    // Naming another API when polling is refused; the grant's own is fine.
    let token_path = format!("/t/{tenant}/oauth/token");
    let other = form_post(
        &server,
        &token_path,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", &device_code),
            ("client_id", &client_id),
            ("audience", "https://nowhere.example/"),
        ],
    )
    .await;
    assert_eq!(other.body["error"], "invalid_target", "{}", other.text);
    server.execute_sql("UPDATE device_codes SET polled_at = 0").await;
    let tokens = form_post(
        &server,
        &token_path,
        &[("grant_type", DEVICE_GRANT), ("device_code", &device_code), ("client_id", &client_id), ("audience", films)],
    )
    .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let access = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], films);
    assert_eq!(access["scope"], "openid offline_access watch:films");
    assert_eq!(access["permissions"], json!(["watch:films"]));
    let refreshed = form_post(
        &server,
        &token_path,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.body["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(claims(refreshed.body["access_token"].as_str().unwrap())["aud"], films);
}
