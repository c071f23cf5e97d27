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

/// `intelliauth_users_password_hashes{scheme="…"}` from `/metrics`, 0 when absent.
async fn hashes_with_scheme(server: &Server, scheme: &str) -> u64 {
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = format!("intelliauth_users_password_hashes{{scheme=\"{scheme}\"}} ");
    metrics.lines().find_map(|line| line.strip_prefix(&series)).map_or(0, |count| count.trim().parse().unwrap())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn bcrypt_pbkdf2_scrypt_and_salted_sha256_hashes_sign_in_once_then_are_argon2id() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use sha2::{Digest, Sha256, Sha512};
    let server = Server::start().await;

    // Each made by the algorithm's own implementation, as the system they come from did.
    let bcrypt = bcrypt::hash(PASSWORD, 5).unwrap().replacen("$2b$", "$2y$", 1);
    let mut pbkdf2 = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(PASSWORD.as_bytes(), b"pepper-free salt", 1000, &mut pbkdf2);
    let pbkdf2 =
        format!("$pbkdf2-sha512$i=1000,l=64${}${}", STANDARD.encode(b"pepper-free salt"), STANDARD.encode(pbkdf2));
    let mut scrypt = [0u8; 64];
    scrypt::scrypt(PASSWORD.as_bytes(), b"NaCl", &scrypt::Params::new(10, 8, 1, 64).unwrap(), &mut scrypt).unwrap();
    let salted = Sha256::digest([b"s4lt".as_slice(), PASSWORD.as_bytes()].concat());
    let lines = [
        json!({ "email": "bcrypt@example.com", "password_hash": bcrypt }),
        json!({ "email": "pbkdf2@example.com",
            "custom_password_hash": { "algorithm": "pbkdf2", "hash": { "value": pbkdf2, "encoding": "utf8" } } }),
        json!({ "email": "scrypt@example.com", "custom_password_hash": { "algorithm": "scrypt",
            "hash": { "value": STANDARD.encode(scrypt), "encoding": "base64" },
            "salt": { "value": "NaCl", "encoding": "utf8" }, "keylen": 64, "cost": 1024 } }),
        json!({ "email": "sha@example.com", "custom_password_hash": { "algorithm": "sha256",
            "hash": { "value": hex(&salted), "encoding": "hex" },
            "salt": { "value": STANDARD.encode(b"s4lt"), "encoding": "base64", "position": "prefix" } } }),
        json!({ "email": "md5@example.com",
            "custom_password_hash": { "algorithm": "md5", "hash": { "value": "x", "encoding": "hex" } } }),
        json!({ "email": "slow@example.com", "password_hash": bcrypt::hash(PASSWORD, 4).unwrap().replacen("$04$", "$16$", 1) }),
    ];
    let file = lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    let (_, report) = import(&server, "", file).await;
    assert_eq!(counts(last(&report)), [6, 4, 0, 0, 2], "{report:?}");
    let by_line =
        |number: u64| &report.iter().find(|line| line["line"] == number).unwrap()["error"]["details"]["fields"];
    assert!(by_line(5)["custom_password_hash.algorithm"][0].as_str().unwrap().contains("md5"), "{report:?}");
    assert!(by_line(6)["password_hash"][0].as_str().unwrap().contains("at most 15"), "{report:?}");

    for scheme in ["bcrypt", "pbkdf2", "scrypt", "salted_sha2"] {
        assert_eq!(hashes_with_scheme(&server, scheme).await, 1, "{scheme} in /metrics before any sign-in");
    }
    for email in ["bcrypt@example.com", "pbkdf2@example.com", "scrypt@example.com", "sha@example.com"] {
        let wrong =
            server.sign_in("default", json!({ "email": email, "password": "correct horse battery stapler" })).await;
        wrong.assert_error(401, "invalid_credentials");
        let before = server.query_text(&format!("SELECT password_hash FROM users WHERE email = '{email}'")).await;
        assert!(!before.starts_with("$argon2id$"), "a wrong password upgrades nothing: {before}");
        let right = server.sign_in("default", json!({ "email": email, "password": PASSWORD })).await;
        assert_eq!(right.status, StatusCode::OK, "{email}: {}", right.text);
        let after = server.query_text(&format!("SELECT password_hash FROM users WHERE email = '{email}'")).await;
        assert!(after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{email} upgraded: {after}");
        let again = server.sign_in("default", json!({ "email": email, "password": PASSWORD })).await;
        assert_eq!(again.status, StatusCode::OK, "{email} with its new hash: {}", again.text);
    }
    for scheme in ["bcrypt", "pbkdf2", "scrypt", "salted_sha2"] {
        assert_eq!(hashes_with_scheme(&server, scheme).await, 0, "no {scheme} hash remains");
    }
    assert_eq!(hashes_with_scheme(&server, "argon2id_current").await, 4);
    let log = server.get("/v1/tenants/default/logs?type=user.password_hash_upgraded").await;
    let mut from: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|entry| entry["details"]["from"].as_str().unwrap()).collect();
    from.sort();
    assert_eq!(from, ["bcrypt", "pbkdf2", "salted_sha2", "scrypt"], "{}", log.text);
}

