//! The tenant log over HTTP: sign-in decisions and admin changes recorded with the request
//! that made them, found by filters and by request id (with the Action executions and
//! webhook deliveries the request caused), counted for charts, readable only with
//! `logs:read`, and never holding a secret.

mod common;

use common::receiver::{Answer, Receiver};
use common::{Options, Reply, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const AGENT: &str = "tenant-log-test/1.0";

/// One API sign-in with our user agent; returns the reply and its request id.
async fn sign_in(server: &Server, tenant: &str, password: &str) -> (Reply, String) {
    let flow = server.flow(tenant, "login").await;
    let url = server.url(&format!("/t/{tenant}/api/login/{flow}"));
    let body = json!({ "email": "ada@example.com", "password": password });
    let reply = Reply::from(server.http.post(url).header("user-agent", AGENT).json(&body).send().await.unwrap()).await;
    let request_id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    (reply, request_id)
}

async fn entries(server: &Server, tenant: &str, query: &str) -> Vec<Value> {
    let reply = server.get(&format!("/v1/tenants/{tenant}/logs?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["data"].as_array().unwrap().clone()
}

fn kinds_and_codes(entries: &[Value]) -> Vec<(String, String)> {
    entries.iter().map(|e| (e["type"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect()
}

#[tokio::test]
async fn sign_in_decisions_are_logged_with_their_request_and_found_by_filters() {
    let server = Server::start().await;
    server.tenant("logs", json!({ "sign_in": { "lockout_threshold": 2, "lockout_duration_s": 600 } })).await;
    let user_id = server.user_with_password("logs", "ada@example.com", PASSWORD, true).await;

    // The admin change that created the user names its actor.
    let created = entries(&server, "logs", "type=user.created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["actor"], "credential:cred_bootstrap");
    assert_eq!(created[0]["user_id"], user_id.as_str());

    let (first, first_request) = sign_in(&server, "logs", "wrong one").await;
    first.assert_error(401, "invalid_credentials");
    let found = entries(&server, "logs", &format!("request_id={first_request}")).await;
    assert_eq!(kinds_and_codes(&found), vec![("user.login.failed".into(), "invalid_credentials".into())]);
    let entry = &found[0];
    assert_eq!(
        (entry["user_id"].as_str(), entry["ip"].as_str(), entry["user_agent"].as_str()),
        (Some(user_id.as_str()), Some("127.0.0.1"), Some(AGENT))
    );
    assert!(entry["occurred_at"].as_str().unwrap().ends_with('Z'), "{entry}");

    // The second failure locks: both decisions are entries of that one request.
    let (second, second_request) = sign_in(&server, "logs", "wrong two").await;
    second.assert_error(401, "invalid_credentials");
    let mut locking = kinds_and_codes(&entries(&server, "logs", &format!("request_id={second_request}")).await);
    locking.sort();
    assert_eq!(
        locking,
        vec![("user.locked".into(), "ok".into()), ("user.login.failed".into(), "invalid_credentials".into())]
    );

    // Refused unchecked during the lock, the right password changes nothing else but is logged.
    let (refused, refused_request) = sign_in(&server, "logs", PASSWORD).await;
    refused.assert_error(423, "account_locked");
    let found = entries(&server, "logs", &format!("request_id={refused_request}")).await;
    assert_eq!(kinds_and_codes(&found), vec![("user.login.failed".into(), "account_locked".into())]);

    // Filters combine; newest first; cursors page.
    let failed = entries(&server, "logs", &format!("type=user.login.failed&user_id={user_id}")).await;
    let codes: Vec<&str> = failed.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["account_locked", "invalid_credentials", "invalid_credentials"]);
    assert_eq!(entries(&server, "logs", "code=account_locked").await.len(), 1);
    assert!(entries(&server, "logs", "from=2100-01-01T00:00:00Z").await.is_empty());
    assert_eq!(entries(&server, "logs", "to=2100-01-01T00:00:00Z&type=user.login.failed").await.len(), 3);
    let page = server.get("/v1/tenants/logs/logs?type=user.login.failed&limit=2").await;
    let cursor = page.body["next_cursor"].as_str().expect("a second page");
    let rest = entries(&server, "logs", &format!("type=user.login.failed&limit=2&cursor={cursor}")).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["id"], failed[2]["id"]);
    let one = server.get(&format!("/v1/tenants/logs/logs/{}", failed[0]["id"].as_str().unwrap())).await;
    assert_eq!(one.body["request_id"], refused_request.as_str(), "{}", one.text);
    server.get("/v1/tenants/logs/logs/log_nope").await.assert_error(404, "not_found");
    server.get("/v1/tenants/logs/logs?from=yesterday").await.assert_error(400, "validation_failed");

    // Counts for charts, per hour and per day, from the rollup.
    let counts = server.get("/v1/tenants/logs/log-counts").await;
    assert_eq!(counts.status, StatusCode::OK, "{}", counts.text);
    let count_of = |data: &Value, kind: &str, code: &str| -> i64 {
        data.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == kind && c["code"] == code)
            .map(|c| c["count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(count_of(&counts.body["data"], "user.login.failed", "invalid_credentials"), 2, "{}", counts.text);
    assert_eq!(count_of(&counts.body["data"], "user.login.failed", "account_locked"), 1);
    let daily = server.get("/v1/tenants/logs/log-counts?bucket=day&from=2020-01-01T00:00:00Z").await;
    assert_eq!(daily.body["bucket"], "day");
    assert_eq!(count_of(&daily.body["data"], "user.locked", "ok"), 1, "{}", daily.text);
    server.get("/v1/tenants/logs/log-counts?bucket=week").await.assert_error(400, "validation_failed");

    // The lock lifted by an admin; the next sign-in succeeds and is logged.
    let unlocked = server.post(&format!("/v1/tenants/logs/users/{user_id}/unlock"), json!({})).await;
    assert!(unlocked.status.is_success(), "{}", unlocked.text);
    let (signed_in, signed_in_request) = sign_in(&server, "logs", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let trace = server.get(&format!("/v1/tenants/logs/requests/{signed_in_request}")).await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.text);
    assert_eq!(
        kinds_and_codes(trace.body["entries"].as_array().unwrap()),
        vec![("user.login.succeeded".into(), "ok".into())]
    );
    server.get("/v1/tenants/logs/requests/no-such-request").await.assert_error(404, "not_found");

    // No entry holds the password, a session token or a password hash.
    let session = signed_in.body["session_token"].as_str().unwrap();
    let everything = server.get("/v1/tenants/logs/logs?limit=200").await.text;
    for secret in [PASSWORD, "wrong one", "wrong two", session, "$argon2"] {
        assert!(!everything.contains(secret), "the log holds {secret:?}: {everything}");
    }
}

#[tokio::test]
async fn reading_the_log_needs_logs_read_in_that_tenant() {
    let server = Server::start().await;
    server.tenant("mine", json!({})).await;
    server.tenant("theirs", json!({})).await;
    let users_only = server.credential(&["users:read"], Some("mine")).await;
    let reader = server.credential(&["logs:read"], Some("mine")).await;
    let get = |token: &str, path: &str| {
        let request = server.http.get(server.url(path)).bearer_auth(token);
        async move { Reply::from(request.send().await.unwrap()).await }
    };
    get(&users_only, "/v1/tenants/mine/logs").await.assert_error(403, "permission_denied");
    assert_eq!(get(&reader, "/v1/tenants/mine/logs").await.status, StatusCode::OK);
    assert_eq!(get(&reader, "/v1/tenants/mine/log-counts").await.status, StatusCode::OK);
    get(&reader, "/v1/tenants/theirs/logs").await.assert_error(403, "permission_denied");
}

/// A request id resolves to the whole trace: the Action it ran with its stack trace, and
/// the webhook deliveries of the events it raised, with their attempts.
#[tokio::test]
async fn a_request_id_opens_its_action_executions_and_webhook_deliveries() {
    let receiver = Receiver::start(Answer::ok()).await;
    let server = Server::start_with(Options::default().arg("--webhooks-allow-loopback", true)).await;
    server.tenant("traced", json!({})).await;
    server.user_with_password("traced", "ada@example.com", PASSWORD, true).await;
    let action = json!({ "name": "Broken", "trigger": "post-login",
        "code": "exports.onExecutePostLogin = async () => {\n  throw new Error('no profile service');\n};" });
    let created = server.post("/v1/tenants/traced/actions", action).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let (failed, request_id) = sign_in(&server, "traced", PASSWORD).await;
    failed.assert_error(500, "step_error");
    let trace = server.get(&format!("/v1/tenants/traced/requests/{request_id}")).await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.text);
    let execution = &trace.body["action_executions"][0];
    assert_eq!((execution["action_name"].as_str(), execution["outcome"].as_str()), (Some("Broken"), Some("error")));
    assert!(execution["stack"].as_str().unwrap().contains("action.js:2"), "{execution}");

    // A change whose event goes to a receiver: its trace lists the message and attempts.
    let subscription_body = json!({ "url": receiver.url, "event_types": ["user.created"] });
    let subscription = server.post("/v1/tenants/traced/webhooks/subscriptions", subscription_body).await;
    assert_eq!(subscription.status, StatusCode::CREATED, "{}", subscription.text);
    let made = server.post("/v1/tenants/traced/users", json!({ "email": "grace@example.com" })).await;
    let made_request = made.headers["x-request-id"].to_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let trace = server.get(&format!("/v1/tenants/traced/requests/{made_request}")).await;
        assert_eq!(
            kinds_and_codes(trace.body["entries"].as_array().unwrap()),
            vec![("user.created".into(), "ok".into())]
        );
        let message = &trace.body["webhook_messages"][0];
        assert_eq!(message["event_type"], "user.created", "{}", trace.text);
        if message["status"] == "delivered" {
            assert_eq!(message["attempt_log"][0]["outcome"], "delivered", "{message}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not delivered: {message}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.deliveries().len(), 1);
}

/// Admin changes name their actor and what changed (settings as before/after, never a
/// secret); a refused token request is an entry; a dead letter is an entry of its tenant.
#[tokio::test]
async fn admin_changes_token_refusals_executions_and_dead_letters_are_logged() {
    let receiver = Receiver::start(Answer::status(500, "down")).await;
    let options = Options::default().arg("--webhooks-allow-loopback", true).arg("--webhook-retry-schedule", "");
    let server = Server::start_with(options).await;
    server.tenant("audit", json!({ "sign_in": { "lockout_threshold": 5 } })).await;

    let patched = server
        .call(
            reqwest::Method::PATCH,
            "/v1/tenants/audit",
            Some(json!({ "settings": { "sign_in": { "lockout_threshold": 7 } } })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let updated = entries(&server, "audit", "type=admin.tenant.updated").await;
    assert_eq!(updated.len(), 1, "{updated:?}");
    let change = &updated[0]["details"]["settings"];
    assert_eq!(change["sign_in"]["before"]["lockout_threshold"], 5, "{change}");
    assert_eq!(change["sign_in"]["after"]["lockout_threshold"], 7);
    assert!(change.get("theme").is_none(), "sections left alone are not listed: {change}");
    assert_eq!(updated[0]["actor"], "credential:cred_bootstrap");

    // A subscription's entry has no secret; its dead letters are entries too.
    let subscription = server
        .post("/v1/tenants/audit/webhooks/subscriptions", json!({ "url": receiver.url, "event_types": ["*"] }))
        .await;
    assert_eq!(subscription.status, StatusCode::CREATED, "{}", subscription.text);
    let secret = subscription.body["secret"].as_str().unwrap();
    let id = subscription.body["id"].as_str().unwrap();
    let sent = server.post(&format!("/v1/tenants/audit/webhooks/subscriptions/{id}/test"), json!({})).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let dead = loop {
        let dead = entries(&server, "audit", "type=webhook.dead_lettered").await;
        if !dead.is_empty() {
            break dead;
        }
        assert!(std::time::Instant::now() < deadline, "no dead letter logged");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(dead[0]["code"], "dlq_max_attempts");
    assert_eq!(dead[0]["details"]["last_outcome"], "receiver_5xx", "{}", dead[0]);

    // An Action's executions are entries linking to their records.
    let action = json!({ "name": "Deny", "trigger": "post-login",
        "code": "exports.onExecutePostLogin = async (e, api) => api.access.deny('closed');" });
    let created = server.post("/v1/tenants/audit/actions", action).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    server.user_with_password("audit", "ada@example.com", PASSWORD, true).await;
    let (denied, request_id) = sign_in(&server, "audit", PASSWORD).await;
    denied.assert_error(403, "step_blocked");
    let executed = entries(&server, "audit", &format!("type=action.executed&request_id={request_id}")).await;
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["code"], "step_blocked");
    let execution_id = executed[0]["details"]["execution_id"].as_str().unwrap();
    let record = server.get(&format!("/v1/tenants/audit/action-executions?request_id={request_id}")).await;
    assert_eq!(record.body["data"][0]["id"], execution_id, "{}", record.text);

    // A refused token request, with the client that asked.
    let app_body = json!({ "name": "spa", "client_type": "public", "redirect_uris": ["https://spa.example/cb"] });
    let app = server.post("/v1/tenants/audit/applications", app_body).await;
    let client_id = app.body["client_id"].as_str().unwrap();
    let refused = Reply::from(
        server
            .http
            .post(server.url("/t/audit/oauth/token"))
            .form(&[("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", "not-a-token")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    let logged = entries(&server, "audit", "type=token.refused").await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        (logged[0]["client_id"].as_str(), logged[0]["details"]["grant_type"].as_str()),
        (Some(client_id), Some("refresh_token"))
    );
    assert_ne!(logged[0]["code"], "ok");

    // An issued token is an entry too: the client, the grant and the scopes, never the token.
    let service = server
        .post(
            "/v1/tenants/audit/applications",
            json!({ "name": "svc", "client_type": "confidential", "allowed_grants": ["client_credentials"],
                    "allowed_scopes": ["orders:read"] }),
        )
        .await;
    assert_eq!(service.status, StatusCode::CREATED, "{}", service.text);
    let (service_id, service_secret) =
        (service.body["client_id"].as_str().unwrap(), service.body["client_secret"].as_str().unwrap());
    let issued = server
        .oauth_post("audit", "token", (service_id, service_secret), &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    // Written by the batched writer of the token hot path: there within moments.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let logged = loop {
        let logged = entries(&server, "audit", &format!("type=token.issued&client_id={service_id}")).await;
        if !logged.is_empty() || std::time::Instant::now() > deadline {
            break logged;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        (logged[0]["details"]["grant_type"].as_str(), logged[0]["user_id"].as_str()),
        (Some("client_credentials"), None)
    );
    let access_token = issued.body["access_token"].as_str().unwrap();

    // A second factor asked for is a challenge; a disabled account, a failure with its code.
    server.tenant("gates", json!({ "mfa": { "mode": "required" } })).await;
    let gated = server.user_with_password("gates", "ada@example.com", PASSWORD, true).await;
    let (challenge, challenge_request) = sign_in(&server, "gates", PASSWORD).await;
    challenge.assert_error(403, "mfa_enrolment_required");
    let found = entries(&server, "gates", &format!("request_id={challenge_request}")).await;
    assert_eq!(kinds_and_codes(&found), vec![("user.login.challenged".into(), "mfa_enrolment_required".into())]);
    assert_eq!(found[0]["user_id"], gated.as_str());
    let disabled = server
        .call(reqwest::Method::PATCH, &format!("/v1/tenants/gates/users/{gated}"), Some(json!({ "disabled": true })))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    let (refused, refused_request) = sign_in(&server, "gates", PASSWORD).await;
    refused.assert_error(403, "account_disabled");
    let found = entries(&server, "gates", &format!("request_id={refused_request}")).await;
    assert_eq!(kinds_and_codes(&found), vec![("user.login.failed".into(), "account_disabled".into())]);

    let everything = server.get("/v1/tenants/audit/logs?limit=200").await.text;
    for secret in [secret, "not-a-token", PASSWORD, access_token, service_secret] {
        assert!(!everything.contains(secret), "the log holds {secret:?}");
    }
}

/// Tokens issued under concurrency are each an entry once the batches are written, and a
/// server stopped gracefully writes what it had queued before it exits.
#[tokio::test]
async fn concurrent_token_issuance_is_logged_once_per_token_even_across_a_graceful_stop() {
    let server = Server::start().await;
    server.tenant("busy", json!({})).await;
    let service = server
        .post(
            "/v1/tenants/busy/applications",
            json!({ "name": "svc", "client_type": "confidential", "allowed_grants": ["client_credentials"],
                    "allowed_scopes": ["orders:read"] }),
        )
        .await;
    let (id, secret) = (service.body["client_id"].as_str().unwrap(), service.body["client_secret"].as_str().unwrap());
    let requests: Vec<_> = (0..60)
        .map(|_| {
            let request = server
                .http
                .post(server.url("/t/busy/oauth/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")]);
            tokio::spawn(request.send())
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap().status(), StatusCode::OK);
    }
    // A graceful stop (SIGTERM) waits for the queue; the restarted server shows every entry.
    let mut server = server;
    assert!(server.terminate(std::time::Duration::from_secs(10)).await.is_some(), "SIGTERM did not stop the server");
    let server = server.restart(Options::default()).await;
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(&format!("/v1/tenants/busy/logs?type=token.issued&limit=50{cursor}")).await;
        for entry in page.body["data"].as_array().unwrap() {
            assert!(seen.insert(entry["id"].as_str().unwrap().to_owned()), "an entry listed twice");
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60, "one entry per issued token");
    let counts = server.get("/v1/tenants/busy/log-counts").await;
    let issued: i64 = counts.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "token.issued")
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(issued, 60, "the rollup counts each once: {}", counts.text);
}

/// A client-credentials client of `tenant`: its id and secret.
async fn machine_client(server: &Server, tenant: &str) -> (String, String) {
    let body = json!({ "name": "svc", "client_type": "confidential", "allowed_grants": ["client_credentials"] });
    let service = server.post(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(service.status, StatusCode::CREATED, "{}", service.text);
    let field = |name: &str| service.body[name].as_str().unwrap().to_owned();
    (field("client_id"), field("client_secret"))
}

/// Token entries wait in the writer's queue for a moment; a tenant deleted meanwhile takes
/// its own with it, and the other tenants' entries of the same batch are written all the
/// same (before, one entry of a deleted tenant failed the whole batch on its foreign key).
#[tokio::test]
async fn a_tenant_deleted_while_its_entries_wait_costs_no_other_tenant_an_entry() {
    let server = Server::start().await;
    server.tenant("doomed", json!({})).await;
    let (doomed_id, doomed_secret) = machine_client(&server, "doomed").await;
    let (kept_id, kept_secret) = machine_client(&server, "default").await;
    let form = [("grant_type", "client_credentials")];
    let doomed_token = server.oauth_post("doomed", "token", (&doomed_id, &doomed_secret), &form).await;
    assert_eq!(doomed_token.status, StatusCode::OK, "{}", doomed_token.text);
    let kept_token = server.oauth_post("default", "token", (&kept_id, &kept_secret), &form).await;
    assert_eq!(kept_token.status, StatusCode::OK, "{}", kept_token.text);
    let deleted = server.call(reqwest::Method::DELETE, "/v1/tenants/doomed", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    // The writer retries a failed batch for a few seconds before it gives up on it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let query = format!("type=token.issued&client_id={kept_id}");
    while entries(&server, "default", &query).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the default tenant's token entry was never written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!server.logs().contains("missed a batch"), "{}", server.logs());
}

/// An entry made `age_ms` ago, written straight to the database as the log writer would.
fn old_entry(tenant: &str, age_ms: i64, kind: &str) -> String {
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 - age_ms;
    let id = format!("{}7000800000000000{:04x}", intelliauth_core::ids::time_floor("log", at), age_ms % 0xffff);
    format!(
        "INSERT INTO tenant_log (id, tenant_id, occurred_at, type, code, details) \
         VALUES ('{id}', '{tenant}', {at}, '{kind}', 'ok', '{{}}')"
    )
}

#[tokio::test]
async fn entries_past_the_tenant_s_retention_are_pruned_and_time_filters_find_older_entries() {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let server = Server::start().await;
    server.tenant("kept", json!({ "log": { "retention_days": 2 } })).await;
    server.user_with_password("kept", "recent@example.com", PASSWORD, true).await;
    server.execute_sql(&old_entry("kept", 3 * DAY_MS, "test.three_days_old")).await;
    server.execute_sql(&old_entry("kept", DAY_MS, "test.one_day_old")).await;

    // A time range finds the day-old entry, and only it.
    let day_ago = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let format = &time::format_description::well_known::Rfc3339;
    let from = (day_ago - time::Duration::minutes(1)).format(format).unwrap();
    let to = (day_ago + time::Duration::minutes(1)).format(format).unwrap();
    let query =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("from", &from).append_pair("to", &to).finish();
    let found = entries(&server, "kept", &query).await;
    assert_eq!(kinds_and_codes(&found), vec![("test.one_day_old".into(), "ok".into())], "{query}");
    assert_eq!(entries(&server, "kept", "type=test.three_days_old").await.len(), 1);

    // Housekeeping runs as a server starts: the entry past two days goes, the rest stay.
    let server = server.restart(Options::default()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !entries(&server, "kept", "type=test.three_days_old").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the entry past its retention was not pruned");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(entries(&server, "kept", "type=test.one_day_old").await.len(), 1);
    assert_eq!(entries(&server, "kept", "type=user.created").await.len(), 1);
}
