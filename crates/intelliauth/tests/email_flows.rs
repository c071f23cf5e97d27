//! Registration, email verification and password recovery through the JSON flow API,
//! with mail delivered over SMTP to a real local server the test runs.

mod common;

use common::smtp::SmtpServer;
use common::{Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn with_smtp() -> (Server, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let server = Server::start_with(
        Options::default().arg("--smtp-url", &smtp.url).arg("--mail-from", "Acme <id@acme.example>"),
    )
    .await;
    (server, smtp)
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("a token in the link").to_owned()
}

async fn post(server: &Server, path: &str, body: serde_json::Value) -> Reply {
    Reply::from(server.http.post(server.url(path)).json(&body).send().await.unwrap()).await
}

#[tokio::test]
async fn register_verify_then_sign_in_with_unverified_refused_first() {
    let (server, smtp) = with_smtp().await;
    server.tenant("strict", json!({ "sign_in": { "require_verified_email": true } })).await;
    let flow = server.flow("strict", "registration").await;
    let registered = server
        .submit(
            "strict",
            "registration",
            &flow,
            json!({ "email": "new@example.com", "password": PASSWORD, "name": "New" }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::ACCEPTED, "{}", registered.text);

    let unverified = server.sign_in("strict", json!({ "email": "new@example.com", "password": PASSWORD })).await;
    let details = unverified.assert_error(403, "email_unverified");
    unverified.assert_catalogue_message();
    assert!(details["resend_url"].as_str().unwrap().ends_with("/t/strict/api/verification"));

    let link = smtp.link("new@example.com", "/t/strict/verify?token=").await;
    let confirmed = post(&server, "/t/strict/api/verification/confirm", json!({ "token": token_of(&link) })).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let reused = post(&server, "/t/strict/api/verification/confirm", json!({ "token": token_of(&link) })).await;
    reused.assert_error(400, "flow_invalid");

    let ok = server.sign_in("strict", json!({ "email": "new@example.com", "password": PASSWORD })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["user"]["email_verified"], true);
    assert!(smtp.messages().iter().all(|m| m.data.contains("acme.example")), "sent from the configured sender");
}

#[tokio::test]
async fn resending_verification_sends_a_fresh_link_and_is_rate_limited() {
    let (server, smtp) = with_smtp().await;
    server.user_with_password("default", "late@example.com", PASSWORD, false).await;
    for _ in 0..3 {
        let sent = post(&server, "/t/default/api/verification", json!({ "email": "late@example.com" })).await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    }
    smtp.wait_for("late@example.com", "/t/default/verify?token=").await;
    let limited = post(&server, "/t/default/api/verification", json!({ "email": "late@example.com" })).await;
    limited.assert_error(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // An unknown address gets the same answer as a known one.
    let unknown = post(&server, "/t/default/api/verification", json!({ "email": "nobody@example.com" })).await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_mails_the_owner() {
    let (server, smtp) = with_smtp().await;
    server.user_with_password("default", "taken@example.com", PASSWORD, true).await;
    let flow = server.flow("default", "registration").await;
    let reply = server
        .submit(
            "default",
            "registration",
            &flow,
            json!({ "email": "taken@example.com", "password": "another good one" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "no enumeration: {}", reply.text);
    smtp.wait_for("taken@example.com", "already has an account").await;

    let flow = server.flow("default", "registration").await;
    let weak = server
        .submit("default", "registration", &flow, json!({ "email": "bad", "password": "123456", "extra": 1 }))
        .await;
    let fields = &weak.assert_error(400, "validation_failed")["fields"];
    for field in ["email", "password", "extra"] {
        assert!(fields[field].is_array(), "{field}: {}", weak.text);
    }
}

#[tokio::test]
async fn forgot_password_mails_a_single_use_link_that_sets_a_new_password() {
    let (server, smtp) = with_smtp().await;
    server.user_with_password("default", "forgetful@example.com", PASSWORD, true).await;
    let session = server.sign_in("default", json!({ "email": "forgetful@example.com", "password": PASSWORD })).await;
    let old_session = session.body["session_token"].as_str().unwrap().to_owned();

    let asked = post(&server, "/t/default/api/recovery", json!({ "email": "forgetful@example.com" })).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let nobody = post(&server, "/t/default/api/recovery", json!({ "email": "nobody@example.com" })).await;
    assert_eq!(nobody.status, StatusCode::ACCEPTED, "the same answer for unknown addresses");

    let link = smtp.link("forgetful@example.com", "/t/default/reset?token=").await;
    let weak =
        post(&server, "/t/default/api/recovery/confirm", json!({ "token": token_of(&link), "password": "short" }))
            .await;
    weak.assert_error(400, "validation_failed");
    let reset = post(
        &server,
        "/t/default/api/recovery/confirm",
        json!({ "token": token_of(&link), "password": "a brand new secret" }),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "a weak attempt does not use up the link: {}", reset.text);
    let again = post(
        &server,
        "/t/default/api/recovery/confirm",
        json!({ "token": token_of(&link), "password": "yet another secret" }),
    )
    .await;
    again.assert_error(400, "flow_invalid");

    server
        .sign_in("default", json!({ "email": "forgetful@example.com", "password": PASSWORD }))
        .await
        .assert_error(401, "invalid_credentials");
    let ok =
        server.sign_in("default", json!({ "email": "forgetful@example.com", "password": "a brand new secret" })).await;
    assert_eq!(ok.status, StatusCode::OK);
    let revoked = server.http.get(server.url("/t/default/api/session")).bearer_auth(&old_session).send().await.unwrap();
    Reply::from(revoked).await.assert_error(401, "session_revoked");
}

#[tokio::test]
async fn a_forced_reset_answers_with_a_ticket_for_the_new_password_step() {
    let (server, _smtp) = with_smtp().await;
    let id = server.user_with_password("default", "flagged@example.com", PASSWORD, true).await;
    let flagged = server
        .call(Method::PATCH, &format!("/v1/tenants/default/users/{id}"), Some(json!({ "must_reset_password": true })))
        .await;
    assert_eq!(flagged.body["must_reset_password"], true);

    let wrong = server.sign_in("default", json!({ "email": "flagged@example.com", "password": "not it" })).await;
    wrong.assert_error(401, "invalid_credentials");
    let reply = server.sign_in("default", json!({ "email": "flagged@example.com", "password": PASSWORD })).await;
    let details = reply.assert_error(403, "password_must_be_reset");
    reply.assert_catalogue_message();
    let ticket = details["reset_ticket"].as_str().unwrap();
    assert!(details["reset_url"].as_str().unwrap().contains("/t/default/reset?token="));

    let reset = post(
        &server,
        "/t/default/api/recovery/confirm",
        json!({ "token": ticket, "password": "fresh and long enough" }),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert_eq!(reset.body["user"]["must_reset_password"], false);
    let ok =
        server.sign_in("default", json!({ "email": "flagged@example.com", "password": "fresh and long enough" })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_the_data_directory() {
    let server = Server::start().await;
    server.user_with_password("default", "offline@example.com", PASSWORD, false).await;
    assert_eq!(
        post(&server, "/t/default/api/recovery", json!({ "email": "offline@example.com" })).await.status,
        StatusCode::ACCEPTED
    );
    let mail_dir = server.data_dir.join("mail");
    let files: Vec<_> = std::fs::read_dir(&mail_dir).expect("a mail directory").collect();
    assert_eq!(files.len(), 1);
    let mail = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(mail.contains("To: offline@example.com") && mail.contains("/t/default/reset?token="), "{mail}");
    let token = mail.split("token=").nth(1).unwrap().split_whitespace().next().unwrap();
    assert!(!server.logs().contains(token), "the link is a credential: never logged");
}