#[tokio::test]
async fn profile_claims_metadata_and_external_ids_come_along_and_lines_can_match_by_user_id() {
    let server = Server::start().await;
    let first = json!({ "user_id": "auth0|1", "email": "ada@example.com", "given_name": "Ada",
        "family_name": "Lovelace", "nickname": "ada", "picture": "https://example.com/ada.png",
        "user_metadata": { "theme": "dark" } });
    let file = [first.to_string(), json!({ "email": "no-id@example.com" }).to_string()].join("\n");
    let (_, report) = import(&server, "?match=user_id&report=all", file).await;
    assert_eq!(counts(last(&report)), [2, 1, 0, 0, 1], "{report:?}");
    let by_line = |number: u64| report.iter().find(|line| line["line"] == number).unwrap();
    assert!(by_line(2)["error"]["details"]["fields"]["user_id"].is_array(), "{report:?}");
    let id = by_line(1)["user_id"].as_str().unwrap().to_owned();

    // Matched by user_id: the email (the other key) stays, the given fields change, the
    // profile claims the line leaves out are kept.
    let changed = json!({ "user_id": "auth0|1", "email": "renamed@example.com", "family_name": "King" });
    let (_, report) = import(&server, "?match=user_id&upsert=true", changed.to_string()).await;
    assert_eq!(counts(last(&report)), [1, 0, 1, 0, 0], "{report:?}");
    let (_, rerun) = import(&server, "?match=user_id&upsert=true", changed.to_string()).await;
    assert_eq!(counts(last(&rerun)), [1, 0, 0, 1, 0], "a re-run is a no-op: {rerun:?}");
    let user = server.get(&format!("/v1/tenants/default/users/{id}")).await;
    assert_eq!(
        [&user.body["email"], &user.body["given_name"], &user.body["family_name"], &user.body["external_id"]],
        [&json!("ada@example.com"), &json!("Ada"), &json!("King"), &json!("auth0|1")],
        "{}",
        user.text
    );
    assert_eq!(user.body["user_metadata"], json!({ "theme": "dark" }));

    // A new key whose other key is taken is a conflict named by that field.
    let taken_email = json!({ "user_id": "auth0|2", "email": "ada@example.com" });
    let (_, report) = import(&server, "?match=user_id", taken_email.to_string()).await;
    assert_eq!(report[0]["error"]["details"]["field"], "email", "{report:?}");
    let taken_id = json!({ "user_id": "auth0|1", "email": "other@example.com" });
    let (_, report) = import(&server, "", taken_id.to_string()).await;
    assert_eq!(report[0]["error"]["details"]["field"], "user_id", "{report:?}");
    assert_eq!(report[0]["error"]["message"], "A user with this user_id already exists.");

    // The management API reads and changes them: merge-patch rules, checked.
    let path = format!("/v1/tenants/default/users/{id}");
    let patch = json!({ "given_name": null, "user_metadata": { "theme": null, "lang": "en" } });
    let patched = server.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!((&patched.body["given_name"], &patched.body["user_metadata"]), (&Value::Null, &json!({ "lang": "en" })));
    assert_eq!(patched.body["nickname"], "ada");
    let insecure = server.call(Method::PATCH, &path, Some(json!({ "picture": "http://example.com/a.png" }))).await;
    insecure.assert_error(400, "validation_failed");
    assert!(insecure.body["details"]["fields"]["picture"].is_array(), "{}", insecure.text);
}

