//! First start, restart, `migrate` and log formats of the real binary.

mod common;

use common::{Options, Server};
use reqwest::StatusCode;

#[tokio::test]
async fn first_start_prints_a_working_token_once_and_keeps_data_across_restarts() {
    let server = Server::start_with(Options { generated_token: true, ..Options::default() }).await;
    assert!(server.token.starts_with("iam_") && server.token.len() > 40, "banner token: {}", server.stdout());
    let id = server.create_user("kept@example.com").await;
    assert!(!server.logs().contains(&server.token), "the generated token is printed, never logged");
    // The banner says where the console is and how the first admin gets in; the page agrees.
    let banner = server.stdout();
    assert!(
        banner.contains("admin console") && banner.contains("/console, choose \"Create the first admin\""),
        "{banner}"
    );
    let console = server.http.get(server.url("/console")).send().await.unwrap().text().await.unwrap();
    assert!(console.contains("id=\"create-admin\""), "{console}");
    let token = server.token.clone();

    let restarted = server.restart(Options { generated_token: true, ..Options::default() }).await;
    assert!(restarted.token.is_empty(), "no new token on a later start: {}", restarted.stdout());
    let reply = restarted
        .http
        .get(restarted.url(&format!("/v1/tenants/default/users/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK, "the first token still works and the user is still there");
    assert!(!restarted.logs().contains("applied migration"), "nothing left to migrate on restart");
}

#[tokio::test]
async fn a_configured_bootstrap_token_rekeys_the_bootstrap_credential() {
    let server = Server::start_with(Options { generated_token: true, ..Options::default() }).await;
    let first = server.token.clone();
    let configured = Server::restart(server, Options::default()).await;
    assert_eq!(configured.get("/v1/tenants").await.status, StatusCode::OK, "the configured token works");
    let old = configured.http.get(configured.url("/v1/tenants")).bearer_auth(&first).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the generated one was replaced");
}

#[tokio::test]
async fn migrate_applies_the_schema_and_is_idempotent() {
    let data_dir = std::env::temp_dir().join(format!("intelliauth-migrate-{}", uuid::Uuid::new_v4().simple()));
    for expected in ["applied migration", ""] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
            .args(["migrate", "--data-dir"])
            .arg(&data_dir)
            .env("INTELLIAUTH_LOG", "info")
            .env_remove("INTELLIAUTH_DATABASE_URL")
            .output()
            .await
            .unwrap();
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("database is up to date (sqlite)"));
        let logs = String::from_utf8_lossy(&output.stderr);
        assert_eq!(logs.contains("applied migration"), !expected.is_empty(), "{logs}");
    }
    assert!(data_dir.join("intelliauth.db").exists());
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let server = Server::start_with(Options::default().arg("--log-format", "json")).await;
    server.get("/v1/tenants/default/users/usr_nope").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = server.logs();
    let mut refused = 0;
    for line in logs.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if entry["code"] == "not_found" {
            refused += 1;
            assert!(entry["request_id"].is_string() || entry["span"]["request_id"].is_string(), "{line}");
        }
    }
    assert_eq!(refused, 1, "{logs}");
}
