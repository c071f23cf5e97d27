//! OpenID Connect Back-Channel Logout 1.0 over HTTP on both backends, with a real receiver:
//! a session that signed in to an application with a back-channel logout URI owes it a
//! logout token when it ends — by RP-initiated logout or by an admin — queued with the
//! session's end, signed by the tenant's key (`typ: logout+jwt`, `sid` the ID token's, the
//! logout event, no nonce), posted as a form through the webhook guard and retried on its
//! schedule after a 503; a 4xx is final; applications without a URI get nothing.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::oauth::{authorize, authorize_path_in, exchange_redirect, urlencode, REDIRECT};
use common::receiver::{Answer, Receiver};
use common::tokens::{claims, header};
use common::{no_redirects, unique, Options, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn app(server: &Server, tenant: &str, name: &str, logout_uri: Option<&str>) -> String {
    let mut body = json!({ "name": name, "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true });
    if let Some(uri) = logout_uri {
        body["backchannel_logout_uri"] = uri.into();
    }
    let reply = server.post(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["backchannel_logout_uri"], logout_uri.map_or(Value::Null, Value::from));
    reply.body["client_id"].as_str().unwrap().to_owned()
}

/// Signs `client_id` in with the browser `cookie`: its ID token.
async fn id_token(server: &Server, tenant: &str, client_id: &str, cookie: &str) -> String {
    let path = authorize_path_in(tenant, client_id, &[]);
    let (_, location, _) = authorize(server, &path, Some(cookie)).await;
    let body = exchange_redirect(server, tenant, (client_id, None), &location).await.body;
    body["id_token"].as_str().unwrap_or_else(|| panic!("no ID token: {body}")).to_owned()
}

/// The logout token of a receiver's request, checked against the tenant's published keys.
async fn verified_logout_token(server: &Server, tenant: &str, body: &str) -> Value {
    let token = body.strip_prefix("logout_token=").unwrap_or_else(|| panic!("not a logout_token form: {body}"));
    assert!(!token.contains('&'), "one field only");
    let head = header(token);
    assert_eq!(head["typ"], "logout+jwt");
    let jwks = server.public_json(&format!("/t/{tenant}/.well-known/jwks.json")).await;
    let key = jwks["keys"].as_array().unwrap().iter().find(|key| key["kid"] == head["kid"]).expect("a published key");
    assert_eq!(key["alg"], "ES256");
    let coordinate = |name: &str| URL_SAFE_NO_PAD.decode(key[name].as_str().unwrap()).unwrap();
    let point = [&[4u8][..], &coordinate("x"), &coordinate("y")].concat();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(signed.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).unwrap())
        .expect("the logout token's signature verifies with the tenant's key");
    claims(token)
}

#[tokio::test]
async fn an_ended_session_posts_a_signed_logout_token_to_each_application_it_signed_in_to() {
    let options = Options::unlimited().arg("--webhooks-allow-loopback", true).arg("--webhook-retry-schedule", "1s,1s");
    let server = Server::start_with(options).await;
    let tenant = unique("bcl-");
    server.tenant(&tenant, json!({})).await;
    let user_id = server.user_with_password(&tenant, "eve@example.com", PASSWORD, true).await;
    let receiver = Receiver::start(Answer::status(503, "restarting")).await;
    let listening = app(&server, &tenant, "listening", Some(&receiver.url)).await;
    let silent = app(&server, &tenant, "silent", None).await;

    // A logout URI is checked like a webhook receiver's: no link-local addresses.
    let metadata = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": "metadata", "client_type": "public", "redirect_uris": [REDIRECT],
                    "backchannel_logout_uri": "http://169.254.169.254/latest" }),
        )
        .await;
    assert!(metadata.assert_error(400, "validation_failed")["fields"]["backchannel_logout_uri"].is_array());
    let discovery = server.public_json(&format!("/t/{tenant}/.well-known/openid-configuration")).await;
    assert_eq!(
        (
            discovery["backchannel_logout_supported"].as_bool(),
            discovery["backchannel_logout_session_supported"].as_bool()
        ),
        (Some(true), Some(true))
    );

    let cookie = server.browser_session(&tenant, "eve@example.com", PASSWORD).await;
    let listening_token = id_token(&server, &tenant, &listening, &cookie).await;
    id_token(&server, &tenant, &silent, &cookie).await;
    // Signing in twice to the same application still owes it one logout token.
    id_token(&server, &tenant, &listening, &cookie).await;
    let sid = claims(&listening_token)["sid"].as_str().expect("the ID token names its session").to_owned();

    let logout = format!("/t/{tenant}/oauth/logout?id_token_hint={}", urlencode(&listening_token));
    let ended = no_redirects().get(server.url(&logout)).header("cookie", &cookie).send().await.unwrap();
    assert!(ended.status().is_success() || ended.status().is_redirection(), "{}", ended.status());

    // The first attempt meets a 503; the retry a second later is delivered.
    let first = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(first[0].header("content-type"), "application/x-www-form-urlencoded");
    receiver.answer(Answer::ok());
    let both = receiver.wait_for(2, Duration::from_secs(10)).await;
    let token = verified_logout_token(&server, &tenant, &both[1].body).await;
    assert!(token["iss"].as_str().unwrap().ends_with(&format!("/t/{tenant}")));
    assert_eq!((token["aud"].as_str(), token["sub"].as_str()), (Some(listening.as_str()), Some(user_id.as_str())));
    assert_eq!(token["sid"], sid.as_str());
    assert_eq!(token["events"], json!({ "http://schemas.openid.net/event/backchannel-logout": {} }));
    assert!(token.get("nonce").is_none(), "a logout token never has a nonce");
    assert!(token["exp"].as_i64().unwrap() > token["iat"].as_i64().unwrap() && token["jti"].is_string());

    // Delivered once, and only to the application that asked.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.deliveries().len(), 2);
    let status = server.query_text(&format!("SELECT status FROM logout_deliveries WHERE session_id = '{sid}'")).await;
    assert_eq!(status, "delivered");
    let log = server.get(&format!("/v1/tenants/{tenant}/logs?type=logout.backchannel")).await;
    let codes: Vec<&str> = log.body["data"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 2, "{}", log.text);
    assert!(codes.contains(&"receiver_5xx") && codes.contains(&"delivered"), "{codes:?}");

    // An admin ending every session of the user: the same, for the new session; a receiver
    // that refuses the token (4xx) is not asked again.
    receiver.answer(Answer::status(400, "unknown sid"));
    let cookie = server.browser_session(&tenant, "eve@example.com", PASSWORD).await;
    let second = id_token(&server, &tenant, &listening, &cookie).await;
    let second_sid = claims(&second)["sid"].as_str().unwrap().to_owned();
    assert_ne!(second_sid, sid);
    let revoked = server.call(Method::DELETE, &format!("/v1/tenants/{tenant}/users/{user_id}/sessions"), None).await;
    assert!(revoked.status.is_success(), "{}", revoked.text);
    let all = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(verified_logout_token(&server, &tenant, &all[2].body).await["sid"], second_sid.as_str());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.deliveries().len(), 3, "a refused logout token is final");
    let query = format!("SELECT status FROM logout_deliveries WHERE session_id = '{second_sid}'");
    assert_eq!(server.query_text(&query).await, "dead");
}