#[tokio::test]
async fn an_export_moves_users_with_their_hashes_ids_and_profiles_to_another_installation() {
    let server = Server::start().await;
    let sha = hex(&<sha2::Sha256 as sha2::Digest>::digest(format!("{PASSWORD}s").as_bytes()));
    let lines = [
        json!({ "email": "kept@example.com", "user_id": "auth0|9", "given_name": "Kept", "email_verified": true,
            "locale": "fr",
            "app_metadata": { "plan": "pro" }, "user_metadata": { "theme": "dark" }, "blocked": false,
            "custom_password_hash": { "algorithm": "sha256", "hash": { "value": sha, "encoding": "hex" },
                "salt": { "value": "s", "position": "suffix" } } }),
        json!({ "email": "nopass@example.com", "name": "No Password" }),
    ];
    let file = lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    import(&server, "", file).await;
    let made = server.user_with_password("default", "made@example.com", PASSWORD, true).await;

    // Only an instance-wide credential exports password hashes.
    for (scopes, tenant) in [(vec!["users:read", "users:write"], Some("default")), (vec!["users:read"], None)] {
        let token = server.credential(&scopes, tenant).await;
        let refused = server.http.get(server.url("/v1/tenants/default/users/export")).bearer_auth(token).send().await;
        Reply::from(refused.unwrap()).await.assert_error(403, "permission_denied");
    }
    let export = |server: &Server| {
        let request = server.request(Method::GET, "/v1/tenants/default/users/export");
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/x-ndjson");
            response.text().await.unwrap()
        }
    };
    let missing = server.request(Method::GET, "/v1/tenants/nowhere/users/export").send().await.unwrap();
    Reply::from(missing).await.assert_error(404, "not_found");
    let exported = export(&server).await;
    assert_eq!(exported.lines().count(), 3, "{exported}");
    assert!(exported.ends_with('\n'));
    assert!(exported.contains("$salted-sha256$pos=suffix$") && exported.contains("$argon2id$"), "{exported}");
    assert!(
        exported.contains("\"created_at\":\""),
        "creation times travel (and the re-export below is identical): {exported}"
    );

    // The command writes the same file.
    let path = server.data_dir.join("exported.ndjson");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
        .arg("export")
        .arg(&path)
        .args(["--url", &server.base, "--tenant", "default"])
        .env("INTELLIAUTH_TOKEN", &server.token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), exported);
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 users exported"), "{output:?}");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
        .arg("export")
        .arg(server.data_dir.join("refused.ndjson"))
        .args(["--url", &server.base, "--token", "iam_not_a_token"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(!server.data_dir.join("refused.ndjson").exists(), "no partial file is left");

    // Into another installation: on SQLite when this one is on PostgreSQL (and the
    // reverse run covers SQLite to SQLite), nobody asked to reset a password.
    let other = Server::start_on_sqlite(common::Options::default()).await;
    let (_, report) = import(&other, "", exported.clone()).await;
    assert_eq!(counts(last(&report)), [3, 3, 0, 0, 0], "{report:?}");
    assert_eq!(export(&other).await, exported, "the same lines come out of the new installation");
    let signed_in = other.sign_in("default", json!({ "email": "kept@example.com", "password": PASSWORD })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert_eq!(other.get(&format!("/v1/tenants/default/users/{made}")).await.body["email"], "made@example.com");
    let log = server.get("/v1/tenants/default/logs?type=admin.users.exported").await;
    assert_eq!(log.body["data"][0]["details"]["users"], 3, "{}", log.text);
}

#[tokio::test]
async fn a_legacy_password_verifier_brings_a_user_over_at_their_first_right_password_only() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use common::receiver::{Answer, Receiver};
    use hmac::Mac;
    use std::time::Duration;
    let known = json!({ "user": { "user_id": "legacy|7", "email_verified": true, "given_name": "Lin",
        "app_metadata": { "plan": "gold" }, "password_hash": "$2b$04$ignoredignoredignoredignoredignoredignoredignoredign" } });
    let legacy = Receiver::start(Answer::status(200, &known.to_string())).await;
    let server = Server::start_with(common::Options::default().arg("--webhooks-allow-loopback", true)).await;
    let set_url = |url: &str| {
        let body = json!({ "settings": { "migration": { "password_verifier_url": url } } });
        server.call(Method::PATCH, "/v1/tenants/default", Some(body))
    };
    let private = set_url("https://10.1.2.3/verify").await;
    private.assert_error(400, "validation_failed");
    assert!(private.body["details"]["fields"]["settings.migration.password_verifier_url"][0]
        .as_str()
        .unwrap()
        .contains("private"));
    assert_eq!(set_url(&legacy.url).await.status, StatusCode::OK);
    let verifier = server.get("/v1/tenants/default/password-verifier").await;
    assert_eq!(verifier.body["url"], legacy.url.as_str(), "{}", verifier.text);
    let secret = verifier.body["secret"].as_str().unwrap().to_owned();

    // The first right password: the verifier is asked (signed, as Standard Webhooks say),
    // the user is created from its answer, with an argon2id hash of the password.
    let signed_in = server.sign_in("default", json!({ "email": "Lin@Example.com", "password": PASSWORD })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let asked = legacy.wait_for(1, Duration::from_secs(5)).await.remove(0);
    assert_eq!(asked.json(), json!({ "tenant_id": "default", "email": "lin@example.com", "password": PASSWORD }));
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!("{}.{}.{}", asked.header("webhook-id"), asked.header("webhook-timestamp"), asked.body).as_bytes(),
    );
    assert_eq!(asked.header("webhook-signature"), format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())));
    let user = server.get("/v1/tenants/default/users?email=lin@example.com").await.body["data"][0].clone();
    assert_eq!(
        (&user["external_id"], &user["given_name"], &user["email_verified"]),
        (&json!("legacy|7"), &json!("Lin"), &json!(true))
    );
    assert_eq!(user["app_metadata"], json!({ "plan": "gold" }));
    let hash = server.query_text("SELECT password_hash FROM users WHERE email = 'lin@example.com'").await;
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "the answer's hash is not taken: {hash}");

    // Never asked about them again, whatever the password.
    assert_eq!(
        server.sign_in("default", json!({ "email": "lin@example.com", "password": PASSWORD })).await.status,
        StatusCode::OK
    );
    server
        .sign_in("default", json!({ "email": "lin@example.com", "password": "wrong wrong wrong" }))
        .await
        .assert_error(401, "invalid_credentials");
    assert_eq!(legacy.deliveries().len(), 1);

    // The hosted page's form takes the same path as the JSON API.
    legacy.answer(Answer::status(200, &json!({ "user": { "user_id": "legacy|8" } }).to_string()));
    let cookie = server.browser_session("default", "form@example.com", PASSWORD).await;
    assert!(cookie.contains("ia_session="), "signed in through the form: {cookie}");
    assert_eq!(legacy.deliveries().len(), 2);

    // Eight first sign-ins at once for one user (under the lockout threshold, which counts
    // attempts in flight): each is asked about, one creates the user, and every one signs
    // in (the others check the password against what it stored).
    legacy.answer(Answer::status(200, &json!({ "user": { "user_id": "legacy|9" } }).to_string()));
    let racing: Vec<_> = (0..8)
        .map(|_| {
            let (url, http) = (server.url("/t/default/api/login"), server.http.clone());
            tokio::spawn(async move {
                let flow: Value = http.post(&url).send().await.unwrap().json().await.unwrap();
                let url = format!("{url}/{}", flow["flow_id"].as_str().unwrap());
                let body = json!({ "email": "race@example.com", "password": PASSWORD });
                http.post(url).json(&body).send().await.unwrap().status()
            })
        })
        .collect();
    for racer in racing {
        assert_eq!(racer.await.unwrap(), StatusCode::OK);
    }
    let raced = server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE email = 'race@example.com'").await;
    assert_eq!(raced, "1");
    assert_eq!(legacy.deliveries().len(), 10);

    // Unknown there too, down, or answering for someone else: an unknown email's answer,
    // no user, and the tenant log says why for the admin.
    legacy.answer(Answer::status(404, ""));
    server
        .sign_in("default", json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .await
        .assert_error(401, "invalid_credentials");
    legacy.answer(Answer::status(500, "down"));
    server
        .sign_in("default", json!({ "email": "down@example.com", "password": PASSWORD }))
        .await
        .assert_error(401, "invalid_credentials");
    legacy.answer(Answer::status(200, &json!({ "user": { "email": "someone-else@example.com" } }).to_string()));
    server
        .sign_in("default", json!({ "email": "asked@example.com", "password": PASSWORD }))
        .await
        .assert_error(401, "invalid_credentials");
    assert_eq!(legacy.deliveries().len(), 13);
    let users = server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users").await;
    assert_eq!(users, "3", "only the users whose passwords were right were brought over");
    let failed = server.get("/v1/tenants/default/logs?type=user.migration.failed").await;
    let reasons: Vec<String> =
        failed.body["data"].as_array().unwrap().iter().map(|entry| entry["details"].to_string()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|reason| reason.contains("HTTP 500")), "{reasons:?}");
    assert!(reasons.iter().any(|reason| reason.contains("user.email")), "{reasons:?}");
    assert!(!failed.text.contains(PASSWORD), "no password in the log");
    let migrated = server.get("/v1/tenants/default/logs?type=user.migrated").await;
    assert_eq!(migrated.body["data"].as_array().unwrap().len(), 3, "one entry per user: {}", migrated.text);
}

