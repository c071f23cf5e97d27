//! Bulk user import over real HTTP and through the `intelliauth import` command: per-line
//! outcomes, imported password hashes that sign in (and are upgraded), idempotent re-runs,
//! batches, lookups by email and prefix over what was imported, and who may import.

mod common;

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use common::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn hash(algorithm: Algorithm, memory_kib: u32, passes: u32) -> String {
    let params = Params::new(memory_kib, passes, 1, None).unwrap();
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(algorithm, Version::V0x13, params).hash_password(PASSWORD.as_bytes(), &salt).unwrap().to_string()
}

/// Posts `body` to the import endpoint; returns the status and the report's lines.
async fn import(server: &Server, query: &str, body: String) -> (StatusCode, Vec<Value>) {
    let response = server
        .request(Method::POST, &format!("/v1/tenants/default/users/import{query}"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status != StatusCode::OK {
        let text = response.text().await.unwrap();
        return (status, vec![serde_json::from_str(&text).unwrap()]);
    }
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.unwrap();
    (status, text.lines().map(|line| serde_json::from_str(line).expect("every report line is JSON")).collect())
}

fn last(report: &[Value]) -> &Value {
    report.last().expect("a report ends with a summary")
}

fn rejected(report: &[Value]) -> Vec<(u64, String)> {
    report
        .iter()
        .filter(|line| line["type"] == "line" && line["outcome"] == "rejected")
        .map(|line| (line["line"].as_u64().unwrap(), line["error"]["code"].as_str().unwrap().to_owned()))
        .collect()
}

fn counts(summary: &Value) -> [u64; 5] {
    ["lines", "created", "updated", "unchanged", "rejected"].map(|name| summary[name].as_u64().unwrap())
}

fn sample_file() -> String {
    let modern = hash(Algorithm::Argon2id, 19 * 1024, 2);
    let legacy = hash(Algorithm::Argon2i, 8 * 1024, 3);
    [
        json!({ "email": "Ada@Example.com", "email_verified": true, "name": "Ada",
            "custom_password_hash": { "algorithm": "argon2", "hash": { "value": modern } } })
        .to_string(),
        json!({ "email": "not-an-email" }).to_string(),
        String::new(),
        json!({ "email": "pic@example.com", "phone_number": "+14155550100" }).to_string(),
        json!({ "email": "legacy@example.com", "password_hash": legacy, "blocked": false,
            "app_metadata": { "plan": "pro" } })
        .to_string(),
        "{ not json".to_owned(),
        json!({ "email": "grace@example.com", "email_verified": true }).to_string(),
        json!({ "email": "GRACE@example.com", "email_verified": true }).to_string(),
    ]
    .join("\n")
}

#[tokio::test]
async fn lines_are_created_or_rejected_one_by_one_and_a_rerun_changes_nothing() {
    let server = Server::start().await;
    let file = sample_file();

    let (status, report) = import(&server, "", file.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(last(&report)["type"], "done", "{report:?}");
    assert_eq!(counts(last(&report)), [7, 3, 0, 0, 4], "{report:?}");
    let expected = [(2, "validation_failed"), (4, "validation_failed"), (6, "validation_failed"), (8, "conflict")];
    let expected: Vec<(u64, String)> = expected.iter().map(|(line, code)| (*line, code.to_string())).collect();
    assert_eq!(rejected(&report), expected, "line numbers count blank lines, as an editor does");
    let by_line = |number: u64| report.iter().find(|line| line["line"] == number).unwrap();
    assert!(by_line(2)["error"]["details"]["fields"]["email"].is_array());
    assert!(by_line(4)["error"]["details"]["fields"]["phone_number"].is_array(), "a field not imported is named");
    assert!(by_line(6)["error"]["details"]["fields"]["line"].is_array());
    assert_eq!(by_line(8)["error"]["details"]["field"], "email");
    assert!(!report.iter().any(|line| line["outcome"] == "created"), "created lines are reported with report=all");

    // The imported hashes sign in; the legacy one is upgraded to today's argon2id.
    let signed_in = server.sign_in("default", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let wrong = server.sign_in("default", json!({ "email": "ada@example.com", "password": "not it at all" })).await;
    wrong.assert_error(401, "invalid_credentials");
    let before = server.query_text("SELECT password_hash FROM users WHERE email = 'legacy@example.com'").await;
    assert!(before.starts_with("$argon2i$"), "{before}");
    let legacy = server.sign_in("default", json!({ "email": "legacy@example.com", "password": PASSWORD })).await;
    assert_eq!(legacy.status, StatusCode::OK, "{}", legacy.text);
    let after = server.query_text("SELECT password_hash FROM users WHERE email = 'legacy@example.com'").await;
    assert!(after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "upgraded on sign-in: {after}");

    // Without upsert, a second run rejects every user it already made; with upsert, the
    // users that hold what their line says are left alone (the legacy hash was upgraded
    // since, so that line puts it back: an update).
    let (_, again) = import(&server, "", file.clone()).await;
    assert_eq!(counts(last(&again)), [7, 0, 0, 0, 7]);
    let (_, upserted) = import(&server, "?upsert=true&report=all", file.clone()).await;
    assert_eq!(counts(last(&upserted)), [7, 0, 1, 3, 3], "{upserted:?}");
    let (_, rerun) = import(&server, "?upsert=true", file).await;
    assert_eq!(counts(last(&rerun)), [7, 0, 0, 4, 3], "a re-run is a no-op: {rerun:?}");
    let version = server.query_text("SELECT CAST(version AS TEXT) FROM users WHERE email = 'ada@example.com'").await;
    assert_eq!(version, "1", "an unchanged user's version does not move");

    let ada = server.get("/v1/tenants/default/users?email=%20ADA@example.com").await;
    assert_eq!(ada.body["data"].as_array().unwrap().len(), 1, "{}", ada.text);
    assert_eq!(ada.body["data"][0]["name"], "Ada");
    assert_eq!(ada.body["data"][0]["email_verified"], true);
    let log = server.get("/v1/tenants/default/logs?type=admin.users.imported").await;
    assert_eq!(log.body["data"].as_array().unwrap().len(), 4, "each import is in the tenant log once: {}", log.text);
}

#[tokio::test]
async fn an_upsert_keeps_what_the_line_leaves_out_and_batches_report_progress() {
    let server = Server::start().await;
    let count = 2_500;
    let file: String = (0..count)
        .map(|i| json!({ "email": format!("bulk-{i:05}@example.com"), "name": format!("Bulk {i}") }).to_string() + "\n")
        .collect();
    let (_, report) = import(&server, "?report=all", file).await;
    assert_eq!(counts(last(&report)), [count, count, 0, 0, 0], "{:?}", last(&report));
    let progress: Vec<u64> =
        report.iter().filter(|line| line["type"] == "progress").map(|line| line["lines"].as_u64().unwrap()).collect();
    assert_eq!(progress, [1000, 2000]);
    let created: Vec<&Value> = report.iter().filter(|line| line["outcome"] == "created").collect();
    assert_eq!(created.len() as u64, count);
    let id = created[7]["user_id"].as_str().unwrap();
    let user = server.get(&format!("/v1/tenants/default/users/{id}")).await;
    assert_eq!(user.body["email"], "bulk-00007@example.com");

    let prefixed = server.get("/v1/tenants/default/users?email_prefix=bulk-0012&limit=100").await;
    let emails: Vec<&str> =
        prefixed.body["data"].as_array().unwrap().iter().map(|user| user["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), 10, "{emails:?}");
    assert!(emails.iter().all(|email| email.starts_with("bulk-0012")));
    assert!(emails.windows(2).all(|pair| pair[0] < pair[1]), "a search comes in email order: {emails:?}");
    // Pages of a search follow on from the last email.
    let mut seen = Vec::new();
    let mut path = "/v1/tenants/default/users?email_prefix=bulk-001&limit=7".to_owned();
    loop {
        let page = server.get(&path).await;
        let data = page.body["data"].as_array().unwrap();
        seen.extend(data.iter().map(|user| user["email"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/tenants/default/users?email_prefix=bulk-001&limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (100..200).map(|i| format!("bulk-{i:05}@example.com")).collect();
    assert_eq!(seen, expected);

    // A NUL byte is refused where it is a field's text and kept where it is JSON data,
    // on both backends (PostgreSQL's text cannot hold one).
    let nul = [
        json!({ "email": "nul@example.com", "name": "a\u{0}b" }).to_string(),
        json!({ "email": "meta@example.com", "app_metadata": { "k\u{0}": "\u{0}" } }).to_string(),
    ]
    .join("\n");
    let (_, report) = import(&server, "", nul).await;
    assert_eq!(counts(last(&report)), [2, 1, 0, 0, 1], "{report:?}");
    assert!(report[0]["error"]["details"]["fields"]["name"].is_array(), "{report:?}");

    let line = json!({ "email": "bulk-00007@example.com", "blocked": true }).to_string();
    let (_, report) = import(&server, "?upsert=true", line).await;
    assert_eq!(counts(last(&report)), [1, 0, 1, 0, 0]);
    let user = server.get(&format!("/v1/tenants/default/users/{id}")).await;
    assert_eq!(user.body["disabled"], true);
    assert_eq!(user.body["name"], "Bulk 7", "a field the line leaves out is kept");
}

#[tokio::test]
async fn only_a_caller_who_may_write_users_imports_and_bad_options_are_named() {
    let server = Server::start().await;
    let reader = server.credential(&["users:read"], None).await;
    let response = server
        .http
        .post(server.url("/v1/tenants/default/users/import"))
        .bearer_auth(reader)
        .body("{\"email\":\"x@example.com\"}")
        .send()
        .await
        .unwrap();
    Reply::from(response).await.assert_error(403, "permission_denied");
    let (status, body) = import(&server, "?upsert=maybe&report=some", String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body[0]["details"]["fields"]["upsert"].is_array() && body[0]["details"]["fields"]["report"].is_array());
    let missing = server.request(Method::POST, "/v1/tenants/nowhere/users/import").body("").send().await.unwrap();
    Reply::from(missing).await.assert_error(404, "not_found");
    let users = server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users").await;
    assert_eq!(users, "0");
}

#[tokio::test]
async fn the_import_command_streams_a_file_and_prints_what_was_rejected() {
    let server = Server::start().await;
    let path = server.data_dir.join("users.ndjson");
    std::fs::create_dir_all(&server.data_dir).unwrap();
    std::fs::write(&path, sample_file()).unwrap();
    let run = |upsert: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"));
        command.arg("import").arg(&path).args(["--url", &server.base, "--tenant", "default"]);
        command.env("INTELLIAUTH_TOKEN", &server.token);
        if upsert {
            command.arg("--upsert");
        }
        command.output().unwrap()
    };
    let output = run(false);
    assert_eq!(output.status.code(), Some(1), "some lines were rejected: {output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rejected(&lines).iter().map(|(line, _)| *line).collect::<Vec<_>>(), [2, 4, 6, 8]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("7 lines: 3 created, 0 updated, 0 unchanged, 4 rejected"), "{stderr}");
    let users = server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users").await;
    assert_eq!(users, "3");

    let wrong_token = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
        .arg("import")
        .arg(&path)
        .args(["--url", &server.base, "--token", "not-a-token"])
        .output()
        .unwrap();
    assert_eq!(wrong_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong_token.stderr).contains("401"), "{wrong_token:?}");
}
