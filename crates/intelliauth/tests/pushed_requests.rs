//! Pushed authorization requests (RFC 9126) over HTTP: a client pushes its request
//! (authenticated, checked as the authorization endpoint checks it) and sends the browser
//! with the `request_uri` alone, once; an application that requires it refuses any other
//! request, a request's own query cannot claim to be pushed, and the pushed request
//! survives the sign-in it waits for.

mod common;

use common::oauth::{authorize, challenge, REDIRECT, VERIFIER};
use common::tokens::query_param;
use common::{unique, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

struct Client {
    id: String,
    secret: String,
}

async fn confidential(server: &Server, tenant: &str, name: &str) -> Client {
    let app = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": name, "client_type": "confidential", "redirect_uris": [REDIRECT], "first_party": true }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    Client {
        id: app.body["client_id"].as_str().unwrap().into(),
        secret: app.body["client_secret"].as_str().unwrap().into(),
    }
}

async fn push(server: &Server, tenant: &str, client: &Client, extra: &[(&str, &str)]) -> Reply {
    let challenge = challenge();
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (key, value) in extra {
        form.retain(|(k, _)| k != key);
        if !value.is_empty() {
            form.push((key, value));
        }
    }
    server.oauth_post(tenant, "par", (&client.id, &client.secret), &form).await
}

fn authorize_with(tenant: &str, client_id: &str, request_uri: &str) -> String {
    let uri = common::oauth::urlencode(request_uri);
    format!("/t/{tenant}/oauth/authorize?client_id={client_id}&request_uri={uri}")
}

async fn exchange(server: &Server, tenant: &str, client: &Client, code: &str) -> Reply {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    server.oauth_post(tenant, "token", (&client.id, &client.secret), &form).await
}

#[tokio::test]
async fn a_pushed_request_is_used_once_and_required_where_the_application_says_so() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("par-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "pat@example.com", PASSWORD, true).await;
    let client = confidential(&server, &tenant, "web").await;
    let discovery = server.public_json(&format!("/t/{tenant}/.well-known/openid-configuration")).await;
    assert!(discovery["pushed_authorization_request_endpoint"].as_str().unwrap().ends_with("/oauth/par"));

    let pushed = push(&server, &tenant, &client, &[]).await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    assert_eq!(pushed.body["expires_in"], 60);
    let request_uri = pushed.body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{request_uri}");

    let cookie = server.browser_session(&tenant, "pat@example.com", PASSWORD).await;
    let (status, location, _) =
        authorize(&server, &authorize_with(&tenant, &client.id, &request_uri), Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("pushed-state"), "the pushed state, not the query's");
    let tokens = exchange(&server, &tenant, &client, &query_param(&location, "code").unwrap()).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);

    // Used once: the same request_uri again is an error page, never a redirect.
    let (status, location, page) =
        authorize(&server, &authorize_with(&tenant, &client.id, &request_uri), Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{location} {page}");
    assert!(page.contains("validation_failed"), "{page}");

    // Another client cannot use this client's pushed request.
    let other = confidential(&server, &tenant, "other").await;
    let pushed = push(&server, &tenant, &client, &[]).await;
    let stolen = authorize_with(&tenant, &other.id, pushed.body["request_uri"].as_str().unwrap());
    let (status, _, _) = authorize(&server, &stolen, Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The push is checked as the authorization endpoint checks a request, and authenticated.
    let unregistered = push(&server, &tenant, &client, &[("redirect_uri", "https://evil.example/cb")]).await;
    assert_eq!(unregistered.status, StatusCode::BAD_REQUEST, "{}", unregistered.text);
    assert_eq!(unregistered.body["error"], "invalid_request");
    assert_eq!(unregistered.body["code"], "invalid_redirect_uri");
    let no_pkce = push(&server, &tenant, &client, &[("code_challenge", "")]).await;
    assert_eq!(no_pkce.body["code"], "pkce_required", "{}", no_pkce.text);
    let wrong_secret = server.oauth_post(&tenant, "par", (&client.id, "wrong"), &[("response_type", "code")]).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED, "{}", wrong_secret.text);
    assert_eq!(wrong_secret.body["error"], "invalid_client");

    // Required: a request that was not pushed goes back to the client as invalid_request,
    // whatever its query claims.
    let required = server
        .call(
            Method::PATCH,
            &format!("/v1/tenants/{tenant}/applications/{}", client.id),
            Some(json!({ "require_par": true })),
        )
        .await;
    assert_eq!(required.status, StatusCode::OK, "{}", required.text);
    assert_eq!(required.body["require_par"], true);
    let direct = common::oauth::authorize_path(&client.id, &[]).replace("/t/default/", &format!("/t/{tenant}/"));
    let (status, location, body) = authorize(&server, &direct, Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{direct} {body}");
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"), "{location}");
    assert!(query_param(&location, "code").is_none());
    let claiming = format!("{direct}&pushed=true");
    let (status, location, _) = authorize(&server, &claiming, Some(&cookie)).await;
    assert!(query_param(&location, "code").is_none(), "a query cannot claim to be pushed: {status} {location}");

    // A pushed request waits through the sign-in it needs, still counted as pushed.
    let pushed = push(&server, &tenant, &client, &[]).await;
    let start = authorize_with(&tenant, &client.id, pushed.body["request_uri"].as_str().unwrap());
    let (status, login, _) = authorize(&server, &start, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(login.contains("/login?return_to="), "{login}");
    let signed_in = server.browser_sign_in(&login, "pat@example.com", PASSWORD).await;
    let resume = format!(
        "/t/{tenant}/oauth/authorize?request_id={}",
        query_param(&login, "return_to").unwrap().split("request_id=").nth(1).unwrap()
    );
    let (status, location, body) = authorize(&server, &resume, Some(&signed_in)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(location.starts_with(REDIRECT) && query_param(&location, "code").is_some(), "{location}");
}