#[tokio::test]
async fn an_auth0_bulk_import_file_one_json_array_imports_through_the_command() {
    let server = Server::start().await;
    std::fs::create_dir_all(&server.data_dir).unwrap();
    let users = json!([
        { "email": "array-1@example.com", "email_verified": true, "user_id": "auth0|a1",
          "custom_password_hash": { "algorithm": "bcrypt", "hash": { "value": bcrypt::hash(PASSWORD, 4).unwrap() } } },
        { "email": "array-2@example.com", "given_name": "Second" },
        { "email": "not an email" },
    ]);
    let path = server.data_dir.join("auth0-users.json");
    std::fs::write(&path, serde_json::to_string_pretty(&users).unwrap()).unwrap();
    let run = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"))
            .arg("import")
            .arg(path)
            .args(["--url", &server.base, "--tenant", "default"])
            .env("INTELLIAUTH_TOKEN", &server.token)
            .output()
            .unwrap()
    };
    let output = run(&path);
    assert_eq!(output.status.code(), Some(1), "one element was rejected: {output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rejected(&lines), [(3, "validation_failed".to_owned())], "numbered by element");
    let signed_in = server.sign_in("default", json!({ "email": "array-1@example.com", "password": PASSWORD })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);

    // A file that is not one JSON array is refused before anything is sent.
    let broken = server.data_dir.join("broken.json");
    std::fs::write(&broken, "[{\"email\": \"x@example.com\"}, {").unwrap();
    let output = run(&broken);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a JSON array of users"), "{output:?}");
    assert_eq!(server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM users").await, "2");
}

#[tokio::test]
async fn the_api_takes_a_json_array_as_auth0_files_are() {
    let server = Server::start().await;
    let array = json!([{ "email": "json-1@example.com" }, { "email": "bad" }, { "email": "json-2@example.com" }]);
    let post = |body: String| {
        server
            .request(Method::POST, "/v1/tenants/default/users/import?report=all")
            .header("content-type", "application/json; charset=utf-8")
            .body(body)
            .send()
    };
    let response = post(array.to_string()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let report: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(counts(last(&report)), [3, 2, 0, 0, 1], "{report:?}");
    assert_eq!(rejected(&report), [(2, "validation_failed".to_owned())], "numbered by element");
    let not_an_array = Reply::from(post("{\"email\": \"x@example.com\"}".into()).await.unwrap()).await;
    let details = not_an_array.assert_error(400, "validation_failed");
    assert!(details["fields"]["body"][0].as_str().unwrap().contains("JSON array"), "{details}");
}
